"""Real-browser fixtures: the portal served from a thread, Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def _server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_server_url(app, _server):
    """The app on a local port with the in-process job worker running, as in the embedded default;
    the worker is stopped after each test so no job outlives the test that started it."""
    from app.services.jobs import runtime

    app.config["START_INPROCESS_WORKER"] = True
    yield _server
    app.config["START_INPROCESS_WORKER"] = False
    runtime(app).stop()


@pytest.fixture(scope="session")
def browser():
    require_service("Chromium", os.path.exists(CHROMIUM) or bool(shutil.which("chromium")),
                    f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def new_page(browser, live_server_url):
    """A fresh browser context per person: new_page() -> Page already pointed at the portal."""
    contexts = []

    def _new(locale: str = "en-US"):
        ctx = browser.new_context(base_url=live_server_url, locale=locale)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield _new
    for ctx in contexts:
        ctx.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
