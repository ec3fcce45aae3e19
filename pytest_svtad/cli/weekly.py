"""The weekly execution report (16.1-16.4) of a campaign: progress and pass rate over time, by functional group
and DMC, and the Testing Issues opened and closed in the week. HTML (Jinja2, autoescaped) with a PNG trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pytest_svtad.cli.input import FIRST_YEAR, LAST_YEAR, output_folder
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.reports import html
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.campaign import CampaignRun, combine
from pytest_svtad.rules.counts import Counts, count
from pytest_svtad.store.db import Store
from pytest_svtad.store.dmct import DmctRegister, counts_by_status, events_between


def parse_week(text: str) -> tuple[date, date]:
    """ISO week ``YYYY-Www`` -> (Monday, Sunday), in the years a campaign can have run."""
    try:
        year, week = text.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise SvtadInputError("--week", f"expected an ISO week like 2026-W48, got '{text}'") from None
    if not FIRST_YEAR <= monday.year <= LAST_YEAR:
        raise SvtadInputError("--week", f"expected an ISO week in the years {FIRST_YEAR}-{LAST_YEAR}, got '{text}'")
    return monday, monday + timedelta(days=6)


@dataclass(slots=True)
class Point:
    when: datetime
    run_id: int
    planned: int
    executed: int
    passed: int


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def weekly_data(store: Store, campaign: str, week: str) -> dict[str, Any]:
    monday, sunday = parse_week(week)
    end = datetime.combine(sunday, time.max, tzinfo=UTC)
    start = datetime.combine(monday, time.min, tzinfo=UTC)
    runs = [run for run in store.runs(campaign) if _aware(run["started_at"]) <= end]
    if not runs:
        raise SvtadInputError("--campaign", f"no runs of campaign '{campaign}' up to the end of {week}")
    plans, results = store.plan_and_results([run["id"] for run in runs])
    campaign_runs = [CampaignRun(run["id"], run["sut_version"], plans[run["id"]],
                                 {r.nodeid: r for r in results[run["id"]]}) for run in runs]
    trend: list[Point] = []
    for index in range(len(campaign_runs)):  # the campaign as it stood after each run
        view = combine(campaign_runs[:index + 1])
        total = count(view.plan, view.results)
        both = Counts(planned=total.functional.planned + total.regression.planned,
                      executed=total.functional.executed + total.regression.executed,
                      passed=total.functional.passed + total.regression.passed)
        run = runs[index]
        trend.append(Point(_aware(run["ended_at"] or run["started_at"]), run["id"], both.planned, both.executed,
                           both.passed))
    view = combine(campaign_runs)
    counts = count(view.plan, view.results)
    groups = sorted({group for group, _ in counts.by_group_and_dmc})
    dmcs = sorted({dmc for _, dmc in counts.by_group_and_dmc})
    issues = store.issues(campaign=campaign)
    opened = [i for i in issues if start <= _aware(i["first_seen"]) <= end]
    closed = [i for i in issues if i["closed_at"] and start <= _aware(i["closed_at"]) <= end]
    return {"campaign": campaign, "week": week, "dmct": dmct_progress(store, monday, sunday),
            "monday": monday, "sunday": sunday, "trend": trend,
            "week_runs": [r for r in runs if _aware(r["started_at"]) >= start], "counts": counts,
            "groups": groups, "dmcs": dmcs, "opened": opened, "closed": closed,
            "open_now": [i for i in issues if i["status"] != "closed"], "exit_version": view.exit_version}


def dmct_progress(store: Store, monday: date, sunday: date) -> dict[str, Any]:
    """The DMCT Process in the weekly report (16.2: progress of the testing under the SVTAD): DMCs per status at
    the end of the week and the week's transitions, by DMC id only (16.1: anonymised, no Supplier Party names)."""
    records = DmctRegister(store).status_list(as_of=sunday)
    moved = [{"dmc": e["dmc"], "on": e["on_date"], "old": e["old"] or "-", "new": e["new"], "clause": e["clause"]}
             for e in events_between(store, monday, sunday)]
    return {"total": len(records), "counts": {k: v for k, v in counts_by_status(records).items() if v},
            "moved": moved}


def _trend_png(path: Path, trend: list[Point], title: str, pass_line: float = ak.SIT_FUNCTIONAL_PASS_RATE) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
    when = list(range(len(trend)))  # one point per run, labelled with its end: runs can be minutes or days apart
    executed = [100 * p.executed / p.planned if p.planned else 0 for p in trend]
    passed = [100 * p.passed / p.planned if p.planned else 0 for p in trend]
    # Okabe-Ito blue and orange with different markers and line styles: apart in any colour vision and in grey
    ax.plot(when, executed, marker="o", color="#0072B2", linewidth=2, label="executed / planned")
    ax.plot(when, passed, marker="s", color="#E69F00", linewidth=2, linestyle="--", label="passed / planned")
    ax.axhline(100 * pass_line, color="#6b6b6b", linestyle=":", linewidth=1.2,
               label=f"{100 * pass_line:g}% pass-rate line (Table 13.1 row 1)")
    for values, colour, lift in ((executed, "#0072B2", 4), (passed, "#E69F00", -12)):  # executed >= passed
        if values:
            ax.annotate(f"{values[-1]:.0f}%", (when[-1], values[-1]), textcoords="offset points", xytext=(8, lift),
                        color=colour, fontsize=9, fontweight="bold")
    ax.set_ylim(0, 108)
    ax.set_xlim(-0.4, max(len(trend) - 1, 1) + 0.8)
    ax.set_ylabel("% of planned tests")
    ax.grid(axis="y", color="#e6e6e6")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    step = max(1, len(trend) // 12)
    ax.set_xticks(when[::step], [f"run {p.run_id}\n{p.when:%d %b %H:%M}" for p in trend][::step], fontsize=8)
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)


def write_weekly(store: Store, campaign: str, week: str, output: Path) -> Path:
    parse_week(week)
    output_folder(output, "--output")  # before the store is read: a wrong path is said at once
    data = weekly_data(store, campaign, week)
    png = output / f"weekly-{week}.png"
    page = html.page("weekly.html.j2", **data, png=png.name, cells=data["counts"].by_group_and_dmc,
                     pass_line=ak.SIT_FUNCTIONAL_PASS_RATE)
    path = output / f"weekly-{week}.html"
    try:
        _trend_png(png, data["trend"], f"{campaign}: execution over the campaign to {data['sunday']}")
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise SvtadInputError("--output", f"cannot write the weekly report into '{output}': "
                              f"{exc.strerror or exc}") from None
    return path
