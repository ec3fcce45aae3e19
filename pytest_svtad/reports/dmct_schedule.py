"""The DMCT Schedule as a timeline (20.9(a)): the bars the DMCT dashboard draws (``reports.dmct_dashboard``), and a
self-contained SVG fragment of the same for any other page.

Every text shown comes from an imported file: the fragment escapes it (no script, so it prints the same anywhere).
"""

from __future__ import annotations

from datetime import date
from html import escape

from pytest_svtad.reports.dmct_dashboard import TimelineBar
from pytest_svtad.rules.dmct_schedule import Schedule

WIDTH, LEFT, ROW = 900, 240, 22


def timeline_bars(schedule: Schedule | None) -> list[TimelineBar]:
    """One bar per planned EPCL entry with dates, in DMC order; an entry covered by a dormant-only entry (20.9)
    has no dates and no bar."""
    if schedule is None:
        return []
    bars = []
    for dmc in sorted(schedule.dmcs):
        item = schedule.dmcs[dmc]
        packs = ", ".join(f"{stage} {choice.pack}" + ("" if choice.standard else " (non-standard)")
                          for stage, choice in sorted(item.packs.items()))
        for entry in item.entries:
            if entry.planned_start and entry.planned_completion:
                bars.append(TimelineBar(dmc, entry.entry, entry.planned_start, entry.planned_completion,
                                        f"{entry.installation}; {packs}"))
    return bars


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def timeline_svg(schedule: Schedule | None, title: str = "DMCT Schedule") -> str:
    """An ``<svg>`` element: one row per planned entry, months along the top; empty text when nothing has dates."""
    bars = timeline_bars(schedule)
    if not bars:
        return '<p class="svtad-schedule-empty">No planned EPCL entry with dates on the DMCT Schedule.</p>'
    first, last = min(b.start for b in bars), max(b.end for b in bars)
    scale = (WIDTH - LEFT - 20) / max((last - first).days, 1)
    height = 40 + len(bars) * ROW
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="svtad-schedule" width="{WIDTH}" height="{height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            x = LEFT + (month - first).days * scale
            parts.append(f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{height}" stroke="#ccc"/>'
                         f'<text x="{x + 2:.1f}" y="14" font-size="11">{month:%b %Y}</text>')
        month = _next_month(month)
    for number, bar in enumerate(bars):
        y = 30 + number * ROW
        x = LEFT + (bar.start - first).days * scale
        width = max((bar.end - bar.start).days * scale, 3)
        tip = f"{bar.dmc} {bar.epcl_entry}: {bar.start.isoformat()} to {bar.end.isoformat()} ({bar.label})"
        parts.append(f'<text x="4" y="{y + 12}" font-size="12">{escape(bar.dmc)} · {escape(bar.epcl_entry)}</text>'
                     f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="16" fill="#0072b2">'
                     f'<title>{escape(tip)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)
