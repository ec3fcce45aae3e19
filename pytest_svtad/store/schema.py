"""Tables of the campaign store, schema version 7 (upgrade steps: ``pytest_svtad.store.migrations``; docs/store.md)."""

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

# schema 7: each distinct set of a planned test's tags but its TTM ids (its DMC, SRV, group, regression flag,
# severity, known defect, de-scoping, witness, cause, provider) is stored once, here; a plan entry refers to it by
# its integer id. A million plan entries of 200 DMCs carry a few thousand such sets, and a campaign read fetches
# four columns of the plan instead of thirteen (issue 18 item 2). ``key``: the digest of the values as canonical
# JSON (``store.tags.tags_key``), unique, so two sessions planning the same tags at once store them once.
plan_tags = Table(
    "svtad_tags", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("dmc", String(100), nullable=True),
    Column("srv", String(20), nullable=True),
    Column("functional_group", String(200), nullable=False),
    Column("regression", Boolean, nullable=False, default=False),
    Column("severity", Integer, nullable=False, default=3),
    Column("known_defect", String(100), nullable=True),
    Column("descoped", JSON, nullable=True),
    Column("witnessed", String(200), nullable=True),
    Column("cause", String(20), nullable=True),
    Column("provider", String(100), nullable=True),
)

plan_entries = Table(
    "svtad_plan", metadata,
    Column("run_id", Integer, ForeignKey("svtad_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("test_id", Integer, ForeignKey("svtad_tests.id"), primary_key=True),  # schema 4 (was: nodeid)
    Column("tags_id", Integer, ForeignKey("svtad_tags.id"), nullable=False),  # schema 7 (was: ten tag columns)
    Column("ttm", JSON, nullable=False, default=list),
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

# The DMCT Schedule (20.9-20.10): a draft imported (version null) and every published version, whole (schema 5).
dmct_schedules = Table(
    "svtad_dmct_schedules", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", Integer, nullable=True),  # null: the draft; 1, 2, ...: published, in order
    Column("source", Text, nullable=False, default=""),  # the file it was imported from
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", String(200), nullable=False, default=""),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("published_by", String(200), nullable=True),
    Column("content", JSON, nullable=False),  # rules.dmct_schedule.Schedule.as_dict()
    UniqueConstraint("version", name="uq_svtad_dmct_schedules_version"),
)

# Sign-offs of the generic Entry Criteria 12.5(a), (b) and (e) per Test Phase (stage + release) and campaign, with
# who and when; rows are only added (a withdrawal is a row too), the latest per criterion stands (schema 5).
entry_signoffs = Table(
    "svtad_entry_signoffs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phase_key", String(400), nullable=False, index=True),
    Column("stage", String(20), nullable=False),
    Column("release", String(10), nullable=True),
    Column("campaign", String(200), nullable=True),
    Column("criterion", String(1), nullable=False),  # a, b, e
    Column("action", String(10), nullable=False),  # signed, withdrawn
    Column("basis", String(20), nullable=False, default=""),  # (b): certificates, overlap, none
    Column("reference", Text, nullable=False, default=""),  # the document, certificate(s) or agreement
    Column("who", String(200), nullable=False),
    Column("signed_on", String(10), nullable=False),  # the date the sign-off was given (YYYY-MM-DD)
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("details", JSON, nullable=False, default=dict),  # (b) overlap: TAG review and Panel agreement
    Column("why", Text, nullable=False, default=""),
)

UniqueConstraint(meta.c.key)

# The Entry Criteria each session found at its start (12.5; schema 5), for ``svtad verdict --campaign``.
entry_checks = Table(
    "svtad_entry_checks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False, index=True),
    Column("phase_key", String(400), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("assessment", JSON, nullable=False),  # rules.entry_criteria.EntryAssessment.as_dict()
)

# The DMCT Process (Clause 20, schema 4; pytest_svtad.store.dmct). One row per DMC on the DMCT Status List (20.8):
# its current status and a version bumped by every transition (a transition whose version moved on is re-read and
# re-checked, so two processes never lose one); every transition is an event (when, who, why); submissions are
# what each Supplier Party sent (20.2-20.4); routes are the decisions on DMCT Testing Issues (20.19-20.25).
dmct_dmcs = Table(
    "svtad_dmct_dmcs", metadata,
    Column("dmc", String(100), primary_key=True),
    Column("status", String(40), nullable=False),
    Column("version", Integer, nullable=False, default=0),
    Column("since", String(10), nullable=False),  # ISO date of the last transition
    Column("submitted_only", Boolean, nullable=False, default=False),  # not (yet) in the device profiles
    Column("reason", String(40), nullable=True),  # exclusion reason code (rules.dmct_process.REASONS)
    Column("rationale", Text, nullable=False, default=""),
    Column("equivalent", String(200), nullable=False, default=""),  # 20.6(d)
    Column("sos_decision", Text, nullable=False, default=""),  # 20.7, 20.12(b), 20.23
    Column("epcl_entries", JSON, nullable=False, default=list),
    Column("devices", JSON, nullable=False, default=dict),
)

dmct_events = Table(
    "svtad_dmct_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dmc", String(100), nullable=False, index=True),
    Column("on_date", String(10), nullable=False),  # ISO date the change took effect (the Status List's date)
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("who", String(200), nullable=False, default=""),
    Column("old", String(40), nullable=True),
    Column("new", String(40), nullable=False),
    Column("clause", String(60), nullable=False, default=""),
    Column("why", Text, nullable=False, default=""),
    Column("details", JSON, nullable=False, default=dict),
)

dmct_submissions = Table(
    "svtad_dmct_submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("supplier", String(200), nullable=False, index=True),
    Column("dmc", String(100), nullable=False, index=True),
    Column("received", String(10), nullable=False),
    Column("window", String(10), nullable=True),  # first day of the 20.2 submission month, None outside windows
    Column("unchanged", Boolean, nullable=False, default=False),  # 20.3
    Column("devices", JSON, nullable=False, default=dict),  # kind -> {model, firmware}
    Column("quantity", Integer, nullable=True),
    Column("epcl_entries", JSON, nullable=False, default=list),
    Column("missing", JSON, nullable=False, default=list),  # data the DCC must source (20.4)
    Column("source", Text, nullable=False, default=""),  # file:line
)

dmct_routes = Table(
    "svtad_dmct_routes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dmc", String(100), nullable=False, index=True),
    Column("issue_id", String(100), nullable=False),
    Column("route", String(2), nullable=False),  # 20.19 (a)-(d)
    Column("device_change", String(20), nullable=True),  # 20.23: firmware, configuration, both
    Column("clause", String(60), nullable=False),
    Column("consequence", Text, nullable=False),
    Column("resolution", Text, nullable=False, default=""),
    Column("on_date", String(10), nullable=False),
    Column("who", String(200), nullable=False, default=""),
)
