"""The campaign store: runs, plans, results and Testing Issues across sessions (SQLAlchemy; SQLite or PostgreSQL)."""

from pytest_svtad.store.db import Store, default_url, store_url
from pytest_svtad.store.issues import StoreError
from pytest_svtad.store.migrations import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Store", "StoreError", "default_url", "store_url"]
