"""The one file reader every import uses: CSV in any encoding Russian offices save, and XLSX within limits.

Companies, contacts and responses all open their files here, so a Windows-1251 export, Excel's "Unicode
text" or a KOI8-R file from an old system read the same way everywhere, and a crafted workbook is refused
before it is loaded.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from app.i18n import lazy_gettext as _l
from app.i18n import tr
from app.services.errors import RuleError

# Encodings the reader knows, with what the mapping screen shows; the keys are what an import run stores.
ENCODINGS = {
    "utf_8": _l("UTF-8"),
    "utf_8_sig": _l("UTF-8 with BOM"),
    "utf_16": _l("UTF-16 (Excel Unicode text)"),
    "cp1251": _l("Windows-1251"),
    "koi8_r": _l("KOI8-R"),
    "cp866": _l("CP866 (DOS)"),
}
DELIMITERS = {",": _l("comma"), ";": _l("semicolon"), "\t": _l("tab"), "|": _l("vertical bar")}
# What charset-normalizer may choose from when the file is not UTF-8.
DETECTABLE = ["utf_8", "cp1251", "koi8_r", "cp866", "utf_16"]

MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
MAX_SHARED_STRINGS_BYTES = 96 * 1024 * 1024  # uncompressed; openpyxl keeps the whole table in memory
MAX_SHARED_STRINGS = 2_000_000
MAX_SHEET_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed for a member over 1 MB: more is a zip bomb, not a table
CHUNK = 1024 * 1024
SAMPLE_BYTES = 256 * 1024

# How often each letter occurs in Russian text: the decoding that reads most like Russian wins.
_RUSSIAN = dict(zip("оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
                    (10.97, 8.45, 8.01, 7.35, 6.70, 6.26, 5.47, 4.73, 4.54, 4.40, 3.49, 3.21, 2.98, 2.81, 2.62,
                     2.01, 1.90, 1.74, 1.70, 1.65, 1.59, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48, 0.36, 0.32,
                     0.26, 0.04, 0.04)))


class FileError(RuleError):
    """A file the reader refuses (damaged, too big, not a table); the message says why in the reader's words."""

    def __init__(self, message: str):
        super().__init__(message, "file")


@dataclass
class Table:
    """An open file: what was decided about it, its header and a stream of rows as text."""

    format: str  # CSV or XLSX
    headers: list[str]
    rows: Iterator[list[str]]
    encoding: str | None = None  # a key of ENCODINGS
    delimiter: str | None = None  # a key of DELIMITERS
    detected_encoding: str | None = None
    detected_delimiter: str | None = None
    _closers: list = field(default_factory=list, repr=False)

    def close(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


Source = Path | str | bytes | BinaryIO


def _binary(source: Source) -> BinaryIO:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    if isinstance(source, str | Path):
        return Path(source).open("rb")
    return source


def open_table(source: Source, encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Open a CSV or XLSX file; encoding and separator are detected unless the person chose them."""
    handle = _binary(source)
    try:
        head = handle.read(8)
        handle.seek(0)
        if head.startswith(b"PK\x03\x04"):
            return _open_xlsx(handle)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileError(tr("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV."))
        if head.startswith(b"PK"):
            raise FileError(tr("This file is an archive, not a table: upload a CSV or an Excel workbook (.xlsx)."))
        return _open_csv(handle, encoding, delimiter)
    except BaseException:
        handle.close()
        raise


# --- encodings --------------------------------------------------------------------------------


def russian_score(text: str) -> float:
    """How much the non-ASCII characters of a text look like Russian letters (0 none, about 6 real Russian)."""
    chars = [c for c in text if not c.isascii()]
    if not chars:
        return 0.0
    return sum(_RUSSIAN.get(c.lower(), 0.0) for c in chars) / len(chars)


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text with no BOM: every other byte is 0 (Latin) or 4 (Cyrillic)."""
    if len(head) < 8:
        return None
    for start, name in ((1, "utf_16_le"), (0, "utf_16_be")):
        high = head[start::2]
        if sum(1 for b in high if b in (0, 4)) >= 0.95 * len(high):
            return name
    return None


def detect_encoding(handle: BinaryIO) -> str:
    """BOM first, then strict UTF-8 over the whole file, then charset-normalizer on the lines that are not
    ASCII, choosing among the encodings Russian offices use the one that reads as Russian."""
    handle.seek(0)
    head = handle.read(4096)
    handle.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf_8_sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf_16"
    if (bare := _utf16_without_bom(head)) is not None:
        return bare
    decoder = codecs.getincrementaldecoder("utf_8")("strict")
    offset = 0
    try:
        while chunk := handle.read(CHUNK):
            decoder.decode(chunk)
            offset += len(chunk)
        decoder.decode(b"", final=True)
        return "utf_8"
    except UnicodeDecodeError as exc:
        failed_at = offset + max(0, exc.start)
    return _guess_legacy(handle, failed_at)


def _guess_legacy(handle: BinaryIO, failed_at: int) -> str:
    """The encoding of a file that is not UTF-8, judged on its non-ASCII lines from where UTF-8 failed."""
    from charset_normalizer import from_bytes

    handle.seek(max(0, failed_at - 4096))
    lines: list[bytes] = []
    size = 0
    scanned = 0
    for line in handle:
        scanned += len(line)
        if not line.isascii():
            lines.append(line)
            size += len(line)
        if size >= SAMPLE_BYTES or scanned > 16 * CHUNK:
            break
    handle.seek(0)
    sample = b"".join(lines)
    if not sample:
        return "cp1251"
    candidates = [m.encoding for m in from_bytes(sample, cp_isolation=DETECTABLE)]
    for name in ("cp1251", "koi8_r", "cp866"):  # scored too, in case the detector left one out
        if name not in candidates:
            candidates.append(name)
    scored = [(russian_score(sample.decode(name, errors="replace")), -i, name)
              for i, name in enumerate(candidates) if _decodes(sample, name)]
    if not scored:
        return "cp1251"
    return max(scored)[2]


def _decodes(sample: bytes, name: str) -> bool:
    try:
        sample.decode(name)
        return True
    except (UnicodeDecodeError, LookupError):
        return name in ("cp1251", "koi8_r", "cp866")  # single-byte: a stray undefined byte is replaced


# --- CSV --------------------------------------------------------------------------------------


def sniff_delimiter(sample: str) -> str:
    """The separator among , ; tab and | that gives the most columns with the same count on every line."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # a sample cut inside a line
    text = "".join(lines[:200])
    best, best_score = ",", -1.0
    for delim in (";", ",", "\t", "|"):
        try:
            counts = [len(r) for _, r in zip(range(50), csv.reader(io.StringIO(text), delimiter=delim)) if any(r)]
        except csv.Error:
            continue
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        if modal < 2:
            continue
        score = counts.count(modal) / len(counts) * modal
        if score > best_score:
            best, best_score = delim, score
    return best


def _open_csv(handle: BinaryIO, encoding: str | None, delimiter: str | None) -> Table:
    detected = detect_encoding(handle)
    chosen = encoding if encoding in ENCODINGS or encoding in ("utf_16_le", "utf_16_be") else detected
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=chosen, errors="replace", newline="")
    sample = text.read(64 * 1024)
    sniffed = sniff_delimiter(sample)
    delim = delimiter if delimiter in DELIMITERS else sniffed
    text.seek(0)
    reader = csv.reader(text, delimiter=delim)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        text.close()
        raise FileError(tr("The file cannot be read as a table: %(why)s", why=str(exc))) from None
    if header is None:
        text.close()
        raise FileError(tr("The file is empty."))
    if len(header) > MAX_COLUMNS:
        text.close()
        raise FileError(tr("The file has more than %(n)s columns.", n=MAX_COLUMNS))

    def rows() -> Iterator[list[str]]:
        count = 1
        try:
            for r in reader:
                count += 1
                if count > MAX_ROWS + 1:
                    raise FileError(tr("The file has more than %(n)s rows: split it into smaller files.",
                                       n=f"{MAX_ROWS:,}".replace(",", " ")))
                if any(v.strip() for v in r):
                    yield r
        except csv.Error as exc:
            raise FileError(tr("Line %(n)s cannot be read: %(why)s", n=reader.line_num, why=str(exc))) from None
        finally:
            text.close()

    return Table("CSV", [h.strip() for h in header], rows(), encoding=chosen, delimiter=delim,
                 detected_encoding=detected, detected_delimiter=sniffed, _closers=[text.close])


# --- XLSX -------------------------------------------------------------------------------------


def _refuse_big(why: str) -> FileError:
    return FileError(tr("This workbook cannot be imported: %(why)s. Save the sheet as CSV or split it.", why=why))


def _sheet_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(rows, columns) a sheet declares or holds, read from its XML as a stream without parsing it."""
    from openpyxl.utils import column_index_from_string

    rows = columns = 0
    with archive.open(info) as src:
        head = src.read(64 * 1024)
        dim = re.search(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})?\$?(\d+)?(?::\$?([A-Z]{1,3})\$?(\d+))?"', head)
        if dim:
            col = dim.group(3) or dim.group(1)
            row = dim.group(4) or dim.group(2)
            columns = column_index_from_string(col.decode()) if col else 0
            rows = int(row) if row else 0
        if rows > MAX_ROWS or columns > MAX_COLUMNS:
            return rows, columns
        count, last, chunk = 0, 0, head
        while chunk:
            count += chunk.count(b"<row") + chunk.count(b":row ")
            pos = chunk.rfind(b"<row ")
            if pos >= 0:
                m = re.match(rb'<row\s[^>]*?\br="(\d+)"', chunk[pos:pos + 400] + src.peek(400)[:400])
                if m:
                    last = max(last, int(m.group(1)))
            if max(count, last) > MAX_ROWS:
                break
            chunk = src.read(CHUNK)
        return max(rows, count, last), columns


def _check_workbook(handle: BinaryIO) -> None:
    """Refuse, before openpyxl loads anything, a zip that is not a workbook or whose sheets or shared strings
    would take more than the import can hold."""
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileError(tr("This file is neither a CSV table nor an Excel workbook (.xlsx), or it is damaged.")) \
            from None
    with archive:
        infos = archive.infolist()
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names or len(infos) > 10_000:
            raise FileError(tr("This zip archive is not an Excel workbook (.xlsx)."))
        for info in infos:
            if info.file_size > CHUNK and info.file_size > MAX_RATIO * max(1, info.compress_size):
                raise _refuse_big(tr("a part of it is compressed %(n)s times, far more than a real table",
                                     n=info.file_size // max(1, info.compress_size)))
            if info.filename == "xl/sharedStrings.xml":
                if info.file_size > MAX_SHARED_STRINGS_BYTES:
                    raise _refuse_big(tr("its table of texts takes %(mb)s MB (at most %(max)s MB)",
                                         mb=info.file_size // 2**20, max=MAX_SHARED_STRINGS_BYTES // 2**20))
                with archive.open(info) as src:
                    sst = re.search(rb'<(?:\w+:)?sst\b[^>]*?\buniqueCount="(\d+)"', src.read(4096))
                if sst and int(sst.group(1)) > MAX_SHARED_STRINGS:
                    raise _refuse_big(tr("it holds %(n)s different texts", n=int(sst.group(1))))
            elif info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                if info.file_size > MAX_SHEET_BYTES:
                    raise _refuse_big(tr("a sheet takes %(mb)s MB", mb=info.file_size // 2**20))
                rows, columns = _sheet_extent(archive, info)
                if rows > MAX_ROWS:
                    raise _refuse_big(tr("a sheet has more than %(n)s rows", n=f"{MAX_ROWS:,}".replace(",", " ")))
                if columns > MAX_COLUMNS:
                    raise _refuse_big(tr("a sheet has more than %(n)s columns", n=MAX_COLUMNS))


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _open_xlsx(handle: BinaryIO) -> Table:
    from openpyxl import load_workbook

    _check_workbook(handle)
    handle.seek(0)
    try:
        wb = load_workbook(handle, read_only=True, data_only=True)
        sheet = wb.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            raise FileError(tr("The workbook has no sheet with a table."))
        stream = sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1)
        header = next(stream, None)
    except FileError:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged workbook; the person needs one sentence
        raise FileError(tr("The workbook is damaged or is not an Excel workbook (.xlsx).")) from None
    if header is None:
        wb.close()
        raise FileError(tr("The file is empty."))
    headers = [_cell_text(h).strip() for h in header]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        wb.close()
        raise _refuse_big(tr("a sheet has more than %(n)s columns", n=MAX_COLUMNS))

    def rows() -> Iterator[list[str]]:
        count = 1
        try:
            for r in stream:
                count += 1
                if count > MAX_ROWS + 1:
                    raise _refuse_big(tr("a sheet has more than %(n)s rows", n=f"{MAX_ROWS:,}".replace(",", " ")))
                values = [_cell_text(v) for v in r]
                if len(values) > MAX_COLUMNS and values[MAX_COLUMNS].strip():
                    raise _refuse_big(tr("a sheet has more than %(n)s columns", n=MAX_COLUMNS))
                if any(v.strip() for v in values):
                    yield values
        finally:
            wb.close()

    return Table("XLSX", headers, rows(), _closers=[wb.close])


def encoding_label(name: str | None) -> str:
    """What the mapping screen calls an encoding."""
    if name in ("utf_16_le", "utf_16_be"):
        name = "utf_16"
    return str(ENCODINGS.get(name, name or ""))


def delimiter_label(delim: str | None) -> str:
    return str(DELIMITERS.get(delim, delim or ""))
