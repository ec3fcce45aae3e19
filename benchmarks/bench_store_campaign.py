"""Campaign verdict from a store holding 1,000,000 results (200 DMCs x 5,000 tests, two runs of half the tests).

The verdict's CPU seconds are its own and, apart, those of the processes it starts (the second node-id range of
the campaign read, the heatmap helper); its peak RSS is the largest of them (``ru_maxrss``, self and children).

Fills a store once (SQLite file under the temp folder, reused while its schema version is current; PostgreSQL when
``--postgres URL`` or ``SVTAD_BENCH_POSTGRES_URL`` names a database this benchmark may empty), then measures in a
fresh process what ``svtad verdict --campaign`` does: read the campaign, combine the runs, extant issues, heatmap
(CSV + PNG), results.jsonl, verdict. The baseline, in the same invocation and also in a fresh process: the raw
DB-API read (sqlite3 / psycopg) of the same join, every row fetched and nothing built. Targets: <= 5 s and
<= 512 MiB peak RSS.

    python benchmarks/bench_store_campaign.py [--quick] [--postgres URL] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from pytest_svtad.model import Outcome, PlanEntry, Result
from pytest_svtad.store import Store
from pytest_svtad.store import schema as t
from pytest_svtad.store.migrations import SCHEMA_VERSION

FULL = (200, 5000)  # DMCs x tests: 1,000,000 results
QUICK = (20, 1000)  # 20,000 results
FILL = 2  # the fill's own version: a store filled by another is filled again
# every value the verdict reads: the plan with its tags (schema 7: svtad_tags), the node ids, the results
RAW_JOIN = ("SELECT p.run_id, s.nodeid, g.dmc, p.ttm, g.srv, g.functional_group, g.regression, g.severity, "
            "g.known_defect, g.descoped, g.witnessed, g.cause, g.provider, r.outcome, r.error, r.xfailed, r.crashed, "
            "r.reason, r.duration, r.evidence FROM svtad_plan p JOIN svtad_tests s ON s.id = p.test_id "
            "JOIN svtad_tags g ON g.id = p.tags_id LEFT OUTER JOIN "
            "svtad_results r ON r.run_id = p.run_id AND r.test_id = p.test_id WHERE p.run_id IN ({ids})")


def fill(url: str, dmcs: int, tests: int, runs: int = 2) -> None:
    """The campaign BENCH: ``runs`` SIT runs on successive SUT versions, each executing its share of the tests on
    every DMC; 1% failures; every tenth test a regression test; durations as a session measures them (each its
    own float)."""
    store = Store(url)
    with store.engine.begin() as conn:
        tables = (t.results, t.plan_entries, t.plan_tags, t.tests)
        if store.engine.dialect.name == "postgresql":  # DELETE checks each test's references by a scan
            conn.exec_driver_sql(f"TRUNCATE {', '.join(table.name for table in tables)}")
        else:
            for table in tables:
                conn.execute(table.delete())
        conn.execute(t.runs.delete().where(t.runs.c.campaign == "BENCH"))
    rng = random.Random(7)
    groups = [f"group {g}" for g in range(15)]
    per_run = tests // runs
    for run in range(runs):
        run_id = store.begin_run(campaign="BENCH", stage="SIT", release="IOC", sut_version=f"1.{run}", seed=0,
                                 host="bench", firmware={})
        entries, results = [], []
        for d in range(dmcs):  # written as a session writes them (store.record), 50,000 at a time
            for i in range(run * per_run, (run + 1) * per_run):
                nodeid = f"testpacks/bench/test_mod_{i // 100:03d}.py::test_{i}[DMC-{d:03d}]"
                entries.append(PlanEntry(nodeid, f"DMC-{d:03d}", (f"REQ-{i % 500}",), "4.1.1", groups[i % 15],
                                         i % 10 == 0, 3, None, None, None))
                failed = rng.random() < 0.01
                results.append(Result(nodeid, Outcome.FAILED if failed else Outcome.PASSED, False, False, False,
                                      "AssertionError" if failed else "", rng.uniform(0.001, 2.0), []))
        for start in range(0, len(entries), 50_000):
            store.record(run_id, entries[start:start + 50_000], results[start:start + 50_000])
        store.finish_run(run_id, interrupted=False, verdict=None)
    with store.engine.begin() as conn:
        conn.execute(t.meta.delete().where(t.meta.c.key == "bench_size"))
        conn.execute(insert(t.meta).values(key="bench_size", value=f"{SCHEMA_VERSION}:{dmcs}x{tests}:{FILL}"))
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    store.close()


def filled(url: str, dmcs: int, tests: int) -> bool:
    try:
        store = Store(url)
    except Exception:  # noqa: BLE001 - an unreadable bench file is refilled
        return False
    with store.engine.connect() as conn:
        size = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "bench_size")).scalar()
    store.close()
    return size == f"{SCHEMA_VERSION}:{dmcs}x{tests}:{FILL}"


def measure_verdict(url: str) -> dict[str, Any]:
    """In this (fresh) process: what ``svtad verdict --campaign`` does, timed, with the peak RSS."""
    from pytest_svtad.closeout import close_out
    from pytest_svtad.store.campaign import campaign_record

    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        store = Store(url)
        record = campaign_record(store, "BENCH", "SIT", "IOC", report_dir=Path(tmp))
        loaded = time.perf_counter()
        verdict = close_out(record, reports=())  # verdict, issue log, heatmap, results.jsonl (no HTML reports)
        end = time.perf_counter()
    # the processes it started count too: the part of the campaign read in a forked process (a large store is
    # read in two node-id ranges at once, store/campaign_pass.py) and the heatmap helper; peak RSS of the largest
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {"results": len(record.results), "load_s": loaded - start, "total_s": end - start,
            "cpu_s": time.process_time() - cpu, "children_cpu_s": children.ru_utime + children.ru_stime,
            "peak_rss_mib": max(own.ru_maxrss, children.ru_maxrss) / 1024,
            "own_rss_mib": own.ru_maxrss / 1024, "children_rss_mib": children.ru_maxrss / 1024,
            "load_average": os.getloadavg(), "met": verdict.met}


def measure_raw(url: str) -> dict[str, Any]:
    """In this (fresh) process: the same join read through the bare DB-API driver, nothing built."""
    store = Store(url)
    with store.engine.connect() as conn:
        ids = ", ".join(str(i) for i in conn.execute(select(t.runs.c.id).where(t.runs.c.campaign == "BENCH"))
                        .scalars())
    store.close()
    start, cpu = time.perf_counter(), time.process_time()
    if url.startswith("sqlite:///"):
        import sqlite3

        connection: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
    else:
        import psycopg

        connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    cursor = connection.cursor()
    cursor.execute(RAW_JOIN.format(ids=ids))
    rows = 0
    while batch := cursor.fetchmany(20_000):
        rows += len(batch)
    connection.close()
    return {"rows": rows, "total_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _fresh(kind: str, url: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--measure-only", kind, "--url", url], check=True,
                         capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _urls(quick: bool, postgres: str | None) -> list[tuple[str, str]]:
    name = "quick" if quick else "full"
    urls = [("SQLite", f"sqlite:///{Path(tempfile.gettempdir()) / f'svtad-bench-campaign-{name}.db'}")]
    if postgres:
        urls.append(("PostgreSQL", postgres))
    return urls


def measures(quick: bool = False, postgres: str | None = None, rounds: int = 3) -> list[dict[str, Any]]:
    """Verdict time and peak RSS per backend, with the raw read of the same join as the baseline (medians of
    ``rounds`` rotations, baseline and project alternating)."""
    postgres = postgres or os.environ.get("SVTAD_BENCH_POSTGRES_URL")
    dmcs, tests = QUICK if quick else FULL
    out: list[dict[str, Any]] = []
    for backend, url in _urls(quick, postgres):
        if not filled(url, dmcs, tests):
            fill(url, dmcs, tests)
        raw, verdicts = [], []
        for _ in range(1 if quick else rounds):
            raw.append(_fresh("raw", url))
            verdicts.append(_fresh("verdict", url))
        base = statistics.median(r["total_s"] for r in raw)
        project = statistics.median(v["total_s"] for v in verdicts)
        rss = max(v["peak_rss_mib"] for v in verdicts)
        size = f"{dmcs * tests:,} results"
        out.append({"measure": f"campaign verdict, {size}, {backend} (baseline: raw read of the join)",
                    "baseline": base, "project": project, "unit": "s", "ratio": project / base,
                    "target": "<= 5 s", "met": project <= 5.0,
                    "runs": [round(v["total_s"], 2) for v in verdicts],
                    "raw_runs": [round(r["total_s"], 2) for r in raw],
                    "cpu_s": [round(v["cpu_s"], 2) for v in verdicts],
                    "children_cpu_s": [round(v["children_cpu_s"], 2) for v in verdicts],
                    "load": [round(v["load_average"][0], 1) for v in verdicts],
                    "raw_cpu_s": [round(r["cpu_s"], 2) for r in raw],
                    "rss_mib_own_children": [(round(v["own_rss_mib"]), round(v["children_rss_mib"]))
                                             for v in verdicts]})
        out.append({"measure": f"campaign verdict peak RSS, {size}, {backend}", "baseline": None,
                    "project": rss, "unit": "MiB", "ratio": None, "target": "<= 512 MiB", "met": rss <= 512})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="20,000 results instead of 1,000,000")
    parser.add_argument("--postgres", help="also measure on this PostgreSQL database (its svtad tables are emptied)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--measure-only", choices=("verdict", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure = measure_verdict if args.measure_only == "verdict" else measure_raw
        print(json.dumps(measure(args.url)))
        return
    for row in measures(args.quick, args.postgres, args.rounds):
        ratio = "" if row["ratio"] is None else f" ratio {row['ratio']:.2f}"
        base = "" if row["baseline"] is None else f" baseline {row['baseline']:.2f}"
        extra = (f" runs {row['runs']} raw {row['raw_runs']} (CPU s: {row['cpu_s']} + its processes "
                 f"{row['children_cpu_s']}, raw {row['raw_cpu_s']}; load average {row['load']}; peak RSS MiB, own "
                 f"and its processes': {row['rss_mib_own_children']})"
                 if "runs" in row else "")
        print(f"{row['measure']}: {row['project']:.2f} {row['unit']}{base}{ratio} target {row['target']} "
              f"met {row['met']}{extra}")


if __name__ == "__main__":
    main()
