"""Time and peak memory of the one file reader and of a full company import, next to the csv module alone and
openpyxl read_only alone on the same files.

    python -m bench.imports [--rows 200000] [--import-rows N] [--pg postgresql+psycopg://.../db]

Files are generated in a temporary folder and removed afterwards (never committed): a Windows-1251 CSV with
semicolons, as Russian Excel saves it, and an XLSX of the same rows. Each figure is measured in its own fresh
Python process, so its peak resident memory (ru_maxrss) belongs to that measurement alone; "baseline" is such a
process that only imported the app. The full import runs on a new SQLite file (or the given PostgreSQL base,
whose tables are dropped and created anew).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = ["Код", "Наименование", "ОПФ", "ИНН", "Город", "Телефон", "E-mail", "Комментарий"]
WORDS = ["Ромашка", "Гранит", "Вектор", "Север", "Альфа", "Сибирь", "Техно", "Строй", "Снаб", "Торг", "Пром", "Энерго",
         "Ёлка", "Щит", "Эхо", "Юг", "Восток", "Металл", "Лес", "Агро"]
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Самара", "Тверь", "Омск", "Новосибирск", "Екатеринбург"]
FORMS = ["ООО", "АО", "ПАО", "ИП"]


def _inn(rng: random.Random) -> str:
    """A valid 10-digit INN (the check digit is computed as the tax service does)."""
    digits = [rng.randrange(10) for _ in range(9)]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    return "".join(map(str, digits)) + str(sum(d * w for d, w in zip(digits, weights)) % 11 % 10)


def _rows(n: int):
    rng = random.Random(13)
    for i in range(n):
        name = f"{rng.choice(WORDS)}{rng.choice(WORDS).lower()} {i}"
        yield [f"K{i}", name, rng.choice(FORMS), _inn(rng) if i % 2 else "", rng.choice(CITIES),
               f"+7 495 {i:07d}", f"office{i}@firm{i % 5000}.ru", "клиент с выставки" if i % 3 == 0 else ""]


def generate(folder: Path, n: int) -> tuple[Path, Path]:
    import csv

    from openpyxl import Workbook

    csv_path, xlsx_path = folder / "companies.csv", folder / "companies.xlsx"
    with csv_path.open("w", encoding="cp1251", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(HEADER)
        w.writerows(_rows(n))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for r in _rows(n):
        ws.append(r)
    wb.save(xlsx_path)
    return csv_path, xlsx_path


# --- what each fresh process measures ------------------------------------------------------------


def _app(url: str | None, work: Path):
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.services.org import seed_reference_data

    url = url or f"sqlite:///{work / 'bench.db'}"
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": work, "UPLOAD_DIR": work / "uploads",
                      "EXPORT_DIR": work / "exports", "BACKUP_DIR": work / "backups", "START_INPROCESS_WORKER": False})
    with app.app_context():
        if url.startswith("postgresql"):
            from sqlalchemy import text

            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        seed_reference_data(db.session)
        db.session.commit()
    return app


def _anonymous_peak() -> dict:
    """Sample the process's anonymous memory (RssAnon) every 0.2 s: ru_maxrss also counts the pages of the
    SQLite file it has read through mmap (shared with the OS cache, given back under pressure)."""
    import threading

    peak = {"anon_mb": 0.0}

    def sample():
        while True:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        peak["anon_mb"] = max(peak["anon_mb"], int(line.split()[1]) / 1024)
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    return peak


def measure(what: str, path: Path, url: str | None) -> dict:
    """One measurement in this process: rows seen and seconds; the caller reads the peak memory."""
    result: dict = {}
    if what == "baseline":
        import app  # noqa: F401  what every process below carries before it reads a byte
        from app.services import imports, tabular  # noqa: F401
        return {"rows": 0, "seconds": 0.0}
    if what.startswith("import"):
        anonymous = _anonymous_peak() if Path("/proc/self/status").exists() else {}
        from app.extensions import db
        from app.services import imports

        app = _app(url, path.parent)
        with app.app_context():
            headers, _ = imports.read_table(path)
            mapping = imports.guess_mapping("company", headers)
            start = time.perf_counter()
            report = imports.apply(db.session, path, "company", mapping, on_duplicate="create")
            seconds = time.perf_counter() - start
        return {"rows": report["created"] + report["updated"] + report["failed"] + report["skipped"],
                "created": report["created"], "failed": report["failed"], "seconds": seconds,
                **{k: round(v) for k, v in anonymous.items()}}
    import csv

    from openpyxl import load_workbook

    if what == "reader":
        from app.services import tabular  # imported before the clock starts, as openpyxl and csv are
    start = time.perf_counter()
    count = 0
    if what == "csv-module":
        with path.open(encoding="cp1251", newline="") as f:  # told the encoding and separator: nothing detected
            for _row in csv.reader(f, delimiter=";"):
                count += 1
        count -= 1
    elif what == "openpyxl":
        wb = load_workbook(path, read_only=True, data_only=True)
        for _row in wb.active.iter_rows(values_only=True):
            count += 1
        wb.close()
        count -= 1
    elif what == "reader":
        with tabular.open_table(path) as table:
            result["encoding"], result["delimiter"] = table.encoding, table.delimiter
            for _row in table.rows:
                count += 1
    return {**result, "rows": count, "seconds": time.perf_counter() - start}


def _child(what: str, path: Path, url: str | None) -> dict:
    cmd = [sys.executable, "-m", "bench.imports", "--measure", what, "--file", str(path)] + (["--pg", url] if url else [])
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if out.returncode:
        raise SystemExit(f"{what} on {path.name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--import-rows", type=int, help="rows for the full import (default: --rows)")
    parser.add_argument("--pg", help="a PostgreSQL URL for the full import (its schema is dropped)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-readers", action="store_true", help="only the full import")
    parser.add_argument("--import-formats", default="csv,xlsx", help="which files the full import runs on")
    args = parser.parse_args()
    if args.measure:
        result = measure(args.measure, Path(args.file), args.pg)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    import_rows = args.import_rows or args.rows
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        csv_path, xlsx_path = generate(folder, args.rows)
        print(f"generated {args.rows} rows in {time.perf_counter() - start:.0f}s: CSV {csv_path.stat().st_size / 2**20:.1f} MB,"
              f" XLSX {xlsx_path.stat().st_size / 2**20:.1f} MB", flush=True)
        lines = [("baseline (app imported, nothing read)", _child("baseline", csv_path, None))]
        for label, what, path in [] if args.skip_readers else [("CSV: csv module alone", "csv-module", csv_path),
                                  ("CSV: our reader (detects cp1251 and ;)", "reader", csv_path),
                                  ("XLSX: openpyxl read_only alone", "openpyxl", xlsx_path),
                                  ("XLSX: our reader (zip checks + openpyxl)", "reader", xlsx_path)]:
            lines.append((label, _child(what, path, None)))
            print(_line(*lines[-1]), flush=True)
        if not args.skip_import:
            if import_rows != args.rows:
                small = folder / "small"
                small.mkdir()
                csv_path, xlsx_path = generate(small, import_rows)
            engine = "PostgreSQL" if args.pg else "SQLite"
            formats = args.import_formats.split(",")
            for label, path in [(f"CSV: full import ({engine})", csv_path), (f"XLSX: full import ({engine})", xlsx_path)]:
                if path.suffix[1:] not in formats:
                    continue
                if args.pg:
                    os.environ.pop("DATABASE_URL", None)
                lines.append((label, _child("import", path, args.pg)))
                print(_line(*lines[-1]), flush=True)
                (path.parent / "bench.db").unlink(missing_ok=True)
        print()
        print("| what | rows | seconds | peak memory (MB) | peak anonymous memory (MB) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for label, r in lines:
            anon = f"{r['anon_mb']:.0f}" if "anon_mb" in r else ""
            print(f"| {label} | {r['rows']} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {anon} |")


def _line(label: str, r: dict) -> str:
    extra = {k: v for k, v in r.items() if k not in ("rows", "seconds", "peak_mb")}
    return f"{label:45s} {r['rows']:>8} rows {r['seconds']:8.1f} s  peak {r['peak_mb']:6.0f} MB  {extra or ''}"


if __name__ == "__main__":
    main()
