"""The weekly execution report (16.1-16.4) of a campaign: progress and pass rate over time, by functional group
and DMC, and the Testing Issues opened and closed in the week. HTML (Jinja2, autoescaped) with a PNG trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from pytest_svtad.cli.input import FIRST_YEAR, LAST_YEAR, output_folder
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.rules.campaign import CampaignRun, combine
from pytest_svtad.rules.counts import Counts, count
from pytest_svtad.store.db import Store


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
    return {"campaign": campaign, "week": week, "monday": monday, "sunday": sunday, "trend": trend,
            "week_runs": [r for r in runs if _aware(r["started_at"]) >= start], "counts": counts,
            "groups": groups, "dmcs": dmcs, "opened": opened, "closed": closed,
            "open_now": [i for i in issues if i["status"] != "closed"], "exit_version": view.exit_version}


def _trend_png(path: Path, trend: list[Point], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    when = list(range(len(trend)))  # one point per run, labelled with its end: runs can be minutes or days apart
    ax.plot(when, [100 * p.executed / p.planned if p.planned else 0 for p in trend], marker="o",
            label="executed / planned")
    ax.plot(when, [100 * p.passed / p.planned if p.planned else 0 for p in trend], marker="s",
            label="passed / planned")
    ax.axhline(90, color="#999999", linestyle="--", linewidth=1, label="90% (Table 13.1 row 1)")
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of planned tests")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    step = max(1, len(trend) // 12)
    ax.set_xticks(when[::step], [f"run {p.run_id}\n{p.when:%d %b %H:%M}" for p in trend][::step], fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Weekly execution report {{ week }}: {{ campaign }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222} table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right} th{background:#f3f3f3} td.l,th.l{text-align:left}
.na{color:#aaa}
</style></head><body>
<h1>Weekly execution report (SVTAD 16.1-16.4)</h1>
<p>Campaign <b>{{ campaign }}</b>, week {{ week }} ({{ monday }} to {{ sunday }}). Counts are against the plan of
the whole campaign as it stood at the end of the week: each planned test's latest executed result; regression on
SUT version {{ exit_version or "(unstated)" }}.</p>
<h2>Progress</h2>
<img src="{{ png }}" alt="execution and pass rate over the campaign's runs" width="880">
<table><tr><th class="l">run</th><th class="l">ended</th><th>planned</th><th>executed</th><th>passed</th></tr>
{% for p in trend %}<tr><td class="l">{{ p.run_id }}</td><td class="l">{{ p.when.strftime("%Y-%m-%d %H:%M") }}</td>
<td>{{ p.planned }}</td><td>{{ p.executed }}</td><td>{{ p.passed }}</td></tr>{% endfor %}</table>
<p>{{ week_runs|length }} runs started this week.</p>
<h2>Coverage by functional group and DMC (16.4)</h2>
<table><tr><th class="l">functional group</th>{% for d in dmcs %}<th>{{ d }}</th>{% endfor %}</tr>
{% for g in groups %}<tr><td class="l">{{ g }}</td>{% for d in dmcs %}{% set c = cells.get((g, d)) %}
<td>{% if c and c.planned %}{{ c.executed }}/{{ c.planned }} run,
{{ "%.0f"|format(100 * c.passed / c.planned) }}% passed{% else %}<span class="na">-</span>{% endif %}</td>
{% endfor %}</tr>{% endfor %}</table>
<h2>Testing Issues</h2>
<p>Opened this week: {{ opened|length }}; closed this week: {{ closed|length }};
not closed now: {{ open_now|length }}.</p>
<table><tr><th class="l">issue</th><th>severity</th><th class="l">status</th><th class="l">first seen</th>
<th class="l">title</th></tr>
{% for i in opened %}<tr><td class="l">{{ i.id }}</td><td>{{ i.severity }}</td><td class="l">{{ i.status }}</td>
<td class="l">{{ i.first_seen }}</td><td class="l">{{ i.title }}</td></tr>{% endfor %}</table>
{% if closed %}<p>Closed: {% for i in closed %}{{ i.id }}{% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
</body></html>
"""


def write_weekly(store: Store, campaign: str, week: str, output: Path) -> Path:
    parse_week(week)
    output_folder(output, "--output")  # before the store is read: a wrong path is said at once
    data = weekly_data(store, campaign, week)
    png = output / f"weekly-{week}.png"
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    page = env.from_string(TEMPLATE).render(**data, png=png.name, cells=data["counts"].by_group_and_dmc)
    path = output / f"weekly-{week}.html"
    try:
        _trend_png(png, data["trend"], f"{campaign}: execution over the campaign to {data['sunday']}")
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise SvtadInputError("--output", f"cannot write the weekly report into '{output}': "
                              f"{exc.strerror or exc}") from None
    return path
