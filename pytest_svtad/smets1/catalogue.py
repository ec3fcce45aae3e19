"""The SRV catalogue: DUIS Service Reference Variants with their SMETS1 applicability.

The data lives in ``srv_catalogue.yaml`` beside this module so a correction is a data change. Flags (critical,
on demand, future dated, DCC scheduled, non-device) follow the DUIS request matrix; SMETS1 applicability is ours
to declare (SEC Appendix AM, S1SR Annex A, was not available): see the file's header.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.smets1.profiles import DeviceKind
from pytest_svtad.yamlfiles import load_yaml, pydantic_error

DEFAULT_CATALOGUE = Path(__file__).with_name("srv_catalogue.yaml")


class SrvDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    srv: str = Field(pattern=r"^\d+(\.\d+){1,2}$")
    name: str = Field(min_length=1)
    access: Literal["read", "update"]
    critical: bool = False
    devices: tuple[DeviceKind, ...] = ()
    on_demand: bool = True
    future_dated: bool = False
    dcc_scheduled: bool = False
    non_device: bool = False
    smets1: bool = True
    simulated: bool = False
    notes: str = ""


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    srvs: list[SrvDefinition]


class SrvCatalogue:
    def __init__(self, source: Path, entries: dict[str, SrvDefinition]) -> None:
        self.source = source
        self.entries = entries

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
    try:
        parsed = _CatalogueFile.model_validate(located.data)
    except ValidationError as exc:
        raise pydantic_error(located, exc, "SRV catalogue") from None
    entries: dict[str, SrvDefinition] = {}
    for index, entry in enumerate(parsed.srvs):
        if entry.srv in entries:
            raise SvtadInputError(path, f"SRV catalogue: duplicate srv '{entry.srv}'", located.line_of(["srvs", index]))
        entries[entry.srv] = entry
    return SrvCatalogue(path, entries)


@cache
def default_catalogue() -> SrvCatalogue:
    return load_catalogue(DEFAULT_CATALOGUE)
