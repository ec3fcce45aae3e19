"""The criteria in force: Appendix AK's numbers, overridable by a criteria file (``--svtad-criteria``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pytest_svtad.rules import appendix_ak as ak

SeverityLimits = dict[int, int]


def _check_limits(value: SeverityLimits | None) -> SeverityLimits | None:
    if value is None:
        return None
    missing = [sev for sev in ak.SEVERITIES if sev not in value]
    extra = [sev for sev in value if sev not in ak.SEVERITIES]
    if missing or extra:
        problem = f"missing severities {missing}" if missing else f"unexpected severities {extra}"
        raise ValueError(f"expected a limit for each severity 1-5 ({problem})")
    if any(limit < 0 for limit in value.values()):
        raise ValueError("limits must be >= 0")
    return dict(sorted(value.items()))


class EpclThresholds(BaseModel):
    """Per planned EPCL entry SIT thresholds and their aggregate limit (MT-SIT alignment, change 13, new
    Table 13.3). The seeds give no numbers: both must be configured before the criterion can be met."""

    model_config = ConfigDict(extra="forbid")

    per_entry: SeverityLimits | None = None
    aggregate: SeverityLimits | None = None

    @field_validator("per_entry", "aggregate")
    @classmethod
    def _limits(cls, value: SeverityLimits | None) -> SeverityLimits | None:
        return _check_limits(value)


class DmctCompletion(BaseModel):
    """When a DMC has completed DMCT testing (20.28 leaves the rule "to be determined"). Without it in the criteria
    file the default applies, and reports say it is the default: every pack test executed and the functional pass
    rate met."""

    model_config = ConfigDict(extra="forbid")

    all_executed: bool = True
    pass_rate: float | None = Field(default=None, ge=0, le=1)  # None: functional_pass_rate
    within_epcl_thresholds: bool = False  # also require the DMC's EPCL entry within epcl_thresholds.per_entry


class SctTarget(BaseModel):
    """Target response times for one SRV under load, in seconds. SEC Section H's numeric Target Response Times were
    not found (DOMAIN.md): a criteria file gives them, and SCT tests without one fail as "not configured"."""

    model_config = ConfigDict(extra="forbid")

    p50_s: float | None = Field(default=None, gt=0)
    p95_s: float | None = Field(default=None, gt=0)
    p99_s: float | None = Field(default=None, gt=0)
    max_s: float | None = Field(default=None, gt=0)


class Criteria(BaseModel):
    model_config = ConfigDict(extra="forbid")

    functional_execution_rate: float = Field(default=ak.FUNCTIONAL_EXECUTION_RATE, ge=0, le=1)
    functional_pass_rate: float = Field(default=ak.FUNCTIONAL_PASS_RATE, ge=0, le=1)
    regression_execution_rate: float = Field(default=ak.REGRESSION_EXECUTION_RATE, ge=0, le=1)
    regression_pass_rate: float = Field(default=ak.REGRESSION_PASS_RATE, ge=0, le=1)
    # MT-SIT alignment change 12: agreed known defects do not break SIT regression. Off unless the file says so,
    # because the change is a consultation proposal, not v1.23 text.
    regression_allows_known_defects: bool = False
    # Table 13.2 per stage; a stage listed here replaces (not merges with) the defaults.
    thresholds: dict[str, SeverityLimits] = Field(default_factory=dict)
    # Count Testing Issues per planned EPCL entry (MT-SIT alignment) instead of per stage (Table 13.2).
    per_epcl_entry: bool = False
    epcl_thresholds: EpclThresholds = EpclThresholds()
    # the DMCT completion rule (20.28); None: the default rule, reported as such
    dmct_completion: DmctCompletion | None = None
    # System Capacity Testing: response-time targets per SRV and the WAN budget per comms hub (none in the seeds)
    sct_targets: dict[str, SctTarget] = Field(default_factory=dict)
    sct_wan_bytes_per_hub_per_day: int | None = Field(default=None, gt=0)
    # The criteria file these came from (set by the loader); None means Appendix AK's defaults alone.
    source: str | None = None

    @field_validator("thresholds")
    @classmethod
    def _stages_known(cls, value: dict[str, SeverityLimits]) -> dict[str, SeverityLimits]:
        for stage, limits in value.items():
            if stage not in ak.STAGES:
                raise ValueError(f"unknown stage '{stage}' (expected one of {', '.join(ak.STAGES)})")
            _check_limits(limits)
        return {stage: dict(sorted(limits.items())) for stage, limits in value.items()}

    def thresholds_for(self, stage: str) -> tuple[SeverityLimits | None, str]:
        """The stage's limits and where they come from; ``None`` when nothing configures them."""
        if stage in self.thresholds:
            return self.thresholds[stage], f"criteria file {self.source or ''}".strip()
        if stage in ak.TABLE_13_2:
            return dict(ak.TABLE_13_2[stage]), "Table 13.2"
        return None, ak.THRESHOLD_SOURCE_WHEN_ABSENT.get(stage, "no source")
