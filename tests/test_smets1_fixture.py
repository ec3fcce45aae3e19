"""The ``smets1`` fixture through pytest: every applicable DMC gets its own simulated installation, the
transcript lands in the test's evidence, and ``--svtad-seed`` makes it byte-for-byte repeatable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ONE_PROCESS, Project

PACK = """
import pytest
from datetime import timedelta

@pytest.mark.ttm("REQ-3")
@pytest.mark.srv("2.2")
def test_top_up_raises_credit(smets1):
    before = smets1.request("4.3").body["credit_pence"]
    assert smets1.request("2.2", amount_pence=500).code == "I0"
    assert smets1.request("4.3").body["credit_pence"] == before + 500

@pytest.mark.ttm("REQ-2")
@pytest.mark.srv("7.2")
def test_disable_supply(smets1):
    smets1.request("7.2")
    assert smets1.request("7.4").body["supply_status"] == "disabled"
    smets1.advance(minutes=5)
    assert "8F57" in [alert.code for alert in smets1.alerts()]

@pytest.mark.ttm("REQ-1")
@pytest.mark.srv("4.1.1")
@pytest.mark.requires("GSME")
def test_gas_register_over_a_day(smets1):
    first = smets1.request("4.1.1", device="GSME").body["import_kwh"]
    start = smets1.now
    smets1.advance(hours=24)
    last = smets1.request("4.1.1", device="GSME").body["import_kwh"]
    rows = smets1.request("4.8.1", device="GSME", start=start, end=smets1.now).body["intervals"]
    assert len(rows) == 48
    assert sum(row["kwh"] for row in rows) == pytest.approx(last - first, abs=1e-6)
"""


def transcripts(root: Path) -> dict[str, bytes]:
    found = sorted((root / "report" / "evidence").rglob("transcript.txt"))
    return {path.parent.name: path.read_bytes() for path in found}


@ONE_PROCESS
def test_each_applicable_dmc_runs_against_its_own_installation_with_a_transcript(project: Project) -> None:
    project.tests(PACK)
    run = project.run("--svtad-dmc", "all")
    assert run.ret == 0, run.text
    results = run.results()
    # the gas test is not applicable to DMC-B (electricity only): 3 + 3 + 2 planned
    assert len(results) == 8 and {row["outcome"] for row in results} == {"passed"}
    found = transcripts(project.pytester.path)
    assert len(found) == 8
    top_up = next(text for name, text in found.items() if "top_up" in name and "DMC-B" in name).decode()
    assert "# transcript of DMC-B" in top_up
    assert ">>    2.2 Top Up Device to ESME" in top_up and "2.2 I0" in top_up
    disable = next(text for name, text in found.items() if "disable" in name).decode()
    assert "ALERT 8F57 Supply Interrupted from ESME" in disable


def test_same_seed_gives_the_same_transcripts_in_one_process_and_under_xdist(project_single: Project) -> None:
    project_single.tests(PACK)
    root = project_single.pytester.path
    assert project_single.run("--svtad-dmc", "all", "--svtad-seed", "11").ret == 0
    single = transcripts(root)
    assert project_single.run("--svtad-dmc", "all", "--svtad-seed", "11", workers=2).ret == 0
    assert transcripts(root) == single
    assert project_single.run("--svtad-dmc", "all", "--svtad-seed", "12").ret == 0
    assert transcripts(root) != single


@ONE_PROCESS
def test_misuse_of_the_installation_fails_the_test_with_the_reason(project: Project) -> None:
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        def test_unknown_srv(smets1):
            smets1.request("4.1")

        @pytest.mark.ttm("REQ-1")
        def test_missing_gas_meter(smets1):
            smets1.request("4.1.1", device="GSME")
    """)
    run = project.run("--svtad-dmc", "DMC-B")
    assert run.ret == 1
    messages = {row["nodeid"].split("::")[1]: row["reason"] for row in run.results()}
    assert "unknown SRV '4.1'; did you mean 4.1.1" in messages["test_unknown_srv[DMC-B]"]
    assert "DMC-B has no GSME" in messages["test_missing_gas_meter[DMC-B]"]


ROOT = Path(__file__).resolve().parents[1]


def readme_smets1_example() -> str:
    """The README's smets1 example: the python block after its fixture list."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index("Fixtures: `dmc`"):]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_smets1_example_passes_on_every_sample_dmc(pytester: pytest.Pytester) -> None:
    from pytest_svtad.smets1.profiles import load_profiles

    pytester.makepyfile(test_readme_example="import pytest\n\n\n" + readme_smets1_example())
    outcome = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--svtad-profiles", str(ROOT / "device_profiles"), "--svtad-dmc", "all",
        "--svtad-ttm", str(ROOT / "testpacks" / "ttm" / "smets1-sit-sample.csv"), "--svtad-report", "report",
        "--svtad-store", "none")
    assert outcome.ret == 0, outcome.stdout.str()
    rows = [json.loads(line) for line in (pytester.path / "report" / "results.jsonl").read_text().splitlines()]
    sample = sorted(load_profiles(ROOT / "device_profiles").dmcs)
    assert "DMC-003" in sample  # the dormant one
    assert sorted(row["nodeid"].rsplit("[", 1)[1].rstrip("]") for row in rows) == sample
    assert {row["outcome"] for row in rows} == {"passed"}
