"""A campaign's verdict read from the store in one pass (issue 18 item 2): the tallies the verdict needs
(``rules.campaign.CampaignSummary``) and the campaign's ``results.jsonl``, without a record per planned test.

The rows are the plan joined to its results, every run of the phase, ordered by node id: a planned test's rows
(one per run that planned it) arrive together, so the campaign rule (``rules.campaign.combine``: the newest run's
tags; the newest executed result, for a regression test only from runs on the stage-exit SUT version) is applied
to each test as its rows arrive, its line written and its status tallied, and nothing of it is kept. Memory is
one batch of rows and the tallies; the order is the one ``results.jsonl`` has always had (by node id: SQLite
compares text as bytes, PostgreSQL is told ``COLLATE "C"``, and both equal Python's order of str for UTF-8).
A row is seven values: run id, node id, TTM ids, a kind code the database computes from the plan's tags id
(schema 7) and the result's outcome and flags, and the result's reason, duration and evidence. Everything a kind
code stands for (the tags, read beside the rows; the decoded outcome and flags; the line's fixed parts) is worked
out once per code, not per row.

Every value is read and decoded as ``ResultRepository.plan_and_results`` reads it (the same JSON decoding, the
same defaults), and lines are written by ``result_lines.line`` (the fast path tested equal to
``model.result_line``) or, for anything unusual (a de-scoped test, a duration that is not a finite float, records
of another shape), by ``model.result_line`` over the records ``plan_and_results`` would have built: the file is
byte for byte the one the records gave. ``tests/test_campaign_pass.py`` holds the pass to ``combine``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy import BigInteger, Connection, Text, case, cast, func, literal_column, select
from sqlalchemy.exc import SQLAlchemyError

from pytest_svtad.model import NO_DMC, Descoping, Outcome, PlanEntry, Result, result_line
from pytest_svtad.result_lines import ASCII_STRING, BOOL, Encoded, common_texts, dumps, line, shape_known
from pytest_svtad.rules.campaign import CampaignSummary, not_run_reason
from pytest_svtad.rules.counts import status_of
from pytest_svtad.store import schema as t
from pytest_svtad.store.issues import StoreError
from pytest_svtad.store.tags import TAG_COLUMNS

BATCH = 20_000  # rows fetched at once
PG_WORK_MEM = "128MB"  # PostgreSQL's memory for this read's sort, per sort (its default, 4MB, sorts on disk)
WRITE_BATCH = 10_000  # lines joined per write
NO_VALUE = (None, "null", "[]")  # JSON values stored for "nothing" (no evidence, not de-scoped)

# the row: run id, node id, the plan's TTM ids (JSON text), its kind code, the result's reason, duration, evidence
RUN, NODEID, TTM, CODE, REASON, DURATION, EVIDENCE = range(7)
# the kind code: the plan's tags id and the result's outcome and flags in one integer, computed by the database:
# tags id << 6 | outcome << 3 | error << 2 | xfailed << 1 | crashed (a row of 7 values instead of 11: each value
# the driver hands over is an object made, and most of the read's cost)
OUTCOME_BITS = {Outcome.PASSED.value: 1, Outcome.FAILED.value: 2, Outcome.NOT_RUN.value: 3}
NO_RESULT, UNKNOWN = 0, 7  # the run has no result for the test (outer join); an outcome the rules do not know
OUTCOMES: dict[int, str | None] = {NO_RESULT: None, **{bits: value for value, bits in OUTCOME_BITS.items()}}
# a set of tags (svtad_tags, schema 7), the de-scoping as its JSON text
DMC, SRV, GROUP, REGRESSION, SEVERITY, DEFECT, DESCOPED, WITNESSED, CAUSE, PROVIDER = range(10)
Tags = tuple[Any, ...]
TagsReader = Callable[[Iterable[int]], dict[int, Tags]]
OutcomeReader = Callable[[int, str], Any]  # (run id, node id) -> the stored outcome, for the error message


def campaign_query(dialect: str, run_ids: Sequence[int], low: str | None = None, high: str | None = None) -> str:
    """The ordered join as SQL text (run ids inlined: plain integers). JSON columns are read as their text (on
    PostgreSQL cast; SQLite stores them as text), evidence ``[]`` as null. With ``low`` and/or ``high``: only node
    ids from ``low`` and below ``high`` (one part of a campaign read in parallel), compared as bytes like the order
    (SQLite's unary ``+`` keeps it walking the plan, not the node id index: a seek per test is slower than the
    whole join)."""
    p, r, n = t.plan_entries.c, t.results.c, t.tests.c
    pg = dialect == "postgresql"
    nodeid_order = n.nodeid.collate("C") if pg else n.nodeid
    compared = n.nodeid.collate("C") if pg else literal_column(f"+{n.nodeid}")
    bounds = [*([compared >= low] if low is not None else []), *([compared < high] if high is not None else [])]
    outcome = case(*((r.outcome == value, bits << 3) for value, bits in OUTCOME_BITS.items()),
                   (r.outcome.is_(None), NO_RESULT), else_=UNKNOWN << 3)
    flags = [case((column, bit), else_=0) for column, bit in ((r.error, 4), (r.xfailed, 2), (r.crashed, 1))]
    # no result: every flag's case is false; PostgreSQL's integer would overflow past 2**25 sets of tags
    code = (cast(p.tags_id, BigInteger) if pg else p.tags_id) * 64 + outcome + flags[0] + flags[1] + flags[2]
    query = select(p.run_id, n.nodeid, cast(p.ttm, Text) if pg else p.ttm, code, r.reason, r.duration,
                   func.nullif(cast(r.evidence, Text) if pg else r.evidence, "[]")).select_from(
        t.plan_entries.join(t.tests, n.id == p.test_id)
        .outerjoin(t.results, (r.run_id == p.run_id) & (r.test_id == p.test_id))
    ).where(p.run_id.in_([literal_column(str(int(run_id))) for run_id in run_ids]), *bounds).order_by(nodeid_order)
    return str(query.compile(compile_kwargs={"literal_binds": True}, dialect=_dialect(dialect)))


class SideReader:
    """What the pass looks up beside the rows, on a DB-API connection of its own (on PostgreSQL the rows'
    connection is busy streaming them): sets of tags by id (ids are plain integers, inlined), and a stored
    outcome the rules do not know."""

    def __init__(self, dbapi: Any, paramstyle: str) -> None:
        self.dbapi = dbapi
        self.mark = "?" if paramstyle == "qmark" else "%s"
        self.columns = ", ".join("CAST(descoped AS TEXT)" if name == "descoped" else name
                                 for name in ("id", *TAG_COLUMNS))

    def tags(self, ids: Iterable[int]) -> dict[int, Tags]:
        wanted = sorted({int(tags_id) for tags_id in ids})
        found: dict[int, Tags] = {}
        cursor = self.dbapi.cursor()
        try:
            for start in range(0, len(wanted), 1000):
                cursor.execute(f"SELECT {self.columns} FROM {t.plan_tags.name} WHERE id IN "
                               f"({', '.join(map(str, wanted[start:start + 1000]))})")
                for tags_id, *values in cursor.fetchall():
                    found[tags_id] = tuple(values)
        finally:
            cursor.close()
        missing = set(wanted) - found.keys()
        if missing:
            raise StoreError(f"svtad_plan: tags id {min(missing)} is not in {t.plan_tags.name}")
        return found

    def outcome(self, run_id: int, nodeid: str) -> Any:
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(f"SELECT r.outcome FROM {t.results.name} r JOIN {t.tests.name} s ON s.id = r.test_id "
                           f"WHERE r.run_id = {self.mark} AND s.nodeid = {self.mark}", (run_id, nodeid))
            row = cursor.fetchone()
        finally:
            cursor.close()
        return row[0] if row else None


def _dialect(name: str) -> Any:
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.dialect()
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


def read_rows(conn: Connection, run_ids: Sequence[int], low: str | None = None,
              high: str | None = None) -> Iterable[Sequence[tuple[Any, ...]]]:
    """The rows in batches from the DB-API cursor (SQLAlchemy's per-row handling would be most of the cost). On
    PostgreSQL streamed (psycopg's ``stream``, rows in chunks as the server sends them: the client never holds
    the whole result, which took 868 MiB, and unlike a server-side cursor the server may sort in parallel), the
    sort given ``PG_WORK_MEM`` for this transaction, and no JIT compilation."""
    dialect = conn.dialect.name
    sql = campaign_query(dialect, run_ids, low, high)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor: Any = dbapi.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
            # JIT compiling the plan costs each of the query's processes about 0.1 s of CPU, which the two
            # parts read at once pay on the cores they share; the join and sort gain nothing from it
            cursor.execute("SET LOCAL jit = off")
            rows = cursor.stream(sql, size=BATCH)
            while batch := list(islice(rows, BATCH)):
                yield batch
            return
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


class _Kind:
    """What every planned test with the same kind code (tags but its TTM ids, result outcome and flags) shares (a
    million tests have a few thousand kinds): its values, its place in the tallies, and its line around the five
    values of its own (duration, evidence, node id, reason, TTM ids). ``pieces`` is None when its lines are
    written by ``model.result_line`` (a de-scoped test, or records of another shape); ``executed``: passed or
    failed, a result the campaign rule may take."""

    __slots__ = ("n", "tags", "outcome", "error", "xfailed", "crashed", "regression", "executed", "descoped",
                 "not_run_code", "pieces")

    def __init__(self, code: int, tags: Tags, descoped: bool) -> None:
        self.n = 0
        self.tags = tags
        self.outcome = OUTCOMES[code >> 3 & 7]
        self.error, self.xfailed, self.crashed = bool(code & 4), bool(code & 2), bool(code & 1)
        self.regression = bool(tags[REGRESSION])
        self.executed = self.outcome in (Outcome.PASSED.value, Outcome.FAILED.value)
        self.descoped = descoped
        self.not_run_code = (code >> 6) << 6 | OUTCOME_BITS[Outcome.NOT_RUN.value] << 3  # no flags
        self.pieces: tuple[str, str, str, str, str, str] | None = None


class _Ttm:
    """One stored TTM value: its requirement ids, its text in a line, how many planned, not de-scoped tests
    carry it."""

    __slots__ = ("ids", "text", "n")

    def __init__(self, ids: tuple[Any, ...]) -> None:
        self.ids = ids
        self.text = dumps(ids)
        self.n = 0


def summarize(batches: Iterable[Sequence[tuple[Any, ...]]], read_tags: TagsReader, run_order: Sequence[int],
              exit_runs: Iterable[int], exit_version: str | None, common: dict[str, Any] | None = None,
              out: IO[str] | None = None, read_outcome: OutcomeReader | None = None) -> CampaignSummary:
    """One pass over the ordered rows: the campaign's tallies, and its results.jsonl lines written to ``out`` (when
    given, with ``common``: stage, release, sut_version, seed). ``read_tags``: the sets of tags the rows' tags ids
    name, read a batch of rows at a time as new ids appear; ``read_outcome``: a stored outcome the rules do not
    know, for the error that names it. ``run_order``: the run ids oldest first; ``exit_runs``: those on the
    stage-exit SUT version."""
    rank = {run_id: index for index, run_id in enumerate(run_order)}
    on_exit = frozenset(exit_runs)
    summary = CampaignSummary(exit_version, len(run_order))
    writing = out is not None and common is not None
    fast = writing and shape_known(common or {})
    release, seed, stage, sut_version = common_texts(common) if common is not None and fast else ("", "", "", "")
    decoded = _Decoded()
    ttms: dict[Any, _Ttm] = {}
    text = Encoded()
    known_outcomes = tuple(OUTCOME_BITS)
    # why a test with no executed result is not run (the result combine gives it), by its regression flag
    not_run_reason_of = {regression: not_run_reason(regression, exit_version) for regression in (False, True)}
    kinds: dict[int, _Kind] = {}
    tags: dict[int, Tags] = {}
    pending: list[str] = []
    untraced = summary.untraced
    batch: Sequence[tuple[Any, ...]] = ()

    def ttm(raw: Any) -> _Ttm:
        found = ttms.get(raw)
        if found is None:
            found = ttms[raw] = _Ttm(tuple(decoded[raw] or ()) if raw is not None else ())
        return found

    def kind_of(code: int, row: Sequence[Any]) -> _Kind:
        """The kind of ``code``, first met in ``row``."""
        if code >> 3 & 7 == UNKNOWN:
            outcome = read_outcome(row[RUN], row[NODEID]) if read_outcome is not None else "?"
            raise StoreError(f"svtad_results: test {row[NODEID]!r} of run {row[RUN]} has outcome {outcome!r}; "
                             f"expected one of {', '.join(known_outcomes)}")
        tags_id = code >> 6
        if tags_id not in tags:  # every set the batch names that is not read yet, at once
            tags.update(read_tags(({other[CODE] >> 6 for other in batch} | {tags_id}).difference(tags)))
        g = tags[tags_id]
        descoped = g[DESCOPED]
        kind = kinds[code] = _Kind(code, g, descoped not in NO_VALUE and bool(decoded[descoped]))
        if fast and not kind.descoped and kind.outcome is not None:
            dmc, srv, group, regression, severity, defect, _descoped, witnessed, cause, provider = g
            t, b = text, BOOL
            error, xfailed, crashed, outcome = b[kind.error], b[kind.xfailed], b[kind.crashed], t[kind.outcome]
            pieces = (f'{{"cause": {t[cause]}, "crashed": {crashed}, "descoped": null, "dmc": {t[dmc]}, '
                      '"duration": ',
                      f', "error": {error}, "evidence": ',
                      f', "functional_group": {t[group]}, "known_defect": {t[defect]}, "nodeid": ',
                      f', "outcome": {outcome}, "provider": {t[provider]}, "reason": ',
                      f', "regression": {b[bool(regression)]}, "release": {release}, "seed": {seed}, '
                      f'"severity": {dumps(int(severity))}, "srv": {t[srv]}, "stage": {stage}, '
                      f'"sut_version": {sut_version}, "ttm": ',
                      f', "witnessed": {t[witnessed]}, "xfailed": {xfailed}}}')
            probe = line(t[cause], crashed, "null", t[dmc], "0.0", error, "[]", t[group], t[defect], '"n"',
                         outcome, t[provider], '""', b[bool(regression)], release, seed, dumps(int(severity)),
                         t[srv], stage, sut_version, '["r"]', t[witnessed], xfailed)
            if probe == "".join((pieces[0], "0.0", pieces[1], "[]", pieces[2], '"n"', pieces[3], '""', pieces[4],
                                 '["r"]', pieces[5])):
                kind.pieces = pieces  # else the template and the pieces disagree: never trust the pieces
        return kind

    def objects(row: Sequence[Any], kind: _Kind) -> tuple[PlanEntry, Result]:
        """The records ``plan_and_results`` and ``combine`` build for a combined row (for the unusual lines)."""
        g = kind.tags
        value = None if g[DESCOPED] in NO_VALUE else decoded[g[DESCOPED]]
        entry = PlanEntry(row[NODEID], g[DMC], ttm(row[TTM]).ids, g[SRV], g[GROUP], kind.regression,
                          int(g[SEVERITY]), g[DEFECT], Descoping.from_dict(value) if value else None,
                          g[WITNESSED], g[CAUSE], g[PROVIDER])
        evidence = row[EVIDENCE]
        value = None if evidence in NO_VALUE else decoded[evidence]
        reason = row[REASON]
        return entry, Result(row[NODEID], Outcome(str(kind.outcome)), kind.error, kind.xfailed, kind.crashed,
                             "" if not reason else reason, float(row[DURATION] or 0.0), list(value) if value else [])

    def combined(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        """Several runs planned the test: the newest run's tags, the newest executed result (regression: on the
        exit version only), as one row."""
        rows.sort(key=lambda row: rank[row[RUN]])
        plan = rows[-1]
        plan_kind = kinds.get(plan[CODE]) or kind_of(plan[CODE], plan)
        for row in reversed(rows):
            kind = kinds.get(row[CODE]) or kind_of(row[CODE], row)
            if kind.executed and (not plan_kind.regression or row[RUN] in on_exit):
                return (*plan[:CODE], (plan[CODE] >> 6) << 6 | (row[CODE] & 63), *row[REASON:])
        return (*plan[:CODE], plan_kind.not_run_code, not_run_reason_of[plan_kind.regression], 0.0, None)

    def finish(row: tuple[Any, ...], more: list[tuple[Any, ...]]) -> None:
        """One planned test: its rows combined (``more``: its rows of other runs), tallied and its line written."""
        if more:
            row = combined([row, *more])
            code = row[CODE]
            kind = kinds.get(code) or kind_of(code, row)
        else:
            code = row[CODE]
            kind = kinds.get(code) or kind_of(code, row)
            if not (kind.executed and (row[RUN] in on_exit or not kind.regression)):
                row = (*row[:CODE], kind.not_run_code, not_run_reason_of[kind.regression], 0.0, None)
                code = row[CODE]
                kind = kinds.get(code) or kind_of(code, row)
        kind.n += 1
        raw_ttm = row[TTM]
        ttm_value = ttms.get(raw_ttm) or ttm(raw_ttm)
        records = None
        if kind.descoped:  # rare, and read whole: the SIT approval check reads the de-scoping (12.6(a))
            records = objects(row, kind)
            summary.descoped.append(records[0])
        else:
            ttm_value.n += 1
            if not ttm_value.ids:
                untraced.append(row[NODEID])
        if not writing:
            return
        pieces = kind.pieces
        if pieces is not None:
            duration = repr(float(row[DURATION] or 0.0))
            if "n" not in duration:  # inf, nan: the JSON encoder's own spelling, below
                reason = row[REASON] or ""
                stored = row[EVIDENCE]
                if stored is None or stored in NO_VALUE:
                    evidence = "[]"
                else:
                    value = decoded[stored]
                    evidence = dumps(list(value)) if value else "[]"
                pending.append(f"{pieces[0]}{duration}{pieces[1]}{evidence}{pieces[2]}{ASCII_STRING(row[NODEID])}"
                               f"{pieces[3]}{text[reason] if len(reason) < 200 else ASCII_STRING(reason)}"
                               f"{pieces[4]}{ttm_value.text}{pieces[5]}")
                if len(pending) >= WRITE_BATCH:
                    flush()
                return
        pending.append(result_line(*(records or objects(row, kind)), common or {}))

    def flush() -> None:
        if out is not None and pending:
            out.write("\n".join(pending) + "\n")
        pending.clear()

    previous: tuple[Any, ...] | None = None  # the test's first row, held until a row of another test arrives
    more: list[tuple[Any, ...]] = []  # its rows of other runs
    current: Any = None
    for batch in batches:
        for row in batch:
            if row[NODEID] == current:
                more.append(row)
                continue
            if previous is not None:
                finish(previous, more)
                if more:
                    more = []
            previous, current = row, row[NODEID]
    if previous is not None:
        finish(previous, more)
    flush()
    _tally(summary, kinds, ttms)
    return summary


def _tally(summary: CampaignSummary, kinds: dict[int, _Kind], ttms: dict[Any, _Ttm]) -> None:
    """The summary's counts from the kinds (``rules.counts.status_of`` for each kind, times its tests) and the
    requirements covered from the TTM values."""
    for kind in kinds.values():
        n = kind.n
        if not n:
            continue
        dmc, group, defect = kind.tags[DMC], kind.tags[GROUP], kind.tags[DEFECT]
        summary.planned += n
        if kind.executed:
            summary.executed += n
        if dmc:
            summary.dmcs.add(dmc)
        summary.tally[(kind.regression, dmc or NO_DMC, group, status_of(kind.descoped, Outcome(str(kind.outcome)),
                                                                       defect))] += n
    for value in ttms.values():
        for rid in value.ids:
            summary.covering[rid] += value.n


# -- a large campaign read in two parts at once ------------------------------------------------------------------

PARALLEL_FROM = 100_000  # test ids in the store from which a campaign is read in parts (not an SVTAD number)
SAMPLE = 1_000  # test ids sampled to cut the node ids into parts of about equal size


def split_points(conn: Connection, parts: int) -> list[str]:
    """Node ids cutting the store's tests into ``parts`` ranges of about equal size (from a sample of evenly
    spaced test ids; every node id falls in exactly one range whatever the sample): none for a small store."""
    column = t.tests.c
    # one aggregate per SELECT: SQLite answers min() or max() alone from the key, both in one SELECT by a scan
    low, high = conn.execute(select(select(func.min(column.id)).scalar_subquery(),
                                    select(func.max(column.id)).scalar_subquery())).one()
    if parts < 2 or low is None or high - low < PARALLEL_FROM:
        return []
    step = max(1, (high - low) // SAMPLE)
    sample = sorted(nodeid for (nodeid,) in conn.execute(
        select(column.nodeid).where(column.id.in_(list(range(low, high + 1, step))))))
    return sorted({sample[len(sample) * k // parts] for k in range(1, parts)} - {sample[0]}) if sample else []


def summarize_parts(store: Any, run_order: Sequence[int], exit_runs: Sequence[int], exit_version: str | None,
                    common: dict[str, Any] | None, path: Path | None, parts: int) -> CampaignSummary:
    """``summarize`` over the store (``pytest_svtad.store.db.Store``), its lines written to ``path``: on a large
    store in ``parts`` node-id ranges at once, the first in this process and each other one in a forked process
    of its own (its own connection; its lines in a file of its own, appended here in order), the summaries
    merged. The bytes and tallies are the same as one pass's (each test's rows fall in one range)."""
    if not run_order:  # nothing to read
        if path is not None:
            path.write_text("", encoding="utf-8")
        return summarize((), lambda _ids: {}, run_order, exit_runs, exit_version)
    with store._reading("read the campaign's plans and results") as conn:
        # forked processes only where fork is safe and cheap (Linux); elsewhere one pass
        cuts = split_points(conn, parts) if parts > 1 and sys.platform.startswith("linux") else []
    ranges = list(zip([None, *cuts], [*cuts, None], strict=True))
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for index, (low, high) in enumerate(ranges[1:], 1):
            part = path.with_name(f"{path.name}.{index}") if path is not None else None
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_part, daemon=True, args=(
                store, run_order, exit_runs, exit_version, common, part, low, high, send))
            process.start()
            send.close()
            children.append((process, receive, part))
        summary = _summarize_range(store, run_order, exit_runs, exit_version, common, path, *ranges[0])
        for process, receive, part in children:
            try:
                status, value = receive.recv()
            except EOFError:
                status, value = "error", f"the process reading a part of the campaign ended (exit {process.exitcode})"
            process.join()
            if status == "oserror":
                raise OSError(value)
            if status != "ok":
                raise StoreError(value)
            summary.merge(value)
            if path is not None and part is not None:
                _append(path, part)
        return summary
    finally:
        for process, receive, part in children:
            if process.is_alive():
                process.kill()
            process.join()
            receive.close()
            if part is not None:
                part.unlink(missing_ok=True)


def _append(path: Path, part: Path) -> None:
    """``part``'s bytes after ``path``'s: in the kernel where it can (``copy_file_range``), else through a buffer."""
    with path.open("r+b") as whole, part.open("rb") as piece:  # not "ab": copy_file_range refuses O_APPEND
        whole.seek(0, os.SEEK_END)
        size = os.fstat(piece.fileno()).st_size
        copy = getattr(os, "copy_file_range", None)
        done = 0
        try:
            while copy is not None and done < size and (n := copy(piece.fileno(), whole.fileno(), size - done)):
                done += n
        except OSError:
            pass  # not on this file system: the buffer below copies what is left
        if done < size:
            piece.seek(done)
            whole.seek(0, os.SEEK_END)
            shutil.copyfileobj(piece, whole, 1 << 23)


def _summarize_range(store: Any, run_order: Sequence[int], exit_runs: Sequence[int], exit_version: str | None,
                     common: dict[str, Any] | None, path: Path | None, low: str | None,
                     high: str | None) -> CampaignSummary:
    with store._reading("read the campaign's plans and results") as conn:
        tags_connection = None
        try:
            # the sets of tags on a connection of their own: on PostgreSQL this one streams the rows
            tags_connection = store.engine.raw_connection()
            side = SideReader(tags_connection, conn.dialect.paramstyle)
            if path is None:
                return summarize(read_rows(conn, run_order, low, high), side.tags, run_order, exit_runs,
                                 exit_version, read_outcome=side.outcome)
            with path.open("w", encoding="utf-8") as out:
                return summarize(read_rows(conn, run_order, low, high), side.tags, run_order, exit_runs,
                                 exit_version, common, out, side.outcome)
        except (conn.dialect.loaded_dbapi.Error, SQLAlchemyError) as exc:  # the DB-API cursors' own errors
            text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            raise StoreError(f"cannot read the campaign's plans and results in store {store.name}: "
                             f"{text[0] if text else type(exc).__name__}") from None
        finally:
            if tags_connection is not None:
                tags_connection.close()


def _part(store: Any, run_order: Sequence[int], exit_runs: Sequence[int], exit_version: str | None,
          common: dict[str, Any] | None, path: Path | None, low: str | None, high: str | None, send: Any) -> None:
    """A forked process's part: the parent's connections are left alone (``dispose(close=False)``), the result
    or one line of error sent back."""
    try:
        store.engine.dispose(close=False)
        send.send(("ok", _summarize_range(store, run_order, exit_runs, exit_version, common, path, low, high)))
    except OSError as exc:  # writing its lines: the parent reports it as it reports its own
        send.send(("oserror", exc.strerror or str(exc)))
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the parent says it in one line
        send.send(("error", f"{type(exc).__name__}: {exc}" if not isinstance(exc, StoreError) else str(exc)))
    finally:
        send.close()
