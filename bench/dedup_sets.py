"""Benchmark jobs on the generated company sets: our engine, splink (DuckDB) and recordlinkage side by
side, with pairwise and B-cubed scores and the blocking's pairs-completeness."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Hashable, Iterable
from typing import Any

from .company_sets import directory_set, registry_set

SETS = {"directory": directory_set, "registry": registry_set}


def _records(name: str, size: int | None) -> list[dict[str, Any]]:
    return SETS[name](size) if size else SETS[name]()


def _truth(records: list[dict[str, Any]]) -> tuple[dict[Hashable, Hashable], int]:
    ent = {r["id"]: r["entity"] for r in records}
    return ent, sum(k * (k - 1) // 2 for k in Counter(ent.values()).values())


def components(pairs: Iterable[tuple[Hashable, Hashable]]) -> list[list[Hashable]]:
    """Connected components of predicted pairs (how a peer's links become groups)."""
    parent: dict[Hashable, Hashable] = {}

    def find(x: Hashable) -> Hashable:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for a, b in pairs:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[Hashable, list[Hashable]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return [g for g in groups.values() if len(g) > 1]


def _scores(pairs: set[tuple[Hashable, Hashable]], groups: list[list[Hashable]],
            ent: dict[Hashable, Hashable], n_true: int) -> dict[str, Any]:
    from .dedup import bcubed, prf

    tp = sum(ent[a] == ent[b] for a, b in pairs)
    implied = sum(len(g) * (len(g) - 1) // 2 for g in groups)
    tp_implied = 0
    for g in groups:
        for k in Counter(ent[x] for x in g).values():
            tp_implied += k * (k - 1) // 2
    return {"links": prf(tp, len(pairs), n_true), "pairs": prf(tp_implied, implied, n_true),
            "bcubed": bcubed(groups, ent.__getitem__, list(ent)),
            "n_true": n_true, "n_pred": len(pairs), "n_records": len(ent)}


def _completeness(proposed: Iterable[tuple[Hashable, Hashable]], ent: dict[Hashable, Hashable],
                  n_true: int) -> tuple[float, float]:
    """(pairs-completeness: true pairs the blocking proposes / all true pairs; connected completeness:
    true pairs whose records the proposed true pairs connect, which is what union-find needs)."""
    true_proposed = {(a, b) if str(a) <= str(b) else (b, a) for a, b in proposed if ent[a] == ent[b]}
    connected = 0
    for g in components(true_proposed):
        k = len(g)
        connected += k * (k - 1) // 2
    return len(true_proposed) / max(1, n_true), connected / max(1, n_true)


def job_ours(name: str, size: int | None = None, fitted: bool = False) -> dict[str, Any]:
    """Our engine with the company schema; groups by cluster() with sampled verification."""
    from app.matching import COMPANY_SCHEMA, Matcher, cluster

    records = _records(name, size)
    ent, n_true = _truth(records)
    fields = ("id", "name", "phones", "addresses", "city")
    rows = [{k: r[k] for k in fields if k in r} for r in records]
    t0 = time.perf_counter()
    m = Matcher(COMPANY_SCHEMA)
    idx = m.index(rows)
    if fitted:
        m = Matcher(m.fit(idx), m.thresholds)
    found = m.scan(idx)
    verify = m.verifier(idx)
    groups = cluster(found, m.thresholds.review, max_size=10_000, min_link=0.2, verify=verify)
    wall = time.perf_counter() - t0
    pairs = {(c.a_id, c.b_id) for c in found}
    out = _scores(pairs, groups, ent, n_true)
    ids = idx.ids
    proposed = {(ids[a], ids[b]) for a, b in m._pairs(idx, accept=m._accepter(idx))}
    out["pc"], out["pc_connected"] = _completeness(proposed, ent, n_true)
    out["n_candidates"] = len(proposed)
    out["possible_share"] = sum(c.band == "possible" for c in found) / max(1, len(found))
    out["wall_s"] = wall
    return out


_PUNCT = re.compile(r"[^\w ]+")


def _frame(records: list[dict[str, Any]]):
    """The records as a pandas frame with the plain cleaning a peer's user would do."""
    import pandas as pd

    def clean(s: str) -> str:
        return " ".join(_PUNCT.sub(" ", s.lower()).split())

    rows = []
    for r in records:
        phone = "".join(ch for ch in (r.get("phones") or [""])[0] if ch.isdigit())[-10:]
        rows.append({"unique_id": str(r["id"]), "name": clean(r["name"]),
                     "phone": phone or None, "address": clean((r.get("addresses") or [""])[0]) or None,
                     "city": r.get("city")})
    df = pd.DataFrame(rows)
    df["name3"] = df["name"].str[:3]
    return df


def job_splink(name: str, size: int | None = None) -> dict[str, Any]:
    """splink 5 on DuckDB: Jaro-Winkler levels on the name (and address), exact phone, u by random
    sampling, m by EM on two blocking rules, links at match probability 0.9."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    records = _records(name, size)
    ent, n_true = _truth(records)
    t0 = time.perf_counter()
    df = _frame(records)
    names_only = df["phone"].isna().all()
    comparisons = [cl.JaroWinklerAtThresholds("name", [0.97, 0.9, 0.8])]
    rules = [block_on("name3")]
    if not names_only:
        comparisons += [cl.ExactMatch("phone"), cl.JaroWinklerAtThresholds("address", [0.95, 0.85])]
        rules += [block_on("phone")]
    else:
        df = df[["unique_id", "name", "name3"]]
    settings = SettingsCreator(link_type="dedupe_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=rules)
    linker = Linker(DuckDBAPI().register(df), settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e5)
    for rule in rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception:  # a rule that fixes every comparison cannot train it  # noqa: BLE001
            pass
    pred = linker.inference.predict(threshold_match_probability=0.9).as_pandas_dataframe()
    pairs = {(a, b) for a, b in zip(pred["unique_id_l"], pred["unique_id_r"], strict=True)}
    back = {str(r["id"]): r["id"] for r in records}
    pairs = {(back[a], back[b]) for a, b in pairs}
    groups = components(pairs)
    wall = time.perf_counter() - t0
    return {**_scores(pairs, groups, ent, n_true), "wall_s": wall}


def job_rl(name: str, size: int | None = None) -> dict[str, Any]:
    """recordlinkage 0.16: blocking on phone and sorted neighbourhood on the name, Jaro-Winkler and
    q-gram on the name, exact phone, Jaro-Winkler address, ECM classifier."""
    import recordlinkage as rl

    records = _records(name, size)
    ent, n_true = _truth(records)
    t0 = time.perf_counter()
    df = _frame(records).set_index("unique_id")
    names_only = df["phone"].isna().all()
    indexer = rl.Index()
    indexer.sortedneighbourhood("name", window=9)
    indexer.block("name3")
    if not names_only:
        indexer.block("phone")
    cand = indexer.index(df)
    comp = rl.Compare()
    comp.string("name", "name", method="jarowinkler", threshold=0.88, label="name_jw")
    comp.string("name", "name", method="qgram", threshold=0.7, label="name_qgram")
    comp.string("name", "name", method="levenshtein", threshold=0.8, label="name_lev")
    if not names_only:
        comp.exact("phone", "phone", label="phone")
        comp.string("address", "address", method="jarowinkler", threshold=0.85, label="address")
    features = comp.compute(cand, df)
    matches = rl.ECMClassifier(binarize=0.5).fit_predict(features)
    back = {str(r["id"]): r["id"] for r in records}
    pairs = {(back[a], back[b]) for a, b in matches}
    groups = components(pairs)
    wall = time.perf_counter() - t0
    return {**_scores(pairs, groups, ent, n_true), "wall_s": wall, "n_candidates": len(cand)}


def job_splink_febrl(name: str) -> dict[str, Any]:
    """splink 5 on DuckDB on one FEBRL file (FEBRL4: the union of its two files, deduplicated as
    our engine does): Jaro-Winkler on names and address, exact on the rest, u by random sampling,
    m by EM on two blocking rules, links at match probability 0.9."""
    import pandas as pd
    import splink.comparison_library as cl
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    from .dedup import bcubed, prf
    from .febrl import entity, true_pairs

    loaders = {"febrl1": load_febrl1, "febrl2": load_febrl2, "febrl3": load_febrl3}
    df = pd.concat(load_febrl4()) if name == "febrl4" else loaders[name]()
    ids = list(df.index)
    truth = true_pairs(ids)
    t0 = time.perf_counter()
    df = df.reset_index().rename(columns={df.index.name or "index": "unique_id"}).fillna("").astype(str)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.JaroWinklerAtThresholds(c, [0.95, 0.88]) for c in
                     ("given_name", "surname", "address_1", "address_2", "suburb")]
        + [cl.ExactMatch(c) for c in ("date_of_birth", "postcode", "state", "street_number", "soc_sec_id")],
        blocking_rules_to_generate_predictions=[block_on(c) for c in
                                                ("given_name", "surname", "date_of_birth", "postcode", "soc_sec_id")],
    )
    linker = Linker(DuckDBAPI().register(df), settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("date_of_birth"), block_on("surname")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=0.9).as_pandas_dataframe()
    pairs = {(a, b) if a <= b else (b, a) for a, b in zip(pred["unique_id_l"], pred["unique_id_r"], strict=True)}
    groups = components(pairs)
    wall = time.perf_counter() - t0
    return {"pairs": prf(len(pairs & truth), len(pairs), len(truth)), "bcubed": bcubed(groups, entity, ids),
            "wall_s": wall, "n_records": len(ids), "n_true": len(truth), "n_pred": len(pairs)}
