"""The ``svtad`` command on bad input: one line ``svtad: error: ...`` naming the option or file, exit 2; never a
traceback, never a hang, never a file or store created by a command that only reads."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from conftest import billion_laughs
from pytest_svtad.cli import main
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.store import Store

ROOT = Path(__file__).resolve().parents[1]
LOAD_PROFILE = ROOT / "testpacks" / "sct" / "load-profile.yaml"
PROFILES = ROOT / "device_profiles"


def error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``svtad argv``: exit 2 and exactly one line on stderr, which is returned."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured.out + captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("svtad: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'svtad.db'}"
    made = Store(url)
    made.begin_run(campaign="C", stage="SIT", release=None, sut_version="1", seed=0, host="h", firmware={})
    made.upsert_issues([TestingIssue(id="TI-1", title="t", severity=3)], stage="SIT", release=None, campaign="C")
    made.close()
    return url


@pytest.mark.parametrize(("argv", "expected"), [
    (["--tcc-date", "9999-12-31"], "--tcc-date: expected a date in the years 2000-2199, got '9999-12-31'"),
    (["--tcc-date", "2026-03-27", "--today", "0001-01-01"], "--today: expected a date in the years"),
    (["--tcc-date", "2026-03-27", "--output", "."], "--output: '.' is a folder: expected a file to write"),
    (["--tcc-date", "2026-03-27", "--output", "no/such/folder.csv"], "--output: cannot write 'no/such/folder.csv'"),
], ids=["far-tcc-date", "far-today", "output-folder", "output-missing-parent"])
def test_workoff_bad_input_is_one_line(store, capsys, argv, expected):
    line = error_line(capsys, ["workoff", "--campaign", "C", "--store", store, *argv])
    assert expected in line


@pytest.mark.parametrize(("argv", "expected"), [
    (["--week", "9999-W52"], "--week: expected an ISO week in the years 2000-2199, got '9999-W52'"),
    (["--week", "2026-W48", "--output", "svtad.db"], "--output: 'svtad.db' is a file: expected a folder"),
], ids=["far-week", "output-file"])
def test_weekly_bad_input_is_one_line(store, capsys, argv, expected):
    assert expected in error_line(capsys, ["weekly", "--campaign", "C", "--store", store, *argv])


@pytest.mark.parametrize(("argv", "expected"), [
    (["--hours", "nan"], "--hours: expected a finite number > 0"),
    (["--hours", "inf"], "--hours: expected a finite number > 0"),
    (["--hours", "-3"], "--hours: expected a finite number > 0"),
    (["--hours", "0"], "--hours: expected a finite number > 0"),
    (["--hours", "100000"], "--hours: expected a finite number > 0 and <= 8784"),
    (["--installations", "0"], "--installations: expected a whole number > 0, got '0'"),
    (["--installations", "-5"], "--installations: expected a whole number > 0, got '-5'"),
    (["--out", "a-file"], "--out: 'a-file' is a file: expected a folder to write into"),
], ids=["nan", "inf", "negative", "zero", "too-long", "no-installations", "negative-installations", "out-file"])
def test_sct_bad_numbers_and_paths_are_one_line_before_any_run(tmp_path, monkeypatch, capsys, argv, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("")
    line = error_line(capsys, ["sct", "--profile", str(LOAD_PROFILE), "--installations", "5", "--hours", "1",
                               "--quiet", *argv])
    assert expected in line
    assert not (tmp_path / "report").exists()


def test_sct_bad_criteria_file_is_said_before_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "criteria.yaml").write_text("sct_targets:\n  '99.99': {p95_s: 1}\n")
    line = error_line(capsys, ["sct", "--profile", str(LOAD_PROFILE), "--installations", "5", "--hours", "1",
                               "--quiet", "--criteria", "criteria.yaml"])
    assert "criteria.yaml:2: criteria file: field 'sct_targets" in line
    assert "99.99" in line
    assert not (tmp_path / "report").exists()


@pytest.fixture
def busy_port():
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.mark.parametrize(("url", "expected"), [
    ("socket://127.0.0.1:99999", "--url: port must be 1-65535, got '99999'"),
    ("socket://127.0.0.1:http", "--url: port must be 1-65535, got 'http'"),
    ("socket://127.0.0.1", "--url: expected socket://HOST:PORT, got 'socket://127.0.0.1' (no port)"),
    ("tcp://127.0.0.1:4000", "--url: expected socket://HOST:PORT, got 'tcp://127.0.0.1:4000'"),
    ("socket://192.0.2.1:4000", "--url: cannot listen on 192.0.2.1:4000: "),  # TEST-NET-1: no machine has it
    ("socket://127.0.0.1:BUSY", "--url: cannot listen on 127.0.0.1:"),
], ids=["port-out-of-range", "port-not-a-number", "no-port", "not-socket", "address-not-here", "port-in-use"])
def test_emulate_bad_url_is_one_line(capsys, busy_port, url, expected):
    url = url.replace("BUSY", str(busy_port))
    line = error_line(capsys, ["emulate", "--dmc", "DMC-001", "--profiles", str(PROFILES), "--url", url,
                               "--duration", "0.1"])
    assert expected in line


@pytest.mark.parametrize(("argv", "expected"), [
    (["--speed", "-5"], "--speed: expected a finite number >= 0, got '-5.0'"),
    (["--speed", "nan"], "--speed: expected a finite number >= 0, got 'nan'"),
    (["--speed", "inf"], "--speed: expected a finite number >= 0, got 'inf'"),
    (["--line-rate", "0"], "--line-rate: expected bits per second > 0, got '0'"),
    (["--duration", "-1"], "--duration: expected a finite number > 0"),
], ids=["negative-speed", "nan-speed", "inf-speed", "zero-line-rate", "negative-duration"])
def test_emulate_bad_numbers_are_one_line(capsys, argv, expected):
    line = error_line(capsys, ["emulate", "--dmc", "DMC-001", "--profiles", str(PROFILES), "--url",
                               "socket://127.0.0.1:1", *argv])
    assert expected in line


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "verdict.json: cannot read verdict: not JSON"),
    ("[1, 2]", "verdict.json: verdict file: expected a JSON object, got list"),
    ('"met"', "verdict.json: verdict file: expected a JSON object, got str"),
    ('{"criteria": []}', "verdict.json: verdict file: field 'verdict': required field is missing"),
    ('{"verdict": "maybe"}', "verdict.json: verdict file: field 'verdict': Input should be 'met' or 'not_met'"),
    ('{"verdict": "met", "criteria": {"a": 1}}', "verdict file: field 'criteria': Input should be a valid list"),
    ('{"verdict": "met", "criteria": [1]}', "verdict file: field 'criteria.0'"),
    ('{"verdict": "met", "criteria": [{"id": "x", "status": 3}]}', "field 'criteria.0.status'"),
    ('{"verdict": "met", "criteria": [{"status": "met"}]}', "field 'criteria.0.id': required field is missing"),
    ('{"verdict": "met", "stage": ["SIT"]}', "verdict file: field 'stage'"),
    (b"\xff\xfe", "verdict.json: cannot read verdict"),
], ids=["not-json", "list", "string", "no-verdict", "bad-verdict", "criteria-map", "criterion-number",
        "status-number", "criterion-no-id", "stage-list", "not-utf8"])
def test_malformed_verdict_json_is_one_line(tmp_path, capsys, content, expected):
    (tmp_path / "verdict.json").write_bytes(content if isinstance(content, bytes) else content.encode())
    assert expected in error_line(capsys, ["verdict", str(tmp_path)])


def test_a_well_formed_verdict_json_still_prints(tmp_path, capsys):
    (tmp_path / "verdict.json").write_text(json.dumps({
        "schema": 1, "stage": "SIT", "release": None, "verdict": "not_met", "future_field": {"x": 1},
        "criteria": [{"id": "functional-pass-rate", "clause": "Table 13.1 row 1", "status": "not_met",
                      "detail": "DMC-A 80%"}]}))
    assert main(["verdict", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "SIT: NOT MET" in out and "functional-pass-rate" in out and "DMC-A 80%" in out


@pytest.mark.parametrize("argv", [
    ["issues", "list"], ["issues", "show", "TI-1"], ["issues", "close", "TI-1"],
    ["workoff", "--campaign", "C", "--tcc-date", "2026-03-27"], ["weekly", "--campaign", "C", "--week", "2026-W48"],
    ["verdict", "--campaign", "C"],
], ids=["issues-list", "issues-show", "issues-close", "workoff", "weekly", "verdict-campaign"])
def test_a_reading_command_never_creates_a_store(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    line = error_line(capsys, [*argv, "--store", "no/such/store.db"])
    assert f"no store at {tmp_path / 'no' / 'such' / 'store.db'}" in line
    assert "never creates a store" in line
    assert list(tmp_path.iterdir()) == []
    line = error_line(capsys, argv)  # the default store, .svtad/svtad.db here, is not made either
    assert "no store at" in line and ".svtad" in line
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_store_is_said_and_left_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.db").write_text("")
    line = error_line(capsys, ["issues", "list", "--store", "notes.db"])
    assert "is not a pytest-svtad store" in line
    assert (tmp_path / "notes.db").read_text() == ""


def test_reading_commands_still_read_an_existing_store(store, capsys):
    assert main(["issues", "list", "--store", store]) == 0
    assert "1 Testing Issue in" in capsys.readouterr().out


def test_packs_with_an_unknown_dmc_names_the_dmc(capsys):
    line = error_line(capsys, ["packs", str(ROOT / "testpacks"), "--dmc", "DMC-999"])
    assert line.startswith("svtad: error: --dmc: no DMC profile 'DMC-999' in ")
    assert "known: DMC-001" in line and "USAGE_ERROR" not in line


def test_packs_with_a_selection_of_nothing_says_so(capsys):
    line = error_line(capsys, ["packs", str(ROOT / "testpacks"), "--dmc", ",,,"])
    assert "svtad: error: --dmc: no DMC ids in ',,,': nothing selected" in line


@pytest.mark.parametrize("command", ["check", "profiles", "sct", "packs"])
@pytest.mark.parametrize("attack", ["recursive-alias", "billion-laughs", "duplicate-key"])
def test_cli_commands_refuse_aliases_and_duplicate_keys_in_one_line(tmp_path, monkeypatch, capsys, command, attack):
    monkeypatch.chdir(tmp_path)
    text = {
        "recursive-alias": "name: &loop [*loop]\n",
        "billion-laughs": billion_laughs(8),
        "duplicate-key": "name: x\nname: y\n",
    }[attack]
    profiles = tmp_path / "device_profiles"
    (profiles / "models").mkdir(parents=True)
    (profiles / "dmcs").mkdir()
    target = {"check": tmp_path / "criteria.yaml", "profiles": profiles / "models" / "m.yaml",
              "sct": tmp_path / "load.yaml", "packs": tmp_path / "packs" / "p" / "pack.yaml"}[command]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    argv = {"check": ["check", "--criteria", str(target)], "profiles": ["profiles", str(profiles)],
            "sct": ["sct", "--profile", str(target), "--installations", "5", "--hours", "1", "--quiet"],
            "packs": ["packs", str(tmp_path / "packs")]}[command]
    line = error_line(capsys, argv)
    assert f"svtad: error: {target}:" in line
    assert ("duplicate key 'name'" if attack == "duplicate-key" else "anchors are not allowed") in line


@pytest.mark.parametrize("action", ["show", "close", "reopen", "set-severity", "exclude"])
def test_an_issue_command_without_an_issue_id_says_so(store, capsys, action):
    line = error_line(capsys, ["issues", action, "--store", store])
    assert f"svtad: error: issues {action}: expected the Testing Issue id" in line


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u:hunter2@db:xx/svtad", "cannot open store postgresql://u:***@db:xx/svtad: not a SQLAlchemy URL"),
    ("nosuchdriver://u:hunter2@db/svtad", "cannot open store nosuchdriver://u:***@db/svtad: "),
    ("sqlite:///:memory:", "no store at sqlite:///:memory:: an in-memory SQLite store is empty"),
], ids=["bad-port", "unknown-driver", "memory"])
def test_a_bad_store_url_for_a_reading_command_is_one_line_without_the_password(tmp_path, monkeypatch, capsys, url,
                                                                               expected):
    monkeypatch.chdir(tmp_path)
    line = error_line(capsys, ["issues", "list", "--store", url])
    assert expected in line and "hunter2" not in line
