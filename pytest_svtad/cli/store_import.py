"""``svtad store import FILE``: read a session's store-fallback file back into the store (docs/store.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pytest_svtad.store import Store, default_url, store_url
from pytest_svtad.store.fallback import import_fallback
from pytest_svtad.wording import counted


def _target(args: argparse.Namespace) -> str:
    """--store, else the store the session was writing to when the file names it in full (no hidden password),
    else .svtad/svtad.db here."""
    if args.store:
        return store_url(args.store, Path.cwd())
    try:
        with Path(args.file).open(encoding="utf-8") as handle:
            named = str(json.loads(handle.readline()).get("store") or "")
    except (OSError, ValueError, AttributeError):
        named = ""  # reading the file properly reports what is wrong with it
    if named and "***" not in named:
        return named
    return default_url(Path.cwd())


def import_command(args: argparse.Namespace) -> int:
    store = Store(_target(args))
    try:
        summary = import_fallback(store, Path(args.file))
    finally:
        store.close()
    added = ", ".join((counted(summary.plan_added, "plan entry", "plan entries"),
                       counted(summary.results_added, "result"),
                       counted(summary.issues_recorded, "Testing Issue", "Testing Issues")))
    print(f"{args.file}: run {summary.run_id} in {store.name} {summary.action}: {added} added; status "
          f"{summary.status}")
    if summary.unreadable_lines:
        print(f"note: {counted(summary.unreadable_lines, 'unreadable line')} skipped (a line cut short when the "
              "session was killed is one)")
    return 0


def add_store_import_command(sub: Any) -> None:
    p = sub.add_parser("store", help="the campaign store itself: import a session's store-fallback file")
    store_sub = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    i = store_sub.add_parser("import", help="complete (or create) a run from its store-fallback-*.jsonl file; "
                             "importing the same file again changes nothing")
    i.add_argument("file", help="a store-fallback-<time>-<pid>.jsonl file from a report folder or .svtad/")
    i.add_argument("--store", help="store URL or SQLite path (default: the store the file names, when it names "
                   "it without a password; else .svtad/svtad.db here)")
    i.set_defaults(func=import_command)
