"""`flask crm import` (the same import service as the browser's import page, for large or scripted runs) and
`flask crm reindex` (rebuild the search index from the records)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db

crm_cli = AppGroup("crm", help="Client base tools.")


@crm_cli.command("import")
@click.argument("entity", type=click.Choice(["companies", "contacts"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False),
              help='JSON {"column header": "field"}; guessed from the headers when omitted.')
@click.option("--on-duplicate", type=click.Choice(["create", "update", "skip"]), default="skip", show_default=True)
@click.option("--all-or-nothing", is_flag=True, help="Import nothing when any row fails.")
@click.option("--dry-run", is_flag=True, help="Check every row and report, write nothing.")
@click.option("--encoding", type=click.Choice(["utf_8", "utf_8_sig", "utf_16", "cp1251", "koi8_r", "cp866"]),
              help="The file's encoding; detected when omitted.")
@click.option("--delimiter", type=click.Choice([",", ";", "tab", "|"]), help="The CSV separator; detected when omitted.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False), help="Write the CSV report here.")
def import_cmd(entity, file, mapping_file, on_duplicate, all_or_nothing, dry_run, encoding, delimiter,
               report_file) -> None:
    """Import companies or contacts from CSV or XLSX, printing created/updated/skipped/failed."""
    from app.services import imports
    from app.services.errors import RuleError

    reading = {"encoding": encoding, "delimiter": "\t" if delimiter == "tab" else delimiter}

    kind = "company" if entity == "companies" else "contact"
    path = Path(file)
    try:
        headers, _rows = imports.read_table(path, reading)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from exc
    raw = json.loads(Path(mapping_file).read_text(encoding="utf-8")) if mapping_file else \
        imports.guess_mapping(kind, headers)
    try:
        mapping = imports.clean_mapping(kind, raw, headers)
    except imports.ImportError_ as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("mapping: " + ", ".join(f"{h} -> {f}" for h, f in mapping.items()))
    try:
        report = imports.apply(db.session, path, kind, mapping, on_duplicate, all_or_nothing=all_or_nothing,
                               dry_run=dry_run, reading=reading)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from exc
    for row in report["rows"]:
        if row["outcome"] == "failed":
            click.echo(f"row {row['row']}: {row['reason']}", err=True)
    if report_file:
        Path(report_file).write_bytes(imports.report_csv(report))
    state = "written" if report["applied"] else "nothing written"
    click.echo(f"created {report['created']}, updated {report['updated']}, skipped {report['skipped']}, "
               f"failed {report['failed']} ({state})")


@crm_cli.command("reindex")
def reindex_command():
    """Rebuild the search index (identifier keys and word documents) from the current records."""
    from sqlalchemy import func, select

    from app.models.search import SearchDocument
    from app.services import search

    search.reindex_all(db.session)
    db.session.commit()
    click.echo(f"search index rebuilt: {db.session.scalar(select(func.count(SearchDocument.id)))} records")


def register_cli(app: Flask) -> None:
    app.cli.add_command(crm_cli)
