"""``svtad sct --sweep`` (issue 18, item 4): the sweep file's one-line errors, the scenarios run on a Dask cluster
(the engine's own LocalCluster, in process) and on the local process pool with the same results, one table and
chart across them, and the cluster option's errors."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from pytest_svtad import sweep as sweeps
from pytest_svtad.cli import main as svtad

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "testpacks" / "sct"

SWEEP = f"""\
hours: 24
seed: 3
installations: [2000]
load_profiles:
  sample-day: {PACK / 'load-profile.yaml'}
faults:
  baseline: []
  head-end outage: [{{kind: head_end_outage, at: "09:00", minutes: 30}}]
criteria: {PACK / 'criteria.yaml'}
"""


def write_sweep(folder: Path, text: str = SWEEP) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory):
    """The same sweep on a one-process local pool, then on Dask's own LocalCluster (in process: its scheduler and
    worker are threads, started after the pool so the pool never forks a process with threads running)."""
    distributed = pytest.importorskip("distributed")
    folder = tmp_path_factory.mktemp("sweep")
    path = write_sweep(folder)
    outputs = {"pool": (svtad(["sct", "--sweep", str(path), "--quiet", "--out", str(folder / "pool"),
                                "--workers", "1"]), folder / "pool")}
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as c:
        outputs["dask"] = (svtad(["sct", "--sweep", str(path), "--quiet", "--out", str(folder / "dask"),
                                  "--cluster", c.scheduler_address]), folder / "dask")
    return outputs


def test_a_sweep_on_a_dask_cluster_gives_one_table_and_chart_across_scenarios(both_runs, capsys):
    code, out = both_runs["dask"]
    assert code == 1  # the outage scenario misses the sample's response-time targets: said, and the exit code says it
    rows = json.loads((out / "sweep-summary.json").read_text())
    assert [row["scenario"] for row in rows] == ["sample-day / baseline / 2,000",
                                                 "sample-day / head-end outage / 2,000"]
    baseline, outage = rows
    assert baseline["targets_met"] is True and outage["targets_met"] is False
    assert any(line.endswith("NOT MET") for line in outage["targets"])
    assert outage["summary"]["queues"]["peak_backlog"] > 0 == baseline["summary"]["queues"]["peak_backlog"]
    with (out / "sweep-table.csv").open(newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][0] == "scenario" and [line[0] for line in table[1:]] == [row["scenario"] for row in rows]
    assert table[1][-1] == "met" and table[2][-1] == "NOT MET"
    assert (out / "sweep-p95.png").read_bytes().startswith(b"\x89PNG")


def test_the_local_pool_and_the_cluster_give_the_same_results(both_runs):
    (_, dask_out), (pool_code, pool_out) = both_runs["dask"], both_runs["pool"]
    assert pool_code == 1
    on_dask, on_pool = (json.loads((out / "sweep-summary.json").read_text()) for out in (dask_out, pool_out))
    for a, b in zip(on_dask, on_pool, strict=True):
        assert json.dumps(sweeps.deterministic(a["summary"])) == json.dumps(sweeps.deterministic(b["summary"]))
        assert a["targets"] == b["targets"]


@pytest.mark.parametrize(("change", "expected"), [
    (("installations: [2000]", "installations: [0]"),
     "sweep.yaml:3: sweep file: field 'installations': Value error, expected fleet sizes"),
    (("seed: 3", "seed: 3\nspeed: 2"), "sweep.yaml:3: sweep file: field 'speed': unknown field"),
    (("kind: head_end_outage", "kind: meltdown"),
     "sweep.yaml:8: sweep file: field 'faults.head-end outage.0.kind': Input should be 'head_end_outage'"),
    ((f"{PACK / 'load-profile.yaml'}", "missing.yaml"),
     "sweep.yaml:5: sweep file: load_profiles.sample-day: no load profile file 'missing.yaml'"),
    (("hours: 24", "hours: 24\nhours: 7"), "sweep.yaml:2: invalid YAML in sweep file: duplicate key 'hours'"),
])
def test_a_bad_sweep_file_is_a_one_line_error_naming_file_line_and_field(tmp_path, capsys, change, expected):
    path = write_sweep(tmp_path, SWEEP.replace(*change))
    assert svtad(["sct", "--sweep", str(path), "--quiet", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert expected in err, err


def test_cluster_errors_are_one_line(tmp_path, capsys, monkeypatch):
    path = write_sweep(tmp_path)
    assert svtad(["sct", "--sweep", str(path), "--cluster", "localhost:8786", "--out", str(tmp_path)]) == 2
    assert "--cluster: expected a Dask scheduler address such as tcp://host:8786" in capsys.readouterr().err
    monkeypatch.setattr(sweeps, "CONNECT_TIMEOUT_S", 1)
    assert svtad(["sct", "--sweep", str(path), "--cluster", "tcp://127.0.0.1:9", "--out", str(tmp_path)]) == 2
    assert "--cluster: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask[distributed] were not installed
    assert svtad(["sct", "--sweep", str(path), "--cluster", "tcp://127.0.0.1:9", "--out", str(tmp_path)]) == 2
    assert "pip install 'pytest-svtad[cluster]'" in capsys.readouterr().err
    assert svtad(["sct", "--profile", str(PACK / "load-profile.yaml"), "--workers", "2"]) == 2
    assert "--workers: applies to --sweep runs only" in capsys.readouterr().err
    assert svtad(["sct", "--sweep", str(path), "--engine", "simpy", "--out", str(tmp_path)]) == 2
    assert "--engine: with --sweep the sweep file gives it (engine: in the file)" in capsys.readouterr().err
