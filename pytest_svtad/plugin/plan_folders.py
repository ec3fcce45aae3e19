"""Where xdist workers leave their plans for the controller: ``<rootdir>/.svtad/plans/<pid>-<time>-<random>.<host>/``
(the system temp folder's ``svtad-plans/`` when the rootdir cannot be written). A session removes its own folder
at the end; one killed outright cannot, so every session first removes the folders of this host's dead sessions
(and any folder a week old)."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

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
