"""`flask dedup scan`: the same matching service as the browser's scan, for large or scripted runs."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db
from app.i18n import N_, tr
from app.services import exports
from app.services.exports import Column

SCAN_COLUMNS = (Column(N_("Record A"), "integer"), Column(N_("External ID A"), "code"),
                Column(N_("Record B"), "integer"), Column(N_("External ID B"), "code"),
                Column(N_("Score"), "number"), Column(N_("Reasons")))

dedup_cli = AppGroup("dedup", help="Find duplicate companies and contacts.")


@dedup_cli.command("scan")
@click.option("--entity", type=click.Choice(["companies", "contacts"]), required=True)
@click.option("--threshold", type=float, default=None, help="Lowest score to report (default: the admin's review threshold).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--bom/--no-bom", default=None, help="A byte-order mark for Excel; default: yes for the Russian locale.")
@click.option("--semicolon/--comma", default=None, help="Separate cells with ';' or ','; default: ';' for Russian.")
@click.option("--shards", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Scan in this many shards, one after another (the scan job spreads them over the workers).")
def scan_cmd(entity: str, threshold: float | None, output: str, bom: bool | None, semicolon: bool | None,
             shards: int) -> None:
    """Write every candidate pair with both ids, external ids, score and reasons to a CSV file (the one
    export writer: Excel's format and Russian headers for the portal's Russian default)."""
    from sqlalchemy import select

    from app.services import matching

    kind = "company" if entity == "companies" else "contact"
    model = matching.MODELS[kind]
    with click.progressbar(length=100, label=tr("Scanning")) as bar:
        done = [0]

        def progress(fraction: float) -> None:
            step = int(100 * fraction) - done[0]
            if step > 0:
                bar.update(step)
                done[0] += step

        candidates = matching.scan(db.session, kind, threshold, progress=progress, shards=shards)
    ids = {i for c in candidates for i in (c.a_id, c.b_id)}
    external: dict[int, str | None] = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 5000):
        chunk = id_list[start:start + 5000]
        external.update(db.session.execute(select(model.id, model.external_id).where(model.id.in_(chunk))).all())
    rows = ([c.a_id, external.get(c.a_id), c.b_id, external.get(c.b_id), round(c.score, 2),
             "; ".join(matching.reason_text(r) for r in matching.reason_dicts(c.reasons))] for c in candidates)
    exports.write_csv_file(output, SCAN_COLUMNS, rows, exports.csv_format(bom, semicolon))
    click.echo(tr("%(count)s candidate pairs written to %(path)s", count=len(candidates), path=output))


def register_cli(app: Flask) -> None:
    app.cli.add_command(dedup_cli)
