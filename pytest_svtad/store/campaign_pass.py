"""A campaign's verdict read from the store in one pass (issue 18 item 2): the tallies the verdict needs
(``rules.campaign.CampaignSummary``) and the campaign's ``results.jsonl``, without a record per planned test.

The rows are the plan joined to its results, every run of the phase, ordered by node id: a planned test's rows
(one per run that planned it) arrive together, so the campaign rule (``rules.campaign.combine``: the newest run's
tags; the newest executed result, for a regression test only from runs on the stage-exit SUT version) is applied
to each test as its rows arrive, its line written and its status tallied, and nothing of it is kept. Memory is
one batch of rows and the tallies; the order is the one ``results.jsonl`` has always had (by node id: SQLite
compares text as bytes, PostgreSQL is told ``COLLATE "C"``, and both equal Python's order of str for UTF-8).

Every value is read and decoded as ``ResultRepository.plan_and_results`` reads it (the same JSON decoding, the
same defaults), and lines are written by ``result_lines.line`` (the fast path tested equal to
``model.result_line``) or, for anything unusual (a de-scoped test, a duration that is not a finite float, records
of another shape), by ``model.result_line`` over the records ``plan_and_results`` would have built: the file is
byte for byte the one the records gave. ``tests/test_campaign_pass.py`` holds the pass to ``combine``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import IO, Any

from sqlalchemy import Connection, Text, cast, literal_column, select

from pytest_svtad.model import NO_DMC, Descoping, Outcome, PlanEntry, Result, result_line
from pytest_svtad.result_lines import ASCII_STRING, BOOL, Encoded, common_texts, dumps, line, shape_known
from pytest_svtad.rules.campaign import CampaignSummary, not_run_reason
from pytest_svtad.store import schema as t
from pytest_svtad.store.issues import StoreError

BATCH = 20_000  # rows fetched at once
WRITE_BATCH = 10_000  # lines joined per write
NO_VALUE = (None, "null", "[]")  # JSON values stored for "nothing" (no evidence, not de-scoped)

# the row: run id, node id, the plan's tags, the result (outer join: None when the run has no result)
RUN, NODEID, DMC, TTM, SRV, GROUP, REGRESSION, SEVERITY, DEFECT, DESCOPED, WITNESSED = range(11)
OUTCOME, ERROR, XFAILED, CRASHED, REASON, DURATION, EVIDENCE = range(11, 18)


def campaign_query(dialect: str, run_ids: Sequence[int]) -> str:
    """The ordered join as SQL text (run ids inlined: plain integers). JSON columns are read as their text."""
    p, r, n = t.plan_entries.c, t.results.c, t.tests.c
    nodeid_order = n.nodeid.collate("C") if dialect == "postgresql" else n.nodeid
    query = select(p.run_id, n.nodeid, p.dmc, cast(p.ttm, Text), p.srv, p.functional_group, p.regression,
                   p.severity, p.known_defect, cast(p.descoped, Text), p.witnessed, r.outcome, r.error, r.xfailed,
                   r.crashed, r.reason, r.duration, cast(r.evidence, Text)).select_from(
        t.plan_entries.join(t.tests, n.id == p.test_id)
        .outerjoin(t.results, (r.run_id == p.run_id) & (r.test_id == p.test_id))
    ).where(p.run_id.in_([literal_column(str(int(run_id))) for run_id in run_ids])).order_by(nodeid_order)
    return str(query.compile(compile_kwargs={"literal_binds": True}, dialect=_dialect(dialect)))


def _dialect(name: str) -> Any:
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.dialect()
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


def read_rows(conn: Connection, run_ids: Sequence[int]) -> Iterable[Sequence[Sequence[Any]]]:
    """The rows in batches from the DB-API cursor (SQLAlchemy's per-row handling would be most of the cost); on
    PostgreSQL a server-side cursor, so the client never holds the whole result (it did: 868 MiB)."""
    dialect = conn.dialect.name
    sql = campaign_query(dialect, run_ids)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor: Any = dbapi.cursor(name="svtad_campaign") if dialect == "postgresql" else dbapi.cursor()  # type: ignore[call-arg]
    try:
        if dialect == "postgresql":
            cursor.itersize = BATCH
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        cursor.close()


class _Decoded(dict[Any, Any]):
    """A JSON column's text -> its value, decoded once per distinct text (a million rows share a few)."""

    def __missing__(self, raw: Any) -> Any:
        value = self[raw] = json.loads(raw) if isinstance(raw, str) else raw
        return value


def summarize(batches: Iterable[Sequence[Sequence[Any]]], run_order: Sequence[int], exit_runs: Iterable[int],
              exit_version: str | None, common: dict[str, Any] | None = None,
              out: IO[str] | None = None) -> CampaignSummary:
    """One pass over the ordered rows: the campaign's tallies, and its results.jsonl lines written to ``out`` (when
    given, with ``common``: stage, release, sut_version, seed). ``run_order``: the run ids oldest first;
    ``exit_runs``: those on the stage-exit SUT version."""
    rank = {run_id: index for index, run_id in enumerate(run_order)}
    on_exit = frozenset(exit_runs)
    summary = CampaignSummary(exit_version, len(run_order))
    tally, dmcs = summary.tally, summary.dmcs
    by_ttm: Counter[Any] = Counter()  # planned, not de-scoped tests per ttm text
    untraced, descoped_entries = summary.untraced, summary.descoped
    decoded = _Decoded()
    ttm_of: dict[Any, tuple[Any, ...]] = {}
    ttm_text: dict[Any, str] = {}
    writing = out is not None and common is not None
    fast = writing and shape_known(common or {})
    release, seed, stage, sut_version = common_texts(common) if common is not None and fast else ("", "", "", "")
    text = Encoded()
    severities, outcomes = Encoded(), Encoded()
    passed, failed, not_run = Outcome.PASSED.value, Outcome.FAILED.value, Outcome.NOT_RUN.value
    known_outcomes = (passed, failed, not_run)
    reasons = {False: not_run_reason(False, exit_version), True: not_run_reason(True, exit_version)}
    pending: list[str] = []
    executed = planned = 0
    ascii_string, true_false = ASCII_STRING, BOOL

    def objects(plan: Sequence[Any], chosen: Sequence[Any] | None, regression: bool) -> tuple[PlanEntry, Result]:
        """The records ``plan_and_results`` and ``combine`` build for this test (for the unusual lines)."""
        value = None if plan[DESCOPED] in NO_VALUE else decoded[plan[DESCOPED]]
        entry = PlanEntry(plan[NODEID], plan[DMC], ttm_of[plan[TTM]], plan[SRV], plan[GROUP], regression,
                          int(plan[SEVERITY]), plan[DEFECT], Descoping.from_dict(value) if value else None,
                          plan[WITNESSED])
        if chosen is None:
            return entry, Result(plan[NODEID], Outcome.NOT_RUN, reason=reasons[regression])
        evidence = chosen[EVIDENCE]
        value = None if evidence in NO_VALUE else decoded[evidence]
        reason = chosen[REASON]
        return entry, Result(plan[NODEID], Outcome(chosen[OUTCOME]), bool(chosen[ERROR]), bool(chosen[XFAILED]),
                             bool(chosen[CRASHED]), "" if not reason else reason, float(chosen[DURATION] or 0.0),
                             list(value) if value else [])

    def one_test(rows: list[Sequence[Any]]) -> None:
        nonlocal executed, planned
        if len(rows) == 1:
            plan = rows[0]
            regression = bool(plan[REGRESSION])
            outcome = plan[OUTCOME]
            chosen = plan if (outcome == passed or outcome == failed) and (
                not regression or plan[RUN] in on_exit) else None
            if outcome is not None and outcome not in known_outcomes:
                raise StoreError(f"svtad_results: test {plan[NODEID]!r} of run {plan[RUN]} has outcome "
                                 f"{outcome!r}; expected one of {', '.join(known_outcomes)}")
        else:
            rows.sort(key=lambda row: rank[row[RUN]])
            plan = rows[-1]  # the newest run's tags
            regression = bool(plan[REGRESSION])
            chosen = None
            for row in reversed(rows):
                outcome = row[OUTCOME]
                if outcome is not None and outcome not in known_outcomes:
                    raise StoreError(f"svtad_results: test {row[NODEID]!r} of run {row[RUN]} has outcome "
                                     f"{outcome!r}; expected one of {', '.join(known_outcomes)}")
                if (outcome == passed or outcome == failed) and (not regression or row[RUN] in on_exit):
                    chosen = row
                    break
        planned += 1
        raw_ttm = plan[TTM]
        if raw_ttm not in ttm_of:
            ttm_of[raw_ttm] = tuple(decoded[raw_ttm] or ()) if raw_ttm is not None else ()
        descoping = plan[DESCOPED]
        is_descoped = descoping not in NO_VALUE and bool(decoded[descoping])
        dmc, group = plan[DMC], plan[GROUP]
        if dmc:
            dmcs.add(dmc)
        outcome = chosen[OUTCOME] if chosen is not None else not_run
        if chosen is not None:
            executed += 1
        if is_descoped:
            status = "descoped"
            descoped_entries.append(objects(plan, chosen, regression)[0])
        else:
            status = outcome if outcome != failed or not plan[DEFECT] else "known"
            by_ttm[raw_ttm] += 1
            if not ttm_of[raw_ttm]:
                untraced.append(plan[NODEID])
        tally[(regression, dmc or NO_DMC, group, status)] += 1
        if not writing:
            return
        if is_descoped or not fast:
            pending.append(result_line(*objects(plan, chosen, regression), common or {}))
            return
        if chosen is None:
            duration, reason, evidence, error, xfailed, crashed = "0.0", text[reasons[regression]], "[]", False, \
                False, False
        else:
            number = float(chosen[DURATION] or 0.0)
            if not math.isfinite(number):
                pending.append(result_line(*objects(plan, chosen, regression), common or {}))
                return
            duration = repr(number)
            reason = chosen[REASON] or ""
            reason = text[reason] if len(reason) < 200 else ascii_string(reason)
            stored = chosen[EVIDENCE]
            value = None if stored in NO_VALUE else decoded[stored]
            evidence = dumps(list(value)) if value else "[]"
            error, xfailed, crashed = bool(chosen[ERROR]), bool(chosen[XFAILED]), bool(chosen[CRASHED])
        ttm = ttm_text.get(raw_ttm)
        if ttm is None:
            ttm = ttm_text[raw_ttm] = dumps(ttm_of[raw_ttm])
        pending.append(line(
            "null", true_false[crashed], "null", text[dmc], duration, true_false[error], evidence, text[group],
            text[plan[DEFECT]], ascii_string(plan[NODEID]), outcomes[outcome], "null", reason,
            true_false[regression], release, seed, severities[int(plan[SEVERITY])], text[plan[SRV]], stage,
            sut_version, ttm, text[plan[WITNESSED]], true_false[xfailed]))
        if len(pending) >= WRITE_BATCH:
            flush()

    def flush() -> None:
        if out is not None and pending:
            out.write("\n".join(pending) + "\n")
        pending.clear()

    rows: list[Sequence[Any]] = []
    current: Any = None
    for batch in batches:
        for row in batch:
            nodeid = row[NODEID]
            if nodeid != current:
                if rows:
                    one_test(rows)
                rows = [row]
                current = nodeid
            else:
                rows.append(row)
    if rows:
        one_test(rows)
    flush()
    summary.executed, summary.planned = executed, planned
    covering = summary.covering
    for raw_ttm, n in by_ttm.items():
        for rid in ttm_of[raw_ttm]:
            covering[rid] += n
    return summary

