"""Opening a store that must already exist: a reading command (``svtad issues``, ``workoff``, ``weekly``,
``verdict --campaign``) never creates a store, its folders or its tables where the user mistyped a path."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from pytest_svtad.store import schema as t
from pytest_svtad.store.db import Store, StoreError, _cause
from pytest_svtad.urls import mask_url

HINT = "a reading command never creates a store: give --store the URL or path a session wrote with --svtad-store"


def open_existing(url: str) -> Store:
    """The store at ``url``, which must exist and hold pytest-svtad's tables; otherwise a StoreError naming it."""
    shown = mask_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StoreError(f"cannot open store {shown}: not a SQLAlchemy URL or a path to an SQLite file") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise StoreError(f"no store at {shown}: an in-memory SQLite store is empty; {HINT}")
        if not Path(database).is_file():
            raise StoreError(f"no store at {database}: {HINT}")
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot open store {shown}: {_cause(exc)}") from None
    try:
        with engine.connect() as conn:
            found = inspect(conn).has_table(t.meta.name)
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"cannot open store {shown}: {_cause(exc)}") from None
    finally:
        engine.dispose()
    if not found:
        raise StoreError(f"{shown} is not a pytest-svtad store (it has no '{t.meta.name}' table); {HINT}")
    return Store(url)
