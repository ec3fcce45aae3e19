"""Bank holidays for Working Days (England and Wales by default), from the ``holidays`` package."""

from __future__ import annotations

from datetime import date

from pytest_svtad.errors import SvtadInputError

REGIONS = {"ENG": "England and Wales", "WLS": "England and Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}


def bank_holidays(start: date, end: date, region: str = "ENG") -> frozenset[date]:
    """Bank holidays between ``start`` and ``end`` (inclusive years) in a UK region: ENG (England and Wales,
    the default), WLS, SCT or NIR."""
    import holidays

    region = region.upper()
    if region not in REGIONS:
        raise SvtadInputError("--region", f"unknown region '{region}'; expected one of {', '.join(REGIONS)}")
    years = list(range(start.year, end.year + 1))
    return frozenset(holidays.country_holidays("GB", subdiv=region, years=years))
