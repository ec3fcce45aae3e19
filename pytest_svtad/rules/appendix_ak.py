"""Every number SEC Appendix AK (the SMETS1 SVTAD, v1.23) gives the harness, once, with its clause.

Numbers the seeds do not give (MT thresholds, per-EPCL-entry thresholds, DMCT thresholds) are deliberately absent:
they come from the criteria file or the criterion says it is not configured.
"""

from __future__ import annotations

from types import MappingProxyType

STAGES = ("PIT", "SIT", "UTS", "SCT", "MT-ACTIVE", "MT-DORMANT", "MT-MIXED", "DMCT-MT", "DMCT-SRVT")
RELEASES = ("IOC", "MOC", "FOC")
SEVERITIES = (1, 2, 3, 4, 5)  # 13.19: 1 is the worst; severities from the Common Test Scenarios Document

# Table 13.1 row 1 / 12.6(a): 100% of planned functional tests executed (approved de-scoping excluded).
FUNCTIONAL_EXECUTION_RATE = 1.0
# Table 13.1 row 1: "a 90% pass rate for any planned tests on the same DMC (excluding those ... de-scoped)".
FUNCTIONAL_PASS_RATE = 0.9
# Table 13.1 row 2: 100% of planned regression tests executed on the stage-exit versions, 100% pass rate.
REGRESSION_EXECUTION_RATE = 1.0
REGRESSION_PASS_RATE = 1.0
# 13.21 default severity when a test names none (the middle of the 1-5 scale; overridable per test).
DEFAULT_SEVERITY = 3

# Table 13.2: maximum extant Testing Issues per severity, per DCC Service Provider (UTS: SMETS1 Interface Testing).
# MT thresholds live in the MTAD (13.19), not here.
TABLE_13_2: MappingProxyType[str, MappingProxyType[int, int]] = MappingProxyType({
    "PIT": MappingProxyType({1: 0, 2: 0, 3: 15, 4: 30, 5: 60}),
    "SIT": MappingProxyType({1: 0, 2: 0, 3: 15, 4: 30, 5: 60}),
    "UTS": MappingProxyType({1: 0, 2: 0, 3: 5, 4: 10, 5: 20}),
    "SCT": MappingProxyType({1: 0, 2: 0, 3: 15, 4: 30, 5: 60}),
})

# Where each stage's thresholds come from when the criteria file gives none.
THRESHOLD_SOURCE_WHEN_ABSENT = {
    "MT-ACTIVE": "the Migration Testing Approach Document (13.19); the seeds give no numbers",
    "MT-DORMANT": "the Migration Testing Approach Document (13.19); the seeds give no numbers",
    "MT-MIXED": "the Migration Testing Approach Document (13.19); the seeds give no numbers",
    "DMCT-MT": "no threshold for DMCT testing is set in Clause 20; the seeds give no numbers",
    "DMCT-SRVT": "no threshold for DMCT testing is set in Clause 20; the seeds give no numbers",
}

CLAUSES = {
    "functional-execution": "Table 13.1 row 1; 12.6(a)",
    "functional-pass-rate": "Table 13.1 row 1; 12.6(b)",
    "regression": "Table 13.1 row 2; 12.6(f)",
    "issue-thresholds": "Table 13.1 row 3; Table 13.2; 13.18-13.20",
    "evidence": "Table 13.1 row 4; 12.6(d)",
    "issue-logs": "Table 13.1 row 5; 12.6(e)",
    "ttm-traceability": "Table 13.1 row 6; 19.4(a)",
    "heatmap": "Table 13.1 row 7; 16.4; 19.4(b)",
    "assurance-report": "Table 13.1 row 8; 9.5-9.6",
}
CRITERIA_ORDER = tuple(CLAUSES)

# 15.1: Work Off Plan due dates, in Working Days from the issue of the Test Completion Certificate, by severity.
# Severity 1 and 2 issues may not be open at exit (Table 13.2 limits of 0): on a plan they are an error, not a date.
WORK_OFF_WORKING_DAYS = MappingProxyType({3: 20, 4: 40, 5: 60})
