"""Command-line tools: `flask users ...`, `flask bootstrap`, and each area's own groups."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db

users_cli = AppGroup("users", help="Manage the people who can sign in.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "head", "staff"]), default="staff", show_default=True)
@click.option("--unit", "unit_code", required=True, help="Unit code, e.g. sales, promotion, crm.")
@click.option("--name", default=None)
@click.option("--password", default=None, help="Asked for when not given.")
def users_create(email: str, role: str, unit_code: str, name: str | None, password: str | None) -> None:
    """Create a user in a unit with a role."""
    from app.services.org import UserError, create_user, seed_reference_data

    seed_reference_data(db.session)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email, password, role, unit_code, name=name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.email} ({user.role}, {unit_code})")


def upgrade_database() -> None:
    """Bring the schema to the newest migration and make sure the org board exists."""
    from flask_migrate import upgrade

    from app.services.org import seed_reference_data

    upgrade(directory=current_app.extensions["migrate"].directory)
    seed_reference_data(db.session)
    db.session.commit()


@click.command("bootstrap")
@click.option("--demo-companies", default=300, show_default=True, help="Demo base size on the first start.")
def bootstrap(demo_companies: int) -> None:
    """Upgrade the database; on a first start seed a demo base and print the demo sign-in."""
    from sqlalchemy import func, select

    from app.models.org import User

    upgrade_database()
    if db.session.scalar(select(func.count(User.id))) == 0:
        from app.demo import DEMO_PASSWORD, echo_people, new_password, seed_demo

        # The README's password only for the first start of an embedded base on a laptop; anywhere else a random one.
        embedded = db.engine.dialect.name == "sqlite"
        counts = seed_demo(db.session, companies=demo_companies, seed=1,
                           password=DEMO_PASSWORD if embedded else new_password())
        from app.services.backups import backup_now

        backup_now(kind="manual")  # the demo starts with a verified backup, as a running portal has
        click.echo("Demo base seeded.")
        echo_people(counts["password"])
    else:
        click.echo("Database is up to date.")


jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("settle")
def jobs_settle() -> None:
    """Mark failed (or queue again) the jobs whose worker died; run before starting workers after a crash."""
    from app.services.jobs import settle_abandoned

    click.echo(f"settled {settle_abandoned()} job(s)")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(bootstrap)
    for module_path in app.config.get("CLI_MODULES", CLI_MODULES):
        import importlib

        module = importlib.import_module(module_path)
        module.register_cli(app)


# Areas with their own command groups (each module has register_cli(app)).
CLI_MODULES = ["app.demo", "app.crm.cli", "app.data_quality.cli", "app.promotion.cli", "app.backups.cli"]
