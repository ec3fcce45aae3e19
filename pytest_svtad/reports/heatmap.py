"""The heatmap (Table 13.1 row 7; 16.4; 19.4(b)): coverage and success by functional group x DMC.

``heatmap.csv`` holds the numbers; ``heatmap.png`` shows them: cell text ``passed/planned`` (plus failed and not run
when any), colour by pass rate, grey where planned but nothing ran, blank where nothing is planned.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from pytest_svtad.rules.counts import Counts

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


def write_png(path: Path, cells: Mapping[tuple[str, str], Counts], dmcs: list[str], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib import colormaps
    from matplotlib import pyplot as plt
    from matplotlib.colors import Normalize, to_rgba

    groups, columns = axes(cells, dmcs)
    width = max(6.0, 2.8 + 0.95 * len(columns))
    if len(columns) > 60:  # colour only (below): a cell needs no room for numbers
        width = min(width, 3.0 + 0.12 * len(columns))
    height = max(3.0, 1.6 + 0.42 * len(groups))
    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    cmap = colormaps["RdYlGn"]
    norm = Normalize(vmin=0.0, vmax=1.0)
    font = 7 if len(columns) > 12 else 8
    # Past 60 DMCs a PNG cannot hold readable numbers: colour only (the numbers are in heatmap.csv)
    annotate = len(columns) <= 60
    # one image for all the cells (thousands of patches would take seconds to draw)
    image = np.ones((max(1, len(groups)), max(1, len(columns)), 4))
    for row, group in enumerate(groups):
        for col, dmc in enumerate(columns):
            c = cells.get((group, dmc))
            if c is None or (c.planned == 0 and c.descoped == 0):
                continue  # not applicable: blank
            if c.planned == 0:
                image[row, col] = to_rgba("#f0f0f0")
                text = "de-scoped"
            elif c.executed == 0:
                image[row, col] = to_rgba("#b0b0b0")
                text = f"0/{c.planned}\nnot run"
            else:
                image[row, col] = cmap(norm(c.pass_rate or 0.0))
                text = f"{c.passed}/{c.planned}"
                extra = [f"F{c.failed}" if c.failed else "", f"NR{c.not_run}" if c.not_run else ""]
                if any(extra):
                    text += "\n" + " ".join(part for part in extra if part)
            if annotate:
                ax.text(col + 0.5, row + 0.5, text, ha="center", va="center", fontsize=font)
    ax.imshow(image, extent=(0, max(1, len(columns)), max(1, len(groups)), 0), aspect="auto",
              interpolation="nearest")
    if annotate:  # white gutters between cells
        for col in range(1, len(columns)):
            ax.axvline(col, color="white", linewidth=1.5)
        for row in range(1, len(groups)):
            ax.axhline(row, color="white", linewidth=1.5)
    ax.set_xlim(0, max(1, len(columns)))
    ax.set_ylim(max(1, len(groups)), 0)
    ax.set_xticks([i + 0.5 for i in range(len(columns))], columns, rotation=45, ha="right", fontsize=font + 1)
    ax.set_yticks([i + 0.5 for i in range(len(groups))], groups, fontsize=font + 1)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=10)
    scalar = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(scalar, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label("pass rate (passed / planned)", fontsize=8)
    legend = ("cell: passed/planned; F failed, NR not run; grey: planned, nothing ran; blank: not applicable"
              if annotate else f"{len(columns)} DMCs: colour = pass rate; grey: planned, nothing ran; blank: not "
              "applicable; numbers per cell in heatmap.csv")
    fig.text(0.01, 0.01, legend, fontsize=7, color="#444444")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path)
    plt.close(fig)
