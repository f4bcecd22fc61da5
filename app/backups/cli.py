"""`flask backup create|verify|restore|list`: the same service the admin page and the nightly job use."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.services import backup_files, backups

backup_cli = AppGroup("backup", help="Make, verify, restore and list backups.")


def _echo_progress(pct: float) -> None:
    click.echo(f"\r{int(pct):3d} %", nl=False)


def _resolve(file: str) -> Path:
    """A path as given, or the name of a file in the backup directory."""
    path = Path(file)
    if path.exists():
        return path
    try:
        return backups.find_backup(current_app.config, file)
    except backup_files.BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@backup_cli.command("create")
@click.option("--no-verify", is_flag=True, help="Skip the scratch restore (and so retention).")
def create(no_verify: bool) -> None:
    """Back up the database and uploaded files, verify the backup, apply retention."""
    try:
        info = backups.backup_now("manual", progress=_echo_progress, verify=not no_verify)
    except backup_files.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"\n{info.path} ({info.size} bytes, {info.status})")


@backup_cli.command("verify")
@click.argument("file", required=False)
def verify(file: str | None) -> None:
    """Restore FILE (default: the newest backup) into a scratch database and check it against its manifest."""
    if file is None:
        found = backups.list_backups(current_app.config)
        if not found:
            raise click.ClickException("There are no backups to verify.")
        path = found[0].path
    else:
        path = _resolve(file)
    try:
        backups.verify_in_portal(path, progress=_echo_progress)
    except backup_files.BackupError as exc:
        raise click.ClickException(f"NOT verified: {exc}") from exc
    click.echo(f"\nverified: {path.name}")


@backup_cli.command("restore")
@click.argument("file")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(file: str, yes: bool) -> None:
    """Replace the database and uploaded files with FILE, after a safety backup of the current state."""
    path = _resolve(file)
    if not yes:
        click.confirm(f"Replace the whole database and uploaded files with {path.name}?", abort=True)
    try:
        outcome = backups.restore_in_portal(path, progress=_echo_progress)
    except backup_files.BackupError as exc:
        raise click.ClickException(f"NOT restored: {exc}") from exc
    click.echo(f"\nrestored {path.name} (made {outcome['created_at']}); safety backup: {outcome['safety']}"
               + ("; schema upgraded" if outcome["upgraded"] else ""))


@backup_cli.command("list")
def list_() -> None:
    """Every backup, newest first, with its status and how long retention keeps it."""
    for b in backups.list_backups(current_app.config):
        kept = b.kept_until.isoformat() if b.kept_until else b.fate
        click.echo(f"{b.created_at:%Y-%m-%d %H:%M:%S}  {b.kind:8} {b.size:>12}  {b.status:10}  {kept:12}  {b.name}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(backup_cli)
