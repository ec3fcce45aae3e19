"""The reports in the tools people open them with: headless Chromium for the HTML files, the Allure command line
for the Allure results. Both are installed by .ci/run; outside CI a missing tool skips, in CI it fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_reports import KNOWN_RUN

CHROMIUM = os.environ.get("SVTAD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ALLURE = os.environ.get("SVTAD_ALLURE_CLI") or shutil.which("allure")
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
def known_run(project_single):
    project_single.tests(KNOWN_RUN)
    project_single.run("--svtad-dmc", "all")
    return project_single.pytester.path / "report"


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


def test_allure_report_built_by_the_allure_cli_opens_on_the_verdict(project_xdist):
    project_xdist.tests(KNOWN_RUN)
    project_xdist.run("--svtad-dmc", "all", "--svtad-release", "MOC", "--alluredir", "allure")
    root = project_xdist.pytester.path
    built = subprocess.run([need(ALLURE, "Allure command line"), "generate", str(root / "allure"), "--output",
                            str(root / "allure-report")], capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    results = [json.loads(path.read_text()) for path in (root / "allure-report" / "data" / "test-results").glob(
        "*.json")]
    verdict = [r for r in results if r["name"] == "SVTAD exit criteria"]
    assert len(verdict) == 1 and verdict[0]["status"] == "failed"
    assert len(results) == 1 + 3 * 4 + 2  # verdict, 3 DMCs x (3 reads + disable), top-up and display on DMC-C

    def label(result: dict, name: str) -> list[str]:
        return [item["value"] for item in result.get("labels", []) if item["name"] == name]

    disable_b = next(r for r in results if label(r, "svtadNodeId") == ["test_pack.py::test_disable[DMC-B]"])
    assert label(disable_b, "parentSuite") == ["SIT"] and label(disable_b, "suite") == ["DMC-B"]
    assert label(disable_b, "subSuite") == ["supply"] and label(disable_b, "epic") == ["MOC"]
    assert label(disable_b, "story") == ["7.2"] and "DMC-B" in label(disable_b, "tag")
    summary = json.loads((root / "allure-report" / "summary.json").read_text())
    assert summary["stats"]["total"] == len(results)
