"""What the ``svtad`` command prints for a person: words and counts rather than Python reprs, every option with its
help and default, a pack's own folder accepted, and a reader that stops reading (``| head``) is no traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_svtad.cli.main import build_parser, main
from pytest_svtad.plugin.fixtures import evidence_folder
from pytest_svtad.wording import counted, shortened

ROOT = Path(__file__).resolve().parents[1]


def _options() -> list[tuple[str, argparse.Action]]:
    found = []

    def walk(parser: argparse.ArgumentParser, command: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{command} {name}")
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                found.append((command, action))

    walk(build_parser(), "svtad")
    return found


@pytest.mark.parametrize("command,action", _options(),
                         ids=[f"{c} {'/'.join(a.option_strings) or a.dest}" for c, a in _options()])
def test_every_svtad_option_has_help_and_shows_its_default(command, action):
    assert action.help, f"{command} {action.dest}: no help text"
    if action.default not in (None, False):
        assert "default" in action.help.lower(), f"{command} {action.dest}: default {action.default!r} not shown"


def test_counts_are_pluralised_and_shortened_titles_keep_their_start():
    assert counted(1, "DMC") == "1 DMC" and counted(2, "DMC") == "2 DMCs" and counted(0, "DMC") == "0 DMCs"
    assert counted(1, "plan entry", "plan entries") == "1 plan entry"
    assert counted(3, "plan entry", "plan entries") == "3 plan entries"
    assert shortened("short", 80) == "short"
    cut = shortened("Read the import register of the electricity meter " * 3, 40)
    assert len(cut) <= 40 and cut.startswith("Read the import register") and cut.endswith("…")


def test_svtad_profiles_counts_one_dmc_in_the_singular(tmp_path, capsys):
    profiles = tmp_path / "profiles"
    (profiles / "models").mkdir(parents=True)
    (profiles / "dmcs").mkdir()
    (profiles / "models" / "esme.yaml").write_text("id: ESME-T1\nkind: ESME\nmanufacturer: Test\nmodel: esme\n"
                                                   "firmware: '1.0.0'\n")
    (profiles / "dmcs" / "DMC-A.yaml").write_text("id: DMC-A\nname: one\ninstallation: active\ndevices:\n"
                                                  "  ESME: ESME-T1\n")
    assert main(["profiles", str(profiles)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("1 DMC, 1 device model in "), last


def test_svtad_check_criteria_lists_what_the_file_sets_not_a_dict(capsys):
    assert main(["check", "--criteria", str(ROOT / "testpacks" / "dmct_srvt" / "criteria.yaml")]) == 0
    out = capsys.readouterr().out
    assert "{" not in out and "': " not in out, out  # no dict repr
    assert "  stages.DMCT-SRVT.functional_pass_rate: 0.9" in out.splitlines(), out
    assert "  per_epcl_entry: true" in out.splitlines(), out
    assert "  epcl_thresholds.per_entry: severity 1: 0, severity 2: 0, severity 3: 0, severity 4: 2, severity 5: 5" \
        in out.splitlines(), out
    assert "sct_targets" not in out  # only what the file sets


def test_svtad_packs_given_one_packs_folder_lists_that_pack(capsys):
    assert main(["packs", str(ROOT / "testpacks" / "sct")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["sct", "SCT"], lines


def test_svtad_packs_json_into_a_closed_pipe_ends_quietly():
    # the reader is gone before anything is written, as `svtad packs --json | head -0` would leave it
    process = subprocess.Popen([sys.executable, "-m", "pytest_svtad.cli", "packs", str(ROOT / "testpacks" / "sct"),
                                "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_evidence_folder_names_keep_the_start_of_a_long_node_id_and_stay_unique(tmp_path):
    base = "testpacks/dmct_srvt/test_srvs.py::test_" + "very_long_name_" * 10
    first, second = (evidence_folder(tmp_path, f"{base}[{dmc}]").name for dmc in ("DMC-001", "DMC-002"))
    assert first != second
    assert first.startswith("test_srvs.py_test_very_long_name"), first  # the module's name, not a word's end
    assert "DMC-001" in first and len(first) <= 120, first
    short = evidence_folder(tmp_path, "test_a.py::test_one[DMC-001]").name
    assert short.startswith("test_a.py_test_one_DMC-001-"), short
    han = "testpacks/sit_functional/test_sit_firmware_inventory_alerts.py::test_the_han_shows_what_the_duis_reads_" \
          "return[DMC-001]"
    assert evidence_folder(tmp_path, han).name.startswith("test_sit_firmware_inventory_alerts.py_test_the_han_shows_"
                                                          "what_the_duis_reads_return_DMC-001-")
    whole = evidence_folder(tmp_path, "pack/test_b.py::test_two[DMC-001]").name
    assert whole.startswith("pack_test_b.py_test_two_DMC-001-"), whole  # short enough: every folder kept


def test_allure_shows_the_dmc_parameter_as_its_dmc_id(project_single):
    import json

    project_single.tests("""
        def test_read(dmc):
            assert dmc.id
    """)
    run = project_single.run("--svtad-dmc", "DMC-A,DMC-B", "--svtad-store", "none", "--alluredir", "allure",
                             ttm=False)
    assert run.ret == 0, run.text
    results = [json.loads(path.read_text()) for path in (run.path / "allure").glob("*-result.json")]
    shown = sorted(p["value"] for r in results for p in r.get("parameters", []) if p["name"] == "dmc")
    assert shown == ["DMC-A", "DMC-B"], shown
