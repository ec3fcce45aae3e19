"""The store's runs: one row per SVTAD session, with what it ran under (stage, release, SUT version, seed, host,
firmware) and, from schema 3, the TTM and criteria it used, so a campaign's verdict read from the store judges by
the same TTM and criteria as the sessions did (``svtad verdict --campaign``)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select, update

from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.ttm import Requirement, Ttm
from pytest_svtad.store import schema as t


def now() -> datetime:
    return datetime.now(UTC)


def ttm_as_json(ttm: Ttm | None) -> dict[str, Any] | None:
    """The TTM a run used, whole (its requirements, not only its path): the file may change or move later."""
    if ttm is None:
        return None
    return {"source": ttm.source, "requirements": [
        {"requirement_id": r.requirement_id, "functional_group": r.functional_group, "title": r.title,
         "section": r.section, "clause": r.clause, "severity": r.severity, "stages": list(r.stages)}
        for r in ttm.requirements.values()]}


def ttm_from_json(data: Any) -> Ttm | None:
    """The stored TTM, or None when the run stored none (or something this version cannot read)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("requirements"), list):
        return None
    try:
        requirements = [Requirement(requirement_id=str(r["requirement_id"]),
                                    functional_group=str(r["functional_group"]), title=str(r["title"]),
                                    section=str(r.get("section") or ""), clause=str(r.get("clause") or ""),
                                    severity=None if r.get("severity") is None else int(r["severity"]),
                                    stages=tuple(r.get("stages") or ())) for r in data["requirements"]]
    except (KeyError, TypeError, ValueError):
        return None
    return Ttm(source=str(data.get("source") or ""), requirements={r.requirement_id: r for r in requirements})


def criteria_as_json(criteria: Criteria | None) -> dict[str, Any] | None:
    """The criteria in force for a run, with the file they came from (``source`` None: Appendix AK's defaults)."""
    if criteria is None:
        return None
    # only what the file set: which values a file set and which are defaults is part of the verdict's words
    return criteria.model_dump(mode="json", exclude_unset=True)


def criteria_from_json(data: Any) -> Criteria | None:
    if not isinstance(data, Mapping):
        return None
    try:
        return Criteria.model_validate(dict(data))
    except ValidationError:
        return None


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What a stored run was judged by: its TTM and its criteria (None: the run stored none)."""

    ttm: Ttm | None
    criteria: Criteria | None


def run_settings(run: Mapping[str, Any]) -> RunSettings:
    """The TTM and criteria stored with a run row (``Store.runs``); a run of schema 2 or older stored neither."""
    return RunSettings(ttm_from_json(run.get("ttm")), criteria_from_json(run.get("criteria")))


class RunRepository:
    """Mixed into :class:`pytest_svtad.store.db.Store`: its run rows."""

    name: str

    def _writing(self, what: str) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    _reading = _writing

    def begin_run(self, *, campaign: str | None, stage: str, release: str | None, sut_version: str | None,
                  seed: int, host: str, firmware: dict[str, dict[str, str]], ttm: dict[str, Any] | None = None,
                  criteria: dict[str, Any] | None = None) -> int:
        """A new run; ``ttm`` and ``criteria`` as ``ttm_as_json`` and ``criteria_as_json`` give them."""
        with self._writing("begin a run") as conn:
            row = conn.execute(insert(t.runs).values(
                campaign=campaign, stage=stage, release=release, sut_version=sut_version, seed=seed, host=host,
                started_at=now(), status="running", firmware=firmware, ttm=ttm, criteria=criteria)
                .returning(t.runs.c.id))
            return int(row.scalar_one())

    def finish_run(self, run_id: int, *, interrupted: bool, verdict: str | None) -> None:
        with self._writing("finish the run") as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(
                ended_at=now(), status="interrupted" if interrupted else "finished", verdict=verdict))

    def runs(self, campaign: str) -> list[dict[str, Any]]:
        query = select(t.runs).where(t.runs.c.campaign == campaign).order_by(t.runs.c.started_at, t.runs.c.id)
        with self._reading("read runs") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]
