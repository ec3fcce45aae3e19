"""1.1.1 Update Import Tariff and 1.2.1 Update Price: the DUIS switching table and price elements <-> the tariff
mapping the simulated meter prices energy with (simulators/tariff.py: ``unit_rate_pence``, ``tou``, ``blocks``,
``standing_charge_pence``).

Decoding reads the first day profile of the switching table (the simulator prices every day alike) and the price
elements; when the received switching table (seasons, week profiles, special days, more day profiles) is more than
that, it is kept verbatim under the tariff's ``duis`` key, so a Read Tariff (4.11.1) returns what was written and a
re-encoded request carries the same table. Encoding writes a one-season, one-week, one-day table from the bands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from pytest_svtad.smets1.duis.errors import DuisError, error_code
from pytest_svtad.smets1.duis.formats import setting
from pytest_svtad.smets1.duis.tree import (
    index_of,
    integer,
    named,
    need,
    opt_text,
    pence_to_scaled,
    scaled_to_pence,
    sub,
)
from pytest_svtad.smets1.duis.xml import NS, child, children, local

if TYPE_CHECKING:  # bodies imports this module
    from pytest_svtad.smets1.duis.bodies import Context


def _tree(element: etree._Element) -> dict[str, Any]:
    """An element as plain data (name, attributes, text or children): JSON-able and exactly re-writable."""
    node: dict[str, Any] = {"name": local(element)}
    if element.attrib:
        node["attrs"] = dict(sorted(element.attrib.items()))
    kids = children(element)
    if kids:
        node["children"] = [_tree(item) for item in kids]
    elif (element.text or "").strip():
        node["text"] = element.text.strip()  # type: ignore[union-attr]
    return node


def _untree(parent: etree._Element, node: dict[str, Any], where: str) -> None:
    name = node.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise DuisError(error_code("bad_value"), f"{where}: tariff.duis element name {name!r} is not an XML name")
    element = sub(parent, name, node.get("text"), **{str(k): str(v) for k, v in node.get("attrs", {}).items()})
    for item in node.get("children", []):
        _untree(element, item, where)


def _hhmm(value: str, where: str) -> str:
    parts = value.rstrip("Z").split(":")
    if len(parts) < 2 or not all(part.split(".")[0].isdigit() for part in parts):
        raise DuisError(error_code("bad_value"), f"{where}: StartTime {value!r} is not hh:mm:ss")
    return f"{int(parts[0]):02d}:{int(parts[1]):02d}"


def _bands(tariff: dict[str, Any], where: str) -> list[tuple[str, float]]:
    if "tou" in tariff:
        return [(str(band["from"]), float(band["rate_pence"])) for band in tariff["tou"]]
    if "unit_rate_pence" in tariff:
        return [("00:00", float(tariff["unit_rate_pence"]))]
    if "blocks" in tariff:
        return []
    raise DuisError(error_code("bad_value"), f"{where}: the tariff has no unit_rate_pence, tou or blocks")


def _switching_table(parent: etree._Element, bands: list[tuple[str, float]], gas: bool) -> None:
    table = sub(parent, "SwitchingTable")
    day = sub(sub(table, "DayProfiles"), "DayProfile")
    sub(day, "DayName", 1)
    if gas:  # gas day profiles carry one action for the day (duis-templates GCS01a)
        if bands:
            sub(day, "TOUTariffAction", 1)
        else:
            sub(day, "BlockTariff")
    else:
        for index, (start, _) in enumerate(bands or [("00:00", 0.0)], start=1):
            schedule = sub(day, "ProfileSchedule")
            sub(schedule, "StartTime", f"{start}:00.00Z")
            sub(schedule, "TOUTariffAction" if bands else "BlockTariffAction", index if bands else 1)
    week = sub(sub(table, "WeekProfiles"), "WeekProfile")
    sub(week, "WeekName", 1)
    for index in range(1, 8):
        sub(week, "ReferencedDayName", 1, index=str(index))
    season = sub(sub(table, "Seasons"), "Season")
    sub(season, "SeasonName", "all")
    start = sub(season, "SeasonStartDate")
    sub(sub(start, "Year"), "NonSpecifiedYear")
    sub(sub(start, "Month"), "NonSpecifiedMonth")
    sub(sub(start, "DayOfMonth"), "NonSpecifiedDayOfMonth")
    sub(sub(start, "DayOfWeek"), "NonSpecifiedDayOfWeek")
    sub(season, "ReferencedWeekName", 1)


def _price_elements(parent: etree._Element, tariff: dict[str, Any], bands: list[tuple[str, float]], gas: bool,
                    where: str) -> None:
    price_scale = setting("money", "price_scale_default")
    charge_scale = setting("money", "standing_charge_scale_default")
    prices = sub(sub(parent, "PriceElements"), "GasPriceElements" if gas else "ElectricityPriceElements")
    if gas:
        sub(prices, "CurrencyUnits", "GBP")
    if "standing_charge_pence" in tariff:
        sub(prices, "StandingCharge", pence_to_scaled(float(tariff["standing_charge_pence"]), charge_scale, where))
        if not gas:
            sub(prices, "StandingChargeScale", charge_scale)
    if not gas:
        sub(prices, "PriceScale", price_scale)
    if tariff.get("blocks"):
        block = sub(prices, "BlockTariff")
        block = block if gas else sub(block, "BlockPrices", index="1")
        for index, item in enumerate(tariff["blocks"], start=1):
            sub(block, "BlockPrice", pence_to_scaled(float(item["rate_pence"]), price_scale, where), index=str(index))
    elif bands:
        tou = sub(prices, "TOUTariff")
        for index, (_, rate) in enumerate(bands, start=1):
            sub(tou, "TOUPrice", pence_to_scaled(rate, price_scale, where), index=str(index))


def _thresholds(parent: etree._Element, tariff: dict[str, Any], gas: bool) -> None:
    matrix = sub(parent, "ThresholdMatrix")
    row = matrix if gas else sub(matrix, "Thresholds", index="1")
    unlimited = setting("blocks")["unlimited"]
    for index, item in enumerate(tariff.get("blocks") or [{"up_to_kwh": None}], start=1):
        bound = item.get("up_to_kwh")
        sub(row, "BlockThreshold", unlimited if bound is None else round(float(bound) * 1000), index=str(index))


_TARIFF_KEYS = ("unit_rate_pence", "tou", "blocks", "standing_charge_pence", "duis")


def encode_tariff(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    tariff = dict(params["tariff"])
    extra = {key: value for key, value in tariff.items() if key not in _TARIFF_KEYS}
    if extra:  # keys DUIS has no element for (a tariff's name, a reference): the harness element, if allowed
        if not ctx.extensions:
            raise DuisError(error_code("bad_value"), f"{ctx.where}: tariff keys {sorted(extra)} have no DUIS element "
                                                     "(harness extensions are off)")
        ctx.extension["tariff"] = extra
    gas = ctx.kind == "GSME"
    bands = _bands(tariff, ctx.where)
    elements = sub(body, "GasTariffElements" if gas else "ElecTariffElements")
    if not gas:
        sub(elements, "CurrencyUnits", "GBP")
    if "duis" in tariff:
        for node in tariff["duis"]:
            _untree(elements, node, ctx.where)
    else:
        _switching_table(elements, bands, gas)
        _thresholds(elements, tariff, gas)
    _price_elements(body, tariff, bands, gas, ctx.where)


def _read_prices(body: etree._Element, ctx: Context) -> tuple[etree._Element, dict[str, Any]]:
    prices_root = need(body, "PriceElements", ctx.where)
    prices = child(prices_root, "ElectricityPriceElements")
    ctx.fuel = "ESME"
    if prices is None:
        prices = child(prices_root, "GasPriceElements")
        ctx.fuel = "GSME"
    if prices is None:
        raise DuisError(error_code("missing_element"),
                        f"{ctx.where}: missing ElectricityPriceElements or GasPriceElements")
    found: dict[str, Any] = {}
    price_scale = integer(opt_text(prices, "PriceScale") or str(setting("money", "price_scale_default")),
                          f"{ctx.where} PriceScale")
    charge_raw = opt_text(prices, "StandingChargeScale") or str(setting("money", "standing_charge_scale_default"))
    charge_scale = integer(charge_raw, f"{ctx.where} StandingChargeScale")
    charge = opt_text(prices, "StandingCharge")
    if charge:
        found["standing_charge_pence"] = scaled_to_pence(integer(charge, f"{ctx.where} StandingCharge"), charge_scale)
    tou: dict[int, float | int] = {}
    blocks: list[float | int] = []
    for container in children(prices):
        if local(container) not in ("TOUTariff", "BlockTariff", "HybridTariff"):
            continue
        for item in named(container, "TOUPrice"):
            tou[index_of(item, ctx.where)] = scaled_to_pence(integer(item.text or "", f"{ctx.where} TOUPrice"),
                                                             price_scale)
        first = next((row for row in named(container, "BlockPrices") if row.get("index") == "1"), None)
        if first is None and named(container, "BlockPrice"):
            first = container  # gas: BlockPrice directly in BlockTariff
        if first is not None:
            blocks = [scaled_to_pence(integer(item.text or "", f"{ctx.where} BlockPrice"), price_scale)
                      for item in sorted(named(first, "BlockPrice"), key=lambda e: index_of(e, ctx.where))]
    found["_tou"], found["_blocks"] = tou, blocks
    return prices, found


def decode_tariff(body: etree._Element, ctx: Context) -> dict[str, Any]:
    elements = child(body, "ElecTariffElements")
    gas = elements is None
    if elements is None:
        elements = child(body, "GasTariffElements")
    if elements is None:
        raise DuisError(error_code("missing_element"), f"{ctx.where}: missing ElecTariffElements or GasTariffElements")
    _, found = _read_prices(body, ctx)
    tou_prices, block_prices = found.pop("_tou"), found.pop("_blocks")
    table = need(elements, "SwitchingTable", ctx.where)
    day = need(table, "DayProfiles/DayProfile", ctx.where)
    actions: list[tuple[str, str, int]] = []
    schedules = named(day, "ProfileSchedule") or [day]
    for schedule in schedules:
        start = _hhmm(opt_text(schedule, "StartTime") or "00:00:00", ctx.where)
        for kind in ("TOUTariffAction", "BlockTariffAction"):
            raw = opt_text(schedule, kind)
            if raw:
                actions.append((start, kind, integer(raw, f"{ctx.where} {kind}")))
        if child(schedule, "BlockTariff") is not None:  # gas: an empty BlockTariff element
            actions.append((start, "BlockTariffAction", 1))
    if not actions:
        raise DuisError(error_code("missing_element"), f"{ctx.where}: the first DayProfile has no tariff action")
    tariff: dict[str, Any] = {}
    if any(kind == "BlockTariffAction" for _, kind, _ in actions) and block_prices:
        unlimited = setting("blocks")["unlimited"]
        matrix = need(elements, "ThresholdMatrix", ctx.where)
        row = next((item for item in named(matrix, "Thresholds") if item.get("index") == "1"), None)
        row = matrix if row is None else row
        bounds = [integer(item.text or "", f"{ctx.where} BlockThreshold")
                  for item in sorted(named(row, "BlockThreshold"), key=lambda e: index_of(e, ctx.where))]
        tariff["blocks"] = [{"up_to_kwh": None if index >= len(bounds) or bounds[index] == unlimited
                             else bounds[index] / 1000, "rate_pence": price}
                            for index, price in enumerate(block_prices)]
    else:
        bands = []
        for start, kind, action in actions:
            if kind == "TOUTariffAction":
                if action not in tou_prices:
                    raise DuisError(error_code("bad_value"), f"{ctx.where}: TOUTariffAction {action} has no TOUPrice")
                bands.append({"from": start, "rate_pence": tou_prices[action]})
        if not bands:
            raise DuisError(error_code("missing_element"), f"{ctx.where}: no TOU prices for the day's tariff actions")
        if len(bands) == 1 and bands[0]["from"] == "00:00":
            tariff["unit_rate_pence"] = bands[0]["rate_pence"]
        else:
            tariff["tou"] = bands
    tariff.update(found)
    # Keep the received table when it says more than the bands do (the canonical table is what encode writes).
    canonical = etree.Element(f"{{{NS}}}X")
    probe = etree.SubElement(canonical, f"{{{NS}}}E")
    _switching_table(probe, _bands(tariff, ctx.where), gas)
    _thresholds(probe, tariff, gas)
    received = [_tree(item) for item in children(elements) if local(item) != "CurrencyUnits"]
    if received != [_tree(item) for item in children(probe)]:
        tariff["duis"] = received
    extra = ctx.extension.get("tariff")
    if isinstance(extra, dict):
        tariff.update({key: value for key, value in extra.items() if key not in _TARIFF_KEYS})
    return {"tariff": tariff}


def encode_price(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    gas = ctx.kind == "GSME"
    bands = [("00:00", float(params["unit_rate_pence"]))] if "unit_rate_pence" in params else []
    _price_elements(body, params, bands, gas, ctx.where)


def decode_price(body: etree._Element, ctx: Context) -> dict[str, Any]:
    _, found = _read_prices(body, ctx)
    tou, blocks = found.pop("_tou"), found.pop("_blocks")
    params: dict[str, Any] = {}
    if 1 in tou:
        params["unit_rate_pence"] = tou[1]
    elif blocks:
        params["unit_rate_pence"] = blocks[0]
    if len(tou) > 1 or blocks:
        ctx.notes.append("1.2.1: only TOUPrice 1 (or the first block price) is applied as the unit rate; "
                         "the simulator prices 1.2.1 with one rate")
    params.update(found)
    if not params:
        raise DuisError(error_code("missing_element"), f"{ctx.where}: no StandingCharge or price given")
    return params
