"""An admin backs up from the browser and sees the backup verified; a staff member cannot open the page."""
import pytest

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def own_backup_dir(app, tmp_path):
    saved = app.config["BACKUP_DIR"], app.config["UPLOAD_DIR"]
    app.config.update(BACKUP_DIR=tmp_path / "backups", UPLOAD_DIR=tmp_path / "uploads")
    yield
    app.config.update(BACKUP_DIR=saved[0], UPLOAD_DIR=saved[1])


def test_admin_backs_up_now_and_sees_it_verified(new_page, make_user, own_backup_dir):
    admin = make_user("admin", "crm")
    page = new_page()
    sign_in(page, admin.email, PASSWORD)
    assert "There is no verified backup" in page.locator(".backup-alert").inner_text()
    page.locator(".admin-menu summary").click()                   # the administration menu in the top bar
    page.locator(".admin-menu").get_by_role("link", name="Backups", exact=True).click()
    page.get_by_text("No backups yet.").wait_for()
    page.get_by_role("button", name="Back up now").click()
    page.locator("#backup-list [role=progressbar]").wait_for()
    row = page.locator("#backup-list tr[data-status=verified]")
    row.wait_for(timeout=120_000)  # backup and scratch restore; a loaded shared server is slow
    assert "Verified" in row.inner_text()
    assert page.locator("#backup-list [role=progressbar]").count() == 0  # polling ended with the job
    assert page.get_by_role("link", name="Download").count() == 1
    page.reload()
    assert page.locator(".backup-alert").count() == 0


def test_staff_cannot_open_the_backups_page(new_page, make_user):
    staff = make_user("staff", "crm")
    page = new_page()
    sign_in(page, staff.email, PASSWORD)
    assert page.get_by_role("link", name="Backups", exact=True).count() == 0
    response = page.goto("/admin/backups/")
    assert response.status == 403
    assert "You do not have permission" in page.content()
