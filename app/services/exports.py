"""Files people open in Excel: the one CSV writer and the one XLSX writer behind every export.

A Russian office opens a CSV by double-click in Russian Excel, which wants UTF-8 *with* a BOM and `;`
between cells; other targets (scripts, LibreOffice in English) want plain UTF-8 and commas. The reader's
locale picks the default (`csv_format`), a form may override it. Cells are typed by their column: a phone,
a postcode, an INN or an external id stays text (never a number that loses its `+` or leading zero),
amounts are numbers, dates are dates. Text that a spreadsheet would run as a formula is neutralised: in CSV
by a leading apostrophe, in XLSX by forcing the cell to be a string, so no guard character is ever shown
there. A well-formed phone (`+7 910 071-80-40`) is kept as it is in both, since diallers and mail merge
read it back.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import IO, Iterable, Sequence

from babel.numbers import format_decimal

from app.i18n import reader_locale, tr

FORMULA_START = frozenset(("=", "+", "-", "@", "\t", "\r"))
# "+" then digits, with the spaces, parentheses and hyphens people write between them; nothing else.
PHONE = re.compile(r"\+\d[\d ()\-]{3,30}")
TEXT_KINDS = ("text", "phone", "code")
NUMBER_FORMATS = {"amount": "#,##0.00", "integer": "0", "number": "0.00", "percent": "0.0%"}
DATE_FORMATS = {"ru": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    """One column of an export: its header (a msgid, translated when the file is made), the kind of its cells
    (text, phone, code, amount, integer, number, percent, date, datetime) and its width in XLSX."""

    header: str
    kind: str = "text"
    width: int | None = None


@dataclass(frozen=True)
class CsvFormat:
    """How a CSV file is encoded: a BOM for Excel or not, and the separator."""

    bom: bool
    delimiter: str

    @property
    def encoding(self) -> str:
        return "utf-8-sig" if self.bom else "utf-8"


@dataclass
class Sheet:
    """One sheet of a workbook: its (translated) title, its columns and rows; rows above the header
    (`preamble`, e.g. the period) and below the filtered range (`footer`, e.g. a total)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    preamble: Sequence[Sequence] = field(default_factory=tuple)
    footer: Sequence[Sequence] = field(default_factory=tuple)


def excel_defaults(locale: str | None = None) -> bool:
    """Whether the reader's office is a Russian one, whose Excel wants a BOM and `;`."""
    return (locale or reader_locale()).split("_")[0] == "ru"


def csv_format(bom: bool | None = None, semicolon: bool | None = None, locale: str | None = None) -> CsvFormat:
    """The CSV format for this reader: a choice made on a form wins, else the locale's default."""
    default = excel_defaults(locale)
    bom = default if bom is None else bool(bom)
    semicolon = default if semicolon is None else bool(semicolon)
    return CsvFormat(bom=bom, delimiter=";" if semicolon else ",")


def is_phone(text: str) -> bool:
    """A phone written the way people and diallers write one: safe to leave as it is."""
    return bool(PHONE.fullmatch(text))


def neutralise(value) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV only); a phone stays as is."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text[:1] in FORMULA_START and not is_phone(text):
        return "'" + text
    return text


def looks_like_formula(text: str) -> bool:
    return text[:1] in FORMULA_START


# ---------------------------------------------------------------- CSV

def csv_cell(value, kind: str, locale: str) -> str:
    """One CSV cell: numbers in the locale's decimal notation (no grouping, so Excel reads them back),
    dates in ISO form, every text neutralised."""
    if value is None or value == "":
        return ""
    if kind in ("amount", "number", "percent") and isinstance(value, (int, float, Decimal)):
        pattern = "0.0###" if kind == "percent" else "0.00"
        return format_decimal(value, pattern, locale=locale)
    if kind == "integer" and isinstance(value, (int, Decimal)):
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def write_csv(stream: IO[str], columns: Sequence[Column], rows: Iterable[Sequence], fmt: CsvFormat,
              locale: str | None = None) -> int:
    """Write the translated header and every row to a text stream; returns the rows written. The stream's
    encoding carries the BOM (open it with `fmt.encoding`)."""
    locale = locale or reader_locale()
    writer = csv.writer(stream, delimiter=fmt.delimiter)
    writer.writerow([tr(c.header) for c in columns])
    n = 0
    for row in rows:
        writer.writerow([csv_cell(v, c.kind, locale) for c, v in zip(columns, row)])
        n += 1
    return n


def csv_bytes(columns: Sequence[Column], rows: Iterable[Sequence], fmt: CsvFormat,
              tail: Iterable[Sequence] = ()) -> bytes:
    """A small CSV export in memory (a report, a download); `tail` rows follow a blank line, as text."""
    out = io.StringIO()
    write_csv(out, columns, rows, fmt)
    if tail:
        writer = csv.writer(out, delimiter=fmt.delimiter)
        writer.writerow([])
        writer.writerows([neutralise(v) for v in row] for row in tail)
    return out.getvalue().encode(fmt.encoding)


def write_csv_file(path: Path, columns: Sequence[Column], rows: Iterable[Sequence], fmt: CsvFormat) -> int:
    """Stream rows into a CSV file (an address list of a million rows never sits in memory)."""
    with Path(path).open("w", newline="", encoding=fmt.encoding) as f:
        return write_csv(f, columns, rows, fmt)


# ---------------------------------------------------------------- XLSX

def sheet_title(text: str) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\."""
    return SHEET_NAME_FORBIDDEN.sub(" ", text).strip()[:31] or "Sheet"


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _xlsx_cell(ws, value, kind: str, locale: str):
    """A typed write-only cell; formula-looking text is forced to a string, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value)
        cell.number_format = DATE_FORMATS.get(locale.split("_")[0], DATE_FORMATS["en"]) + " hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = DATE_FORMATS.get(locale.split("_")[0], DATE_FORMATS["en"])
        return cell
    if kind in NUMBER_FORMATS and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        cell = WriteOnlyCell(ws, float(value) if isinstance(value, Decimal) else value)
        cell.number_format = NUMBER_FORMATS[kind]
        return cell
    if value is None:
        return WriteOnlyCell(ws, None)
    text = value if isinstance(value, str) else str(value)
    cell = WriteOnlyCell(ws, text)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if kind in ("phone", "code"):
        cell.number_format = "@"
    return cell


def write_xlsx(target: Path | IO[bytes], sheets: Sequence[Sheet], locale: str | None = None) -> list[int]:
    """Write sheets in streaming mode: a bold, frozen header row with an auto-filter over the data,
    column widths, typed cells. Returns the rows written per sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    locale = locale or reader_locale()
    wb = Workbook(write_only=True)
    counts = []
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet_title(sheet.title))
        header_row = len(sheet.preamble) + 1
        headers = [tr(c.header) for c in sheet.columns]
        for i, (column, header) in enumerate(zip(sheet.columns, headers), start=1):
            ws.column_dimensions[_column_letter(i)].width = column.width or max(12, min(len(header) + 4, 40))
        ws.freeze_panes = f"A{header_row + 1}"
        for row in sheet.preamble:
            ws.append([_xlsx_cell(ws, v, "text", locale) for v in row])
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(ws, header)
            cell.data_type = "s"
            cell.font = bold
            header_cells.append(cell)
        ws.append(header_cells)
        n = 0
        for row in sheet.rows:
            ws.append([_xlsx_cell(ws, v, c.kind, locale) for c, v in zip(sheet.columns, row)])
            n += 1
        last = _column_letter(max(len(sheet.columns), 1))
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + n}"
        for row in sheet.footer:
            ws.append([_xlsx_cell(ws, v, c.kind, locale) for c, v in zip(sheet.columns, row)])
        counts.append(n)
    wb.save(target)
    return counts


def xlsx_bytes(sheets: Sequence[Sheet], locale: str | None = None) -> bytes:
    """A small workbook in memory (a download answered at once)."""
    buf = io.BytesIO()
    write_xlsx(buf, sheets, locale)
    return buf.getvalue()
