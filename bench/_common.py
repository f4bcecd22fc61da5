"""Shared benchmark helpers: a seeded demo database reused between runs, timing and percentiles."""
from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:7.2f} ms   p95 {percentile(samples, 95) * 1000:7.2f} ms"


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def timed_wall_cpu(fn, runs: int, warmup: int = 1) -> tuple[float, float, float, float]:
    """p50 and p95 of wall time, then of this process's CPU time, in milliseconds, after `warmup` calls.
    CPU time is what other processes on a shared machine cannot inflate (SQLite works inside this process;
    PostgreSQL's own work is in its server)."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), percentile(wall, 95), statistics.median(cpu), percentile(cpu, 95)


def seeded_app(companies: int, contacts_per_company: float = 2.5, seed: int = 1):
    """An app on a SQLite demo base of this size, seeded once and kept under bench/out/ for later runs."""
    OUT.mkdir(exist_ok=True)
    instance = OUT / f"demo-{companies}-{contacts_per_company}-{seed}"
    os.environ["CLIENTELE_INSTANCE"] = str(instance)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    from app import create_app
    from app.cli import upgrade_database
    from app.extensions import db

    app = create_app({"CLIENTELE_INSTANCE": str(instance), "INSTANCE_DIR": instance,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'clientele.db'}",
                      "WTF_CSRF_ENABLED": False, "START_INPROCESS_WORKER": False,
                      "TWO_STEP_ROLES": ()})  # the bench signs the demo admin in with a password alone
    marker = instance / "seeded"
    with app.app_context():
        upgrade_database()
        if not marker.exists():
            from app.demo import seed_demo

            start = time.perf_counter()
            counts = seed_demo(db.session, companies=companies, contacts_per_company=contacts_per_company, seed=seed, areas=False, password="demo12345",
                               batch=10000)
            print(f"seeded {counts} in {time.perf_counter() - start:.0f}s")
            marker.write_text(str(counts))
    return app


def signed_in_client(app, email: str = "admin@demo.local", password: str = "demo12345"):
    client = app.test_client()
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code == 302, resp.status_code
    return client
