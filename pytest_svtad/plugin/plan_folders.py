"""Where xdist workers leave their plans for the controller: ``<rootdir>/.svtad/plans/<pid>-<time>-<random>.<host>/``
(the system temp folder's ``svtad-plans/`` when the rootdir cannot be written). A session removes its own folder
at the end; one killed outright cannot, so every session first removes the folders of this host's dead sessions
(and any folder a week old)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_svtad.model import PlanEntry
from pytest_svtad.plugin.collector import PROP_TAGS

STALE_SECONDS = 7 * 24 * 3600  # a folder from another host (or container) is judged by age alone


def make_plan_folder(rootdir: Path) -> Path:
    host = socket.gethostname() or "host"
    stamp = time.strftime("%Y%m%dT%H%M%S")
    errors = []
    for parent in (rootdir / ".svtad" / "plans", Path(tempfile.gettempdir()) / "svtad-plans"):
        try:
            parent.mkdir(parents=True, exist_ok=True)
            remove_stale(parent, host)
            return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{stamp}-", suffix=f".{host}", dir=parent))
        except OSError as exc:
            errors.append(f"{parent}: {exc.strerror or exc}")
    raise OSError(f"no folder for the workers' plans ({'; '.join(errors)})")


def remove_plan_folder(folder: Path, rootdir: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    svtad = rootdir / ".svtad"
    if folder.parent == svtad / "plans":
        for empty in (svtad / "plans", svtad):  # leave no trace in a project that has no store there
            try:
                empty.rmdir()
            except OSError:
                break  # not empty (the store, or another session's plans), or gone already


def remove_stale(parent: Path, host: str) -> None:
    now = time.time()
    for folder in parent.iterdir():
        try:
            pid_text, _, rest = folder.name.partition("-")
            folder_host = rest.partition(".")[2]
            dead = folder_host == host and pid_text.isdigit() and not _alive(int(pid_text))
            if dead or now - folder.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue  # someone else's, or removed meanwhile


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


class PlanFilesReader:
    """The controller's reader of the workers' plan files: each file is parsed once, and a file whose bytes equal
    one already parsed is not parsed again (every xdist worker collects the whole session, so the workers' plans
    are the same: at 600 DMCs that is 28,200 entries per file, read when the first test starts and at the end)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, int]] = {}  # file name -> (mtime_ns, size) when it was read
        self._parsed: set[bytes] = set()  # digests of the contents parsed
        self.not_applicable = 0
        self.metas: list[dict[str, Any]] = []  # the "meta" of every file parsed, in the order parsed

    def read_new(self, directory: Path) -> tuple[dict[str, PlanEntry], int]:
        """The entries of the files that are new or changed since the last call, and the largest count of tests
        collected but not planned that any worker reported. A file being replaced or unreadable is read later."""
        plan: dict[str, PlanEntry] = {}
        for path in sorted(directory.glob("*.json")):
            try:
                stat = path.stat()
                if self._seen.get(path.name) == (stat.st_mtime_ns, stat.st_size):
                    continue
                raw = path.read_bytes()
            except OSError:
                continue
            digest = hashlib.blake2b(raw, digest_size=16).digest()
            if digest not in self._parsed:
                try:
                    data = json.loads(raw)
                    entries = [PlanEntry.from_dict(entry) for entry in data.get("plan", [])]
                    meta = data.get("meta", {})
                    not_applicable = int(meta.get("not_applicable", 0))
                except (ValueError, TypeError, KeyError, AttributeError):
                    continue  # half-written or foreign: not marked seen, so read again next time
                for entry in entries:
                    plan.setdefault(entry.nodeid, entry)
                self.not_applicable = max(self.not_applicable, not_applicable)
                self.metas.append(meta if isinstance(meta, dict) else {})
                self._parsed.add(digest)
            self._seen[path.name] = (stat.st_mtime_ns, stat.st_size)
        return plan, self.not_applicable


def lean_report_data(data: Any) -> Any:
    """A worker's test report as it crosses to the controller, without what the controller never reads (issue 18
    item 5; measured with execnet's serializer: 1,052 -> 491 bytes, and about a third of the encoding and a fifth
    of the decoding time, per report):

    - the plan's tags on the setup and call reports: the controller has them from the plan files, and the teardown
      report (which ends each test, where a result is attributed and where ``--junitxml`` reads properties) keeps
      them, so a result stays attributable if a plan file were lost;
    - ``keywords``, the names of every marker and parent of the test: ``-k`` and ``-m`` are applied on the worker,
      and neither pytest, xdist nor this plugin reads a report's keywords on the controller.
    """
    if not isinstance(data, dict) or data.get("$report_type") != "TestReport":
        return data
    data["keywords"] = {}
    if data.get("when") in ("setup", "call"):
        data["user_properties"] = [prop for prop in data.get("user_properties", ())
                                   if not (isinstance(prop, (list, tuple)) and prop and prop[0] == PROP_TAGS)]
    return data
