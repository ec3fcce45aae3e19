"""Tables of the campaign store, schema version 1 (upgrade path: docs/store.md)."""

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
)

plan_entries = Table(
    "svtad_plan", metadata,
    Column("run_id", Integer, ForeignKey("svtad_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("nodeid", Text, primary_key=True),
    Column("dmc", String(100), nullable=True),
    Column("ttm", JSON, nullable=False, default=list),
    Column("srv", String(20), nullable=True),
    Column("functional_group", String(200), nullable=False),
    Column("regression", Boolean, nullable=False, default=False),
    Column("severity", Integer, nullable=False, default=3),
    Column("known_defect", String(100), nullable=True),
    Column("descoped", JSON, nullable=True),
    Column("witnessed", String(200), nullable=True),
)

results = Table(
    "svtad_results", metadata,
    Column("run_id", Integer, ForeignKey("svtad_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("nodeid", Text, primary_key=True),
    Column("outcome", String(10), nullable=False),
    Column("error", Boolean, nullable=False, default=False),
    Column("xfailed", Boolean, nullable=False, default=False),
    Column("crashed", Boolean, nullable=False, default=False),
    Column("reason", Text, nullable=False, default=""),
    Column("duration", Float, nullable=False, default=0.0),
    Column("evidence", JSON, nullable=False, default=list),
)

issues = Table(
    "svtad_issues", metadata,
    Column("id", String(100), primary_key=True),
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
)

Index("ix_svtad_issues_stage_status", issues.c.stage, issues.c.status)
UniqueConstraint(meta.c.key)
