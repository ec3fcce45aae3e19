"""The session's writer to the store: the run as soon as the session is known to be one, the plan as it becomes
known, each result within about half a second of its test ending, and the run's end and its issues at the end.

Results are written in batches: ``FLUSH_EVERY`` of them, or those waiting ``FLUSH_SECONDS`` since the first,
whichever comes first, so fast tests share a transaction. On a SQLite store (a local file, where a batch takes a
millisecond or two) the test loop writes its own batches as a result arrives, and a background thread writes only
what waits longer than that because no further result came (a long test): the thread sleeps otherwise, since two
threads taking turns at the interpreter for every batch cost more than the writes (issue 18 item 1). On other stores
(a server, where a batch is a round trip) the background thread writes every batch, so a slow store does not delay
the tests. Either way a session killed outright keeps every result that finished more than a moment before the
kill. If the store cannot be written, everything goes to a JSONL file instead (``svtad store import`` reads it
back) and the session says so; if that file cannot be written either, the session says what was lost where.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.store.db import Store, StoreError
from pytest_svtad.urls import mask_url

FLUSH_EVERY = 500  # results waiting: written at once, without waiting for the interval
FLUSH_SECONDS = 0.5  # the longest a finished result waits before its transaction starts
STOP_SECONDS = 60.0  # how long the session's end waits for a write in progress


class StoreSink:
    def __init__(self, url: str, fallback: Path, run_fields: dict[str, Any],
                 enabled: Callable[[], bool] = lambda: True,
                 plan_source: Callable[[], Mapping[str, PlanEntry]] = dict) -> None:
        self.plan_source = plan_source  # the plan known so far (it only grows): a killed session keeps it too
        self.url = url
        self.enabled = enabled  # only SVTAD sessions are runs: nothing is written for a plain test suite
        self.fallback = fallback
        self.run_fields = run_fields
        self.started_at = datetime.now(UTC)
        self.store: Store | None = None
        self.run_id: int | None = None
        self.error: str | None = None  # the store failed: the rest went to the fallback file
        self.fallback_error: str | None = None  # ... and that could not be written either
        self.switched_mid_run = False  # the run row exists in the store but some of its rows are only in the file
        # what the main thread hands over: appended there, drained by the writer, never under a lock (deque appends
        # and pops are atomic), so a test's end never waits for a write in progress (issue 18 item 1)
        self._plan_in: deque[PlanEntry] = deque()
        self._results_in: deque[Result] = deque()
        self._writes = threading.Lock()  # one writer at a time: the test loop, the thread, or the session's end
        # the test loop writes its own batches on a local SQLite file; elsewhere the thread writes every batch
        self.inline = url.startswith("sqlite:")
        self._since: float | None = None  # when the oldest result not yet taken by a write was handed over
        self._wake = threading.Event()  # a result waits where none did: the thread starts counting
        self._full = threading.Event()  # FLUSH_EVERY results wait: write without waiting out the interval
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._plan_seen = 0  # entries of plan_source() already taken
        # taken from the hand-over, not written yet: only whoever holds _writes touches these
        self._waiting_plan: dict[str, PlanEntry] = {}
        self._waiting: dict[str, Result] = {}
        self._recorded: set[str] = set()  # results written (to the store or the fallback file)
        self._planned: set[str] = set()  # plan entries written (read without a lock by add: a hint, not a rule)
        self._fallback_started = False
        self._began = False
        self._enabled_at = -1  # plan size when enabled() was last asked

    # -- main thread ---------------------------------------------------------------------------------------------

    def update(self) -> None:
        """Create the run (and record the plan known so far) once the session is known to be an SVTAD one, then
        keep writing in the background; later, take what the plan gained. Called at session start, when the plan
        becomes known, and with each result."""
        if self._began:
            self.sync_plan()
            return
        known = len(self.plan_source())
        if known == self._enabled_at:
            return  # asked already with this plan: once per growth, not once per result of a plain suite
        self._enabled_at = known
        if not self.enabled():
            return
        self._began = True
        self.sync_plan()
        with self._writes:
            self._drain()
            self._write(*self._take())
        self._thread = threading.Thread(target=self._run, name="svtad-store", daemon=True)
        self._thread.start()

    def sync_plan(self) -> None:
        """Take the entries the plan gained since last time (the plan only grows, in insertion order)."""
        plan = self.plan_source()
        if len(plan) == self._plan_seen:
            return
        self._plan_in.extend(islice(plan.values(), self._plan_seen, None))
        self._plan_seen = len(plan)
        if self.inline and self._write_here():
            return  # on SQLite the plan is written as it grows (at collection's end: before the first test runs)
        if self._since is None:
            self._since = time.monotonic()
            self._wake.set()

    def add(self, entry: PlanEntry, result: Result) -> None:
        """A test's result (with its plan entry, for a controller that had no plan for it): handed over, and on a
        SQLite store the waiting batch written when it is due (unless the thread is writing just then). Called once
        per test: kept to a few appends, a clock read and flag reads."""
        if entry.nodeid not in self._planned:
            self._plan_in.append(entry)  # the writer drops it if the plan had it already
        results = self._results_in
        results.append(result)
        self.update()
        since = self._since
        if since is None:  # the first result of the next batch (a write sets _since to None before it drains)
            self._since = time.monotonic()
            self._wake.set()
        elif self.inline:
            if len(results) >= FLUSH_EVERY or time.monotonic() - since >= FLUSH_SECONDS:
                self._write_here()
        elif len(results) >= FLUSH_EVERY and not self._full.is_set():
            self._full.set()

    def flush(self, plan: Iterable[PlanEntry], results: Mapping[str, Result] | None = None) -> None:
        """At the session's end: stop the background writer, then write the rest of the plan and every result not
        written yet (a result whose delivery an interrupt cut short included)."""
        self._stop_thread()
        self._began = True
        with self._writes:
            self._drain()
            for entry in plan:
                if entry.nodeid not in self._planned:
                    self._waiting_plan.setdefault(entry.nodeid, entry)
            for nodeid, result in (results or {}).items():
                if nodeid not in self._recorded:
                    self._waiting.setdefault(nodeid, result)
            self._write(*self._take())

    def record_issues(self, issues: list[TestingIssue]) -> None:
        if self.error is None and self.store is not None:
            try:
                self.store.upsert_issues(issues, stage=self.run_fields["stage"], release=self.run_fields["release"],
                                         campaign=self.run_fields["campaign"], run_id=self.run_id)
                return
            except StoreError as exc:
                self._failed(exc)
        self._write_lines([{"type": "issue", **issue.to_dict()} for issue in issues])

    def end(self, *, interrupted: bool, verdict: str | None) -> None:
        if self.error is None and self.store is not None and self.run_id is not None:
            try:
                self.store.finish_run(self.run_id, interrupted=interrupted, verdict=verdict)
                return
            except StoreError as exc:
                self._failed(exc)
        self._write_lines([{"type": "end", "interrupted": interrupted, "verdict": verdict,
                            "ended_at": datetime.now(UTC).isoformat()}])
        if self.switched_mid_run and self.store is not None and self.run_id is not None:
            from pytest_svtad.store.fallback import mark_incomplete

            mark_incomplete(self.store, self.run_id)  # if the store answers again: the run says it lacks rows

    def close(self) -> None:
        self._stop_thread()
        if self.store is not None:
            self.store.close()

    def notes(self) -> list[str]:
        """What the verdict says about where this session's run went."""
        if self.error is None:
            return []
        from pytest_svtad.store.fallback import import_hint

        if self.fallback_error is not None:
            return [f"{self.error}; the fallback file could not be written either ({self.fallback_error}): this "
                    "session's run, plan, results and issues are not stored anywhere but the report"]
        run = f"run {self.run_id} in {self.store.name if self.store else mask_url(self.url)} is incomplete; " \
            if self.switched_mid_run else ""
        return [f"{self.error}: this session's run, plan, results and issues were written to {self.fallback} "
                f"instead; {run}{import_hint(self.fallback)}"]

    # -- background thread --------------------------------------------------------------------------------------

    def _run(self) -> None:
        if self.inline:
            self._run_behind()
            return
        while True:
            self._wake.wait()
            self._full.wait(FLUSH_SECONDS)  # let the results of the next moment share the transaction
            if self._closing.is_set():
                return  # the session's end writes the rest
            self._wake.clear()
            self._full.clear()
            with self._writes:
                self._write_waiting()

    def _run_behind(self) -> None:
        """Beside a test loop that writes its own batches: write what has waited FLUSH_SECONDS, which happens only
        when no result has come since (a long test, a slow fixture, the session's end). Wakes about twice per
        interval while results flow, and does nothing then."""
        while not self._closing.is_set():
            self._wake.wait()
            self._wake.clear()
            while (since := self._since) is not None:
                delay = since + FLUSH_SECONDS - time.monotonic()
                if delay > 0:
                    if self._closing.wait(delay):
                        return  # the session's end writes the rest
                    continue  # the test loop may have written them meanwhile: look again
                with self._writes:
                    if self._since is since:  # nobody wrote them while this thread waited for the lock
                        self._write_waiting()

    def _write_here(self) -> bool:
        """The test loop writes what waits, unless a write is in progress (the thread's: it takes these too, or the
        next result writes them) or the background writer is not running (before the run, after its end)."""
        if self._thread is None or not self._writes.acquire(blocking=False):
            return False
        try:
            self._write_waiting()
        finally:
            self._writes.release()
        return True

    def _write_waiting(self) -> None:
        """Write what was handed over (holds ``_writes``). Never raises: a writer that died silently would lose
        every later result."""
        self._since = None  # before draining: a result handed over from now on starts the next batch
        try:
            self._drain()
            plan, results = self._take()
            if plan or results:
                self._write(plan, results)
        except Exception as exc:
            if self.error is None:
                self._failed(StoreError(f"store writer failed: {type(exc).__name__}: {exc}"))

    def _stop_thread(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._closing.set()
            self._wake.set()
            self._full.set()
            thread.join(STOP_SECONDS)

    # -- either ---------------------------------------------------------------------------------------------------

    def _drain(self) -> None:
        """Move what the main thread handed over into what waits to be written (holds ``_writes``). A result
        handed over again for the same test replaces the earlier one."""
        plan_in, results_in = self._plan_in, self._results_in
        planned, waiting_plan, waiting = self._planned, self._waiting_plan, self._waiting
        for _ in range(len(plan_in)):
            entry = plan_in.popleft()
            if entry.nodeid not in planned:
                waiting_plan.setdefault(entry.nodeid, entry)
        for _ in range(len(results_in)):
            result = results_in.popleft()
            waiting[result.nodeid] = result

    def _take(self) -> tuple[list[PlanEntry], list[Result]]:
        return list(self._waiting_plan.values()), list(self._waiting.values())

    def _done(self, plan: list[PlanEntry], results: list[Result]) -> None:
        """Forget what was written; kept until then, so an interrupted write is written again at the end."""
        if len(plan) == len(self._waiting_plan):
            self._waiting_plan.clear()  # all of it (nothing is added while _writes is held)
        else:
            for entry in plan:
                self._waiting_plan.pop(entry.nodeid, None)
        self._planned.update(entry.nodeid for entry in plan)
        waiting = self._waiting
        for result in results:
            self._recorded.add(result.nodeid)
            if waiting.get(result.nodeid) is result:
                del waiting[result.nodeid]

    def _write(self, plan: list[PlanEntry], results: list[Result]) -> None:
        """One transaction in the store, or lines in the fallback file. Holds ``_writes``."""
        if self.error is None:
            try:
                if self.store is None:
                    self.store = Store(self.url)
                if self.run_id is None:
                    self.run_id = self.store.begin_run(**self.run_fields)
                self.store.record(self.run_id, plan, results)  # one transaction, one commit
                self._done(plan, results)
                return
            except StoreError as exc:
                self._failed(exc)
        if plan or results or not self._fallback_started:
            self._write_fallback(plan, results)
        self._done(plan, results)

    def _failed(self, exc: StoreError) -> None:
        self.error = str(exc)
        self.switched_mid_run = self.run_id is not None

    def _write_fallback(self, plan: list[PlanEntry], results: list[Result]) -> None:
        lines: list[dict[str, Any]] = []
        if not self._fallback_started:
            # run_id: the run this file completes when the store already had it (svtad store import)
            lines.append({"type": "run", "store": self.store.name if self.store else mask_url(self.url),
                          "run_id": self.run_id, "error": self.error, **self.run_fields,
                          "started_at": self.started_at.isoformat()})
            self._fallback_started = True
        lines += [{"type": "plan", **e.to_dict()} for e in plan]
        lines += [{"type": "result", **r.to_dict()} for r in results]
        self._write_lines(lines)

    def _write_lines(self, lines: list[dict[str, Any]]) -> None:
        if not lines:
            return
        try:
            self.fallback.parent.mkdir(parents=True, exist_ok=True)
            with self.fallback.open("a", encoding="utf-8") as handle:
                for line in lines:
                    handle.write(json.dumps(line, default=str, sort_keys=True) + "\n")
        except OSError as exc:
            self.fallback_error = self.fallback_error or f"cannot write {self.fallback}: {exc.strerror or exc}"


def host_name() -> str:
    return socket.gethostname()
