"""The DMCT Process's published views: the DMCT Status List (20.8) as text, CSV and HTML, and the HTML dashboard
(counts per status, exclusions by reason, the DMCT Schedule as a timeline, Testing Issue routes).

Functions of the records the store gives (``pytest_svtad.store.dmct``): nothing here reads the store. Every value
shown comes from submissions and people: the templates escape it, and the CSV neutralises cells a spreadsheet would
run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pytest_svtad.reports import html
from pytest_svtad.rules import dmct_process as rules
from pytest_svtad.store.dmct import DmcRecord, counts_by_status, exclusions_by_reason

COLUMNS = ("dmc", "status", "since", "reason", "clause", "rationale", "equivalent", "sos_decision", "suppliers",
           "epcl_entries", "submitted_only", "why")


@dataclass(frozen=True, slots=True)
class TimelineBar:
    """One planned EPCL entry of a scheduled DMC: its planned start and completion dates (20.9(a)). The DMCT
    Schedule's own tables (branch h-dmct-schedule) supply these; the dashboard only draws them."""

    dmc: str
    epcl_entry: str
    start: date
    end: date
    label: str = ""


def status_row(record: DmcRecord) -> dict[str, str]:
    reason = rules.REASONS.get(record.reason or "")
    return {"dmc": record.dmc, "status": record.status.value, "since": record.since.isoformat(),
            "reason": f"{reason.clause} {reason.text}" if reason else "", "clause": record.clause,
            "rationale": record.rationale, "equivalent": record.equivalent, "sos_decision": record.sos_decision,
            "suppliers": "; ".join(record.suppliers), "epcl_entries": "; ".join(record.epcl_entries),
            "submitted_only": "yes" if record.submitted_only else "no", "why": record.why}


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ (a formula) is quoted with an apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def status_csv(records: Sequence[DmcRecord]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(v) for k, v in status_row(record).items()})
    return out.getvalue()


def status_lines(records: Sequence[DmcRecord], as_of: date | None) -> list[str]:
    """The Status List for the terminal: one line per DMC, then the counts per status."""
    lines = [f"DMCT Status List (20.8) as of {as_of.isoformat() if as_of else 'now'}: {len(records)} DMC(s)"]
    for record in records:
        row = status_row(record)
        extra = f"  [{row['reason']}]" if row["reason"] else ""
        lines.append(f"{record.dmc:<14} {record.status.value:<20} since {row['since']}{extra}  "
                     f"suppliers: {row['suppliers'] or '-'}")
    counts = {k: v for k, v in counts_by_status(records).items() if v}
    lines.append("counts: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none"))
    return lines


def _timeline_svg(bars: Sequence[TimelineBar]) -> dict[str, Any] | None:
    """Geometry of the timeline chart (drawn as SVG by the template: no script, so it prints and reads the same
    in any browser): one row per planned entry, the x axis from the first start to the last completion."""
    if not bars:
        return None
    first, last = min(b.start for b in bars), max(b.end for b in bars)
    span = max((last - first).days, 1)
    width, left, row = 900, 220, 22
    scale = (width - left - 20) / span
    months, month = [], date(first.year, first.month, 1)
    while month <= last:  # the first month labelled at the axis' start, the others where they begin
        months.append({"x": left + max((month - first).days, 0) * scale, "label": month.strftime("%b %Y")})
        month = date(month.year + (month.month // 12), month.month % 12 + 1, 1)
    rows = [{"y": 30 + i * row, "x": left + (b.start - first).days * scale,
             "w": max((b.end - b.start).days * scale, 3), "label": f"{b.dmc} · {b.epcl_entry}",
             "title": f"{b.dmc} {b.epcl_entry}: {b.start.isoformat()} to {b.end.isoformat()}"
                      + (f" ({b.label})" if b.label else "")} for i, b in enumerate(bars)]
    return {"width": width, "height": 40 + len(bars) * row, "left": left, "rows": rows, "months": months,
            "first": first.isoformat(), "last": last.isoformat()}


def dashboard_html(records: Sequence[DmcRecord], *, as_of: date | None, timeline: Sequence[TimelineBar] = (),
                   routes: Sequence[Mapping[str, Any]] = (), generated: str = "",
                   schedule_note: str = "") -> str:
    counts = counts_by_status(records)
    exclusions = exclusions_by_reason(records)
    most = max(counts.values(), default=0) or 1
    return html.page("dmct-dashboard.html.j2", rows=[status_row(r) for r in records], counts=counts, most=most,
                     exclusions=[{"code": code, "clause": rules.REASONS[code].clause,
                                  "text": rules.REASONS[code].text, "count": n} for code, n in exclusions.items()],
                     timeline=_timeline_svg(timeline), routes=list(routes),
                     as_of=as_of.isoformat() if as_of else "now", generated=generated, total=len(records),
                     schedule_note=schedule_note)


def status_list_html(records: Sequence[DmcRecord], *, as_of: date | None, generated: str = "") -> str:
    return html.page("dmct-status.html.j2", rows=[status_row(r) for r in records], columns=COLUMNS,
                     counts={k: v for k, v in counts_by_status(records).items() if v},
                     as_of=as_of.isoformat() if as_of else "now", generated=generated)
