"""The installation's HAN as a ZigBee Smart Energy device answers it: the meters' Basic, Metering and Price
clusters, from the same state the DUIS reads come from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pytest_svtad.smets1 import zcl
from simulators.devices import Meter

if TYPE_CHECKING:
    from simulators.context import InstallationContext

ZIGBEE_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SUPPLY_STATUS_CODE = {"disabled": 0, "armed": 1, "enabled": 2}


def metering_attributes(meter: Meter) -> dict[int, tuple[int, Any]]:
    gas = meter.fuel == "gas"
    summation = round(meter.volume_m3() * 1000) if gas else meter.import_wh
    return {
        zcl.CURRENT_SUMMATION_DELIVERED: (zcl.TYPES["uint48"], summation),
        zcl.SUPPLY_STATUS: (zcl.TYPES["enum8"], SUPPLY_STATUS_CODE[meter.supply_status]),
        zcl.STATUS: (zcl.TYPES["bitmap8"], 0),
        zcl.UNIT_OF_MEASURE: (zcl.TYPES["enum8"], 1 if gas else 0),  # m3 or kWh
        zcl.MULTIPLIER: (zcl.TYPES["uint24"], 1),
        zcl.DIVISOR: (zcl.TYPES["uint24"], 1000),
        zcl.METERING_DEVICE_TYPE: (zcl.TYPES["bitmap8"], 1 if gas else 0),
        zcl.INSTANTANEOUS_DEMAND: (zcl.TYPES["int24"], meter.demand_w()),
    }


def answer(installation: InstallationContext, raw: bytes) -> bytes | None:
    """The reply to one HAN frame addressed to a meter, or None (not for a meter we have, or nothing to say)."""
    message = zcl.parse(raw)
    target = installation.devices.get(zcl.KIND_OF_ADDRESS.get(message.destination, ""))
    if not isinstance(target, Meter) or message.from_server:
        return None
    if message.cluster == zcl.PRICE and message.cluster_specific and message.command == zcl.GET_CURRENT_PRICE:
        now = installation.now
        band = target.pricing.tou_index(now)
        price = zcl.PublishedPrice(
            provider_id=1, rate_label=f"band {band + 1}", issuer_event_id=1,
            current_time=int((now - ZIGBEE_EPOCH).total_seconds()), unit_of_measure=0, currency=zcl.GBP,
            trailing_digits=3, price_tier=band + 1, start_time=0, duration_minutes=0xFFFF,
            price=round(target.pricing.tou[band][1] * 1000))
        return zcl.publish_price(message, price)
    if message.cluster_specific or message.command != zcl.READ_ATTRIBUTES:
        return None
    if message.cluster == zcl.METERING:
        known = metering_attributes(target)
    elif message.cluster == zcl.BASIC:
        known = {zcl.MANUFACTURER_NAME: (zcl.TYPES["string"], target.model.manufacturer),
                 zcl.MODEL_IDENTIFIER: (zcl.TYPES["string"], target.model.model)}
    else:
        known = {}
    records = [(attribute, zcl.SUCCESS, *known[attribute]) if attribute in known
               else (attribute, zcl.UNSUPPORTED_ATTRIBUTE, 0, None) for attribute in message.attributes]
    return zcl.read_attributes_response(message, records)
