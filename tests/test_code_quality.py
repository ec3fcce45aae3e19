"""The code stays ruff- and mypy-clean: checked with the tools the test extra installs.

Both keep their caches in the system's temporary folder, one per checkout, never in the repository: a repeated run
re-checks only what changed (mypy's cache is checked against each file's contents, so a cached run finds what a cold
one finds). mypy runs in this process through its API rather than as a second interpreter."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the ruff of this interpreter's environment first: the test extra installs it there, activated or not
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
CACHE = Path(tempfile.gettempdir()) / f"svtad-lint-cache-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.skipif(RUFF is None, reason="ruff is in the test extra: pip install -e '.[test]'")
def test_ruff_finds_nothing():
    result = run(RUFF, "check", "--cache-dir", str(CACHE / "ruff"), ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing(monkeypatch):
    api = pytest.importorskip("mypy.api", reason="mypy is in the test extra: pip install -e '.[test]'")
    monkeypatch.chdir(ROOT)  # the [tool.mypy] section of pyproject.toml, and the packages, are found from here
    stdout, stderr, status = api.run(["--cache-dir", str(CACHE / "mypy"), "pytest_svtad", "simulators"])
    assert status == 0, stdout + stderr
