"""Ordered upgrade steps of the campaign store's schema, run at open inside the opening transaction.

Each step takes a store at version N to N+1 and may only add: new columns, new tables, rows rewritten into a new
table shape. ``SCHEMA_VERSION`` is the newest; a store newer than that is refused (upgrade pytest-svtad).

- 1 -> 2: Testing Issues belong to their Test Phase (stage + release) and campaign (13.18): the issues table gets
  a surrogate key, a phase key, cause, provider, test key, origin, related issues and agreements to count; v1 ids
  (one per failing test *and DMC*, hashed from the node id alone) become the v2 ids of their phase (one per test,
  DMCs merged: 13.19 counts issues, not DMCs), with the old id kept in the issue's history. The plan gets cause
  and provider; Work Off Plans and issue history get their tables.
- 2 -> 3: a run keeps the TTM and criteria it used (``ttm``, ``criteria``: JSON, null for the runs before), so a
  campaign's verdict read from the store judges by what its sessions judged by.
- 3 -> 4 (``_integer_test_ids``): each node id is stored once, in ``svtad_tests``, and plans and results refer to
  it by an integer ``test_id`` (the node id column leaves them): a campaign of a million results no longer reads,
  compares and stores each long node id twice. The ids are given in node id order; the rows are copied as they
  were.
- 4 -> 5 (``_add_dmct_process``): the DMCT Process's tables (Status List, transitions, submissions, Testing Issue
  routes; Clause 20), created only where missing.
- 5 -> 6 (``_add_schedule_and_gates``): the DMCT Schedule's versions (20.9-20.10) and the Entry Criteria
  sign-offs (12.5(a), (b), (e)) get their tables, and so do the Entry Criteria each session found at its start;
  nothing existing changes.
- 6 -> 7 (``_plan_tags``): a plan entry's tags but its TTM ids move to ``svtad_tags``, each distinct set once, and
  the entry refers to its set by ``tags_id``: a campaign read fetches four plan columns, not thirteen. Every entry
  keeps its values (read back equal); the plan is copied in primary key order, in batches.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    insert,
    inspect,
    select,
    text,
    tuple_,
)

from pytest_svtad.model import test_key as strip_dmc
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.issues import TestingIssue, issue_id_for, stored_values
from pytest_svtad.store import schema as t
from pytest_svtad.store.tags import TAG_COLUMNS, tags_key

SCHEMA_VERSION = 7
RUN_COLUMNS_3 = ("ttm", "criteria")  # the run columns schema 3 added
DMCT_TABLES_5 = ("svtad_dmct_dmcs", "svtad_dmct_events", "svtad_dmct_submissions", "svtad_dmct_routes")
TABLES_6 = ("svtad_dmct_schedules", "svtad_entry_signoffs", "svtad_entry_checks")  # the tables schema 6 added
COPY_BATCH = 20_000  # plan rows copied at once by the 6 -> 7 step


def _plan_6(metadata: MetaData, name: str = "svtad_plan") -> Table:
    """The plan as schemas 4 to 6 had it: keyed by (run, test id), every tag in a column of its own."""
    return Table(
        name, metadata,
        Column("run_id", Integer, ForeignKey("svtad_runs.id", ondelete="CASCADE"), primary_key=True),
        Column("test_id", Integer, ForeignKey("svtad_tests.id"), primary_key=True),
        Column("dmc", String(100), nullable=True), Column("ttm", JSON, nullable=False, default=list),
        Column("srv", String(20), nullable=True), Column("functional_group", String(200), nullable=False),
        Column("regression", Boolean, nullable=False, default=False),
        Column("severity", Integer, nullable=False, default=3), Column("known_defect", String(100), nullable=True),
        Column("descoped", JSON, nullable=True), Column("witnessed", String(200), nullable=True),
        Column("cause", String(20), nullable=True), Column("provider", String(100), nullable=True),
        sqlite_with_rowid=False)


def legacy_metadata(version: int) -> MetaData:
    """The tables as version ``version`` had them (for the upgrade steps, and for tests that build old stores)."""
    if version not in (1, 2, 3, 4, 5, 6):
        raise ValueError(f"no legacy schema {version}")
    old = MetaData()
    if version in (4, 5, 6):  # every table of today but those the later schemas added, and the plan of then
        later = {4: (*DMCT_TABLES_5, *TABLES_6), 5: TABLES_6, 6: ()}[version]
        for table in t.metadata.tables.values():
            if table.name not in (*later, t.plan_tags.name, t.plan_entries.name):
                table.to_metadata(old)
        _plan_6(old)
        return old
    for table in (t.meta, *((t.issues, t.issue_events, t.work_off_plans) if version >= 2 else ())):
        table.to_metadata(old)
    if version == 3:
        t.runs.to_metadata(old)
    else:
        Table("svtad_runs", old,
              Column("id", Integer, primary_key=True, autoincrement=True),
              Column("campaign", String(200), nullable=True, index=True), Column("stage", String(20), nullable=False),
              Column("release", String(10), nullable=True), Column("sut_version", String(100), nullable=True),
              Column("seed", Integer, nullable=False, default=0),
              Column("host", String(200), nullable=False, default=""),
              Column("started_at", DateTime(timezone=True), nullable=False),
              Column("ended_at", DateTime(timezone=True), nullable=True),
              Column("status", String(20), nullable=False),
              Column("firmware", JSON, nullable=False, default=dict), Column("verdict", String(10), nullable=True))
    # plans and results keyed by node id (schema 4 keys them by an integer test id)
    Table("svtad_plan", old,
          Column("run_id", Integer, ForeignKey("svtad_runs.id", ondelete="CASCADE"), primary_key=True),
          Column("nodeid", Text, primary_key=True), Column("dmc", String(100), nullable=True),
          Column("ttm", JSON, nullable=False, default=list), Column("srv", String(20), nullable=True),
          Column("functional_group", String(200), nullable=False),
          Column("regression", Boolean, nullable=False, default=False),
          Column("severity", Integer, nullable=False, default=3), Column("known_defect", String(100), nullable=True),
          Column("descoped", JSON, nullable=True), Column("witnessed", String(200), nullable=True),
          *((Column("cause", String(20), nullable=True), Column("provider", String(100), nullable=True))
            if version >= 2 else ()))
    Table("svtad_results", old,
          Column("run_id", Integer, ForeignKey("svtad_runs.id", ondelete="CASCADE"), primary_key=True),
          Column("nodeid", Text, primary_key=True), Column("outcome", String(10), nullable=False),
          Column("error", Boolean, nullable=False, default=False),
          Column("xfailed", Boolean, nullable=False, default=False),
          Column("crashed", Boolean, nullable=False, default=False),
          Column("reason", Text, nullable=False, default=""), Column("duration", Float, nullable=False, default=0.0),
          Column("evidence", JSON, nullable=False, default=list))
    if version >= 2:
        return old
    Table("svtad_issues", old,
          Column("id", String(100), primary_key=True), Column("title", Text, nullable=False),
          Column("severity", Integer, nullable=False), Column("status", String(20), nullable=False),
          Column("known_defect", Boolean, nullable=False, default=False),
          Column("tag_agreed", Boolean, nullable=False, default=False),
          Column("rationale", Text, nullable=False, default=""), Column("stage", String(20), nullable=False),
          Column("release", String(10), nullable=True), Column("campaign", String(200), nullable=True),
          Column("dmcs", JSON, nullable=False, default=list), Column("tests", JSON, nullable=False, default=list),
          Column("epcl_entries", JSON, nullable=False, default=list),
          Column("first_seen", DateTime(timezone=True), nullable=False),
          Column("last_seen", DateTime(timezone=True), nullable=False),
          Column("closed_at", DateTime(timezone=True), nullable=True))
    return old


def inserted_id(result: Any) -> int:
    """The primary key an INSERT created."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def phase_key(stage: str, release: str | None, campaign: str | None) -> str:
    return "\x1f".join((stage, release or "", campaign or ""))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _status_of(statuses: set[str]) -> str:
    return "open" if "open" in statuses else "excluded" if "excluded" in statuses else "closed"


def _upgrade_1_to_2(conn: Connection) -> None:
    columns = {column["name"] for column in inspect(conn).get_columns("svtad_plan")}
    for name, sql_type in (("cause", "VARCHAR(20)"), ("provider", "VARCHAR(100)")):
        if name not in columns:
            conn.execute(text(f"ALTER TABLE svtad_plan ADD COLUMN {name} {sql_type}"))
    v1_issues = legacy_metadata(1).tables["svtad_issues"]
    old = [dict(row) for row in conn.execute(select(v1_issues)).mappings()]
    conn.execute(text("DROP INDEX IF EXISTS ix_svtad_issues_stage_status"))
    conn.execute(text("DROP TABLE svtad_issues"))
    t.issues.create(conn)
    for index in t.issues.indexes:
        if index.name != "ix_svtad_issues_stage_status":
            index.create(conn, checkfirst=True)
    t.issue_events.create(conn, checkfirst=True)
    t.work_off_plans.create(conn, checkfirst=True)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in old:
        dmcs, tests = list(_json(row["dmcs"]) or []), list(_json(row["tests"]) or [])
        key = phase_key(row["stage"], row["release"], row["campaign"])
        if row["known_defect"]:
            new_id, test = row["id"], row["id"]
        else:
            test = next((strip_dmc(node, dmc) for node in tests[:1] for dmc in dmcs if strip_dmc(node, dmc) != node),
                        tests[0] if tests else row["id"])
            new_id = issue_id_for(test, row["stage"], row["release"], row["campaign"])
        into = merged.get((new_id, key))
        if into is None:
            merged[(new_id, key)] = {**row, "id": new_id, "phase_key": key, "dmcs": set(dmcs), "tests": set(tests),
                                     "epcl_entries": set(_json(row["epcl_entries"]) or []),
                                     "statuses": {row["status"]}, "agreed": [bool(row["tag_agreed"])],
                                     "old_ids": [row["id"]], "test_key": test}
            continue
        into["severity"] = min(into["severity"], row["severity"])
        into["dmcs"] |= set(dmcs)
        into["tests"] |= set(tests)
        into["epcl_entries"] |= set(_json(row["epcl_entries"]) or [])
        into["statuses"].add(row["status"])
        into["agreed"].append(bool(row["tag_agreed"]))
        into["old_ids"].append(row["id"])
        into["first_seen"] = min(into["first_seen"], row["first_seen"])
        into["last_seen"] = max(into["last_seen"], row["last_seen"])
        if row["rationale"] and row["rationale"] not in into["rationale"]:
            into["rationale"] = "; ".join(part for part in (into["rationale"], row["rationale"]) if part)
    stamp = datetime.now(UTC)
    for row in merged.values():
        status = _status_of(row["statuses"])
        issue = TestingIssue(
            id=row["id"], title=row["title"], severity=row["severity"], status=status,
            known_defect=bool(row["known_defect"]), tag_agreed=status == "excluded" and all(row["agreed"]),
            rationale=row["rationale"] or "", stage=row["stage"], release=row["release"], campaign=row["campaign"],
            dmcs=sorted(row["dmcs"]), tests=sorted(row["tests"]), epcl_entries=sorted(row["epcl_entries"]),
            cause=ak.DEFAULT_CAUSE, provider=ak.DEFAULT_PROVIDER, test_key=row["test_key"])
        result = conn.execute(insert(t.issues).values(
            **stored_values(issue), phase_key=row["phase_key"], first_seen=row["first_seen"],
            last_seen=row["last_seen"], closed_at=row["closed_at"] if status == "closed" else None))
        conn.execute(insert(t.issue_events).values(
            issue_uid=inserted_id(result), at=stamp, who="schema upgrade 1 -> 2", change="migrated",
            old=", ".join(row["old_ids"]), new=row["id"],
            why="v1 issue ids were per test and DMC, across phases; v2 ids are per test, per phase and campaign "
                "(13.18); cause set to undetermined (counted) until set"))


def _upgrade_2_to_3(conn: Connection) -> None:
    columns = {column["name"] for column in inspect(conn).get_columns("svtad_runs")}
    for name in RUN_COLUMNS_3:
        if name not in columns:
            conn.execute(text(f"ALTER TABLE svtad_runs ADD COLUMN {name} JSON"))


def _integer_test_ids(conn: Connection) -> None:
    """3 -> 4: node ids into ``svtad_tests``; plans and results rebuilt keyed by (run, integer test id)."""
    t.tests.create(conn, checkfirst=True)
    conn.execute(text("INSERT INTO svtad_tests (nodeid) SELECT nodeid FROM svtad_plan UNION "
                      "SELECT nodeid FROM svtad_results ORDER BY 1"))
    staging = MetaData()
    for table in (t.runs, t.tests):
        table.to_metadata(staging)
    for new, name in ((_plan_6(staging, "svtad_plan_v4"), "svtad_plan"),
                      (t.results.to_metadata(staging, name="svtad_results_v4"), "svtad_results")):
        new.create(conn)
        columns = ", ".join(c.name for c in new.columns if c.name not in ("run_id", "test_id"))
        old_columns = ", ".join(f"o.{c.name}" for c in new.columns if c.name not in ("run_id", "test_id"))
        conn.execute(text(f"INSERT INTO {new.name} (run_id, test_id, {columns}) SELECT o.run_id, s.id, "
                          f"{old_columns} FROM {name} o JOIN svtad_tests s ON s.nodeid = o.nodeid"))
        conn.execute(text(f"DROP TABLE {name}"))
        conn.execute(text(f"ALTER TABLE {new.name} RENAME TO {name}"))




def _add_dmct_process(conn: Connection) -> None:
    for table in (t.dmct_dmcs, t.dmct_events, t.dmct_submissions, t.dmct_routes):
        table.create(conn, checkfirst=True)


def _add_schedule_and_gates(conn: Connection) -> None:
    """The DMCT Schedule and Entry Criteria sign-off tables (idempotent: a table already there is kept)."""
    t.dmct_schedules.create(conn, checkfirst=True)
    t.entry_signoffs.create(conn, checkfirst=True)
    t.entry_checks.create(conn, checkfirst=True)
    for index in (*t.entry_signoffs.indexes, *t.entry_checks.indexes):
        index.create(conn, checkfirst=True)


def _plan_tags(conn: Connection) -> None:
    """6 -> 7: each distinct set of tags into ``svtad_tags``; the plan rebuilt as (run, test, tags id, TTM ids)."""
    staging = MetaData()
    for table in (t.runs, t.tests, t.plan_tags):
        table.to_metadata(staging)
    old = _plan_6(staging)
    new = t.plan_entries.to_metadata(staging, name="svtad_plan_v7")
    t.plan_tags.create(conn, checkfirst=True)
    new.create(conn)
    o = old.c
    columns = [o[name] if name != "descoped" else cast(o.descoped, Text) for name in TAG_COLUMNS]
    ids: dict[tuple[Any, ...], int] = {}  # the stored values (de-scoping as its JSON text) -> tags id
    after: tuple[int, int] | None = None
    while True:
        query = select(o.run_id, o.test_id, o.ttm, *columns).order_by(o.run_id, o.test_id).limit(COPY_BATCH)
        if after is not None:
            query = query.where(tuple_(o.run_id, o.test_id) > tuple_(*after))
        batch = conn.execute(query).all()
        if not batch:
            break
        rows = []
        for run_id, test_id, ttm, *stored in batch:
            values = tuple(stored)
            tags_id = ids.get(values)
            if tags_id is None:
                descoped = _json(values[6]) if values[6] is not None else None
                tags = (*values[:3], bool(values[3]), int(values[4]), values[5], descoped or None, *values[7:])
                key = tags_key(tags)
                found = conn.execute(select(t.plan_tags.c.id).where(t.plan_tags.c.key == key)).scalar()
                if found is None:
                    found = inserted_id(conn.execute(insert(t.plan_tags).values(
                        key=key, **dict(zip(TAG_COLUMNS, tags, strict=True)))))
                tags_id = ids[values] = found
            rows.append({"run_id": run_id, "test_id": test_id, "tags_id": tags_id, "ttm": ttm or []})
        conn.execute(insert(new), rows)
        after = (batch[-1][0], batch[-1][1])
    conn.execute(text("DROP TABLE svtad_plan"))
    conn.execute(text("ALTER TABLE svtad_plan_v7 RENAME TO svtad_plan"))


STEPS: dict[int, Callable[[Connection], None]] = {1: _upgrade_1_to_2, 2: _upgrade_2_to_3, 3: _integer_test_ids,
                                                  4: _add_dmct_process, 5: _add_schedule_and_gates, 6: _plan_tags}


def upgrade(conn: Connection, found: int) -> None:
    """Run every step from ``found`` to ``SCHEMA_VERSION`` in order."""
    for version in range(found, SCHEMA_VERSION):
        STEPS[version](conn)
