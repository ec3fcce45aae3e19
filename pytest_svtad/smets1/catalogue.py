"""The SRV catalogue: DUIS Service Reference Variants with their SMETS1 applicability.

The data lives in ``srv_catalogue.yaml`` beside this module so a correction is a data change. Flags (critical,
on demand, future dated, DCC scheduled, non-device) and eligible roles follow the DUIS request matrix; SMETS1
applicability is ours to declare (SEC Appendix AM, S1SR Annex A, was not available): see the file's header.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.reader import load_yaml, validate
from pytest_svtad.smets1.kinds import DeviceKind

DEFAULT_CATALOGUE = Path(__file__).with_name("srv_catalogue.yaml")


class SrvDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    srv: str = Field(pattern=r"^\d+(\.\d+){1,2}$")
    name: str = Field(min_length=1)
    access: Literal["read", "update"]
    critical: bool = False
    devices: tuple[DeviceKind, ...] = ()
    on_demand: bool = True
    # the DUIS "Future Dated Response Pattern": who holds a future-dated request until its execution time
    future_dated: Literal["none", "device", "dsp", "dsp_and_device"] = "none"
    dcc_scheduled: bool = False
    non_device: bool = False
    roles: tuple[str, ...] = ()
    smets1: bool = True
    simulated: bool = False
    notes: str = ""

    def default_device(self, present: Iterable[DeviceKind]) -> DeviceKind | None:
        """The device kind a request goes to when the caller names none: the first of ``devices`` present."""
        kinds = set(present)
        return next((kind for kind in self.devices if kind in kinds), None)


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response_codes: dict[str, str] = {}
    srvs: list[SrvDefinition]


class SrvCatalogue:
    def __init__(self, source: Path, entries: dict[str, SrvDefinition],
                 response_codes: dict[str, str] | None = None) -> None:
        self.source = source
        self.entries = entries
        self.response_codes = response_codes or {}

    def close_matches(self, srv: str, limit: int = 3) -> list[str]:
        """SRVs whose number or name resembles ``srv``: for "unknown SRV" messages."""
        variants = [number for number in self.entries if number.startswith(srv + ".")]
        by_number = variants + difflib.get_close_matches(srv, list(self.entries), n=limit, cutoff=0.5)
        names = {entry.name.lower(): entry.srv for entry in self.entries.values()}
        by_name = [names[name] for name in difflib.get_close_matches(srv.lower(), list(names), n=limit, cutoff=0.5)]
        return list(dict.fromkeys(by_number + by_name))[:limit]

    def unknown(self, srv: str) -> str:
        """The message for an SRV the catalogue lacks, naming the close ones."""
        close = self.close_matches(str(srv))
        return f"unknown SRV '{srv}'" + (f"; did you mean {', '.join(close)}?" if close else "")

    def describe(self, srv: str) -> str:
        entry = self.entries.get(srv)
        return f"{srv} {entry.name}" if entry else srv

    def __contains__(self, srv: object) -> bool:
        return srv in self.entries

    def __getitem__(self, srv: str) -> SrvDefinition:
        return self.entries[srv]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, srv: str) -> SrvDefinition | None:
        return self.entries.get(srv)


def load_catalogue(path: Path = DEFAULT_CATALOGUE) -> SrvCatalogue:
    located = load_yaml(path, "SRV catalogue")
    parsed = validate(located, _CatalogueFile, "SRV catalogue")
    entries: dict[str, SrvDefinition] = {}
    for index, entry in enumerate(parsed.srvs):
        if entry.srv in entries:
            raise SvtadInputError(path, f"SRV catalogue: duplicate srv '{entry.srv}'", located.line_of(["srvs", index]))
        entries[entry.srv] = entry
    return SrvCatalogue(path, entries, dict(parsed.response_codes))


@cache
def default_catalogue() -> SrvCatalogue:
    return load_catalogue(DEFAULT_CATALOGUE)


def srv_order(srv: str) -> tuple[tuple[int, str], ...]:
    """Sort key of an SRV code by its numbers: ``"4.8.1"`` before ``"4.10"``, ``"2.2"`` before ``"11.2"``."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in srv.split("."))
