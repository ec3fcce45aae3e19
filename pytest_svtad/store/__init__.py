"""The campaign store: runs, plans, results and Testing Issues across sessions (SQLAlchemy; SQLite or PostgreSQL)."""

from pytest_svtad.store.db import SCHEMA_VERSION, Store, StoreError, default_url, store_url

__all__ = ["SCHEMA_VERSION", "Store", "StoreError", "default_url", "store_url"]
