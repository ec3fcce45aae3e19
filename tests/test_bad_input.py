"""Bad input gets one line naming the file, line or field and what was expected: never a traceback."""

from __future__ import annotations

import textwrap

import pytest
import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401

from conftest import ONE_PROCESS, billion_laughs

# In-process pytester runs drop modules first imported inside them: a PostgreSQL store URL in an inner run would
# import SQLAlchemy's dialect a second time (SAWarnings in later tests), so it is imported here, once.

PASS = """
import pytest

@pytest.mark.ttm("REQ-1")
def test_read(dmc):
    pass
"""


def _usage_error(run) -> str:
    assert run.ret == pytest.ExitCode.USAGE_ERROR, run.text
    assert "Traceback" not in run.text
    lines = [line for line in run.text.splitlines() if line.startswith("ERROR: svtad:")]
    assert len(lines) == 1, run.text
    return lines[0]


@pytest.mark.parametrize(("content", "expected"), [
    ("requirement_id,functional_group\nR1,reads\n", "ttm.csv:1: missing column(s) title"),
    ("requirement_id,functional_group,title\nR1,reads,a\nR2,reads,b\nR1,reads,c\n",
     "ttm.csv:4: duplicate requirement_id 'R1' (first on line 2)"),
    ("requirement_id,functional_group,title\nR1,reads,a\n,reads,b\n", "ttm.csv:3: empty requirement_id"),
    ("requirement_id,functional_group,title,severity\nR1,reads,a,7\n", "ttm.csv:2: requirement 'R1': severity"),
    (b"requirement_id,functional_group,title\nR1,r\xe9ads,a\n", "ttm.csv: cannot read TTM"),
    ("requirement_id,functional_group,title,stages\nR1,reads,a,SIT;DMCT\n",
     "ttm.csv:2: requirement 'R1': unknown stage 'DMCT' in stages"),
], ids=["missing-column", "duplicate-id", "empty-id", "bad-severity", "not-utf8", "bad-stage"])
def test_bad_ttm_csv_is_a_usage_error_naming_file_and_line(project_single, content, expected):
    path = project_single.pytester.path / "ttm.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    project_single.tests(PASS)
    assert expected in _usage_error(project_single.run())


def test_bad_ttm_yaml_names_the_line(project_single):
    project_single.file("ttm.yaml", """\
        requirements:
          - {requirement_id: R1, functional_group: reads, title: a}
          - {requirement_id: R2, title: b}
    """)
    project_single.tests(PASS)
    line = _usage_error(project_single.run("--svtad-ttm", "ttm.yaml", ttm=False))
    assert "ttm.yaml:3: requirement #2: missing field(s) functional_group" in line


def test_ttm_yaml_is_read_like_csv(project_single):
    project_single.file("ttm.yaml", """\
        - {requirement_id: REQ-1, functional_group: reads, title: a, section: H, clause: H3}
    """)
    project_single.tests(PASS)
    run = project_single.run("--svtad-ttm", "ttm.yaml", "--svtad-dmc", "DMC-A", ttm=False)
    assert run.criterion("ttm-traceability")["status"] == "met"
    assert run.results()[0]["functional_group"] == "reads"


def test_unreadable_ttm_is_a_usage_error(project_single):
    project_single.tests(PASS)
    line = _usage_error(project_single.run("--svtad-ttm", "missing.csv", ttm=False))
    assert "missing.csv: TTM file not found" in line


@pytest.mark.parametrize(("content", "expected"), [
    ("functional_pass_rate: 1.5\n", "criteria.yaml:1: criteria file: field 'functional_pass_rate'"),
    ("pass_rate: 0.9\n", "criteria.yaml:1: criteria file: field 'pass_rate': unknown field"),
    ("thresholds:\n  SIT: {1: 0, 2: 0, 3: 1}\n", "criteria.yaml:2: criteria file: field 'thresholds'"),
    ("thresholds:\n  XIT: {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}\n", "unknown stage 'XIT'"),
    ("a: [\n", "criteria.yaml:2: invalid YAML in criteria file"),
], ids=["out-of-range", "unknown-key", "missing-severity", "unknown-stage", "bad-yaml"])
def test_bad_criteria_file_is_a_usage_error(project_single, content, expected):
    project_single.file("criteria.yaml", content)
    project_single.tests(PASS)
    assert expected in _usage_error(project_single.run("--svtad-criteria", "criteria.yaml"))


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("dmcs/DMC-A.yaml", "id: DMC-A\nname: x\ninstallation: sleeping\ndevices: {ESME: ESME-T1}\n",
     "DMC-A.yaml:3: DMC profile: field 'installation'"),
    ("dmcs/DMC-A.yaml", "id: DMC-A\ninstallation: active\ndevices: {ESME: ESME-T1}\n",
     "DMC-A.yaml:1: DMC profile: field 'name': required field is missing"),
    ("dmcs/DMC-A.yaml", "id: DMC-A\nname: x\ninstallation: active\ndevices: {ESME: NOPE}\n",
     "DMC-A.yaml: DMC 'DMC-A': devices.ESME names unknown device model 'NOPE'"),
    ("dmcs/DMC-A.yaml", "id: DMC-A\nname: x\ninstallation: active\ndevices: {GSME: ESME-T1}\n",
     "which is a ESME, not a GSME"),
    ("models/esme.yaml", "id: ESME-T1\nkind: WATER\nmanufacturer: a\nmodel: b\nfirmware: '1'\n",
     "esme.yaml:2: device model profile: field 'kind'"),
    ("models/esme.yaml", "id: ESME-T1\nkind: ESME\nmanufacturer: a\nmodel: b\n",
     "esme.yaml:1: device model profile: field 'firmware': required field is missing"),
], ids=["bad-installation", "missing-name", "unknown-model", "wrong-kind", "bad-kind", "missing-firmware"])
def test_bad_profile_is_a_usage_error_naming_file_and_field(project_single, name, content, expected):
    (project_single.pytester.path / "device_profiles" / name).write_text(content)
    project_single.tests(PASS)
    assert expected in _usage_error(project_single.run())


@pytest.mark.parametrize(("option", "expected"), [
    (("--svtad-stage", "XIT"), "--svtad-stage: unknown stage 'XIT'"),
    (("--svtad-release", "EOC"), "--svtad-release: unknown Capability Release 'EOC'"),
    (("--svtad-dmc", "DMC-Z"), "--svtad-dmc: no DMC profile 'DMC-Z'"),
    (("--svtad-seed", "x"), "--svtad-seed: expected an integer"),
], ids=["stage", "release", "dmc", "seed"])
def test_bad_option_is_a_usage_error(project_single, option, expected):
    project_single.tests(PASS)
    assert expected in _usage_error(project_single.run(*option))


MISUSED = [
    ('ttm("REQ-99")', "test_read: ttm id 'REQ-99' is not in the TTM"),
    ('srv("99.9")', "@pytest.mark.srv('99.9'): not in the SRV catalogue"),
    ("severity(7)", "@pytest.mark.severity(n): n must be an integer 1-5, got 7"),
    ('requires("WATER")', "unknown device kind 'WATER'"),
    ('descoped("no devices")',
     "@pytest.mark.descoped(reason, approval, approved_by=()): both a reason and the approval"),
    ('stages("XIT")', "@pytest.mark.stages(*names): unknown stage(s)"),
    ("regression(1)", "@pytest.mark.regression takes no arguments"),
]
MISUSED_SOURCE = """
import pytest

@pytest.mark.{marker}
def test_read(dmc):
    pass
"""


def collection_error_run(project, shared_runs: dict, source: str, markers: list[str], marker: str):
    """One process: a session with this marker alone. Under xdist: one session for every marker of the list, each
    in a folder of its own (a package, so every module keeps the name test_pack.py), run once and shared by the
    test's parameters: each worker's collection errors must all reach the controller, each naming its test."""
    if not project.workers:
        project.tests(source.format(marker=marker))
        return project.run()
    key = (source, project.workers)
    if key not in shared_runs:
        for n, each in enumerate(markers):
            folder = project.pytester.path / f"m{n}"
            folder.mkdir()
            (folder / "__init__.py").write_text("")
            (folder / "test_pack.py").write_text(textwrap.dedent(source.format(marker=each)))
        shared_runs[key] = project.run()
    return shared_runs[key]


@pytest.mark.parametrize(("marker", "expected"), MISUSED, ids=[
    "unknown-ttm-id", "unknown-srv", "severity", "kind", "descoped", "stage", "regression-args"])
def test_misused_marker_is_a_collection_error_naming_test(project, shared_runs, marker, expected):
    run = collection_error_run(project, shared_runs, MISUSED_SOURCE, [m for m, _ in MISUSED], marker)
    assert run.ret in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.TESTS_FAILED), run.text
    assert "ERROR collecting" in run.text or "errors during collection" in run.text.lower()
    assert expected in run.text
    assert "Traceback" not in run.text



SHARED_THEN_MISUSED = """
import pytest

pytestmark = [pytest.mark.ttm("REQ-1"), pytest.mark.srv("4.1.1")]

@pytest.mark.severity(1)
def test_first(dmc):
    pass

@pytest.mark.severity(1)
def test_same_markers(dmc):
    pass

@pytest.mark.severity(True)
def test_true_is_not_one(dmc):
    pass
"""


def test_markers_read_once_per_set_still_refuse_a_value_equal_to_a_good_one(project_single):
    """Tests with the same markers share the tags read for the first (``markers.read_tags``' memo); True equals 1
    in Python, yet ``severity(True)`` after two ``severity(1)`` is still refused, naming its test."""
    project_single.tests(SHARED_THEN_MISUSED)
    run = project_single.run()
    assert "test_true_is_not_one: @pytest.mark.severity(n): n must be an integer 1-5, got True" in run.text
    assert "test_first:" not in run.text and "test_same_markers:" not in run.text


# -- YAML data files: duplicate keys, anchors and aliases (issue 13 items 3 and 8) ---------------------------------

MODEL = "id: ESME-T1\nkind: ESME\nmanufacturer: a\nmodel: b\nfirmware: '1'\n"
DMC = "id: DMC-A\nname: x\ninstallation: active\ndevices: {ESME: ESME-T1}\n"

def _yaml_readers():
    from pytest_svtad.files.datafiles import load_completion_notes, load_criteria, load_ttm
    from pytest_svtad.files.fleet_profile import load_profile
    from pytest_svtad.plugin.packs import find_packs
    from pytest_svtad.smets1.catalogue import load_catalogue
    from pytest_svtad.smets1.profiles import load_profiles

    return {  # kind -> (file to write, valid text, read(folder))
        "criteria": ("criteria.yaml", "functional_pass_rate: 0.9\n", lambda d: load_criteria(d / "criteria.yaml")),
        "ttm": ("ttm.yaml", "- {requirement_id: R1, functional_group: reads, title: a}\n",
                lambda d: load_ttm(d / "ttm.yaml")),
        "notes": ("notes.yaml", "lessons_learnt: none\n", lambda d: load_completion_notes(d / "notes.yaml")),
        "model": ("p/models/esme.yaml", MODEL, lambda d: load_profiles(d / "p")),
        "dmc": ("p/dmcs/dmc.yaml", DMC, lambda d: load_profiles(d / "p")),
        "pack": ("packs/a/pack.yaml", "stage: SIT\nttm: ttm.csv\n", lambda d: find_packs(d / "packs")),
        "load-profile": ("load.yaml", "name: x\n", lambda d: load_profile(d / "load.yaml")),
        "srv-catalogue": ("srvs.yaml", "srvs: []\n", lambda d: load_catalogue(d / "srvs.yaml")),
    }


def _prepare(tmp_path, name, text):
    """A profiles folder p/ that reads, and ``text`` written to ``name``."""
    (tmp_path / "p" / "models").mkdir(parents=True)
    (tmp_path / "p" / "dmcs").mkdir()
    (tmp_path / "p" / "models" / "esme.yaml").write_text(MODEL)
    (tmp_path / "p" / "dmcs" / "dmc.yaml").write_text(DMC)
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


YAML_FILES = ["criteria", "ttm", "notes", "model", "dmc", "pack", "load-profile", "srv-catalogue"]


def _first_key_again(text: str) -> str:
    """``text`` with its first top-level key given a second time (a list's first mapping's, for a TTM)."""
    first = text.splitlines()[0]
    if first.startswith("- {"):
        return first[:-1] + ", requirement_id: R2}\n"
    return text + first + "\n"


@pytest.mark.parametrize("kind", YAML_FILES)
def test_every_yaml_data_file_refuses_a_duplicate_key_naming_file_and_line(tmp_path, kind):
    from pytest_svtad.errors import SvtadInputError

    name, valid, read = _yaml_readers()[kind]
    path = _prepare(tmp_path, name, valid)
    read(tmp_path)  # the valid file reads
    path.write_text(_first_key_again(valid))
    with pytest.raises(SvtadInputError) as raised:
        read(tmp_path)
    line = 1 if valid.startswith("- {") else len(valid.splitlines()) + 1
    assert str(raised.value).startswith(f"{path}:{line}: "), raised.value
    assert "duplicate key" in str(raised.value)


@pytest.mark.parametrize("kind", YAML_FILES)
@pytest.mark.parametrize("attack", ["recursive", "billion-laughs", "plain-anchor"])
def test_every_yaml_data_file_refuses_anchors_and_aliases(tmp_path, kind, attack):
    from pytest_svtad.errors import SvtadInputError

    name, valid, read = _yaml_readers()[kind]
    text = {
        "recursive": "x: &loop [*loop]\n",
        "billion-laughs": billion_laughs(5),
        "plain-anchor": "x: &name 1\n",
    }[attack]
    path = _prepare(tmp_path, name, text)
    with pytest.raises(SvtadInputError) as raised:
        read(tmp_path)
    assert str(raised.value).startswith(f"{path}:1: "), raised.value
    assert "anchors are not allowed" in str(raised.value)


def test_duplicate_criteria_key_is_a_usage_error(project):
    project.file("criteria.yaml", "functional_pass_rate: 0.9\nfunctional_pass_rate: 0.0\n")
    project.tests(PASS)
    run = project.run("--svtad-criteria", "criteria.yaml")
    assert "criteria.yaml:2: invalid YAML in criteria file: duplicate key 'functional_pass_rate' (first on line 1)" \
        in _usage_error(run)


def test_recursive_alias_in_a_profile_is_a_usage_error(project):
    (project.pytester.path / "device_profiles" / "dmcs" / "DMC-A.yaml").write_text(
        "id: DMC-A\nname: &n [*n]\ninstallation: active\ndevices: {ESME: ESME-T1}\n")
    project.tests(PASS)
    assert "DMC-A.yaml:2: invalid YAML in DMC profile: anchor '&n'" in _usage_error(project.run())


# -- credentials in store URLs (issue 13 item 12) -------------------------------------------------------------------

@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://svtad:hunter2@db:5432/svtad", "postgresql+psycopg://svtad:***@db:5432/svtad"),
    ("postgresql://svtad@db/svtad?password=hunter2", "postgresql://svtad@db/svtad?password=***"),
    ("postgresql://svtad@db/svtad?sslpassword=hunter2&sslmode=require",
     "postgresql://svtad@db/svtad?sslmode=require&sslpassword=***"),
    ("mysql+pymysql://u@db/x?passwd=hunter2&pwd=hunter2", "mysql+pymysql://u@db/x?passwd=***&pwd=***"),
    ("postgresql://u@db/x?secret=hunter2&token=hunter2", "postgresql://u@db/x?secret=***&token=***"),
    ("postgresql://u:hunter2@db:notaport/x", "postgresql://u:***@db:notaport/x"),
    ("sqlite:////tmp/svtad.db", "sqlite:////tmp/svtad.db"),
], ids=["userinfo", "query-password", "query-sslpassword", "passwd-pwd", "secret-token", "unparsable", "sqlite"])
def test_store_urls_are_shown_with_every_credential_masked(url, shown):
    from pytest_svtad.store.db import _safe_url
    from pytest_svtad.urls import mask_url

    assert mask_url(url) == shown
    assert _safe_url(url) == shown
    assert "hunter2" not in mask_url(url)


def test_a_password_in_the_store_urls_query_is_never_printed_or_written(project):
    project.tests(PASS)
    run = project.run("--svtad-store", "postgresql+psycopg://svtad@127.0.0.1:1/svtad?password=hunter2",
                      "--svtad-dmc", "DMC-A")
    assert run.ret == 0, run.text
    assert "password=***" in run.text  # the store could not be reached, and the session says which
    written = [path for path in (run.path / "report").rglob("*") if path.is_file()]
    assert any(path.name.startswith("store-fallback-") for path in written)
    assert any(path.name == "completion-report.html" for path in written)
    for path in written:
        assert b"hunter2" not in path.read_bytes(), path
    assert "hunter2" not in run.text


# -- silently accepted before (issue 13 item 10) ----------------------------------------------------------------------

KNOWN_DEFECT = "@pytest.mark.known_defect(issue_id, cause=None, provider=None)"


EMPTY_STRINGS = [
    ('known_defect("")', f"{KNOWN_DEFECT}: expected non-empty strings, got ''"),
    ('known_defect("   ")', f"{KNOWN_DEFECT}: expected non-empty strings, got '   '"),
    ("known_defect(None)", f"{KNOWN_DEFECT}: expected non-empty strings, got None"),
    ('functional_group("")', "@pytest.mark.functional_group(name): expected non-empty strings, got ''"),
    ('functional_group(" ")', "@pytest.mark.functional_group(name): expected non-empty strings, got ' '"),
]
EMPTY_STRINGS_SOURCE = """
import pytest

@pytest.mark.ttm("REQ-1")
@pytest.mark.{marker}
def test_read(dmc):
    pass
"""


@pytest.mark.parametrize(("marker", "expected"), EMPTY_STRINGS,
                         ids=["defect-empty", "defect-blank", "defect-none", "group-empty", "group-blank"])
def test_empty_marker_strings_are_a_collection_error_naming_the_test(project, shared_runs, marker, expected):
    run = collection_error_run(project, shared_runs, EMPTY_STRINGS_SOURCE, [m for m, _ in EMPTY_STRINGS], marker)
    assert run.ret in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.TESTS_FAILED), run.text
    assert "errors during collection" in run.text.lower() or "ERROR collecting" in run.text
    assert f"test_pack.py::test_read: {expected}" in run.text
    assert "Traceback" not in run.text


@pytest.mark.parametrize(("row", "expected"), [
    ("{requirement_id: [R1, R2], functional_group: reads, title: a}",
     "ttm.yaml:1: requirement #1: field 'requirement_id': expected a string, got a list"),
    ("{requirement_id: {R1: 1}, functional_group: reads, title: a}",
     "ttm.yaml:1: requirement #1: field 'requirement_id': expected a string, got a mapping"),
    ("{requirement_id: R1, functional_group: [reads], title: a}",
     "ttm.yaml:1: requirement #1: field 'functional_group': expected a string, got a list"),
    ("{requirement_id: R1, functional_group: {a: b}, title: a}",
     "ttm.yaml:1: requirement #1: field 'functional_group': expected a string, got a mapping"),
    ("{requirement_id: R1, functional_group: true, title: a}",
     "ttm.yaml:1: requirement #1: field 'functional_group': expected a string, got a boolean"),
    ("{requirement_id: R1, functional_group: reads, title: [a]}",
     "ttm.yaml:1: requirement #1: field 'title': expected a string, got a list"),
    ("{requirement_id: R1, functional_group: reads, title: a, severity: '2'}",
     "ttm.yaml:1: requirement #1: field 'severity': expected a number 1-5, got the string '2'"),
    ("{requirement_id: R1, functional_group: reads, title: a, stages: [SIT, 3]}",
     "ttm.yaml:1: requirement #1: field 'stages': expected stage names"),
], ids=["id-list", "id-map", "group-list", "group-map", "group-bool", "title-list", "severity-string", "stages-mixed"])
def test_ttm_yaml_fields_of_the_wrong_type_are_refused(tmp_path, row, expected):
    from pytest_svtad.errors import SvtadInputError
    from pytest_svtad.files.datafiles import load_ttm

    (tmp_path / "ttm.yaml").write_text(f"- {row}\n")
    with pytest.raises(SvtadInputError) as raised:
        load_ttm(tmp_path / "ttm.yaml")
    assert expected in str(raised.value)


def test_ttm_yaml_takes_bare_number_ids_and_a_list_of_stages(tmp_path):
    from pytest_svtad.files.datafiles import load_ttm

    (tmp_path / "ttm.yaml").write_text("- {requirement_id: 1234, functional_group: reads, title: a, severity: 2, "
                                       "stages: [SIT, PIT]}\n")
    requirement = load_ttm(tmp_path / "ttm.yaml").requirements["1234"]
    assert requirement.severity == 2 and requirement.stages == ("SIT", "PIT")


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("criteria", "functional_pass_rate: '0.9'\n",
     "criteria.yaml:1: criteria file: field 'functional_pass_rate': expected a number, got the string '0.9'"),
    ("criteria", "thresholds:\n  SIT: {1: 0, 2: 0, 3: '15', 4: 30, 5: 60}\n",
     "criteria.yaml:2: criteria file: field 'thresholds.SIT.3': expected a number, got the string '15'"),
    ("criteria", "thresholds:\n  SIT: {'1': 0, 2: 0, 3: 15, 4: 30, 5: 60}\n",
     "criteria.yaml:2: criteria file: field 'thresholds.SIT.1': expected a number, got the string '1'"),
    ("criteria", "sct_targets:\n  '4.1.1': {p95_s: '30'}\n",
     "criteria.yaml:2: criteria file: field 'sct_targets.4.1.1.p95_s': expected a number, got the string '30'"),
    ("load-profile", "name: x\nwan:\n  bandwidth_bps: '9600'\n",
     "load.yaml:3: load profile: field 'wan.bandwidth_bps': expected a number, got the string '9600'"),
    ("load-profile", "name: x\ndiurnal: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, '2']\n",
     "load.yaml:2: load profile: field 'diurnal.23': expected a number, got the string '2'"),
], ids=["pass-rate", "threshold", "severity-key", "sct-target", "bandwidth", "diurnal"])
def test_numbers_written_as_strings_are_refused_naming_the_field(tmp_path, kind, text, expected):
    from pytest_svtad.errors import SvtadInputError

    name, _, read = _yaml_readers()[kind]
    _prepare(tmp_path, name, text)
    with pytest.raises(SvtadInputError) as raised:
        read(tmp_path)
    assert expected in str(raised.value)


def test_numbers_as_strings_in_a_device_model_are_refused(project_single):
    (project_single.pytester.path / "device_profiles" / "models" / "esme.yaml").write_text(
        MODEL + "response_time: {median_s: '0.5', p95_s: 2}\n")
    project_single.tests(PASS)
    expected = "esme.yaml:6: device model profile: field 'response_time.median_s': expected a number, got the string"
    assert f"{expected} '0.5'" in _usage_error(project_single.run())


def test_an_sct_target_for_an_srv_not_in_the_catalogue_is_refused(tmp_path):
    from pytest_svtad.errors import SvtadInputError
    from pytest_svtad.files.datafiles import load_criteria

    (tmp_path / "criteria.yaml").write_text("sct_targets:\n  '4.1.1': {p95_s: 30}\n  '4.1.99': {p95_s: 30}\n")
    with pytest.raises(SvtadInputError) as raised:
        load_criteria(tmp_path / "criteria.yaml")
    assert "criteria.yaml:3: criteria file: field 'sct_targets.4.1.99': unknown SRV '4.1.99'" in str(raised.value)


# -- what a device sends is checked, never trusted (issue 13 item 10) -------------------------------------------------

@pytest.mark.parametrize(("payload", "expected"), [
    ({"request_id": "r", "srv": "4.3", "code": 123}, "ServiceResponse payload: field 'code': Input should be a valid "
                                                     "string, got 123"),
    ({"request_id": "r", "srv": "4.3", "code": "I0", "body": [1]}, "field 'body': Input should be a valid dictionary"),
    ({"request_id": "r", "srv": "4.3", "code": "I0", "issued_at": "yesterday"}, "field 'issued_at'"),
    ({"request_id": None, "srv": "4.3", "code": "I0"}, "field 'request_id': Input should be a valid string"),
    ({"srv": "4.3", "code": "I0"}, "ServiceResponse payload lacks request_id"),
], ids=["code-number", "body-list", "issued-at-string", "request-id-null", "no-request-id"])
def test_a_response_with_wrong_typed_fields_is_a_wire_error_naming_the_field(payload, expected):
    from pytest_svtad.smets1 import wire

    with pytest.raises(wire.WireError) as raised:
        wire.read_response(wire.Frame(wire.FrameType.RESPONSE, 1, wire.dumps(payload)))
    assert expected in str(raised.value)


def test_an_alert_with_wrong_typed_fields_is_a_wire_error_naming_the_field():
    from pytest_svtad.smets1 import wire

    with pytest.raises(wire.WireError, match="Alert payload: field 'details'"):
        wire.read_alert(wire.Frame(wire.FrameType.ALERT, 0, wire.dumps({"code": "8F35", "details": "x"})))


@pytest.fixture
def lying_device():
    """A device on a TCP port that answers every request with ``code: 123`` (a number where DUIS has a string), and
    a RESET to the known state as an emulator does."""
    import socket
    import threading

    from pytest_svtad.smets1 import wire

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.settimeout(0.2)
            deframer = wire.Deframer()
            with conn:
                while not stop.is_set():
                    try:
                        data = conn.recv(4096)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    for frame in deframer.feed(data):
                        if frame.type is wire.FrameType.RESET:  # the known state: it says it is there
                            conn.sendall(wire.encode_frame(frame))
                        if frame.type is wire.FrameType.REQUEST:
                            srv = wire.loads(frame.payload)["srv"]
                            answer = {"request_id": "r", "srv": srv, "code": 123}
                            conn.sendall(wire.encode_frame(wire.Frame(wire.FrameType.RESPONSE, frame.seq,
                                                                      wire.dumps(answer))))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"socket://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    server.close()


@ONE_PROCESS
def test_a_wrong_typed_field_from_a_device_fails_the_test_naming_the_field(project, lying_device):
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        def test_read(smets1):
            smets1.request("4.3")
    """)
    run = project.run("--svtad-dmc", "DMC-A", "--svtad-link", f"DMC-A={lying_device}")
    assert run.ret == pytest.ExitCode.TESTS_FAILED, run.text
    assert "INTERNALERROR" not in run.text
    assert "the device sent a malformed RESPONSE: ServiceResponse payload: field 'code': Input should be a valid " \
           "string, got 123" in run.text
    assert [r["outcome"] for r in run.results()] == ["failed"]


# -- options: what the message names (issue 13 items 10 and 11) ------------------------------------------------------

def test_exit_version_without_a_campaign_is_a_usage_error(project):
    project.tests(PASS)
    line = _usage_error(project.run("--svtad-exit-version", "2.0"))
    assert "--svtad-exit-version: the stage-exit version is counted over a campaign's runs: give --svtad-campaign" \
        in line


@pytest.mark.parametrize(("url", "expected"), [
    ("socket://127.0.0.1:99999", "--svtad-link: DMC 'DMC-A': port must be 1-65535, got '99999'"),
    ("socket://127.0.0.1:port", "--svtad-link: DMC 'DMC-A': port must be 1-65535, got 'port'"),
    ("socket://127.0.0.1", "--svtad-link: DMC 'DMC-A': expected socket://HOST:PORT, got 'socket://127.0.0.1' "
                           "(no port)"),
    ("rfc2217://:4000", "--svtad-link: DMC 'DMC-A': expected rfc2217://HOST:PORT, got 'rfc2217://:4000' (no host)"),
], ids=["port-out-of-range", "port-not-a-number", "no-port", "no-host"])
def test_a_bad_link_url_is_a_usage_error_naming_the_dmc_and_the_port(project, url, expected):
    project.tests(PASS)
    line = _usage_error(project.run("--svtad-link", f"DMC-A={url}"))
    assert expected in line
    assert "debug|info" not in line


def test_a_bad_link_url_in_a_profile_names_the_file_and_field(project_single):
    (project_single.pytester.path / "device_profiles" / "dmcs" / "DMC-A.yaml").write_text(
        "id: DMC-A\nname: x\ninstallation: active\ndevices: {ESME: ESME-T1}\nlink:\n  kind: serial\n"
        "  url: socket://127.0.0.1:99999\n")
    project_single.tests(PASS)
    line = _usage_error(project_single.run())
    assert "DMC-A.yaml:7: DMC profile: field 'link.url'" in line and "port must be 1-65535, got '99999'" in line


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("svtad_stage", "XIT", "pytest.ini: svtad_stage: unknown stage 'XIT'"),
    ("svtad_release", "EOC", "pytest.ini: svtad_release: unknown Capability Release 'EOC'"),
    ("svtad_seed", "x", "pytest.ini: svtad_seed: expected an integer, got 'x'"),
    ("svtad_dmc", "DMC-Z", "pytest.ini: svtad_dmc: no DMC profile 'DMC-Z'"),
    ("svtad_link", "DMC-A", "pytest.ini: svtad_link: expected DMC=URL, got 'DMC-A'"),
    ("svtad_exit_version", "2.0", "pytest.ini: svtad_exit_version: the stage-exit version is counted"),
], ids=["stage", "release", "seed", "dmc", "link", "exit-version"])
def test_a_bad_ini_value_names_the_ini_key_not_the_option(project_single, key, value, expected):
    project_single.file("pytest.ini", f"[pytest]\n{key} = {value}\n")
    project_single.tests(PASS)
    line = _usage_error(project_single.run())
    assert expected in line
    assert line.split(": ")[2:4] == ["pytest.ini", key]  # ERROR: svtad: pytest.ini: svtad_x: ...


def test_the_same_bad_value_on_the_command_line_names_the_option(project_single):
    project_single.file("pytest.ini", "[pytest]\nsvtad_stage = SIT\n")
    project_single.tests(PASS)
    assert "svtad: --svtad-stage: unknown stage 'XIT'" in _usage_error(project_single.run("--svtad-stage", "XIT"))


@pytest.mark.parametrize("selection", [",,,", " , ", ","])
def test_a_dmc_selection_that_selects_nothing_is_a_usage_error(project, selection):
    project.tests(PASS)
    line = _usage_error(project.run("--svtad-dmc", selection))
    assert f"--svtad-dmc: no DMC ids in '{selection}': nothing selected" in line
    assert "known: DMC-A, DMC-B, DMC-C" in line


def test_an_empty_dmcs_folder_is_a_usage_error(project):
    for path in (project.pytester.path / "device_profiles" / "dmcs").iterdir():
        path.unlink()
    project.tests(PASS)
    line = _usage_error(project.run())
    assert "device_profiles/dmcs: no DMC profiles (*.yaml) in this folder" in line


# -- evidence names and sizes (issue 13 item 13) -----------------------------------------------------------------------

def _evidence_files(run) -> dict[str, bytes]:
    root = run.path / "report" / "evidence"
    return {path.name: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_evidence_names_are_safe_and_distinct_never_overwritten(project):
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        def test_read(dmc, svtad_evidence):
            for index, name in enumerate(["", "..", "evidence", "EVIDENCE", "a/b", "a:b", "../../escape.txt",
                                          "x" * 5000 + ".log", "\\u00e9t\\u00e9.txt"]):
                svtad_evidence.text(name, f"content {index}")
    """)
    run = project.run("--svtad-dmc", "DMC-A")
    assert run.ret == 0, run.text
    files = _evidence_files(run)
    assert sorted(files.values()) == sorted(f"content {index}".encode() for index in range(9))  # none lost
    assert {"evidence", "evidence-2", "evidence-3", "EVIDENCE-4", "a_b", "a_b-2", "escape.txt"} <= set(files)
    assert all(len(name) <= 100 for name in files)
    assert any(name.startswith("xxx") and name.endswith(".log") for name in files)
    assert not (run.path / "escape.txt").exists() and not (run.path / "report" / "escape.txt").exists()
    [result] = run.results()
    assert len(result["evidence"]) == 9 and len(set(result["evidence"])) == 9


@ONE_PROCESS
def test_evidence_over_the_cap_keeps_head_and_tail_and_says_so(project):
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        def test_read(dmc, svtad_evidence, tmp_path):
            svtad_evidence.text("big.txt", "HEAD" + "." * 100_000 + "TAIL")
            (tmp_path / "big.bin").write_bytes(b"HEAD" + bytes(100_000) + b"TAIL")
            svtad_evidence.file(tmp_path / "big.bin")
            svtad_evidence.text("small.txt", "small")
    """)
    run = project.run("--svtad-dmc", "DMC-A", "--svtad-evidence-max-bytes", "4k")
    assert run.ret == 0, run.text
    files = _evidence_files(run)
    for name in ("big.txt", "big.bin"):
        assert len(files[name]) <= 4096
        assert files[name].startswith(b"HEAD") and files[name].endswith(b"TAIL")
        assert b"bytes left out here: evidence is capped at 4,096 bytes (--svtad-evidence-max-bytes)" in files[name]
    assert files["small.txt"] == b"small"
    [result] = run.results()
    notes = [entry for entry in result["evidence"] if "capped" in entry]
    assert len(notes) == 2 and all("of 100,008 bytes left out" in note for note in notes)


@ONE_PROCESS
def test_an_evidence_write_problem_never_changes_the_outcome(project):
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        def test_read(smets1, svtad_evidence):
            svtad_evidence.text("note.txt", "x")
    """)
    (project.pytester.path / "report").mkdir()
    (project.pytester.path / "report" / "evidence").write_text("a file where the evidence folder goes")
    run = project.run("--svtad-dmc", "DMC-A")
    assert "INTERNALERROR" not in run.text
    [result] = run.results()
    assert result["outcome"] == "passed", run.text
    assert any(entry.startswith("note.txt (not stored: ") for entry in result["evidence"])
    assert any(entry.startswith("transcript.txt (not stored: ") for entry in result["evidence"])


@pytest.mark.parametrize("value", ["0", "12", "ten", "-5", "1.5M", "10X"])
def test_a_bad_evidence_cap_is_a_usage_error(project_single, value):
    project_single.tests(PASS)
    line = _usage_error(project_single.run("--svtad-evidence-max-bytes", value))
    assert f"--svtad-evidence-max-bytes: expected a size of at least 1024 bytes (e.g. 10485760, 512k, 10M), got " \
           f"'{value}'" in line


def test_evidence_cap_helpers():
    from pytest_svtad.reports.evidence_files import DEFAULT_MAX_BYTES, capped, parse_size, safe_name

    assert DEFAULT_MAX_BYTES == 10 * 1024 * 1024
    assert [parse_size(text) for text in ("1024", "512k", "10M", "1GiB", "10 mb", "x")] == [
        1024, 512 * 1024, 10 * 1024 ** 2, 1024 ** 3, 10 * 1024 ** 2, None]
    data = bytes(range(256)) * 100
    kept, left_out = capped(data, 2000)
    head, _, rest = kept.partition(b"\n\n[svtad: ")
    tail = rest.partition(b"kept]\n\n")[2]
    assert len(kept) <= 2000 and data.startswith(head) and data.endswith(tail) and len(head) > 900 < len(tail)
    assert left_out == len(data) - len(head) - len(tail)
    assert f"{left_out:,} of {len(data):,} bytes left out here".encode() in kept
    assert capped(b"small", 2000) == (b"small", 0)
    taken: set[str] = set()
    assert [safe_name(name, taken) for name in ("", "..", "a.txt", "A.TXT", "a.txt")] == [
        "evidence", "evidence-2", "a.txt", "A-2.TXT", "a-3.txt"]
    long_name = safe_name("y" * 5000 + ".pcap", taken)
    assert len(long_name) == 100 and long_name.endswith(".pcap")
    assert safe_name("y" * 5000 + ".pcap", taken) == "y" * 93 + "-2.pcap"
