"""`flask lists export`: write a saved segment's address list to a file from the command line."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models.address_lists import LIST_FORMATS, Segment
from app.services import address_lists


def register_cli(app: Flask) -> None:
    @app.cli.group("lists")
    def lists_cli():
        """Segmented address lists."""

    @lists_cli.command("export")
    @click.option("--segment", "segment_name", required=True, help="The saved segment's name.")
    @click.option("--format", "file_type", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @click.option("--list", "fmt", type=click.Choice(LIST_FORMATS), default="email", show_default=True,
                  help="Postal, email or phone list.")
    @click.option("--bom/--no-bom", default=None,
                  help="Start the CSV with a byte-order mark (Excel); default: yes for the Russian locale.")
    @click.option("--semicolon/--comma", default=None,
                  help="Separate CSV cells with ';' (Excel in Russian locale) or ','; default: ';' for Russian.")
    @click.option("--unverified-days", type=int, default=None, help="Leave out data not verified for this many days.")
    def export_cmd(segment_name, file_type, output, fmt, bom, semicolon, unverified_days):
        """Stream a segment's list into FILE and print the rows and exclusions."""
        segment = db.session.scalar(select(Segment).where(Segment.name == segment_name))
        if segment is None:
            raise click.ClickException(f"no segment named {segment_name!r}")
        options = {"bom": bom, "semicolon": semicolon, "unverified_days": unverified_days}
        summary = address_lists.write_list(db.session, segment.definition, fmt, file_type, output, options)
        excluded = ", ".join(f"{k}: {v}" for k, v in summary.exclusions.items())
        click.echo(f"{summary.rows} rows written to {output} (excluded {excluded})")
