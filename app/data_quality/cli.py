"""`flask dedup scan` and `flask crm import`: the same services as the browser, for large or scripted runs."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db

dedup_cli = AppGroup("dedup", help="Find duplicate companies and contacts.")


@dedup_cli.command("scan")
@click.option("--entity", type=click.Choice(["companies", "contacts"]), required=True)
@click.option("--threshold", type=float, default=None, help="Lowest score to report (default: the admin's review threshold).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
def scan_cmd(entity: str, threshold: float | None, output: str) -> None:
    """Write every candidate pair with both ids, external ids, score and reasons to a CSV file."""
    from sqlalchemy import select

    from app.services import matching

    kind = "company" if entity == "companies" else "contact"
    model = matching.MODELS[kind]
    with click.progressbar(length=100, label="scanning") as bar:
        done = [0]

        def progress(fraction: float) -> None:
            step = int(100 * fraction) - done[0]
            if step > 0:
                bar.update(step)
                done[0] += step

        candidates = matching.scan(db.session, kind, threshold, progress=progress)
    ids = {i for c in candidates for i in (c.a_id, c.b_id)}
    external: dict[int, str | None] = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 5000):
        chunk = id_list[start:start + 5000]
        external.update(db.session.execute(select(model.id, model.external_id).where(model.id.in_(chunk))).all())
    with open(output, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["a_id", "a_external_id", "b_id", "b_external_id", "score", "reasons"])
        for c in candidates:
            w.writerow([c.a_id, external.get(c.a_id) or "", c.b_id, external.get(c.b_id) or "", f"{c.score:.2f}",
                        "; ".join(str(r) for r in c.reasons)])
    click.echo(f"{len(candidates)} candidate pairs written to {output}")


crm_cli = AppGroup("crm", help="Client base tools.")


@crm_cli.command("import")
@click.argument("entity", type=click.Choice(["companies", "contacts"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False),
              help='JSON {"column header": "field"}; guessed from the headers when omitted.')
@click.option("--on-duplicate", type=click.Choice(["create", "update", "skip"]), default="skip", show_default=True)
@click.option("--all-or-nothing", is_flag=True, help="Import nothing when any row fails.")
@click.option("--dry-run", is_flag=True, help="Check every row and report, write nothing.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False), help="Write the CSV report here.")
def import_cmd(entity, file, mapping_file, on_duplicate, all_or_nothing, dry_run, report_file) -> None:
    """Import companies or contacts from CSV or XLSX, printing created/updated/skipped/failed."""
    from app.services import imports

    kind = "company" if entity == "companies" else "contact"
    path = Path(file)
    headers, _rows = imports.read_table(path)
    raw = json.loads(Path(mapping_file).read_text(encoding="utf-8")) if mapping_file else \
        imports.guess_mapping(kind, headers)
    try:
        mapping = imports.clean_mapping(kind, raw, headers)
    except imports.ImportError_ as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("mapping: " + ", ".join(f"{h} -> {f}" for h, f in mapping.items()))
    report = imports.apply(db.session, path, kind, mapping, on_duplicate, all_or_nothing=all_or_nothing,
                              dry_run=dry_run)
    for row in report["rows"]:
        if row["outcome"] == "failed":
            click.echo(f"row {row['row']}: {row['reason']}", err=True)
    if report_file:
        Path(report_file).write_text(imports.report_csv(report), encoding="utf-8")
    state = "written" if report["applied"] else "nothing written"
    click.echo(f"created {report['created']}, updated {report['updated']}, skipped {report['skipped']}, "
               f"failed {report['failed']} ({state})")


def register_cli(app: Flask) -> None:
    app.cli.add_command(dedup_cli)
    existing = app.cli.commands.get("crm")
    if isinstance(existing, click.Group):  # another area may own `flask crm`: add to it
        existing.add_command(import_cmd)
    else:
        app.cli.add_command(crm_cli)
