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
import multiprocessing
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Text, cast, func, literal_column, select
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

# the row: run id, node id, the plan's TTM ids and tags id, the result (outer join: None when the run has no result)
RUN, NODEID, TTM, TAGS, OUTCOME, ERROR, XFAILED, CRASHED, REASON, DURATION, EVIDENCE = range(11)
# a set of tags (svtad_tags, schema 7), the de-scoping as its JSON text
DMC, SRV, GROUP, REGRESSION, SEVERITY, DEFECT, DESCOPED, WITNESSED, CAUSE, PROVIDER = range(10)
Tags = tuple[Any, ...]
TagsReader = Callable[[Iterable[int]], dict[int, Tags]]


def campaign_query(dialect: str, run_ids: Sequence[int], low: str | None = None, high: str | None = None) -> str:
    """The ordered join as SQL text (run ids inlined: plain integers). JSON columns are read as their text. With
    ``low`` and/or ``high``: only node ids from ``low`` and below ``high`` (one part of a campaign read in
    parallel), compared as bytes like the order (SQLite's unary ``+`` keeps it walking the plan, not the node id
    index: a seek per test is slower than the whole join)."""
    p, r, n = t.plan_entries.c, t.results.c, t.tests.c
    nodeid_order = n.nodeid.collate("C") if dialect == "postgresql" else n.nodeid
    compared = n.nodeid.collate("C") if dialect == "postgresql" else literal_column(f"+{n.nodeid}")
    bounds = [*([compared >= low] if low is not None else []), *([compared < high] if high is not None else [])]
    query = select(p.run_id, n.nodeid, cast(p.ttm, Text), p.tags_id, r.outcome, r.error, r.xfailed, r.crashed,
                   r.reason, r.duration, cast(r.evidence, Text)).select_from(
        t.plan_entries.join(t.tests, n.id == p.test_id)
        .outerjoin(t.results, (r.run_id == p.run_id) & (r.test_id == p.test_id))
    ).where(p.run_id.in_([literal_column(str(int(run_id))) for run_id in run_ids]), *bounds).order_by(nodeid_order)
    return str(query.compile(compile_kwargs={"literal_binds": True}, dialect=_dialect(dialect)))


def tags_reader(dbapi: Any) -> TagsReader:
    """Sets of tags by id, read on ``dbapi`` (a connection of its own: on PostgreSQL the rows' connection is busy
    streaming them). Ids are plain integers, inlined."""
    g = t.plan_tags.c
    columns = ", ".join(f"CAST({g.descoped.name} AS TEXT)" if name == "descoped" else name
                        for name in ("id", *TAG_COLUMNS))

    def read(ids: Iterable[int]) -> dict[int, Tags]:
        wanted = sorted({int(tags_id) for tags_id in ids})
        found: dict[int, Tags] = {}
        cursor = dbapi.cursor()
        try:
            for start in range(0, len(wanted), 1000):
                cursor.execute(f"SELECT {columns} FROM {t.plan_tags.name} WHERE id IN "
                               f"({', '.join(map(str, wanted[start:start + 1000]))})")
                for tags_id, *values in cursor.fetchall():
                    found[tags_id] = tuple(values)
        finally:
            cursor.close()
        missing = set(wanted) - found.keys()
        if missing:
            raise StoreError(f"svtad_plan: tags id {min(missing)} is not in {t.plan_tags.name}")
        return found

    return read


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
    sort given ``PG_WORK_MEM`` for this transaction."""
    dialect = conn.dialect.name
    sql = campaign_query(dialect, run_ids, low, high)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor: Any = dbapi.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
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
    """What every planned test with the same tags (but its TTM ids) and result flags shares (a million tests have a
    few thousand kinds): its place in the tallies, and its line around the five values of its own (duration,
    evidence, node id, reason, TTM ids). ``pieces`` is None when its lines are written by ``model.result_line``
    (a de-scoped test, or records of another shape)."""

    __slots__ = ("n", "descoped", "pieces")

    def __init__(self, descoped: bool, pieces: tuple[str, str, str, str, str, str] | None) -> None:
        self.n = 0
        self.descoped = descoped
        self.pieces = pieces


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
              out: IO[str] | None = None) -> CampaignSummary:
    """One pass over the ordered rows: the campaign's tallies, and its results.jsonl lines written to ``out`` (when
    given, with ``common``: stage, release, sut_version, seed). ``read_tags``: the sets of tags the rows' tags ids
    name, read a batch at a time as new ids appear. ``run_order``: the run ids oldest first; ``exit_runs``: those
    on the stage-exit SUT version."""
    rank = {run_id: index for index, run_id in enumerate(run_order)}
    on_exit = frozenset(exit_runs)
    summary = CampaignSummary(exit_version, len(run_order))
    writing = out is not None and common is not None
    fast = writing and shape_known(common or {})
    release, seed, stage, sut_version = common_texts(common) if common is not None and fast else ("", "", "", "")
    decoded = _Decoded()
    ttms: dict[Any, _Ttm] = {}
    text = Encoded()
    passed, failed, not_run = Outcome.PASSED.value, Outcome.FAILED.value, Outcome.NOT_RUN.value
    known_outcomes = (passed, failed, not_run)
    # a test with no executed result: the result combine gives it, as the tail of a row
    not_run_tail = {regression: (not_run, False, False, False, not_run_reason(regression, exit_version), 0.0, None)
                    for regression in (False, True)}
    kinds: dict[tuple[Any, ...], _Kind] = {}
    tags: dict[int, Tags] = {}
    pending: list[str] = []
    untraced = summary.untraced

    def ttm(raw: Any) -> _Ttm:
        found = ttms.get(raw)
        if found is None:
            found = ttms[raw] = _Ttm(tuple(decoded[raw] or ()) if raw is not None else ())
        return found

    def kind_of(key: tuple[Any, ...]) -> _Kind:
        """``key``: a combined row's tags id .. crashed (``row[TAGS:REASON]``)."""
        tags_id, outcome, error, xfailed, crashed = key
        dmc, srv, group, regression, severity, defect, descoped, witnessed, cause, provider = tags[tags_id]
        if outcome not in known_outcomes:
            raise StoreError(f"svtad_results: an outcome {outcome!r}; expected one of {', '.join(known_outcomes)}")
        is_descoped = descoped not in NO_VALUE and bool(decoded[descoped])
        pieces = None
        if fast and not is_descoped:
            t, b = text, BOOL
            pieces = (f'{{"cause": {t[cause]}, "crashed": {b[bool(crashed)]}, "descoped": null, "dmc": {t[dmc]}, '
                      '"duration": ',
                      f', "error": {b[bool(error)]}, "evidence": ',
                      f', "functional_group": {t[group]}, "known_defect": {t[defect]}, "nodeid": ',
                      f', "outcome": {t[outcome]}, "provider": {t[provider]}, "reason": ',
                      f', "regression": {b[bool(regression)]}, "release": {release}, "seed": {seed}, '
                      f'"severity": {dumps(int(severity))}, "srv": {t[srv]}, "stage": {stage}, '
                      f'"sut_version": {sut_version}, "ttm": ',
                      f', "witnessed": {t[witnessed]}, "xfailed": {b[bool(xfailed)]}}}')
            probe = line(t[cause], b[bool(crashed)], "null", t[dmc], "0.0", b[bool(error)], "[]", t[group],
                         t[defect], '"n"', t[outcome], t[provider], '""', b[bool(regression)], release, seed,
                         dumps(int(severity)), t[srv], stage, sut_version, '["r"]', t[witnessed], b[bool(xfailed)])
            if probe != "".join((pieces[0], "0.0", pieces[1], "[]", pieces[2], '"n"', pieces[3], '""', pieces[4],
                                 '["r"]', pieces[5])):
                pieces = None  # the template and the pieces disagree: never trust the pieces
        kind = kinds[key] = _Kind(is_descoped, pieces)
        return kind

    def objects(row: Sequence[Any]) -> tuple[PlanEntry, Result]:
        """The records ``plan_and_results`` and ``combine`` build for a combined row (for the unusual lines)."""
        g = tags[row[TAGS]]
        value = None if g[DESCOPED] in NO_VALUE else decoded[g[DESCOPED]]
        entry = PlanEntry(row[NODEID], g[DMC], ttm(row[TTM]).ids, g[SRV], g[GROUP], bool(g[REGRESSION]),
                          int(g[SEVERITY]), g[DEFECT], Descoping.from_dict(value) if value else None,
                          g[WITNESSED], g[CAUSE], g[PROVIDER])
        evidence = row[EVIDENCE]
        value = None if evidence in NO_VALUE else decoded[evidence]
        reason = row[REASON]
        return entry, Result(row[NODEID], Outcome(row[OUTCOME]), bool(row[ERROR]), bool(row[XFAILED]),
                             bool(row[CRASHED]), "" if not reason else reason, float(row[DURATION] or 0.0),
                             list(value) if value else [])

    def combined(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        """Several runs planned the test: the newest run's tags, the newest executed result (regression: on the
        exit version only), as one row."""
        rows.sort(key=lambda row: rank[row[RUN]])
        plan = rows[-1]
        regression = bool(tags[plan[TAGS]][REGRESSION])
        for row in reversed(rows):
            outcome = row[OUTCOME]
            if outcome is not None and outcome not in known_outcomes:
                raise StoreError(f"svtad_results: test {row[NODEID]!r} of run {row[RUN]} has outcome "
                                 f"{outcome!r}; expected one of {', '.join(known_outcomes)}")
            if (outcome == passed or outcome == failed) and (not regression or row[RUN] in on_exit):
                return (*plan[:OUTCOME], *row[OUTCOME:])
        return (*plan[:OUTCOME], *not_run_tail[regression])

    def finish(row: tuple[Any, ...], more: list[tuple[Any, ...]]) -> None:
        """One planned test: its rows combined (``more``: its rows of other runs), tallied and its line written."""
        if more:
            row = combined([row, *more])
        else:
            outcome = row[OUTCOME]
            if not ((outcome == passed or outcome == failed)
                    and (row[RUN] in on_exit or not tags[row[TAGS]][REGRESSION])):
                if outcome is not None and outcome not in known_outcomes:
                    raise StoreError(f"svtad_results: test {row[NODEID]!r} of run {row[RUN]} has outcome "
                                     f"{outcome!r}; expected one of {', '.join(known_outcomes)}")
                row = (*row[:OUTCOME], *not_run_tail[bool(tags[row[TAGS]][REGRESSION])])
        key = row[TAGS:REASON]  # a tuple (DB-API rows and combined rows are tuples)
        kind = kinds.get(key) or kind_of(key)
        kind.n += 1
        raw_ttm = row[TTM]
        ttm_value = ttms.get(raw_ttm) or ttm(raw_ttm)
        records = None
        if kind.descoped:  # rare, and read whole: the SIT approval check reads the de-scoping (12.6(a))
            records = objects(row)
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
                if stored == "[]" or stored in NO_VALUE:
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
        pending.append(result_line(*(records or objects(row)), common or {}))

    def flush() -> None:
        if out is not None and pending:
            out.write("\n".join(pending) + "\n")
        pending.clear()

    previous: tuple[Any, ...] | None = None  # the test's first row, held until a row of another test arrives
    more: list[tuple[Any, ...]] = []  # its rows of other runs
    current: Any = None
    for batch in batches:
        new = {row[TAGS] for row in batch}.difference(tags)
        if new:
            tags.update(read_tags(new))
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
    _tally(summary, kinds, tags, ttms)
    return summary


def _tally(summary: CampaignSummary, kinds: dict[tuple[Any, ...], _Kind], tags: dict[int, Tags],
           ttms: dict[Any, _Ttm]) -> None:
    """The summary's counts from the kinds (``rules.counts.status_of`` for each kind, times its tests) and the
    requirements covered from the TTM values."""
    passed, failed = Outcome.PASSED.value, Outcome.FAILED.value
    for key, kind in kinds.items():
        tags_id, outcome = key[:2]
        dmc, _srv, group, regression, _severity, defect = tags[tags_id][:6]
        n = kind.n
        summary.planned += n
        if outcome == passed or outcome == failed:
            summary.executed += n
        if dmc:
            summary.dmcs.add(dmc)
        summary.tally[(bool(regression), dmc or NO_DMC, group, status_of(kind.descoped, Outcome(outcome),
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
            read_tags = tags_reader(tags_connection)
            if path is None:
                return summarize(read_rows(conn, run_order, low, high), read_tags, run_order, exit_runs,
                                 exit_version)
            with path.open("w", encoding="utf-8") as out:
                return summarize(read_rows(conn, run_order, low, high), read_tags, run_order, exit_runs,
                                 exit_version, common, out)
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
