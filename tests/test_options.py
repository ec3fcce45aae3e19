"""The ``--svtad-*`` options as a user spells them: the same run whether a path is given as ``--opt=PATH`` or
``--opt PATH`` (pytest decides its rootdir before it knows the plugin's options), and every option's help."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from pytest_svtad.plugin.options import OPTIONS

TESTS = """
import pytest

@pytest.mark.ttm("REQ-1")
def test_read(dmc):
    assert dmc.id

@pytest.mark.ttm("REQ-2")
def test_supply(dmc):
    assert dmc.id == "never"
"""


def _issue_ids(report: Path) -> list[str]:
    with (report / "testing-issues.csv").open(encoding="utf-8") as handle:
        return sorted(row["issue_id"] for row in csv.DictReader(handle))


def test_a_path_option_given_with_a_space_keeps_node_ids_issue_ids_and_the_default_store(project, tmp_path_factory):
    # the profiles live elsewhere, below another project's ini file: pytest, taking '/elsewhere/profiles' for a
    # test path, would have made that project the rootdir
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "pyproject.toml").write_text("[tool.pytest.ini_options]\ntestpaths = ['nothing']\n")
    profiles = elsewhere / "profiles"
    shutil.copytree(project.pytester.path / "device_profiles", profiles)
    shutil.rmtree(project.pytester.path / "device_profiles")
    project.tests(TESTS)
    runs = {}
    for spelling, args in {"equals": [f"--svtad-profiles={profiles}", "--svtad-report=report-equals"],
                           "space": ["--svtad-profiles", str(profiles), "--svtad-report", "report-space"]}.items():
        run = project.run(*args, "--svtad-dmc", "DMC-A,DMC-B", report=False)
        assert run.ret == 1, run.text  # test_supply fails
        assert f"rootdir: {project.pytester.path}" in run.text, run.text
        runs[spelling] = run
    node_ids = {}
    for spelling in runs:
        report = project.pytester.path / f"report-{spelling}"
        rows = [line for line in (report / "results.jsonl").read_text().splitlines() if line.strip()]
        node_ids[spelling] = sorted(json.loads(line)["nodeid"] for line in rows)
        assert _issue_ids(report)
    assert node_ids["space"] == node_ids["equals"]
    assert all(node.startswith("test_pack.py::") for node in node_ids["space"]), node_ids["space"]
    assert _issue_ids(project.pytester.path / "report-space") == _issue_ids(project.pytester.path / "report-equals")
    assert (project.pytester.path / ".svtad" / "svtad.db").is_file()  # the default store, under the rootdir
    assert not (elsewhere / ".svtad").exists()


def test_rootdir_given_with_a_space_is_still_honoured(project_single, tmp_path_factory):
    project = project_single
    project.tests(TESTS)
    root = project.pytester.path
    run = project.run("--rootdir", str(root), "--svtad-dmc", "DMC-A", "--svtad-store", "none")
    assert f"rootdir: {root}" in run.text, run.text


@pytest.mark.parametrize("name", list(OPTIONS))
def test_every_option_has_help_that_shows_its_default(name):
    help_text, _ = OPTIONS[name]
    assert help_text.strip() and "default" in help_text.lower(), (name, help_text)
