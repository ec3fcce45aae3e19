"""A plan entry's tags but its TTM ids, as stored once per distinct set in ``svtad_tags`` (schema 7): the columns,
the hashable set a session remembers ids by, and the set's unique key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pytest_svtad.model import Descoping, PlanEntry

TAG_COLUMNS = ("dmc", "srv", "functional_group", "regression", "severity", "known_defect", "descoped", "witnessed",
               "cause", "provider")  # a plan entry's tags in svtad_tags (schema 7), in this order everywhere
Tags = tuple[Any, ...]  # TAG_COLUMNS' values of one entry, the de-scoping as a Descoping (hashable)


def entry_tags(e: PlanEntry) -> Tags:
    return (e.dmc, e.srv, e.functional_group, bool(e.regression), int(e.severity), e.known_defect, e.descoped,
            e.witnessed, e.cause, e.provider)


def tags_key(tags: Tags) -> str:
    """The stored set's unique key: the SHA-256 of its values as canonical JSON (equal sets, equal keys; a digest,
    so a long de-scoping reason never makes an index entry too large, as PostgreSQL's B-tree refuses past 2.7 kB)."""
    descoped = tags[6]
    values = [*tags[:6], descoped.to_dict() if isinstance(descoped, Descoping) else descoped, *tags[7:]]
    return hashlib.sha256(json.dumps(values, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
