"""The reports in the tools people open them with: headless Chromium for the HTML files, the Allure command line
for the Allure results. Both are installed by .ci/run; outside CI a missing tool skips, in CI it fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_reports import KNOWN_RUN, MT_UNDER_MTAD, known_run_of_every_dmc

from conftest import ONE_PROCESS

CHROMIUM = os.environ.get("SVTAD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ALLURE = os.environ.get("SVTAD_ALLURE_CLI") or shutil.which("allure")
ALLURERC = Path(__file__).resolve().parents[1] / "allurerc.mjs"  # shipped with the project (docs/reports.md)
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000"]


def need(tool: str | None, what: str) -> str:
    if tool:
        return tool
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: .ci/run installs it")
    pytest.skip(f"{what} not installed (CI installs it)")


def keep(path: Path) -> None:
    """Screenshots are CI artefacts: copied to $SVTAD_ARTEFACTS when set."""
    target = os.environ.get("SVTAD_ARTEFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(target) / path.name)


def chromium(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need(CHROMIUM, "Chromium"), *CHROME_FLAGS, *extra, url], capture_output=True, text=True,
                          timeout=120, check=False)


def page_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "Uncaught" in line or "Refused to" in line
            or "net::ERR_" in line]


@pytest.fixture
def known_run(project_single, shared_runs):
    return known_run_of_every_dmc(project_single, shared_runs).path / "report"


@pytest.mark.parametrize("name", ["heatmap.html", "completion-report.html"])
def test_report_loads_in_chromium_without_errors_showing_dmcs_and_verdict(known_run, name):
    url = (known_run / name).as_uri()
    dom = chromium(url, "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    assert not page_errors(dom.stderr), page_errors(dom.stderr)
    for dmc in ("DMC-A", "DMC-B", "DMC-C"):
        assert dmc in dom.stdout
    assert "EXIT CRITERIA NOT MET" in dom.stdout
    if name == "heatmap.html":
        assert 'data-ready="yes"' in dom.stdout  # its script ran to the end
    shots = known_run / "screenshots"
    shots.mkdir(exist_ok=True)
    shot = shots / name.replace(".html", ".png")
    chromium(url, f"--screenshot={shot}", "--window-size=1400,1000")
    assert shot.stat().st_size > 10_000
    keep(shot)


def test_heatmap_cell_lists_its_tests_and_shows_device_text_as_text(known_run):
    url = (known_run / "heatmap.html").as_uri() + "#cell=supply%7CDMC-B"
    dom = chromium(url, "--dump-dom")
    details = dom.stdout.split('id="details"', 1)[1]
    assert "supply · DMC-B" in details and "test_disable" in details and "failed" in details
    assert "&lt;script&gt;alert('device')&lt;/script&gt; supply stayed on" in details
    assert "<script>alert(" not in dom.stdout
    shot = known_run / "screenshots" / "heatmap-cell.png"
    shot.parent.mkdir(exist_ok=True)
    chromium(url, f"--screenshot={shot}", "--window-size=1400,1000")
    keep(shot)


SIMULATED = """
import pytest

@pytest.mark.ttm("REQ-1")
@pytest.mark.srv("4.1.1")
@pytest.mark.regression
def test_read_on_the_simulator(smets1):
    assert smets1.request("4.1.1").ok
"""


class AllureReport:
    """A report built by the Allure command line, 3 (npm ``allure``) or 2 (npm ``allure-commandline``), read the
    same way whichever built it."""

    def __init__(self, cli: str, results: Path, output: Path) -> None:
        version = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=120, check=False)
        self.major = 2 if version.stdout.strip().startswith("2.") else 3
        self.output = output
        env = dict(os.environ)
        if self.major == 3:  # the shipped allurerc: the SVTAD tree, and categories read from categories.json
            env["SVTAD_ALLURE_RESULTS"] = str(results)
            argv = [cli, "generate", str(results), "--config", str(ALLURERC), "--output", str(output)]
        else:
            argv = [cli, "generate", str(results), "-o", str(output), "--clean"]
        built = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=output.parent,
                               env=env)
        assert built.returncode == 0, built.stdout + built.stderr

    def results(self) -> list[dict]:
        folder = "test-results" if self.major == 3 else "test-cases"
        return [json.loads(path.read_text()) for path in (self.output / "data" / folder).glob("*.json")]

    def steps(self, result: dict) -> list[str]:
        steps = result["steps"] if self.major == 3 else result["testStage"]["steps"]
        return [step["name"] for step in steps]

    def total(self) -> int:
        if self.major == 3:
            return json.loads((self.output / "summary.json").read_text())["stats"]["total"]
        return json.loads((self.output / "widgets" / "summary.json").read_text())["statistic"]["total"]

    def categories(self) -> dict[str, int]:
        """Category name -> failed results in it."""
        widget = json.loads((self.output / "widgets" / "categories.json").read_text())
        if self.major == 3:
            return {node["name"]: node["statistic"].get("failed", 0) for node in widget["nodes"].values()
                    if node.get("type") == "category"}
        return {item["name"]: item["statistic"]["failed"] for item in widget["items"]}

    def tree(self) -> dict[str, list[str]]:
        """Allure 3's default tree: each top-level group's name -> the names of the groups under it, one level on
        ("SIT" -> ["DMC-A", ...], "SIT/DMC-A" -> ["reads", ...])."""
        tree = json.loads((self.output / "widgets" / "tree.json").read_text())
        groups = tree["groupsById"]
        found: dict[str, list[str]] = {}

        def walk(ids: list[str], path: str, depth: int) -> None:
            for group_id in ids:
                group = groups[group_id]
                name = f"{path}/{group['name']}" if path else group["name"]
                found[name] = [groups[child]["name"] for child in group.get("groups", [])]
                if depth < 2:
                    walk(group.get("groups", []), name, depth + 1)

        walk(tree["root"].get("groups", []), "", 1)
        return found

    def attachments(self) -> list[str]:
        return [path.read_text(errors="replace") for path in (self.output / "data" / "attachments").iterdir()]


def test_allure_report_built_by_the_allure_cli_opens_on_the_verdict(project_xdist):
    project_xdist.tests(KNOWN_RUN)
    project_xdist.tests(SIMULATED, name="test_sim")
    project_xdist.run("--svtad-dmc", "all", "--svtad-release", "MOC", "--alluredir", "allure",
                      "--allure-link-pattern", "requirement:https://req.example/browse/{}")
    root = project_xdist.pytester.path
    report = AllureReport(need(ALLURE, "Allure command line"), root / "allure", root / "allure-report")
    results = report.results()
    verdict = [r for r in results if r["name"] == "SVTAD exit criteria"]
    assert len(verdict) == 1 and verdict[0]["status"] == "failed"
    assert [name.split(" ")[0] for name in report.steps(verdict[0])] == [
        "entry-criteria", "functional-execution", "functional-pass-rate", "regression", "issue-thresholds",
        "work-off-plans", "evidence", "issue-logs", "ttm-traceability", "heatmap", "assurance-report"]
    # verdict; 3 DMCs x (3 reads + disable + the simulated read); top-up and display on DMC-C
    assert len(results) == 1 + 3 * 5 + 2 == report.total()

    def label(result: dict, name: str) -> list[str]:
        return [item["value"] for item in result.get("labels", []) if item["name"] == name]

    disable_b = next(r for r in results if label(r, "svtadNodeId") == ["test_pack.py::test_disable[DMC-B]"])
    assert label(disable_b, "parentSuite") == ["SIT"] and label(disable_b, "suite") == ["DMC-B"]
    assert label(disable_b, "subSuite") == ["supply"] and label(disable_b, "feature") == ["supply"]
    assert label(disable_b, "epic") == ["MOC"] and label(disable_b, "story") == ["7.2"]
    assert "DMC-B" in label(disable_b, "tag")
    assert [(link["name"], link["url"]) for link in disable_b["links"]] == [
        ("REQ-2", "https://req.example/browse/REQ-2")]
    sim_a = next(r for r in results if label(r, "svtadNodeId") == ["test_sim.py::test_read_on_the_simulator[DMC-A]"])
    assert sorted(label(sim_a, "tag")) == ["DMC-A", "regression"]
    transcripts = [text for text in report.attachments() if "4.1.1 Read Instantaneous Import Registers" in text]
    assert len(transcripts) == 3  # one per DMC
    categories = report.categories()
    assert categories["SVTAD exit criteria not met"] == 1
    if report.major == 3:  # the shipped allurerc's groupBy: stage, then DMC, then functional group
        tree = report.tree()
        assert sorted(tree["SIT"]) == ["DMC-A", "DMC-B", "DMC-C", "SVTAD verdict"]  # the verdict: a suite of its own
        assert sorted(tree["SIT/DMC-B"]) == ["reads", "supply"]
    assert categories["Testing Issue severity 2"] == 1  # test_disable on DMC-B


def wide_project(project, shared_runs, dmcs: int = 40, groups: int = 15) -> Path:
    """The size the TAB reads: 40 DMCs x 15 functional groups, with failures and tests not run scattered; run once
    per test module and shared by the tests that only read its reports (in its first test's folder)."""
    key = ("wide", dmcs, groups)
    if key in shared_runs:
        return shared_runs[key].path / "report"
    root = project.pytester.path
    for n in range(4, dmcs + 1):
        (root / "device_profiles" / "dmcs" / f"DMC-{n:03d}.yaml").write_text(
            f"id: DMC-{n:03d}\nname: wide {n}\ninstallation: active\ndevices:\n  ESME: ESME-T1\n  CH: CH-T1\n")
    for old in ("DMC-A", "DMC-B", "DMC-C"):
        (root / "device_profiles" / "dmcs" / f"{old}.yaml").unlink()
    for n in range(1, 4):
        (root / "device_profiles" / "dmcs" / f"DMC-{n:03d}.yaml").write_text(
            f"id: DMC-{n:03d}\nname: wide {n}\ninstallation: active\ndevices:\n  ESME: ESME-T1\n  CH: CH-T1\n")
    rows = "".join(f"W-{g:02d},group {g:02d} functional area,Requirement {g}\n" for g in range(groups))
    (root / "ttm.csv").write_text("requirement_id,functional_group,title\n" + rows)
    tests = ["import zlib\nimport pytest\n"]
    for g in range(groups):
        tests.append(f'''
@pytest.mark.ttm("W-{g:02d}")
@pytest.mark.parametrize("i", range(2))
def test_group_{g:02d}(dmc, i):
    roll = zlib.crc32(f"{{dmc.id}}-{g}-{{i}}".encode()) % 12
    if roll == 0:
        pytest.skip("device not delivered")
    assert roll != 1, "failed on purpose"
''')
    project.tests("".join(tests))
    shared_runs[key] = project.run("--svtad-dmc", "all")
    return root / "report"


def test_heatmap_of_40_dmcs_by_15_groups_stays_readable(project_single, shared_runs):
    report = wide_project(project_single, shared_runs)
    url = (report / "heatmap.html").as_uri()
    dom = chromium(url, "--dump-dom")
    assert not page_errors(dom.stderr), page_errors(dom.stderr)
    assert 'data-ready="yes"' in dom.stdout
    grid = dom.stdout.split('id="view-groups"', 1)[1].split("</table>", 1)[0]
    assert grid.count('class="cell') == 40 * 15  # every cell drawn with its numbers
    assert all(f">DMC-{n:03d}<" in grid for n in range(1, 41))
    shots = report / "screenshots"
    shots.mkdir(exist_ok=True)
    chromium(url, f"--screenshot={shots / 'heatmap-40x15.png'}", "--window-size=1600,1000")
    keep(shots / "heatmap-40x15.png")


def test_a_printed_heatmap_of_40_dmcs_holds_the_whole_matrix_and_the_traceability_view(project_single, shared_runs):
    from pytest_svtad.reports.pdf import write_pdf

    browser = need(CHROMIUM, "Chromium")
    report = wide_project(project_single, shared_runs)
    pdf = write_pdf(report / "heatmap.html", report / "heatmap-print.pdf", browser)
    text = "\n".join(pdf_pages(pdf, report / "screenshots", scale=1.0))
    assert all(f"DMC-{n:03d}" in text for n in range(1, 41))  # no column cut off by a scroll box
    assert "group 14 functional area" in text and "TTM requirements × DMCs" in text
    assert "Hover or click a cell" not in text and "Hover a cell" not in text  # interactive parts left off paper


def pdf_pages(pdf: Path, shots: Path, scale: float = 1.5) -> list[str]:
    """Each page of a PDF as a PNG (kept as a CI artefact) and the page's text."""
    pdfium = pytest.importorskip("pypdfium2")
    shots.mkdir(exist_ok=True)
    document = pdfium.PdfDocument(str(pdf))
    texts = []
    try:
        for number in range(len(document)):
            page = document[number]
            image = page.render(scale=scale).to_pil()
            assert image.convert("L").getextrema()[0] < 128  # something dark is drawn: not a blank page
            shot = shots / f"{pdf.stem}-page{number + 1}.png"
            image.save(shot)
            keep(shot)
            texts.append(page.get_textpage().get_text_range())
    finally:
        document.close()
    return texts


@ONE_PROCESS  # the HTML it prints is the same under -n 2 (the outputs' equivalence test)
def test_completion_and_dmct_reports_print_to_pdf_pages_that_hold_their_content(project):
    need(CHROMIUM, "Chromium")
    project.tests(KNOWN_RUN)
    criteria = project.file("criteria.yaml", MT_UNDER_MTAD)
    project.run("--svtad-dmc", "all", "--svtad-stage", "DMCT-SRVT", "--svtad-criteria", str(criteria), "--svtad-pdf")
    report = project.pytester.path / "report"
    assert sorted(path.name for path in report.glob("*.pdf")) == [
        "completion-report.pdf", "dmct-DMC-A.pdf", "dmct-DMC-B.pdf", "dmct-DMC-C.pdf"]
    shots = report / "screenshots"
    completion = "\n".join(pdf_pages(report / "completion-report.pdf", shots))
    assert "EXIT CRITERIA NOT MET" in completion and all(dmc in completion for dmc in ("DMC-A", "DMC-B", "DMC-C"))
    dmct_b = pdf_pages(report / "dmct-DMC-B.pdf", shots)
    first = dmct_b[0]
    assert "NOT COMPLETED" in first and "Failures and Testing Issues" in first and "test_disable" in first
    assert first.index("Failures and Testing Issues") < first.index("(a) Planned EPCL entry")  # failures first
    assert str(report) not in "".join(dmct_b)  # files named relative to the report folder
    chromium((report / "dmct-DMC-B.html").as_uri(), f"--screenshot={shots / 'dmct-DMC-B.png'}",
             "--window-size=1400,1000")
    keep(shots / "dmct-DMC-B.png")
