"""What xdist workers send and how the controller reads their plans (issue 18 item 5), and heatmap.png drawn with
Pillow (item 6): the trims must keep every result attributed and every output the same."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from pytest_svtad.model import PlanEntry
from pytest_svtad.plugin.collector import PROP_EVIDENCE, PROP_TAGS
from pytest_svtad.plugin.plan_folders import PlanFilesReader, lean_report_data
from pytest_svtad.plugin.report_wire import PACKED, pack, unpack
from pytest_svtad.reports import heatmap
from pytest_svtad.rules.counts import Counts

TAGS = {"dmc": "DMC-A", "ttm": ["REQ-1"], "srv": "7.2"}


def report(when: str) -> dict:
    return {"$report_type": "TestReport", "when": when, "keywords": {"test_x[DMC-A]": 1, "srv": 1},
            "user_properties": [[PROP_TAGS, TAGS], [PROP_EVIDENCE, "transcript.txt"]], "nodeid": "t.py::test_x"}


def test_setup_and_call_reports_cross_without_keywords_or_tags_but_teardown_keeps_the_tags():
    for when in ("setup", "call"):
        lean = lean_report_data(report(when))
        assert lean["keywords"] == {} and lean["user_properties"] == [[PROP_EVIDENCE, "transcript.txt"]]
    teardown = lean_report_data(report("teardown"))
    assert teardown["keywords"] == {} and teardown["user_properties"][0] == [PROP_TAGS, TAGS]
    collect = {"$report_type": "CollectReport", "keywords": {"x": 1}}
    assert lean_report_data(dict(collect)) == collect


def test_a_report_packed_as_json_comes_back_equal_with_its_tuples_and_xdists_keys():
    skipped = {"$report_type": "TestReport", "nodeid": "t.py::test_x", "when": "setup", "outcome": "skipped",
               "location": ("t.py", 3, "test_x"), "longrepr": ("t.py", 4, "Skipped: no HAN"), "keywords": {},
               "sections": [("Captured stdout setup", "hello")], "duration": 0.1, "start": 1.5, "stop": 1.6,
               "user_properties": [(PROP_TAGS, TAGS), (PROP_EVIDENCE, "transcript.txt")]}
    packed = pack(dict(skipped))
    assert set(packed) == {"$report_type", PACKED}
    packed.update(item_index=7, worker_id="gw1")  # what xdist adds after the worker's hooks
    assert unpack(packed) == {**skipped, "item_index": 7, "worker_id": "gw1"}


def test_what_json_would_change_is_sent_as_before():
    for odd in ([("svtad_extra", ("a", "tuple"))], [("svtad_extra", {1: "int key"})], [("raw", b"bytes")]):
        data = {"$report_type": "TestReport", "when": "call", "user_properties": odd}
        assert pack(data) is data and unpack(data) is data
    plugin_attribute = {"$report_type": "TestReport", "when": "call", "user_properties": [], "rerun": (1, 2)}
    assert pack(plugin_attribute) is plugin_attribute
    collect = {"$report_type": "CollectReport", "keywords": {"x": 1}}
    assert pack(collect) is collect


def plan_file(folder: Path, name: str, nodeids: list[str], not_applicable: int = 0) -> Path:
    path = folder / f"{name}.json"
    entries = [PlanEntry(nodeid, dmc="DMC-A").to_dict() for nodeid in nodeids]
    path.write_text(json.dumps({"meta": {"not_applicable": not_applicable}, "plan": entries}))
    return path


def test_plan_files_are_parsed_once_and_a_workers_identical_plan_not_again(tmp_path, monkeypatch):
    parsed = []
    real = PlanEntry.from_dict
    monkeypatch.setattr(PlanEntry, "from_dict", staticmethod(lambda raw: parsed.append(raw) or real(raw)))
    reader = PlanFilesReader()
    plan_file(tmp_path, "gw0", ["a", "b"], not_applicable=3)
    plan, not_applicable = reader.read_new(tmp_path)
    assert sorted(plan) == ["a", "b"] and not_applicable == 3 and len(parsed) == 2
    plan_file(tmp_path, "gw1", ["a", "b"], not_applicable=3)  # the other worker collected the same session
    assert reader.read_new(tmp_path) == ({}, 3) and len(parsed) == 2
    (tmp_path / "gw2.json").write_text('{"plan": [')  # being written: read once it is whole
    assert reader.read_new(tmp_path) == ({}, 3)
    plan_file(tmp_path, "gw2", ["c"])
    assert sorted(reader.read_new(tmp_path)[0]) == ["c"]
    assert reader.read_new(tmp_path) == ({}, 3)


def test_past_sixty_dmcs_at_most_sixty_labels_are_drawn():
    assert [heatmap.PngLayout.label_step(n) for n in (6, 60, 61, 120, 600)] == [1, 1, 2, 2, 10]


def cells_and_dmcs() -> tuple[dict, list[str]]:
    dmcs = ["DMC-A", "DMC-B"]
    cells = {("supply", "DMC-A"): Counts(planned=4, executed=4, passed=3, failed=1),
             ("supply", "DMC-B"): Counts(planned=2, executed=0, not_run=2),
             ("prepayment", "DMC-A"): Counts(planned=0, descoped=1)}
    return cells, dmcs


def test_png_is_drawn_with_pillow_in_the_layouts_size_with_the_cells_colours_and_without_matplotlib(tmp_path):
    """heatmap.png without matplotlib (issue 18 item 6): the layout's pixel size, each cell in its colour (the
    3/4 cell on the pass-rate scale, not run grey, de-scoped light grey), and matplotlib never imported."""
    from PIL import Image

    from pytest_svtad.reports.heatmap_draw import DESCOPED, NOT_RUN

    script = ("import sys; from pathlib import Path; from tests.test_xdist_perf import cells_and_dmcs; "
              "from pytest_svtad.reports import heatmap; "
              f"heatmap.write_png(Path({str(tmp_path / 'heatmap.png')!r}), *cells_and_dmcs(), 'SVTAD heatmap: SIT'); "
              "assert not [m for m in sys.modules if m.split('.')[0] == 'matplotlib'], 'matplotlib imported'")
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr[-800:]
    layout = heatmap.PngLayout.for_grid(groups=2, columns=2)
    with Image.open(tmp_path / "heatmap.png") as image:
        assert image.format == "PNG"
        assert image.size == (round(layout.width * layout.DPI), round(layout.height * layout.DPI))
        colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    three_of_four = tuple(round(channel * 255) for channel in heatmap.pass_rate_colour(0.75, 0.9))
    assert {three_of_four, NOT_RUN, DESCOPED} <= colours


def test_under_xdist_results_stay_attributed_and_junitxml_keeps_the_tags(project_xdist):
    """The controller receives lean reports: tags only on the teardown report; the plan files give the rest."""
    project_xdist.file("conftest.py", """
        import json

        seen = []
        where = {}

        def pytest_configure(config):
            where["controller"] = not hasattr(config, "workerinput")

        def pytest_runtest_logreport(report):
            if where["controller"]:
                seen.append([report.when, sorted(report.keywords), [p[0] for p in report.user_properties],
                             type(report.location).__name__, [type(p).__name__ for p in report.user_properties]])

        def pytest_sessionfinish(session):
            import sys

            name = session.config.workerinput["workerid"] if hasattr(session.config, "workerinput") else "controller"
            with open(f"modules-{name}.json", "w") as handle:
                json.dump(sorted(sys.modules), handle)
            if not hasattr(session.config, "workerinput"):
                with open("seen.json", "w") as handle:
                    json.dump(seen, handle)
    """)
    project_xdist.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.srv("7.2")
        def test_supply(dmc):
            assert dmc.id != "DMC-B"
    """)
    run = project_xdist.run("--junitxml", "junit.xml")
    seen = json.loads((project_xdist.pytester.path / "seen.json").read_text())
    assert {when for when, *_ in seen} == {"setup", "call", "teardown"}
    assert all(keywords == [] for _, keywords, *_ in seen)
    assert all((PROP_TAGS in props) == (when == "teardown") for when, _, props, *_ in seen)
    # packed as JSON on the worker (report_wire), the report's tuples are tuples again on the controller
    assert all(location == "tuple" and set(kinds) <= {"tuple"} for *_, location, kinds in seen)
    results = {r["nodeid"]: r for r in run.results()}
    assert results["test_pack.py::test_supply[DMC-B]"]["outcome"] == "failed"
    assert len(results) >= 2 and all(r["dmc"] and r["srv"] == "7.2" and r["ttm"] == ["REQ-1"]
                                     for r in results.values())
    properties = ET.parse(project_xdist.pytester.path / "junit.xml").findall(".//property[@name='svtad']")
    assert len(properties) == len(results) and all("'srv': '7.2'" in p.get("value", "") for p in properties)
    # a worker collects and runs tests: it never imports what only the controller's close-out uses (issue 18 item 5)
    workers = sorted(project_xdist.pytester.path.glob("modules-gw*.json"))
    assert len(workers) == 2
    controller_only = ("pytest_svtad.closeout", "pytest_svtad.record", "pytest_svtad.reports.html",
                       "pytest_svtad.reports.heatmap", "pytest_svtad.reports.terminal", "pytest_svtad.rules.verdict",
                       "pytest_svtad.rules.issues", "pytest_svtad.plugin.entry_checks", "pytest_svtad.store",
                       "jinja2", "matplotlib", "sqlalchemy", "PIL")
    for path in workers:
        loaded = set(json.loads(path.read_text()))
        assert "pytest_svtad.plugin.hooks" in loaded and not loaded.intersection(controller_only), path.name
