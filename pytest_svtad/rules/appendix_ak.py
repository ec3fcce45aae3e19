"""Every number SEC Appendix AK (the SMETS1 SVTAD, v1.23) gives the harness, once, with its clause, and where each
stage's criteria come from.

Table 13.1 is SIT's (13.14): its 90% and 100% rules apply to SIT only. 12.6(b) and (f) send PIT to "the relevant
Testing Approach Document", and 12.3 sends every other Test Phase to its own approach document (the MTAD for MT, the
UTS Approach Document for UTS), which the seeds do not contain; Clause 20 sets no pass rate for DMCT testing. Numbers
the seeds do not give are deliberately absent: they come from the criteria file, or the criterion says it is not
configured.
"""

from __future__ import annotations

from types import MappingProxyType

STAGES = ("PIT", "SIT", "UTS", "SCT", "MT-ACTIVE", "MT-DORMANT", "MT-MIXED", "DMCT-MT", "DMCT-SRVT")
RELEASES = ("IOC", "MOC", "FOC")
MT_STAGES = ("MT-ACTIVE", "MT-DORMANT", "MT-MIXED")
DMCT_STAGES = ("DMCT-MT", "DMCT-SRVT")  # the DMCT Process's two kinds of testing (20.14-20.15)


def other_dmct_stage(stage: str) -> str:
    """The DMCT stage a DMC needs besides ``stage`` (20.14: DMCT MT and DMCT SRVT)."""
    return DMCT_STAGES[1 - DMCT_STAGES.index(stage)]

SEVERITIES = (1, 2, 3, 4, 5)  # 13.19: 1 is the worst; severities from the Common Test Scenarios Document

# Table 13.1 row 1 / 12.6(a): 100% of planned functional tests executed (approved de-scoping excluded). 12.6(a) is
# generic for PIT and SIT; for other stages the harness applies 100% unless the criteria file says otherwise.
FUNCTIONAL_EXECUTION_RATE = 1.0
# Table 13.1 row 1 (SIT only): "a 90% pass rate for any planned tests on the same DMC (excluding those ... de-scoped)".
SIT_FUNCTIONAL_PASS_RATE = 0.9
# Table 13.1 row 2 (SIT only): 100% of planned regression tests executed on the stage-exit versions, 100% pass rate.
SIT_REGRESSION_EXECUTION_RATE = 1.0
SIT_REGRESSION_PASS_RATE = 1.0
# Severity of the Testing Issue a failing test raises when neither the test nor its TTM requirements name one. This
# is pytest-svtad's default (the middle of the 1-5 scale), not an SVTAD number: 13.19 defines severities by the
# Common Test Scenarios Document clause 12, and the test manager sets them (`svtad issues set-severity`).
DEFAULT_SEVERITY = 3

# Table 13.2: maximum extant Testing Issues per severity, per DCC Service Provider (UTS: SMETS1 Interface Testing).
# MT thresholds live in the MTAD (13.19), not here. 13.19 applies them to issues that arose as a consequence of the
# DCC or the Modified DCC Total System.
TABLE_13_2: MappingProxyType[str, MappingProxyType[int, int]] = MappingProxyType({
    "PIT": MappingProxyType({1: 0, 2: 0, 3: 15, 4: 30, 5: 60}),
    "SIT": MappingProxyType({1: 0, 2: 0, 3: 15, 4: 30, 5: 60}),
    "UTS": MappingProxyType({1: 0, 2: 0, 3: 5, 4: 10, 5: 20}),
    "SCT": MappingProxyType({1: 0, 2: 0, 3: 15, 4: 30, 5: 60}),
})
DEFAULT_PROVIDER = "DCC"  # the one DCC Service Provider issues are attributed to unless the criteria file names more

# Testing Issue causes (13.19): only issues arising from the DCC or the Modified DCC Total System count against
# Table 13.2; device-caused ones count for their DMC in DMCT (20.19(c)); undetermined ones count, conservatively.
CAUSES = ("dcc", "device", "undetermined")
DEFAULT_CAUSE = "undetermined"

# Where each stage's own criteria are set when the criteria file gives none (12.3, 12.6(b), 12.6(f), 13.19).
APPROACH_DOCUMENT = MappingProxyType({
    "PIT": "the relevant Testing Approach Document for PIT (12.6(b), 12.6(f))",
    "SIT": "Table 13.1 of the SVTAD",
    "UTS": "the UTS Approach Document (12.3)",
    "SCT": "the Testing Approach Document for SCT (12.3)",
    **{stage: "the Migration Testing Approach Document (MTAD; 12.3, 13.19)" for stage in MT_STAGES},
    **{stage: "no document in the seeds: Clause 20 sets no minimum for DMCT testing (20.28: to be determined)"
       for stage in DMCT_STAGES},
})

# Where each stage's thresholds come from when the criteria file gives none.
THRESHOLD_SOURCE_WHEN_ABSENT = MappingProxyType({
    **{stage: "the Migration Testing Approach Document (13.19); the seeds give no numbers" for stage in MT_STAGES},
    **{stage: "no threshold for DMCT testing is set in Clause 20; the seeds give no numbers" for stage in DMCT_STAGES},
})

CRITERIA_ORDER = ("functional-execution", "functional-pass-rate", "regression", "issue-thresholds", "work-off-plans",
                  "evidence", "issue-logs", "ttm-traceability", "heatmap", "assurance-report")
WORK_OFF_STAGES = ("PIT", "SIT")  # 12.6(h) is a generic exit criterion for PIT and SIT only

_SIT_CLAUSES = {
    "functional-execution": "Table 13.1 row 1; 12.6(a)",
    "functional-pass-rate": "Table 13.1 row 1; 12.6(b)",
    "regression": "Table 13.1 row 2; 12.6(f)",
    "issue-thresholds": "Table 13.1 row 3; Table 13.2; 13.18-13.20; 13.22",
    "work-off-plans": "12.6(g)-(h); 15.1",
    "evidence": "Table 13.1 row 4; 12.6(d)",
    "issue-logs": "Table 13.1 row 5; 12.6(e)",
    "ttm-traceability": "Table 13.1 row 6; 11.1-11.3; 19.4(a)",
    "heatmap": "Table 13.1 row 7; 16.4; 19.4(b)",
    "assurance-report": "Table 13.1 row 8; 9.5-9.6",
}
_PIT_CLAUSES = {
    "functional-execution": "12.6(a)",
    "functional-pass-rate": "12.6(b); Testing Approach Document for PIT",
    "regression": "12.6(f); Testing Approach Document for PIT",
    "issue-thresholds": "12.6(c); Table 13.2; 13.18",
    "work-off-plans": "12.6(g)-(h); 15.1",
    "evidence": "12.6(d)",
    "issue-logs": "12.6(e); 9.2",
    "ttm-traceability": "12.5(c)",
    "heatmap": "9.4(a)-(b)",
    "assurance-report": "12.6(i); 9.4-9.6",
}


def _other_clauses(stage: str) -> dict[str, str]:
    doc = {"UTS": "UTS Approach Document", "SCT": "Testing Approach Document for SCT"}.get(
        stage, "MTAD" if stage in MT_STAGES else "Clause 20")
    if stage in DMCT_STAGES:
        rate = regression = "20.15-20.17, 20.28; criteria file"
        thresholds = "20.19; criteria file"
    else:
        rate = regression = f"12.3; {doc}"
        thresholds = {"UTS": "Table 13.2; 13.18; 13.20; 13.23", "SCT": "Table 13.2; 13.18"}.get(
            stage, "13.19; MTAD")
    return {
        "functional-execution": f"12.3; {doc}",
        "functional-pass-rate": rate,
        "regression": regression,
        "issue-thresholds": thresholds,
        "work-off-plans": "15.1",
        "evidence": "9.4(b); 18.2(d)",
        "issue-logs": "9.2; 18.2(e)",
        "ttm-traceability": "12.5(c)",
        "heatmap": "9.4(a)-(b); 16.2",
        "assurance-report": "9.4-9.6",
    }


CLAUSES: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType({
    stage: MappingProxyType(_SIT_CLAUSES if stage == "SIT" else _PIT_CLAUSES if stage == "PIT"
                            else _other_clauses(stage)) for stage in STAGES})


def clause(stage: str, criterion_id: str) -> str:
    """The clause a criterion comes from for a stage: Table 13.1 is cited for SIT only."""
    return CLAUSES.get(stage, CLAUSES["SIT"])[criterion_id]


# 15.1: Work Off Plan due dates, in Working Days from the issue of the Test Completion Certificate, by severity.
# 15.1 sets no timescale for severity 1 and 2: on a plan they are an error, not a date.
WORK_OFF_WORKING_DAYS = MappingProxyType({3: 20, 4: 40, 5: 60})

# Stages in the order phases precede each other within a Capability Release, for 12.6(h) (a Work Off Plan of a
# preceding Test Phase): PIT before SIT (5.2, 7.2), SIT before the phases that build on it.
PHASE_ORDER = MappingProxyType({"PIT": 0, "SIT": 1, "UTS": 2, "SCT": 2, **dict.fromkeys(MT_STAGES, 2),
                                **dict.fromkeys(DMCT_STAGES, 3)})


def precedes(earlier: tuple[str, str | None], later: tuple[str, str | None]) -> bool:
    """Whether the Test Phase ``earlier`` (stage, release) precedes ``later``: an earlier Capability Release, or the
    same release and an earlier stage. A phase without a release is compared by stage alone."""
    (stage_a, release_a), (stage_b, release_b) = earlier, later
    if release_a in RELEASES and release_b in RELEASES and release_a != release_b:
        return RELEASES.index(release_a) < RELEASES.index(release_b)
    return PHASE_ORDER.get(stage_a, 9) < PHASE_ORDER.get(stage_b, 9)
