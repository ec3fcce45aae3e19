"""PDFs of the reports people are handed (the completion report, each DMCT report): the same HTML file printed by
headless Chromium, so the PDF shows exactly what the browser shows, with the page's print stylesheet.

Chromium (or Chrome) is found as the report tests find it: ``SVTAD_CHROMIUM``, else ``chromium``,
``chromium-browser``, ``google-chrome`` or ``google-chrome-stable`` on the PATH. Nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120


class PdfError(Exception):
    """One line: why a PDF was not written, and what to do."""


def find_chromium() -> str | None:
    configured = os.environ.get("SVTAD_CHROMIUM")
    if configured:
        return configured
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def write_pdf(html: Path, pdf: Path, chromium: str | None = None) -> Path:
    """Print ``html`` to ``pdf`` (written whole or not at all); ``PdfError`` says why not."""
    browser = chromium or find_chromium()
    if browser is None:
        raise PdfError("no Chromium found: install chromium (or Chrome), or set SVTAD_CHROMIUM to its executable")
    tmp = pdf.with_name(f".{pdf.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="svtad-pdf-") as profile:  # its own profile: runs never share a lock
        argv = [browser, "--headless", "--disable-gpu", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                "--no-pdf-header-footer", "--print-to-pdf-no-header", "--virtual-time-budget=2000",
                f"--print-to-pdf={tmp}", html.resolve().as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv.insert(1, "--no-sandbox")  # Chromium refuses to start its sandbox as root (CI, containers)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            tmp.unlink(missing_ok=True)
            raise PdfError(f"{browser} did not print {html.name}: {exc}") from None
    if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PdfError(f"{browser} did not print {html.name} (exit {done.returncode}): {last}")
    tmp.replace(pdf)
    return pdf
