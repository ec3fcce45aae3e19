"""Test packs under ``testpacks/``: their manifests (``pack.yaml``) and what they contain once collected.

A pack is a folder of pytest modules with a ``pack.yaml`` naming its stage, its TTM and optional criteria file
(paths relative to the pack). ``describe`` collects a pack with the plugin, as ``pytest --collect-only`` would,
and reports its tests, SRVs and the TTM requirements it covers; the numbers are those of the verdict.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.datafiles import load_ttm
from pytest_svtad.files.reader import load_yaml, validate
from pytest_svtad.rules.appendix_ak import STAGES


class PackManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: str
    ttm: str = Field(min_length=1)
    criteria: str | None = None
    # packs that make up one run with this one (e.g. SIT functional + regression)
    runs_with: list[str] = []

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        if value not in STAGES:
            raise ValueError(f"unknown stage '{value}' (expected one of {', '.join(STAGES)})")
        return value


@dataclass
class Pack:
    name: str
    folder: Path
    manifest: PackManifest

    @property
    def ttm_path(self) -> Path:
        return (self.folder / self.manifest.ttm).resolve()

    @property
    def criteria_path(self) -> Path | None:
        return (self.folder / self.manifest.criteria).resolve() if self.manifest.criteria else None


@dataclass
class PackContents:
    tests: int = 0  # test functions
    instances: int = 0  # (test, DMC) pairs planned over the DMCs given
    regression: int = 0
    srvs: set[str] = field(default_factory=set)
    requirements: set[str] = field(default_factory=set)
    in_scope: int = 0  # TTM requirements scoped to the pack's stage
    untraced: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def find_packs(root: Path) -> list[Pack]:
    """The packs in ``root``: the folders under it with a ``pack.yaml``, or ``root`` itself when it is a pack."""
    if not root.is_dir():
        raise SvtadInputError(root, "test pack directory not found")
    packs = []
    manifests = [root / "pack.yaml"] if (root / "pack.yaml").is_file() else sorted(root.glob("*/pack.yaml"))
    for manifest_path in manifests:
        located = load_yaml(manifest_path, "pack manifest")
        manifest = validate(located, PackManifest, "pack manifest")
        packs.append(Pack(manifest_path.parent.name, manifest_path.parent, manifest))
    return packs


class _Collector:
    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


@contextlib.contextmanager
def _isolated_imports(root: Path) -> Iterator[None]:
    """Collecting imports the packs' conftest and test modules under their bare names: take those back out (and
    put back what they shadowed), so a caller importing its own ``conftest`` gets its own. Libraries imported on
    the way stay imported (numpy, for one, cannot be imported twice in a process)."""
    modules, path = dict(sys.modules), list(sys.path)
    try:
        yield
    finally:
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None) or ""
            if modules.get(name) is not module and Path(origin).resolve().is_relative_to(root):
                del sys.modules[name]
                if name in modules:
                    sys.modules[name] = modules[name]
        sys.path[:] = path


def _marker_args(item: pytest.Item, name: str) -> list[Any]:
    return [arg for mark in item.iter_markers(name) for arg in mark.args]


def describe(pack: Pack, dmcs: str = "all", profiles: Path | None = None) -> PackContents:
    """Collect the pack (no test runs) over ``dmcs`` and count what it plans and covers."""
    contents = PackContents()
    ttm = load_ttm(pack.ttm_path)
    contents.in_scope = sum(1 for req in ttm.requirements.values() if req.in_scope(pack.manifest.stage))
    collector = _Collector()
    args = [str(pack.folder), "--collect-only", "-q", "-p", "no:cacheprovider", "--svtad-stage",
            pack.manifest.stage, "--svtad-ttm", str(pack.ttm_path), "--svtad-dmc", dmcs]
    if profiles is not None:
        args += ["--svtad-profiles", str(profiles)]
    output = io.StringIO()
    quiet = contextlib.redirect_stdout(output), contextlib.redirect_stderr(output)
    with _isolated_imports(pack.folder.parent.resolve()), quiet[0], quiet[1]:
        code = pytest.main(args, plugins=[collector])
    if code == pytest.ExitCode.USAGE_ERROR:
        raise _usage_error(pack, output.getvalue())
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        lines = [line for line in output.getvalue().splitlines() if "error" in line.lower()]
        contents.errors = lines[-3:] or [f"collection ended with {code!r}"]
        return contents
    functions = set()
    for item in collector.items:
        function = item.nodeid.split("[")[0]
        functions.add(function)
        contents.instances += 1
        contents.srvs.update(str(srv) for srv in _marker_args(item, "srv"))
        ttm_ids = [str(rid) for rid in _marker_args(item, "ttm")]
        contents.requirements.update(ttm_ids)
        if not ttm_ids and function not in contents.untraced:
            contents.untraced.append(function)
        if item.get_closest_marker("regression") is not None:
            contents.regression += 1
    contents.tests = len(functions)
    return contents


# the plugin options ``svtad packs`` passes on behalf of its own
_OWN_OPTIONS = {"--svtad-dmc": "--dmc", "--svtad-profiles": "--profiles"}


def _usage_error(pack: Pack, output: str) -> SvtadInputError:
    """The plugin's own one-line UsageError, said as the command's error (a bad --dmc is not a pack's failure)."""
    found = [line.removeprefix("ERROR: ") for line in output.splitlines() if line.startswith("ERROR: ")]
    text = (found[0] if found else "the plugin refused its options").removeprefix("svtad: ")
    source, _, message = text.partition(": ")
    if source in _OWN_OPTIONS:
        return SvtadInputError(_OWN_OPTIONS[source], message)
    return SvtadInputError(pack.folder, f"collecting pack '{pack.name}': {text}")


def _srv_key(srv: str) -> tuple[int, ...]:
    return tuple(int(part) for part in srv.split(".") if part.isdigit())


def format_table(rows: list[tuple[Pack, PackContents]]) -> str:
    lines = [f"{'pack':<24} {'stage':<10} {'tests':>5} {'planned':>7} {'SRVs':>4} {'TTM covered':>12}  SRV list"]
    for pack, contents in rows:
        if contents.errors:
            lines.append(f"{pack.name:<24} {pack.manifest.stage:<10} collection failed: {contents.errors[-1]}")
            continue
        covered = f"{len(contents.requirements)}/{contents.in_scope}"
        srvs = ", ".join(sorted(contents.srvs, key=_srv_key))
        lines.append(f"{pack.name:<24} {pack.manifest.stage:<10} {contents.tests:>5} {contents.instances:>7} "
                     f"{len(contents.srvs):>4} {covered:>12}  {srvs}")
    lines.append("tests: test functions; planned: (test, DMC) pairs over the DMCs given; TTM covered: requirement ids "
                 "the pack's tests name / requirements its TTM scopes to the pack's stage")
    return "\n".join(lines)
