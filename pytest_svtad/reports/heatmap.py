"""The heatmap (Table 13.1 row 7; 16.4; 19.4(b)): coverage and success by functional group x DMC.

``heatmap.csv`` holds the numbers; ``heatmap.png`` shows them: cell text ``passed/planned`` (plus failed and not run
when any), colour by pass rate (orange under the pass-rate line, blue from it), grey where planned but nothing ran,
blank where nothing is planned.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from pytest_svtad.rules.counts import Counts

COUNT_FIELDS = tuple(field.name for field in fields(Counts))  # a cell as the helper process receives it
CSV_COLUMNS = ("functional_group", "dmc", "planned", "executed", "passed", "failed", "not_run", "descoped",
               "pass_rate")


def axes(cells: Mapping[tuple[str, str], Counts], dmcs: list[str] | None = None) -> tuple[list[str], list[str]]:
    groups = sorted({group for group, _ in cells})
    columns = list(dmcs) if dmcs else []
    columns += sorted({dmc for _, dmc in cells if dmc not in columns})
    return groups, columns


def write_csv(path: Path, cells: Mapping[tuple[str, str], Counts]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for (group, dmc), c in sorted(cells.items()):
            rate = c.pass_rate
            writer.writerow([group, dmc, c.planned, c.executed, c.passed, c.failed, c.not_run, c.descoped,
                             "" if rate is None else f"{rate:.4f}"])


# The cells' scale since issue 15 item 12: orange under the pass-rate line, blue from it (a diverging pair that
# people with any colour vision tell apart, unlike red and green), soft enough that black text reads on every
# shade, darker the further a cell is from the line.
UNDER_LINE = ((0.816, 0.439, 0.122), (0.992, 0.812, 0.573))  # 0%, just under the line
FROM_LINE = ((0.745, 0.843, 0.925), (0.310, 0.553, 0.780))  # at the line, 100%


def pass_rate_colour(rate: float, line: float) -> tuple[float, float, float]:
    """RGB (0-1) of a pass rate against the pass-rate line (Table 13.1 row 1), shared by heatmap.png and the
    HTML: a cell under the line is orange, never blue; one from the line is blue."""
    rate = max(0.0, min(1.0, rate))
    if rate < line:
        (low, high), share = UNDER_LINE, rate / line if line else 0.0
    else:
        (low, high), share = FROM_LINE, (rate - line) / (1 - line) if line < 1 else 1.0
    return (low[0] + (high[0] - low[0]) * share, low[1] + (high[1] - low[1]) * share,
            low[2] + (high[2] - low[2]) * share)


def hex_colour(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in rgb)


@dataclass(frozen=True, slots=True)
class PngLayout:
    """Size of heatmap.png for a grid: every cell keeps its numbers up to 60 DMCs (a TAB reads 40 x 15), narrower
    cells and smaller type past 12 DMCs; past 60 a cell is colour only (the numbers are in heatmap.csv), and at most
    60 DMC labels are drawn (``label_step``)."""

    width: float  # inches
    height: float
    font: int  # points, cell text; labels one point larger
    annotate: bool

    DPI = 110
    MAX_LABELS = 60  # DMC labels drawn at most: past 60 columns of 0.12 in, one label in every few stays legible

    @classmethod
    def label_step(cls, columns: int) -> int:
        """Label every n-th DMC column: all of them up to MAX_LABELS; past it, the smallest step that draws at most
        MAX_LABELS (600 DMCs: every 10th). Labelling all 600 made them overlap into a black band, and laying
        them out was most of the PNG's cost (measured in docs/BENCHMARKS.md)."""
        return max(1, -(-columns // cls.MAX_LABELS))

    @classmethod
    def for_grid(cls, groups: int, columns: int) -> PngLayout:
        height = max(3.0, 1.6 + 0.42 * groups)
        if columns <= 12:
            return cls(max(6.0, 2.8 + 0.95 * columns), height, 8, True)
        if columns <= 60:
            return cls(2.8 + 0.62 * columns, height, 7, True)
        return cls(3.0 + 0.12 * columns, height, 7, False)


def write_png(path: Path, cells: Mapping[tuple[str, str], Counts], dmcs: list[str], title: str,
              pass_line: float = 0.9) -> None:
    """heatmap.png, drawn with Pillow (``heatmap_draw``: matplotlib's import and figure layout were most of what
    the reports cost a session, issue 18 item 6)."""
    from pytest_svtad.reports import heatmap_draw

    groups, columns = axes(cells, dmcs)
    layout = PngLayout.for_grid(len(groups), len(columns))
    step = layout.label_step(len(columns))
    legend = ("cell: passed/planned; F failed, NR not run; grey: planned, nothing ran; blank: not applicable"
              if layout.annotate else f"{len(columns)} DMCs: colour = pass rate; grey: planned, nothing ran; blank: "
              "not applicable; numbers per cell in heatmap.csv")
    if step > 1:
        legend += f"; every {step}th DMC labelled (all in heatmap.csv and heatmap.html)"
    heatmap_draw.draw_png(path, cells, groups, columns, layout, title, legend,
                          f"pass rate (passed / planned); line at {pass_line * 100:g}%", step,
                          lambda rate: pass_rate_colour(rate, pass_line))

