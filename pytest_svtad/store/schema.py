"""Tables of the campaign store, schema version 4 (upgrade steps: ``pytest_svtad.store.migrations``; docs/store.md)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

meta = Table(
    "svtad_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

runs = Table(
    "svtad_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign", String(200), nullable=True, index=True),
    Column("stage", String(20), nullable=False),
    Column("release", String(10), nullable=True),
    Column("sut_version", String(100), nullable=True),
    Column("seed", Integer, nullable=False, default=0),
    Column("host", String(200), nullable=False, default=""),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("status", String(20), nullable=False),  # running, finished, interrupted
    Column("firmware", JSON, nullable=False, default=dict),  # DMC id -> {kind: firmware}
    Column("verdict", String(10), nullable=True),
    # schema 3: the TTM and criteria the run used, whole (pytest_svtad.store.runs), for svtad verdict --campaign
    Column("ttm", JSON, nullable=True),
    Column("criteria", JSON, nullable=True),
)

# schema 4: each node id is stored once, here; plans and results refer to it by its integer id (a campaign of a
# million results reads and joins integers, not a million long node ids twice)
tests = Table(
    "svtad_tests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("nodeid", Text, nullable=False, unique=True),
)

plan_entries = Table(
    "svtad_plan", metadata,
    Column("run_id", Integer, ForeignKey("svtad_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("test_id", Integer, ForeignKey("svtad_tests.id"), primary_key=True),  # schema 4 (was: nodeid)
    Column("dmc", String(100), nullable=True),
    Column("ttm", JSON, nullable=False, default=list),
    Column("srv", String(20), nullable=True),
    Column("functional_group", String(200), nullable=False),
    Column("regression", Boolean, nullable=False, default=False),
    Column("severity", Integer, nullable=False, default=3),
    Column("known_defect", String(100), nullable=True),
    Column("descoped", JSON, nullable=True),
    Column("witnessed", String(200), nullable=True),
    Column("cause", String(20), nullable=True),  # schema 2
    Column("provider", String(100), nullable=True),  # schema 2
    # SQLite: rows kept in primary key order (no rowid), so a campaign's read walks plan and results in step
    # (measured: half the time of the same join over rowid tables; docs/BENCHMARKS.md)
    sqlite_with_rowid=False,
)

results = Table(
    "svtad_results", metadata,
    Column("run_id", Integer, ForeignKey("svtad_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("test_id", Integer, ForeignKey("svtad_tests.id"), primary_key=True),  # schema 4 (was: nodeid)
    Column("outcome", String(10), nullable=False),
    Column("error", Boolean, nullable=False, default=False),
    Column("xfailed", Boolean, nullable=False, default=False),
    Column("crashed", Boolean, nullable=False, default=False),
    Column("reason", Text, nullable=False, default=""),
    Column("duration", Float, nullable=False, default=0.0),
    Column("evidence", JSON, nullable=False, default=list),
    sqlite_with_rowid=False,
)

# A Testing Issue belongs to the Test Phase (stage + release) and campaign it was raised in (13.18): ``phase_key``
# says which, and an id is unique within its phase (a known defect's id may recur in other phases).
issues = Table(
    "svtad_issues", metadata,
    Column("uid", Integer, primary_key=True, autoincrement=True),
    Column("id", String(100), nullable=False),
    Column("phase_key", String(400), nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # open, closed, excluded
    Column("known_defect", Boolean, nullable=False, default=False),
    Column("tag_agreed", Boolean, nullable=False, default=False),
    Column("rationale", Text, nullable=False, default=""),
    Column("stage", String(20), nullable=False),
    Column("release", String(10), nullable=True),
    Column("campaign", String(200), nullable=True),
    Column("dmcs", JSON, nullable=False, default=list),
    Column("tests", JSON, nullable=False, default=list),
    Column("epcl_entries", JSON, nullable=False, default=list),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("cause", String(20), nullable=False, default="undetermined"),  # dcc, device, undetermined (13.19)
    Column("provider", String(100), nullable=False, default="DCC"),  # the DCC Service Provider (13.19)
    Column("test_key", Text, nullable=False, default=""),  # the test without its DMC
    Column("origin", String(20), nullable=False, default="test"),  # test, environment, production, participant
    Column("related", JSON, nullable=False, default=list),  # the same test's issues in other phases
    Column("count_in", JSON, nullable=False, default=list),  # agreements to count it in another phase (13.22-13.23)
    UniqueConstraint("id", "phase_key", name="uq_svtad_issues_id_phase"),
)

Index("ix_svtad_issues_stage_status", issues.c.stage, issues.c.status)
Index("ix_svtad_issues_test_key", issues.c.test_key)

# Who changed what on a Testing Issue, when and why (schema 2).
issue_events = Table(
    "svtad_issue_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_uid", Integer, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", String(200), nullable=False, default=""),
    Column("change", String(40), nullable=False),  # raised, seen again, reopened, severity, cause, status, ...
    Column("old", Text, nullable=True),
    Column("new", Text, nullable=True),
    Column("why", Text, nullable=False, default=""),
)

# Work Off Plans recorded at a phase's exit (15.1), for 12.6(h) in the phases after it (schema 2).
work_off_plans = Table(
    "svtad_workoff_plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("stage", String(20), nullable=False),
    Column("release", String(10), nullable=True),
    Column("campaign", String(200), nullable=True),
    Column("tcc_date", String(10), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("items", JSON, nullable=False, default=list),  # [{issue_id, severity, due_date, tests, cause, ...}]
)

UniqueConstraint(meta.c.key)
