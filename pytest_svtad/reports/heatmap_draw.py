"""heatmap.png drawn with Pillow (issue 18 item 6): the grid ``heatmap.write_png`` lays out (``PngLayout``), without
matplotlib.

Importing matplotlib and laying out its figure was most of what the reports cost a session (measured: 76% of the
close-out's extra time, a third of it the import); Pillow draws the same picture (cells coloured on the pass-rate
scale with their numbers, white gutters, group and DMC labels, the title, a colour bar with the pass-rate line's
scale, the legend) in a few hundredths of a second, and imports in about as long. The text is DejaVu Sans, the
font matplotlib drew with, read from matplotlib's own font folder when it is installed (found without importing
it), else Pillow's built-in scalable font. The bytes differ from the matplotlib drawing this replaces; the same
cells, layout and Pillow version give the same bytes.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_svtad.reports.heatmap import PngLayout
    from pytest_svtad.rules.counts import Counts

Rgb = tuple[int, int, int]
WHITE: Rgb = (255, 255, 255)
BLACK: Rgb = (0, 0, 0)
NOT_RUN: Rgb = (0xB0, 0xB0, 0xB0)  # planned, nothing ran
DESCOPED: Rgb = (0xF0, 0xF0, 0xF0)
LEGEND: Rgb = (0x44, 0x44, 0x44)
GUTTER = 2  # pixels of white between annotated cells (matplotlib's 1.5 pt lines at 110 dpi)


@cache
def _font_file() -> str | None:
    """DejaVu Sans from matplotlib's package data, located without importing matplotlib (None: not installed)."""
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(folder) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if candidate.is_file():
            return str(candidate)
    return None


@cache
def font(pixels: int) -> Any:
    from PIL import ImageFont

    path = _font_file()
    return ImageFont.truetype(path, pixels) if path else ImageFont.load_default(pixels)


def _rgb(colour: tuple[float, float, float]) -> Rgb:
    return (round(colour[0] * 255), round(colour[1] * 255), round(colour[2] * 255))


def cell_look(c: Counts | None, colour_of: Callable[[float], tuple[float, float, float]]) -> tuple[Rgb, str] | None:
    """A cell's fill and text: None where nothing is planned (blank, not applicable)."""
    if c is None or (c.planned == 0 and c.descoped == 0):
        return None
    if c.planned == 0:
        return DESCOPED, "de-scoped"
    if c.executed == 0:
        return NOT_RUN, f"0/{c.planned}\nnot run"
    text = f"{c.passed}/{c.planned}"
    extra = [f"F{c.failed}" if c.failed else "", f"NR{c.not_run}" if c.not_run else ""]
    if any(extra):
        text += "\n" + " ".join(part for part in extra if part)
    return _rgb(colour_of(c.pass_rate or 0.0)), text


def _points(size: float, dpi: int) -> int:
    return max(6, round(size * dpi / 72))


def _text_size(draw: Any, text: str, face: Any) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    return int(right - left), int(bottom - top)


def _rotated(text: str, face: Any, angle: float, colour: Rgb) -> tuple[Any, Any]:
    """The text as an RGB tile and its mask, turned ``angle`` degrees anticlockwise."""
    from PIL import Image, ImageDraw

    left, top, right, bottom = face.getbbox(text)
    mask = Image.new("L", (int(right - left) + 2, int(bottom - top) + 2), 0)
    ImageDraw.Draw(mask).text((1 - left, 1 - top), text, font=face, fill=255)
    mask = mask.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    return Image.new("RGB", mask.size, colour), mask


def draw_png(path: Path, cells: Mapping[tuple[str, str], Counts], groups: Sequence[str], columns: Sequence[str],
             layout: PngLayout, title: str, legend: str, bar_label: str, label_step: int,
             colour_of: Callable[[float], tuple[float, float, float]]) -> None:
    """Draw the heatmap into ``path`` (PNG). ``colour_of(rate)`` is the pass-rate scale (``heatmap``'s)."""
    from PIL import Image, ImageDraw

    dpi = layout.DPI
    width, height = round(layout.width * dpi), round(layout.height * dpi)
    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    cell_face, label_face = font(_points(layout.font, dpi)), font(_points(layout.font + 1, dpi))
    title_face, small_face = font(_points(10, dpi)), font(_points(7, dpi))
    bar_face = font(_points(8, dpi))

    # margins from what they hold: group names left, turned DMC labels and the legend below, colour bar right
    group_width = max((_text_size(draw, g, label_face)[0] for g in groups), default=0)
    labelled = list(columns[::label_step])
    tiles = [_rotated(label, label_face, 45, BLACK) for label in labelled]
    below = max((tile.size[1] for tile, _ in tiles), default=0)
    title_height = _text_size(draw, title or " ", title_face)[1]
    legend_height = _text_size(draw, legend, small_face)[1]
    tick_width = _text_size(draw, "0.0", bar_face)[0]
    bar_width = max(10, round(width * 0.015))
    x0, y0 = group_width + 14, title_height + 16
    x1 = width - (bar_width + tick_width + legend_height * 2 + 34)
    y1 = height - (below + legend_height + 18)
    x1, y1 = max(x1, x0 + max(1, len(columns))), max(y1, y0 + max(1, len(groups)))  # a tiny figure still draws
    rows, cols = max(1, len(groups)), max(1, len(columns))
    cell_w, cell_h = (x1 - x0) / cols, (y1 - y0) / rows
    gutter = GUTTER if layout.annotate else 0

    draw.text(((x0 + x1) / 2, 6), title, font=title_face, fill=BLACK, anchor="ma")
    for row, group in enumerate(groups):
        top, bottom = y0 + row * cell_h, y0 + (row + 1) * cell_h
        draw.text((x0 - 6, (top + bottom) / 2), group, font=label_face, fill=BLACK, anchor="rm")
        for col, dmc in enumerate(columns):
            look = cell_look(cells.get((group, dmc)), colour_of)
            if look is None:
                continue  # not applicable: blank
            fill, text = look
            left, right = x0 + col * cell_w, x0 + (col + 1) * cell_w
            draw.rectangle((round(left) + (gutter // 2 if col else 0), round(top) + (gutter // 2 if row else 0),
                            round(right) - 1 - (gutter - gutter // 2 if col < cols - 1 else 0),
                            round(bottom) - 1 - (gutter - gutter // 2 if row < rows - 1 else 0)), fill=fill)
            if layout.annotate:
                draw.multiline_text(((left + right) / 2, (top + bottom) / 2), text, font=cell_face, fill=BLACK,
                                    anchor="mm", align="center", spacing=2)
    for index, (tile, mask) in zip(range(0, len(columns), label_step), tiles, strict=False):
        centre = x0 + (index + 0.5) * cell_w
        image.paste(tile, (round(centre) - tile.size[0] + 4, y1 + 4), mask)  # the label ends under its column

    bar_x = x1 + 14
    for step in range(y1 - y0):  # bottom 0%, top 100%
        rate = 1 - step / max(1, y1 - y0 - 1)
        draw.line((bar_x, y0 + step, bar_x + bar_width, y0 + step), fill=_rgb(colour_of(rate)))
    draw.rectangle((bar_x, y0, bar_x + bar_width, y1 - 1), outline=BLACK)
    for tick in range(6):
        y = y1 - 1 - (y1 - 1 - y0) * tick / 5
        draw.line((bar_x + bar_width, y, bar_x + bar_width + 3, y), fill=BLACK)
        draw.text((bar_x + bar_width + 5, y), f"{tick / 5:.1f}", font=bar_face, fill=BLACK, anchor="lm")
    tile, mask = _rotated(bar_label, small_face, 90, BLACK)
    image.paste(tile, (bar_x + bar_width + tick_width + 10, max(0, round((y0 + y1 - tile.size[1]) / 2))), mask)

    draw.text((4, height - 4), legend, font=small_face, fill=LEGEND, anchor="ld")
    image.save(path, format="PNG", compress_level=1)  # flat colours compress well even at the fastest level
