"""``results.jsonl`` lines for many results at once (``svtad verdict --campaign`` writes a million), byte for byte
what :func:`pytest_svtad.model.result_line` gives one at a time.

``result_line`` builds two dicts, merges and sorts them and runs the JSON encoder over every value of every line;
here the key order is fixed once, each distinct tag value is encoded once (a million results share a few hundred
DMC, SRV, group and requirement values), and a line is one f-string. Anything this fast path does not recognise (a
field added to the records, an unusual value type) goes through ``result_line`` itself, so the output never
differs; tests compare the two over varied records.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

from pytest_svtad.model import PlanEntry, Result, result_line

_ENTRY_KEYS = ("nodeid", "dmc", "ttm", "srv", "functional_group", "regression", "severity", "known_defect",
               "descoped", "witnessed", "cause", "provider")
_RESULT_KEYS = ("nodeid", "outcome", "error", "xfailed", "crashed", "reason", "duration", "evidence")
_COMMON_KEYS = ("release", "seed", "stage", "sut_version")
BOOL = {True: "true", False: "false"}
ASCII_STRING = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def dumps(value: Any) -> str:
    """A value as ``result_line`` encodes it."""
    return json.dumps(value, sort_keys=True, default=str)


class Encoded(dict[Any, str]):
    """Value -> its JSON text, computed on first use (keys are values of one field, all of one type)."""

    def __missing__(self, value: Any) -> str:
        text = self[value] = dumps(value)
        return text


def _typed(entry: PlanEntry, result: Result) -> bool:
    """Whether the record's values are of the types the fast path encodes like the JSON encoder does."""
    return (type(entry.regression) is bool and type(entry.severity) is int and type(result.error) is bool
            and type(result.xfailed) is bool and type(result.crashed) is bool and type(result.duration) is float
            and math.isfinite(result.duration) and type(entry.ttm) is tuple and type(result.nodeid) is str)


def shape_known(common: dict[str, Any]) -> bool:
    """Whether the records still have the fields the fast path writes (else ``result_line`` writes every line)."""
    return (tuple(PlanEntry("").to_dict()) == _ENTRY_KEYS and tuple(Result("").to_dict()) == _RESULT_KEYS
            and tuple(sorted(common)) == _COMMON_KEYS)


def common_texts(common: dict[str, Any]) -> tuple[str, str, str, str]:
    """release, seed, stage and sut_version, encoded once."""
    release, seed, stage, sut_version = (dumps(common[key]) for key in _COMMON_KEYS)
    return release, seed, stage, sut_version


def line(cause: str, crashed: str, descoped: str, dmc: str, duration: str, error: str, evidence: str, group: str,
         defect: str, nodeid: str, outcome: str, provider: str, reason: str, regression: str, release: str,
         seed: str, severity: str, srv: str, stage: str, sut_version: str, ttm: str, witnessed: str,
         xfailed: str) -> str:
    """One line from its values already encoded, keys in ``result_line``'s (sorted) order: the one template of the
    fast path (``result_lines`` and the campaign pass, ``pytest_svtad.store.campaign_pass``)."""
    return (f'{{"cause": {cause}, "crashed": {crashed}, "descoped": {descoped}, "dmc": {dmc}, '
            f'"duration": {duration}, "error": {error}, "evidence": {evidence}, '
            f'"functional_group": {group}, "known_defect": {defect}, "nodeid": {nodeid}, '
            f'"outcome": {outcome}, "provider": {provider}, "reason": {reason}, '
            f'"regression": {regression}, "release": {release}, "seed": {seed}, '
            f'"severity": {severity}, "srv": {srv}, "stage": {stage}, '
            f'"sut_version": {sut_version}, "ttm": {ttm}, "witnessed": {witnessed}, '
            f'"xfailed": {xfailed}}}')


def result_lines(pairs: Iterable[tuple[PlanEntry, Result]], common: dict[str, Any]) -> Iterator[str]:
    """One line (without its newline) per (plan entry, result), equal to ``result_line(entry, result, common)``."""
    if not shape_known(common):
        for entry, result in pairs:  # the records changed shape: the one-at-a-time encoder stays the truth
            yield result_line(entry, result, common)
        return
    release, seed, stage, sut_version = common_texts(common)
    text = Encoded()  # str and None values of the str fields
    ttms, severities, outcomes = Encoded(), Encoded(), Encoded()
    descopings: dict[Any, str] = {}
    ascii_string = ASCII_STRING
    for entry, result in pairs:
        if not _typed(entry, result) or type(result.reason) is not str:
            yield result_line(entry, result, common)
            continue
        try:
            cause, dmc, group = text[entry.cause], text[entry.dmc], text[entry.functional_group]
            defect, provider, srv, witnessed = (text[entry.known_defect], text[entry.provider], text[entry.srv],
                                                text[entry.witnessed])
            ttm = ttms[entry.ttm]
            descoped = "null"
            if entry.descoped:
                descoped = descopings.get(entry.descoped) or descopings.setdefault(
                    entry.descoped, dumps(entry.descoped.to_dict()))
        except TypeError:  # an unhashable value where a string was expected
            yield result_line(entry, result, common)
            continue
        reason = text[result.reason] if len(result.reason) < 200 else ascii_string(result.reason)
        evidence = dumps(list(result.evidence)) if result.evidence else "[]"
        yield line(cause, BOOL[result.crashed], descoped, dmc, repr(result.duration), BOOL[result.error], evidence,
                   group, defect, ascii_string(result.nodeid), outcomes[result.outcome.value], provider, reason,
                   BOOL[entry.regression], release, seed, severities[entry.severity], srv, stage, sut_version, ttm,
                   witnessed, BOOL[result.xfailed])
