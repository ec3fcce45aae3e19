"""The heatmap helper process's program (``python -m pytest_svtad.reports.heatmap_draw``; see ``heatmap_helper``):
import matplotlib at once, then read one job as JSON from stdin and draw it with ``heatmap.draw_png``. An empty
stdin (the session ended without a heatmap) exits at once. Exit status 0 only when the PNG was written."""

from __future__ import annotations

import json
import signal
import sys
from dataclasses import fields
from pathlib import Path

from pytest_svtad.reports import heatmap
from pytest_svtad.rules.counts import Counts

COUNT_FIELDS = tuple(field.name for field in fields(Counts))


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group: the session still closes out (an interrupted session has
    # a verdict) and will hand this helper its job; the helper ends when its stdin closes, not on SIGINT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    heatmap.preload()
    raw = sys.stdin.buffer.read()
    if not raw:
        return 0
    job = json.loads(raw)
    cells = {(group, dmc): Counts(**dict(zip(COUNT_FIELDS, values, strict=True)))
             for group, dmc, *values in job["cells"]}
    heatmap.draw_png(Path(job["path"]), cells, job["dmcs"], job["title"], job["pass_line"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
