"""A new user's walk through the README, followed literally: the code blocks are read out of README.md (so this
breaks when the README drifts from what the harness does) and run in a fresh copy of the repository's packs and
profiles in a temporary folder, never in the checkout (no report/, no .svtad/ there).

- Quickstart: the first command's pytest part (not the pip install) and what the README says it prints and writes;
  the second command's claim that it runs the harness's own tests (collected, not run: this is one of them).
- "Writing a pack": the marker example and the smets1 example, copied into a fresh pack and run.
- "A campaign over several runs": the two runs, then ``svtad verdict --campaign`` and its full report set.
- "The svtad command": every subcommand's ``--help``, and every subcommand named in the README.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_svtad import __version__
from pytest_svtad.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SAMPLE_DMCS = [f"DMC-00{n}" for n in range(1, 7)]
QUIRKY_DMC = "DMC-006"  # the README's DMC whose ESME firmware drops top-ups and reports power in milliwatts


def section(title: str) -> str:
    """The README's text under the heading ``title`` (any level), up to the next heading of that level or above."""
    match = re.search(rf"^(#+) {re.escape(title)}\n", README, re.M)
    assert match, f"README has no section '{title}'"
    level = len(match.group(1))
    rest = README[match.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


@dataclass
class Ran:
    argv: list[str]
    returncode: int
    out: str


def run(command: str, cwd: Path, timeout: float = 600) -> Ran:
    """One command line of the README, as a shell would run it here: ``python`` is this interpreter, ``svtad`` its
    console script."""
    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    elif argv[0] == "svtad":
        argv[:1] = [sys.executable, "-m", "pytest_svtad.cli"]
    done = subprocess.run([*argv, *(["-p", "no:cacheprovider"] if "pytest" in argv[:3] else [])], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    return Ran(argv, done.returncode, done.stdout + done.stderr)


def pytest_part(line: str) -> str:
    """The ``python -m pytest ...`` part of a Quickstart line (``pip install ... && python -m pytest ...``)."""
    parts = [part.strip() for part in line.split("&&")]
    found = [part for part in parts if part.startswith("python -m pytest")]
    assert len(found) == 1, line
    return found[0]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a new user has after cloning: the packs, the profiles, the README and the project file (so the rootdir
    is the clone, as in a checkout)."""
    where = tmp_path_factory.mktemp("clone")
    for name in ("testpacks", "device_profiles"):
        shutil.copytree(ROOT / name, where / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, where / name)
    return where


def quickstart_lines() -> list[str]:
    blocks = code_blocks(section("Quickstart"), "bash")
    assert len(blocks) == 2, "the Quickstart has two commands"
    return [block.strip() for block in blocks]


def test_quickstart_first_command_prints_and_writes_what_the_readme_says(clone):
    command = pytest_part(quickstart_lines()[0]) + f" --svtad-store sqlite:///{clone / 'quickstart.db'}"
    ran = run(command, clone)
    claims = section("Quickstart")
    report = clone / re.search(r"--svtad-report (\S+)", command).group(1)  # type: ignore[union-attr]
    assert report.resolve().is_relative_to(clone.resolve())

    # "the verdict is NOT MET (pytest exits 1: tests failed)"
    assert "the verdict is NOT MET (pytest exits 1: tests failed)" in " ".join(claims.split())
    assert ran.returncode == 1, ran.out
    assert "EXIT CRITERIA NOT MET" in ran.out, ran.out
    # "prints the per-DMC table, each exit criterion with its reason and clause, the verdict and each DMC's DMCT
    # completion"
    assert re.search(r"^DMC\s+planned\s+executed\s+passed\s+failed", ran.out, re.M), ran.out
    verdict = json.loads((report / "verdict.json").read_text())
    for criterion in verdict["criteria"]:
        assert re.search(rf"^\[[^]]+\] {re.escape(criterion['id'])}\s", ran.out, re.M), criterion["id"]
    for dmc in SAMPLE_DMCS:
        assert re.search(rf"^DMCT {dmc}: ", ran.out, re.M), dmc

    # "writes `report/verdict.json`, `results.jsonl`, ... one `dmct-<DMC>.html` per DMC, and a transcript of every
    # test's messages (with `han.pcap` where the HAN was read) under `report/evidence/`"
    writes = re.search(r"writes (.*?) under `report/evidence/`", claims, re.S)
    assert writes, "the Quickstart says what the first command writes"
    named = re.findall(r"`([^`]+)`", writes.group(1))
    assert "results.jsonl" in named and "completion-report.html" in named, named
    for name in named:
        if name == "han.pcap":
            continue  # per test, where the HAN was read: below
        if "<DMC>" in name:
            for dmc in SAMPLE_DMCS:
                assert (report / name.replace("<DMC>", dmc)).is_file(), name.replace("<DMC>", dmc)
        else:
            assert (clone / name if name.startswith("report/") else report / name).is_file(), name
    results = [json.loads(line) for line in (report / "results.jsonl").read_text().splitlines() if line.strip()]
    assert {row["dmc"] for row in results} == set(SAMPLE_DMCS)
    for row in results:
        assert any(ref.endswith("/transcript.txt") and (report / ref).is_file() for ref in row["evidence"]), row
        transcript = next(report / ref for ref in row["evidence"] if ref.endswith("/transcript.txt"))
        if "ZigBee frame" in transcript.read_text(encoding="utf-8", errors="replace"):
            assert (transcript.parent / "han.pcap").is_file(), transcript.parent

    # "DMC-001 to DMC-005 pass; DMC-006 ... fails 2.2 and 4.16, its EPCL entry goes over the sample's per-entry
    # thresholds"
    assert "DMC-001 to DMC-005 pass" in claims
    broken = set(re.search(r"fails ([\d.]+) and ([\d.]+)", claims).groups())  # type: ignore[union-attr]
    failed = {(row["dmc"], row["srv"]) for row in results if row["outcome"] == "failed"}
    assert failed == {(QUIRKY_DMC, srv) for srv in broken}, failed
    assert all(row["outcome"] == "passed" for row in results if row["dmc"] != QUIRKY_DMC)
    thresholds = next(c for c in verdict["criteria"] if c["id"] == "issue-thresholds")
    assert thresholds["status"] == "not_met" and "EPCL-006" in thresholds["detail"], thresholds
    assert verdict["verdict"] == "not_met"

    # "No DMC is recommended for the EPCL by this run alone: 20.14 needs DMCT MT as well ... and each DMC's line
    # says so"
    assert "No DMC is recommended for the EPCL by this run alone" in " ".join(claims.split())
    for dmc in SAMPLE_DMCS:
        line = next(text for text in ran.out.splitlines() if text.startswith(f"DMCT {dmc}: "))
        assert "NOT completed" in line and "no DMCT-MT results" in line and "(20.14)" in line, line
        assert verdict["dmct"][dmc]["recommended_entry"] is None


def test_quickstart_second_command_runs_the_harness_own_tests(clone, tmp_path):
    # "The second runs the harness's own tests": collected here (running them would run this test again), in a
    # copy, so that xdist's plan folders are not made in the checkout
    line = pytest_part(quickstart_lines()[1])
    assert "The second runs the harness's own tests" in section("Quickstart")
    shutil.copytree(ROOT / "tests", clone / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    if not (clone / "benchmarks").exists():  # test_run_all.py loads benchmarks/run_all.py
        shutil.copytree(ROOT / "benchmarks", clone / "benchmarks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "conftest.py", clone / "conftest.py")
    ran = run(line + " --collect-only -q", clone)
    assert ran.returncode == 0, ran.out
    assert "tests/test_walkthrough.py::test_quickstart_second_command_runs_the_harness_own_tests" in ran.out
    collected = re.search(r"(\d+) tests collected", ran.out)
    assert collected and int(collected.group(1)) > 100, ran.out


def pack_examples() -> tuple[str, str]:
    """The README's two examples under "Writing a pack": markers with ``dmc``, then ``smets1``."""
    blocks = code_blocks(section("Writing a pack"), "python")
    assert len(blocks) == 2, "Writing a pack has a marker example and a smets1 example"
    marker, smets1 = blocks
    assert "@pytest.mark.ttm" in marker and "installation" in smets1
    return marker, smets1


def run_fresh_pack(tmp_path: Path, source: str) -> tuple[Ran, list[dict]]:
    """A new pack of one module, outside the repository, run over the sample profiles and TTM."""
    pack = tmp_path / "my_pack"
    pack.mkdir()
    (pack / "test_mine.py").write_text(source if "import pytest" in source else "import pytest\n\n" + source)
    ran = run(f"python -m pytest my_pack --svtad-profiles {ROOT / 'device_profiles'} --svtad-ttm "
              f"{ROOT / 'testpacks' / 'ttm' / 'smets1-sit-sample.csv'} --svtad-dmc all --svtad-report report "
              f"--svtad-store none", tmp_path)
    lines = (tmp_path / "report" / "results.jsonl").read_text().splitlines() if (tmp_path / "report").is_dir() else []
    return ran, [json.loads(line) for line in lines if line.strip()]


def test_marker_example_copied_into_a_fresh_pack_runs_on_every_dmc_with_the_device_its_srv_needs(tmp_path):
    marker, _ = pack_examples()
    ran, results = run_fresh_pack(tmp_path, marker)
    assert ran.returncode == 0, ran.out
    assert results and {row["outcome"] for row in results} == {"passed"}, ran.out
    assert {row["dmc"] for row in results} == set(SAMPLE_DMCS)  # each sample DMC has an ESME for 4.1.1
    assert all(row["ttm"] == ["S1-RD-01"] and row["srv"] == "4.1.1" and row["functional_group"] == "reads"
               for row in results), results


def test_smets1_example_copied_into_a_fresh_pack_passes_on_every_sample_dmc(tmp_path):
    _, example = pack_examples()
    ran, results = run_fresh_pack(tmp_path, example)
    assert ran.returncode == 0, ran.out
    assert "Traceback" not in ran.out and " error" not in ran.out.lower().split("short test summary")[0], ran.out
    assert {row["dmc"] for row in results} == set(SAMPLE_DMCS), ran.out  # the dormant DMC-003 included
    assert {row["outcome"] for row in results} == {"passed"}, ran.out


def campaign_lines() -> list[str]:
    blocks = code_blocks(section("A campaign over several runs"), "bash")
    assert len(blocks) == 1
    lines = [line.strip() for line in blocks[0].splitlines() if line.strip()]
    assert len(lines) == 3 and lines[2].startswith("svtad verdict --campaign"), lines
    return lines


@pytest.fixture(scope="module")
def campaign(clone: Path) -> list[Ran]:
    """The README's two runs of one campaign, in the clone (its default store is the clone's .svtad/)."""
    return [run(line, clone) for line in campaign_lines()[:2]]


def _dmct_lines(out: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r"^DMCT (DMC-\d+): .*$", out, re.M)}


def test_a_two_run_campaign_completes_every_dmc_but_the_quirky_one(clone, campaign):
    first, second = campaign
    assert first.returncode in (0, 1) and second.returncode in (0, 1), first.out + second.out
    assert (clone / ".svtad" / "svtad.db").is_file()  # "Both runs are kept in the default store"
    after_first = _dmct_lines(first.out)
    assert set(after_first) == set(SAMPLE_DMCS), first.out
    assert all("NOT completed" in line and "no DMCT-SRVT results" in line for line in after_first.values())
    after_second = _dmct_lines(second.out)
    assert set(after_second) == set(SAMPLE_DMCS), second.out
    for dmc, line in after_second.items():
        if dmc == QUIRKY_DMC:
            assert "not recommended" in line and "20.30" in line, line
        else:
            assert "completed; recommend EPCL entry" in line and "(20.26)" in line, line


def test_svtad_verdict_campaign_writes_the_full_report_set(clone, campaign):
    line = campaign_lines()[2]
    ran = run(line, clone)
    claims = section("A campaign over several runs")
    assert ran.returncode in (0, 1), ran.out
    report = clone / shlex.split(line)[4]
    assert _dmct_lines(ran.out).keys() == set(SAMPLE_DMCS), ran.out
    named = re.findall(r"`([^`]+)`", claims.split("writes the full report set into the folder given:")[1])
    assert "completion-report.html" in named and "dmct-<DMC>.html" in named, named
    for name in named:
        for dmc in SAMPLE_DMCS if "<DMC>" in name else [None]:
            path = report / (name.replace("<DMC>", dmc) if dmc else name)
            assert path.is_file(), f"{path.name} not written by: {line}"


def test_every_svtad_subcommand_has_help_and_is_in_the_readme(capsys):
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    described = section("The `svtad` command") + section("Test packs")
    for name in commands:
        assert f"`svtad {name}" in described, f"svtad {name} is not described in the README"
        with pytest.raises(SystemExit) as stop:
            build_parser().parse_args([name, "--help"])
        assert stop.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: svtad {name}") and "options:" in out, out
    import_help = subprocess.run([sys.executable, "-m", "pytest_svtad.cli", "store", "import", "--help"],
                                 capture_output=True, text=True, timeout=120)
    assert import_help.returncode == 0 and import_help.stdout.startswith("usage: svtad store import")
    version = subprocess.run([sys.executable, "-m", "pytest_svtad.cli", "--version"], capture_output=True, text=True,
                             timeout=120)
    assert version.stdout.strip() == f"pytest-svtad {__version__}"


def test_the_version_is_the_changelog_newest():
    newest = re.search(r"^- (\d+\.\d+\.\d+):", section("Changelog"), re.M)
    project = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert newest and project and newest.group(1) == project.group(1) == __version__


def test_the_readme_ttm_yaml_example_is_a_valid_ttm(tmp_path, capsys):
    from pytest_svtad.cli.main import main

    blocks = code_blocks(section("The TTM"), "yaml")
    assert len(blocks) == 1
    ttm = tmp_path / "ttm.yaml"
    ttm.write_text(blocks[0])
    assert main(["check", "--ttm", str(ttm)]) == 0
    assert "2 requirements in 2 functional groups" in capsys.readouterr().out
