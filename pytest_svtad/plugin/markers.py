"""The svtad markers: registration, argument checking, and the tags they give a test (worker side)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_svtad.model import SECRETARY_OF_STATE, TAB, Descoping
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.ttm import Ttm
from pytest_svtad.smets1.catalogue import SrvCatalogue
from pytest_svtad.smets1.profiles import KIND_NAMES, DeviceKind, DmcProfile

MARKERS = {
    "ttm": "ttm(*ids): TTM requirement ids the test covers (an id absent from the loaded TTM is a collection error).",
    "srv": "srv(code): the DUIS Service Reference Variant exercised, e.g. '4.1.1' (must be in the SRV catalogue).",
    "functional_group": "functional_group(name): heatmap row; default the group of the first TTM id, else Ungrouped.",
    "regression": "regression: the test is in the regression set (Table 13.1 row 2), not the functional set.",
    "stages": f"stages(*names): stages in which the test is planned ({', '.join(ak.STAGES)}); absent = every stage.",
    "requires": f"requires(*kinds): device kinds the DMC must contain ({KIND_NAMES}); else not applicable.",
    "descoped": "descoped(reason, approval, approved_by=()): approved de-scoping (12.6(a)): out of planned counts, "
                "listed in reports; approved_by names the approvers ('TAB', 'Secretary of State': SIT needs both).",
    "severity": "severity(n): severity 1-5 of the Testing Issue a failure raises (13.19); default: the most severe "
                "TTM severity of its requirements, else 3.",
    "known_defect": "known_defect(issue_id, cause=None, provider=None): a failure of this test is the known Testing "
                    "Issue issue_id.",
    "testing_issue": "testing_issue(cause=None, provider=None): the Testing Issue a failure raises is attributed to "
                     "cause 'dcc', 'device' or 'undetermined' (13.19; default undetermined) and to a DCC Service "
                     "Provider named in the criteria file's providers.",
    "witnessed": "witnessed(by=None): the test is in the witnessed subset (13.11-13.13), optionally naming who.",
    "requires_sim": "requires_sim(reason=None): the test reads the simulator's own state, so it needs every "
                    "simulator-only power (SimulatedTime, FaultInjection, Migration, ConsumerAction); on a DMC "
                    "whose link lacks one it is not applicable, listed in the verdict's notes.",
}


class MarkerError(Exception):
    """A marker used with the wrong arguments, or naming something unknown."""


@dataclass(frozen=True, slots=True)
class Tags:
    ttm: tuple[str, ...] = ()
    srv: str | None = None
    functional_group: str | None = None
    regression: bool = False
    stages: tuple[str, ...] | None = None
    requires: frozenset[DeviceKind] = frozenset()
    srv_devices: frozenset[DeviceKind] = frozenset()  # the SRV's device kinds: the DMC needs one of them
    descoped: Descoping | None = None
    severity: int = ak.DEFAULT_SEVERITY
    known_defect: str | None = None
    witnessed: str | None = None  # "" when witnessed by an unnamed observer
    cause: str | None = None  # the cause a failure's Testing Issue is attributed to (13.19)
    provider: str | None = None  # the DCC Service Provider it is attributed to
    tagged: bool = False  # any svtad marker at all

    def planned_in(self, stage: str) -> bool:
        return self.stages is None or stage in self.stages

    def applicable_to(self, dmc: DmcProfile) -> bool:
        kinds = dmc.kinds
        if not self.requires <= kinds:
            return False
        return not self.srv_devices or bool(self.srv_devices & kinds)


def _strings(name: str, values: Iterable[object], signature: str) -> list[str]:
    out = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise MarkerError(f"@pytest.mark.{signature}: expected non-empty strings, got {value!r}")
        out.append(value.strip())
    return out


def _one(marks: dict[str, list[pytest.Mark]], name: str, signature: str) -> object | None:
    """The closest marker's single argument (positional or named like the signature's parameter)."""
    if name not in marks:
        return None
    mark = marks[name][0]
    param = signature.split("(", 1)[1].rstrip(")")
    values = list(mark.args) + [mark.kwargs[key] for key in mark.kwargs if key == param]
    unexpected = [key for key in mark.kwargs if key != param]
    if len(values) != 1 or unexpected:
        raise MarkerError(f"@pytest.mark.{signature}: expected exactly one argument, got args={mark.args!r} "
                          f"kwargs={mark.kwargs!r}")
    return values[0]


def _approvers(value: object) -> tuple[str, ...]:
    """``approved_by``: one name or several; 'SoS' is read as the Secretary of State (12.6(a))."""
    names = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else None
    if names is None or not all(isinstance(name, str) and name.strip() for name in names):
        raise MarkerError("@pytest.mark.descoped(..., approved_by=...): expected a name or a list of names, e.g. "
                          "approved_by=('TAB', 'Secretary of State')")
    aliases = {"sos": SECRETARY_OF_STATE, "secretary of state": SECRETARY_OF_STATE, "tab": TAB}
    return tuple(dict.fromkeys(aliases.get(str(name).strip().lower(), str(name).strip()) for name in names))


def _attribution(mark: pytest.Mark, signature: str) -> tuple[str | None, str | None]:
    cause, provider = mark.kwargs.get("cause"), mark.kwargs.get("provider")
    if cause is not None and cause not in ak.CAUSES:
        raise MarkerError(f"@pytest.mark.{signature}: cause must be one of {', '.join(ak.CAUSES)}, got {cause!r}")
    if provider is not None and (not isinstance(provider, str) or not provider.strip()):
        raise MarkerError(f"@pytest.mark.{signature}: provider must be a non-empty string, got {provider!r}")
    return cause, provider.strip() if isinstance(provider, str) else None


def read_tags(node: pytest.Item | pytest.Function, catalogue: SrvCatalogue, ttm: Ttm | None,
              memo: dict[Any, Tags] | None = None) -> Tags:
    """Tags of a test from its markers (function, class and module); raises MarkerError on misuse. With ``memo``
    (one per catalogue and TTM: a session's), the tags of markers already read are looked up instead of read again:
    the tests of a module or class that carries its markers share them (what was misused is never kept)."""
    marks: dict[str, list[pytest.Mark]] = {}
    given = []
    for mark in node.iter_markers():  # closest first
        if mark.name in MARKERS:
            marks.setdefault(mark.name, []).append(mark)
            given.append(_mark_key(mark))
    if not marks:
        return Tags()
    if memo is None:
        return _tags_of(marks, catalogue, ttm)
    key = tuple(given)
    try:
        tags = memo.get(key)
    except TypeError:  # a marker argument that cannot be a key (a list, a dict): read every time
        return _tags_of(marks, catalogue, ttm)
    if tags is None:
        tags = memo[key] = _tags_of(marks, catalogue, ttm)
    return tags


def _mark_key(mark: pytest.Mark) -> tuple[Any, ...]:
    """A marker as a memo key that tells apart what compares equal but reads differently (``severity(2)``,
    ``severity(2.0)``, ``severity(True)``): each value with its type, unless every argument is a plain string."""
    if not mark.kwargs and all(type(arg) is str for arg in mark.args):
        return mark.name, mark.args
    return mark.name, _typed(mark.args), tuple((name, _typed(value)) for name, value in mark.kwargs.items())


def _typed(value: Any) -> Any:
    if type(value) is tuple:
        return tuple, tuple(_typed(item) for item in value)
    return type(value), value


def _tags_of(marks: dict[str, list[pytest.Mark]], catalogue: SrvCatalogue, ttm: Ttm | None) -> Tags:
    ttm_ids: list[str] = []
    for mark in marks.get("ttm", ()):
        if mark.kwargs or not mark.args:
            raise MarkerError("@pytest.mark.ttm(*ids): expected one or more requirement ids as positional strings")
        ttm_ids.extend(_strings("ttm", mark.args, "ttm(*ids)"))
    ttm_ids = list(dict.fromkeys(ttm_ids))
    if ttm is not None:
        for rid in ttm_ids:
            if rid not in ttm:
                raise MarkerError(f"ttm id '{rid}' is not in the TTM {ttm.source}")

    srv_value = _one(marks, "srv", "srv(code)")
    srv = None
    srv_devices: frozenset[DeviceKind] = frozenset()
    if srv_value is not None:
        srv = _strings("srv", [srv_value], "srv(code)")[0]
        definition = catalogue.get(srv)
        if definition is None:
            raise MarkerError(f"@pytest.mark.srv('{srv}'): not in the SRV catalogue {catalogue.source.name} "
                              f"(e.g. {', '.join(list(catalogue.entries)[:5])})")
        srv_devices = frozenset(definition.devices) if not definition.non_device else frozenset()

    group_value = _one(marks, "functional_group", "functional_group(name)")
    group = _strings("functional_group", [group_value], "functional_group(name)")[0] \
        if "functional_group" in marks else None  # "" or None given is misuse, not absence

    regression_mark = marks["regression"][0] if "regression" in marks else None
    if regression_mark is not None and (regression_mark.args or regression_mark.kwargs):
        raise MarkerError("@pytest.mark.regression takes no arguments")

    stages: tuple[str, ...] | None = None
    stages_mark = marks["stages"][0] if "stages" in marks else None
    if stages_mark is not None:
        names_given = [str(s).upper() for s in _strings("stages", stages_mark.args, "stages(*names)")]
        unknown = [s for s in names_given if s not in ak.STAGES]
        if unknown or not names_given or stages_mark.kwargs:
            raise MarkerError(f"@pytest.mark.stages(*names): unknown stage(s) {unknown or stages_mark.kwargs} "
                              f"(expected {', '.join(ak.STAGES)})")
        stages = tuple(names_given)

    requires: set[DeviceKind] = set()
    for mark in marks.get("requires", ()):
        for kind in _strings("requires", mark.args, "requires(*kinds)"):
            if kind.upper() not in DeviceKind.__members__:
                raise MarkerError(f"@pytest.mark.requires(*kinds): unknown device kind '{kind}' "
                                  f"(expected {KIND_NAMES})")
            requires.add(DeviceKind(kind.upper()))

    descoped = None
    descoped_mark = marks["descoped"][0] if "descoped" in marks else None
    if descoped_mark is not None:
        args = list(descoped_mark.args)
        reason = descoped_mark.kwargs.get("reason", args.pop(0) if args else None)
        approval = descoped_mark.kwargs.get("approval", args.pop(0) if args else None)
        approved_by = descoped_mark.kwargs.get("approved_by", args.pop(0) if args else ())
        if args or not all(isinstance(v, str) and v.strip() for v in (reason, approval)) \
                or set(descoped_mark.kwargs) - {"reason", "approval", "approved_by"}:
            raise MarkerError("@pytest.mark.descoped(reason, approval, approved_by=()): both a reason and the "
                              "approval reference are required (12.6(a): de-scoping needs approval)")
        descoped = Descoping(str(reason).strip(), str(approval).strip(), _approvers(approved_by))

    severity = ak.DEFAULT_SEVERITY
    severity_value = _one(marks, "severity", "severity(n)")
    if severity_value is not None:
        if isinstance(severity_value, bool) or not isinstance(severity_value, int) \
                or severity_value not in ak.SEVERITIES:
            raise MarkerError(f"@pytest.mark.severity(n): n must be an integer 1-5, got {severity_value!r}")
        severity = severity_value

    known_defect = cause = provider = None
    if "known_defect" in marks:
        mark = marks["known_defect"][0]
        signature = "known_defect(issue_id, cause=None, provider=None)"
        issue_id = mark.kwargs.get("issue_id", mark.args[0] if mark.args else None)
        if len(mark.args) > 1 or set(mark.kwargs) - {"issue_id", "cause", "provider"}:
            raise MarkerError(f"@pytest.mark.{signature}: expected one issue id and optionally cause= and provider=")
        known_defect = _strings("known_defect", [issue_id], signature)[0]  # "" or None given is misuse
        cause, provider = _attribution(mark, signature)
    if "testing_issue" in marks:
        mark = marks["testing_issue"][0]
        signature = "testing_issue(cause=None, provider=None)"
        if mark.args or set(mark.kwargs) - {"cause", "provider"} or not mark.kwargs:
            raise MarkerError(f"@pytest.mark.{signature}: expected cause= and/or provider= as keywords")
        own_cause, own_provider = _attribution(mark, signature)
        cause, provider = cause or own_cause, provider or own_provider

    witnessed = None
    if "witnessed" in marks:
        mark = marks["witnessed"][0]
        by = mark.kwargs.get("by", mark.args[0] if mark.args else "")
        if not isinstance(by, str) or len(mark.args) > 1 or set(mark.kwargs) - {"by"}:
            raise MarkerError("@pytest.mark.witnessed(by=None): expected at most one string naming the witness")
        witnessed = by.strip()

    for mark in marks.get("requires_sim", ()):
        reason = mark.kwargs.get("reason", mark.args[0] if mark.args else None)
        if len(mark.args) > 1 or set(mark.kwargs) - {"reason"} or not (reason is None or isinstance(reason, str)):
            raise MarkerError("@pytest.mark.requires_sim(reason=None): expected at most one string saying what "
                              f"of the simulator the test reads, got args={mark.args!r} kwargs={mark.kwargs!r}")

    if group is None and ttm is not None and ttm_ids:
        group = ttm.group_of(ttm_ids[0])
    if severity_value is None and ttm is not None:
        # without a marker, a failure is as severe as the most severe requirement the test covers (13.19)
        given = [req.severity for rid in ttm_ids if (req := ttm.requirements.get(rid)) and req.severity]
        severity = min(given, default=severity)
    return Tags(ttm=tuple(ttm_ids), srv=srv, functional_group=group, regression=regression_mark is not None,
                stages=stages, requires=frozenset(requires), srv_devices=srv_devices, descoped=descoped,
                severity=severity, known_defect=known_defect, witnessed=witnessed, cause=cause, provider=provider,
                tagged=True)
