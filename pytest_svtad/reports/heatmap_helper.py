"""A helper process that draws heatmap.png (issue 18 item 6): started when a session with a report folder starts,
it imports matplotlib while the tests run (on the other core of a two-core machine), then waits for the cells.

Importing matplotlib is most of what heatmap.png costs a session (about 0.65 of ~1 CPU second; the drawing is the
rest), and a session pays it once, at the very end, on its only busy core. The helper moves the import off the
session's critical path; the drawing is the same code (``heatmap.draw_png``), so the file is byte for byte the one
drawn in process. The CPU cost is the same: on a machine with no idle core there is nothing to gain (and nothing
lost but the helper's interpreter start-up, ~0.05 s).

Anything wrong with the helper (it could not start, died, or did not answer within ``ANSWER_SECONDS``) and the
PNG is drawn in process as before, so an error is reported exactly as it always was. Only the first session of a
process gets a helper, and not when matplotlib is imported already: a process running several sessions (pytester's
in-process runs, ``svtad`` running packs) imports matplotlib once and draws in process after that. A helper is
never left behind: it exits when its stdin closes, which happens when the session ends or its process dies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ANSWER_SECONDS = 300.0  # not an SVTAD number: how long a helper may take to draw before the session draws itself
HELPER_MODULE = "pytest_svtad.reports.heatmap_draw"


class PngHelper:
    """One helper process, for one heatmap.png."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", HELPER_MODULE], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)

    def draw(self, job: dict[str, Any]) -> bool:
        """Hand the helper its job and wait for the PNG: True when it was written."""
        process, self.process = self.process, None
        if process is None:
            return False
        try:
            _, _err = process.communicate(json.dumps(job).encode("utf-8"), timeout=ANSWER_SECONDS)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
            return False
        return process.returncode == 0

    def stop(self) -> None:
        """Unused (the session wrote no heatmap): ended at once. It has written nothing (it writes only once it has
        a job), so there is nothing to wait for, and waiting would add its import to the session's end."""
        process, self.process = self.process, None
        if process is None:
            return
        process.kill()
        process.communicate()


class PngHelpers:
    """The helpers of one process, by the PNG each will draw (a report folder belongs to one session at a time:
    ``plugin.report_folder`` locks it), so sessions run in one process never take each other's."""

    def __init__(self) -> None:
        self._by_path: dict[str, PngHelper] = {}
        self.started = False

    def prestart(self, png: Path) -> None:
        """Start a helper for ``png``: for the first session of a process only. A process that runs several
        sessions (pytester in process, ``svtad`` running packs) pays the import once in process and keeps it."""
        if self.started or "matplotlib.figure" in sys.modules:
            return
        self.started = True
        try:
            self._by_path[str(png.resolve())] = PngHelper()
        except OSError:
            return  # drawn in process

    def take(self, png: Path) -> PngHelper | None:
        return self._by_path.pop(str(png.resolve()), None)

    def discard(self, png: Path) -> None:
        helper = self.take(png)
        if helper is not None:
            helper.stop()


HELPERS = PngHelpers()
"""This process's helpers: process-wide like the matplotlib import they stand in for."""
