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
    not found: a criteria file gives them, and SCT tests without one fail as "not configured"."""

    model_config = ConfigDict(extra="forbid")

    p50_s: float | None = Field(default=None, gt=0)
    p95_s: float | None = Field(default=None, gt=0)
    p99_s: float | None = Field(default=None, gt=0)
    max_s: float | None = Field(default=None, gt=0)


class RegressionRule(BaseModel):
    """A stage's regression criterion (12.6(f)): for SIT, Table 13.1 row 2; for any other stage, what its Testing
    Approach Document says, written into the criteria file. ``required: false`` records that the stage needs no
    regression set: the verdict names it as the criteria file's choice."""

    model_config = ConfigDict(extra="forbid")

    required: bool = True
    execution_rate: float = Field(default=ak.SIT_REGRESSION_EXECUTION_RATE, ge=0, le=1)
    pass_rate: float = Field(default=ak.SIT_REGRESSION_PASS_RATE, ge=0, le=1)
    # MT-SIT alignment change 12: agreed known defects do not break SIT regression. Off unless the file says so,
    # because the change is a consultation proposal, not v1.23 text.
    allows_known_defects: bool = False


class StageCriteria(BaseModel):
    """One stage's own criteria (``stages: {PIT: {...}}`` in the criteria file): what its Testing Approach Document
    sets (12.3, 12.6(b), 12.6(f)). Anything left out falls back to the file's top-level keys, then to the SVTAD
    (SIT: Table 13.1), else the criterion says it is not configured."""

    model_config = ConfigDict(extra="forbid")

    functional_pass_rate: float | None = Field(default=None, ge=0, le=1)
    functional_execution_rate: float | None = Field(default=None, ge=0, le=1)
    regression: RegressionRule | None = None
    thresholds: SeverityLimits | None = None

    @field_validator("thresholds")
    @classmethod
    def _limits(cls, value: SeverityLimits | None) -> SeverityLimits | None:
        return _check_limits(value)


class MtUnderMtad(BaseModel):
    """20.14 / 20.27: Migration Testing of the DMC under the MTAD, and whether the TAB (20.14) / Panel (20.27) has
    determined it complete. With it, DMCT SRVT alone completes the DMC's DMCT testing."""

    model_config = ConfigDict(extra="forbid")

    completed: bool
    reference: str = Field(min_length=1)  # the determination (minutes, certificate) a reader can look up


class Criteria(BaseModel):
    """The criteria in force. Top-level rates apply to every stage when the file sets them; ``stages.<STAGE>``
    overrides them for one stage. Without the file, only SIT has numbers (Table 13.1)."""

    model_config = ConfigDict(extra="forbid")

    functional_execution_rate: float = Field(default=ak.FUNCTIONAL_EXECUTION_RATE, ge=0, le=1)
    functional_pass_rate: float = Field(default=ak.SIT_FUNCTIONAL_PASS_RATE, ge=0, le=1)
    regression_execution_rate: float = Field(default=ak.SIT_REGRESSION_EXECUTION_RATE, ge=0, le=1)
    regression_pass_rate: float = Field(default=ak.SIT_REGRESSION_PASS_RATE, ge=0, le=1)
    regression_allows_known_defects: bool = False
    # per stage: what the stage's Testing Approach Document sets (12.3)
    stages: dict[str, StageCriteria] = Field(default_factory=dict)
    # Table 13.2 per stage; a stage listed here replaces (not merges with) the defaults.
    thresholds: dict[str, SeverityLimits] = Field(default_factory=dict)
    # The DCC Service Providers Testing Issues are attributed to (13.19: thresholds per DCC Service Provider); the
    # first is the default for an issue that names none.
    providers: list[str] = Field(default_factory=lambda: [ak.DEFAULT_PROVIDER], min_length=1)
    # Count Testing Issues per planned EPCL entry (MT-SIT alignment) instead of per stage (Table 13.2).
    per_epcl_entry: bool = False
    epcl_thresholds: EpclThresholds = EpclThresholds()
    # the DMCT completion rule (20.28); None: the default rule, reported as such
    dmct_completion: DmctCompletion | None = None
    # DMCs whose Migration Testing is under the MTAD (20.14), with the determination that it completed (20.27)
    dmct_mt_under_mtad: dict[str, MtUnderMtad] = Field(default_factory=dict)
    # System Capacity Testing: response-time targets per SRV and the WAN budget per comms hub (none in the seeds)
    sct_targets: dict[str, SctTarget] = Field(default_factory=dict)
    sct_wan_bytes_per_hub_per_day: int | None = Field(default=None, gt=0)
    # SCT pack limits the seeds do not give (queues at the end of the day, outage backlog drain, read E21 share)
    sct_end_of_day_queue_max: int | None = Field(default=None, ge=0)
    sct_outage_drain_max_s: float | None = Field(default=None, gt=0)
    sct_read_e21_max_fraction: float | None = Field(default=None, ge=0, le=1)
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

    @field_validator("stages")
    @classmethod
    def _stage_names(cls, value: dict[str, StageCriteria]) -> dict[str, StageCriteria]:
        for stage in value:
            if stage not in ak.STAGES:
                raise ValueError(f"unknown stage '{stage}' (expected one of {', '.join(ak.STAGES)})")
        return value

    @field_validator("providers")
    @classmethod
    def _provider_names(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if any(not name for name in names) or len(set(names)) != len(names):
            raise ValueError("expected distinct, non-empty DCC Service Provider names")
        return names

    @property
    def default_provider(self) -> str:
        return self.providers[0]

    def _file(self, key: str) -> str:
        return f"criteria file {self.source or ''} ({key})".replace("  ", " ").strip()

    def _set(self, name: str) -> bool:
        return name in self.model_fields_set

    def pass_rate_for(self, stage: str) -> tuple[float | None, str]:
        """The stage's minimum functional pass rate (12.6(b)) and its source; ``None`` when not configured."""
        own = self.stages.get(stage)
        if own is not None and own.functional_pass_rate is not None:
            return own.functional_pass_rate, self._file(f"stages.{stage}.functional_pass_rate")
        if self._set("functional_pass_rate"):
            return self.functional_pass_rate, self._file("functional_pass_rate")
        if stage == "SIT":
            return ak.SIT_FUNCTIONAL_PASS_RATE, "Table 13.1 row 1"
        return None, ak.APPROACH_DOCUMENT.get(stage, "the stage's Testing Approach Document")

    def execution_rate_for(self, stage: str) -> tuple[float, str]:
        """The share of planned functional tests that must be executed (12.6(a): all of them)."""
        own = self.stages.get(stage)
        if own is not None and own.functional_execution_rate is not None:
            return own.functional_execution_rate, self._file(f"stages.{stage}.functional_execution_rate")
        if self._set("functional_execution_rate"):
            return self.functional_execution_rate, self._file("functional_execution_rate")
        if stage == "SIT":
            return ak.FUNCTIONAL_EXECUTION_RATE, "Table 13.1 row 1; 12.6(a)"
        if stage == "PIT":
            return ak.FUNCTIONAL_EXECUTION_RATE, "12.6(a)"
        return ak.FUNCTIONAL_EXECUTION_RATE, "pytest-svtad's default of every planned test (12.6(a) is PIT's and SIT's)"

    def regression_for(self, stage: str) -> tuple[RegressionRule | None, str]:
        """The stage's regression rule (12.6(f)) and its source; ``None`` when not configured."""
        own = self.stages.get(stage)
        if own is not None and own.regression is not None:
            return own.regression, self._file(f"stages.{stage}.regression")
        top = ("regression_execution_rate", "regression_pass_rate", "regression_allows_known_defects")
        rule = RegressionRule(execution_rate=self.regression_execution_rate, pass_rate=self.regression_pass_rate,
                              allows_known_defects=self.regression_allows_known_defects)
        if any(self._set(name) for name in top):
            return rule, self._file(", ".join(name for name in top if self._set(name)))
        if stage == "SIT":
            return rule, "Table 13.1 row 2"
        return None, ak.APPROACH_DOCUMENT.get(stage, "the stage's Testing Approach Document")

    def thresholds_for(self, stage: str) -> tuple[SeverityLimits | None, str]:
        """The stage's limits and where they come from; ``None`` when nothing configures them."""
        own = self.stages.get(stage)
        if own is not None and own.thresholds is not None:
            return own.thresholds, self._file(f"stages.{stage}.thresholds")
        if stage in self.thresholds:
            return self.thresholds[stage], self._file(f"thresholds.{stage}")
        if stage in ak.TABLE_13_2:
            return dict(ak.TABLE_13_2[stage]), "Table 13.2"
        return None, ak.THRESHOLD_SOURCE_WHEN_ABSENT.get(stage, "no source")
