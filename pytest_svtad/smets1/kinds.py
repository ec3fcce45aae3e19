"""The SMETS1 device kinds a DMC is made of (the words every other part of the vocabulary uses)."""

from __future__ import annotations

from enum import StrEnum


class DeviceKind(StrEnum):
    ESME = "ESME"
    GSME = "GSME"
    CH = "CH"
    PPMID = "PPMID"
    IHD = "IHD"


KIND_NAMES = ", ".join(kind.value for kind in DeviceKind)
