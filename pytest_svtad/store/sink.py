"""The session's writer to the store: results in batches as tests finish, the plan, the run's end and its issues.

If the store cannot be written, everything goes to a JSONL file instead and the session says so: nothing is lost.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.store.db import Store, StoreError
from pytest_svtad.urls import mask_url

FLUSH_EVERY = 500  # results
FLUSH_SECONDS = 2.0  # a slow session (real devices) still reaches the store within seconds of each result


class StoreSink:
    def __init__(self, url: str, fallback: Path, run_fields: dict[str, Any],
                 enabled: Callable[[], bool] = lambda: True,
                 plan_source: Callable[[], Iterable[PlanEntry]] = tuple) -> None:
        self.plan_source = plan_source  # the whole plan known so far: a killed session keeps its plan too
        self._last_flush = time.monotonic()
        self.url = url
        self.enabled = enabled  # only SVTAD sessions are runs: nothing is written for a plain test suite
        self.fallback = fallback
        self.run_fields = run_fields
        self.store: Store | None = None
        self.run_id: int | None = None
        self.error: str | None = None
        self._pending: list[Result] = []
        self._planned: set[str] = set()
        self._fallback_started = False

    def add(self, entry: PlanEntry, result: Result) -> None:
        self._pending.append(result)
        due = len(self._pending) >= FLUSH_EVERY or time.monotonic() - self._last_flush >= FLUSH_SECONDS
        if due and self.enabled():
            self.flush([entry, *self.plan_source()])

    def flush(self, plan: Iterable[PlanEntry]) -> None:
        self._last_flush = time.monotonic()
        new_plan = list({e.nodeid: e for e in plan if e.nodeid not in self._planned}.values())
        pending, self._pending = self._pending, []
        if self.error is None:
            try:
                if self.store is None:
                    self.store = Store(self.url)
                if self.run_id is None:
                    self.run_id = self.store.begin_run(**self.run_fields)
                self.store.record_plan(self.run_id, new_plan)
                self.store.record_results(self.run_id, pending)
                self._planned.update(e.nodeid for e in new_plan)
                return
            except StoreError as exc:
                self.error = str(exc)
        self._write_fallback(new_plan, pending)
        self._planned.update(e.nodeid for e in new_plan)

    def record_issues(self, issues: list[TestingIssue]) -> None:
        if self.error is None and self.store is not None:
            try:
                self.store.upsert_issues(issues, stage=self.run_fields["stage"], release=self.run_fields["release"],
                                         campaign=self.run_fields["campaign"])
                return
            except StoreError as exc:
                self.error = str(exc)
        self._write_lines([{"type": "issue", **issue.to_dict()} for issue in issues])

    def end(self, *, interrupted: bool, verdict: str | None) -> None:
        if self.error is None and self.store is not None and self.run_id is not None:
            try:
                self.store.finish_run(self.run_id, interrupted=interrupted, verdict=verdict)
                return
            except StoreError as exc:
                self.error = str(exc)
        self._write_lines([{"type": "end", "interrupted": interrupted, "verdict": verdict,
                            "ended_at": datetime.now(UTC).isoformat()}])

    def _write_fallback(self, plan: list[PlanEntry], results: list[Result]) -> None:
        lines: list[dict[str, Any]] = []
        if not self._fallback_started:
            lines.append({"type": "run", "store": mask_url(self.url), "error": self.error, **self.run_fields,
                          "started_at": datetime.now(UTC).isoformat()})
            self._fallback_started = True
        lines += [{"type": "plan", **e.to_dict()} for e in plan]
        lines += [{"type": "result", **r.to_dict()} for r in results]
        self._write_lines(lines)

    def _write_lines(self, lines: list[dict[str, Any]]) -> None:
        self.fallback.parent.mkdir(parents=True, exist_ok=True)
        with self.fallback.open("a", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(line, default=str, sort_keys=True) + "\n")

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def host_name() -> str:
    return socket.gethostname()
