"""ZigBee Smart Energy frames for the HAN: IEEE 802.15.4 MAC (with FCS) / NWK / APS / ZCL, built and parsed with
scapy (the Smart Energy profile 0x0109; clusters Metering 0x0702, Price 0x0700, Basic 0x0000).

The harness reads the HAN as an IHD or PPMID would: ZCL Read Attributes of the meters' Metering and Basic
clusters, and Price cluster GetCurrentPrice / PublishPrice. Frames are unencrypted at NWK and APS: a lab adapter
hands over decrypted APS payloads (scapy cannot decrypt SE traffic).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

PROFILE_SE = 0x0109
BASIC, PRICE, METERING = 0x0000, 0x0700, 0x0702
READ_ATTRIBUTES, READ_ATTRIBUTES_RESPONSE = 0x00, 0x01
GET_CURRENT_PRICE, PUBLISH_PRICE = 0x00, 0x00  # client->server and server->client command ids of the Price cluster
ENDPOINT = 1
PAN_ID = 0x1A2B
SHORT_ADDRESS = {"CH": 0x0000, "ESME": 0x0001, "GSME": 0x0002, "IHD": 0x0003, "PPMID": 0x0004}
KIND_OF_ADDRESS = {address: kind for kind, address in SHORT_ADDRESS.items()}

# Metering attributes (id -> (name, ZCL data type))
CURRENT_SUMMATION_DELIVERED = 0x0000
SUPPLY_STATUS = 0x0014
STATUS = 0x0200
UNIT_OF_MEASURE = 0x0300
MULTIPLIER = 0x0301
DIVISOR = 0x0302
METERING_DEVICE_TYPE = 0x0306
INSTANTANEOUS_DEMAND = 0x0400
MANUFACTURER_NAME = 0x0004  # Basic
MODEL_IDENTIFIER = 0x0005  # Basic
TYPES = {"uint8": 0x20, "uint24": 0x22, "uint48": 0x25, "int24": 0x2A, "enum8": 0x30, "bitmap8": 0x18,
         "string": 0x42}
_SIZES = {0x20: 1, 0x22: 3, 0x25: 6, 0x2A: 3, 0x30: 1, 0x18: 1}
SUCCESS, UNSUPPORTED_ATTRIBUTE = 0x00, 0x86
GBP = 826


def _scapy() -> Any:
    from scapy.config import conf

    conf.dot15d4_protocol = "zigbee"  # type: ignore[assignment]  # before the layers bind
    from scapy.layers import dot15d4, zigbee

    return dot15d4, zigbee


def fcs(data: bytes) -> int:
    """The 802.15.4 frame check sequence: CRC-16/KERMIT (ITU-T, reflected), sent little-endian."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def encode_value(type_id: int, value: Any) -> bytes:
    if type_id == TYPES["string"]:
        data = str(value).encode("utf-8")[:254]
        return bytes((len(data),)) + data
    size = _SIZES[type_id]
    signed = type_id == TYPES["int24"]
    return int(value).to_bytes(size, "little", signed=signed)


def decode_value(type_id: int, raw: bytes) -> Any:
    if type_id == TYPES["string"]:
        return raw[1:1 + raw[0]].decode("utf-8", "replace") if raw else ""
    return int.from_bytes(raw[:_SIZES.get(type_id, len(raw))], "little", signed=type_id == TYPES["int24"])


@dataclass(slots=True)
class ZclMessage:
    source: int
    destination: int
    cluster: int
    command: int
    tsn: int
    cluster_specific: bool
    from_server: bool
    attributes: list[int] = field(default_factory=list)  # Read Attributes
    records: dict[int, tuple[int, int, Any]] = field(default_factory=dict)  # attribute -> (status, type, value)
    payload: bytes = b""  # cluster-specific commands

    @property
    def source_kind(self) -> str:
        return KIND_OF_ADDRESS.get(self.source, f"0x{self.source:04X}")


def _frame(source: int, destination: int, cluster: int, tsn: int, mac_seq: int, zcl: Any) -> bytes:
    dot15d4, zigbee = _scapy()
    packet = (dot15d4.Dot15d4FCS(fcf_frametype=1, fcf_srcaddrmode=2, fcf_destaddrmode=2, fcf_panidcompress=1,
                                 seqnum=mac_seq & 0xFF)
              / dot15d4.Dot15d4Data(dest_panid=PAN_ID, dest_addr=destination, src_addr=source)
              / zigbee.ZigbeeNWK(frametype=0, discover_route=0, destination=destination, source=source, radius=30,
                                 seqnum=tsn & 0xFF)
              / zigbee.ZigbeeAppDataPayload(frame_control=0, delivery_mode=0, dst_endpoint=ENDPOINT, cluster=cluster,
                                            profile=PROFILE_SE, src_endpoint=ENDPOINT, counter=tsn & 0xFF)
              / zcl)
    return bytes(packet)


def read_attributes(source: int, destination: int, cluster: int, attributes: list[int], tsn: int) -> bytes:
    _, zigbee = _scapy()
    zcl = (zigbee.ZigbeeClusterLibrary(zcl_frametype=0, command_direction=0, transaction_sequence=tsn & 0xFF,
                                       command_identifier=READ_ATTRIBUTES)
           / zigbee.ZCLGeneralReadAttributes(attribute_identifiers=attributes))
    return _frame(source, destination, cluster, tsn, tsn, zcl)


def read_attributes_response(request: ZclMessage, records: list[tuple[int, int, int, Any]]) -> bytes:
    """``records``: (attribute, status, ZCL type, value); unsupported attributes carry status 0x86 alone."""
    _, zigbee = _scapy()
    rows = []
    for attribute, status, type_id, value in records:
        if status == SUCCESS:
            rows.append(zigbee.ZCLReadAttributeStatusRecord(attribute_identifier=attribute, status=SUCCESS,
                                                            attribute_data_type=type_id,
                                                            attribute_value=encode_value(type_id, value)))
        else:
            rows.append(zigbee.ZCLReadAttributeStatusRecord(attribute_identifier=attribute, status=status))
    zcl = (zigbee.ZigbeeClusterLibrary(zcl_frametype=0, command_direction=1, disable_default_response=1,
                                       transaction_sequence=request.tsn, command_identifier=READ_ATTRIBUTES_RESPONSE)
           / zigbee.ZCLGeneralReadAttributesResponse(read_attribute_status_record=rows))
    return _frame(request.destination, request.source, request.cluster, request.tsn, request.tsn + 1, zcl)


def get_current_price(source: int, destination: int, tsn: int) -> bytes:
    _, zigbee = _scapy()
    zcl = zigbee.ZigbeeClusterLibrary(zcl_frametype=1, command_direction=0, transaction_sequence=tsn & 0xFF,
                                      command_identifier=GET_CURRENT_PRICE) / bytes((0x00,))  # command options
    return _frame(source, destination, PRICE, tsn, tsn, zcl)


@dataclass(frozen=True, slots=True)
class PublishedPrice:
    """The fields of a Price cluster PublishPrice the harness compares with DUIS (SE 1.x field order)."""

    provider_id: int
    rate_label: str
    issuer_event_id: int
    current_time: int  # ZigBee UTCTime: seconds since 2000-01-01 00:00 UTC
    unit_of_measure: int
    currency: int
    trailing_digits: int
    price_tier: int
    start_time: int
    duration_minutes: int
    price: int  # in the currency's minor unit x 10^-trailing_digits per unit of measure

    @property
    def pence_per_unit(self) -> float:
        return self.price / 10 ** self.trailing_digits


def encode_publish_price(price: PublishedPrice) -> bytes:
    label = price.rate_label.encode("utf-8")[:12]
    return (struct.pack("<I", price.provider_id) + bytes((len(label),)) + label
            + struct.pack("<IIBHBBIHI", price.issuer_event_id, price.current_time, price.unit_of_measure,
                          price.currency, (price.trailing_digits << 4) | price.price_tier, 0x11, price.start_time,
                          price.duration_minutes, price.price))


def decode_publish_price(payload: bytes) -> PublishedPrice:
    provider = struct.unpack_from("<I", payload, 0)[0]
    length = payload[4]
    label = payload[5:5 + length].decode("utf-8", "replace")
    event, now, unit, currency, digits, _tiers, start, duration, value = struct.unpack_from(
        "<IIBHBBIHI", payload, 5 + length)
    return PublishedPrice(provider, label, event, now, unit, currency, digits >> 4, digits & 0x0F, start, duration,
                          value)


def publish_price(request: ZclMessage, price: PublishedPrice) -> bytes:
    _, zigbee = _scapy()
    zcl = zigbee.ZigbeeClusterLibrary(zcl_frametype=1, command_direction=1, disable_default_response=1,
                                      transaction_sequence=request.tsn,
                                      command_identifier=PUBLISH_PRICE) / encode_publish_price(price)
    return _frame(request.destination, request.source, PRICE, request.tsn, request.tsn + 1, zcl)


def parse(raw: bytes) -> ZclMessage:
    """One 802.15.4 frame (with FCS) carrying ZCL; ValueError when it is anything else or malformed."""
    dot15d4, zigbee = _scapy()
    try:
        packet = dot15d4.Dot15d4FCS(raw)
    except Exception as exc:  # noqa: BLE001 - scapy raises many kinds on malformed input
        raise ValueError(f"not an IEEE 802.15.4 frame: {exc}") from None
    if packet.haslayer("Raw") and not packet.haslayer(zigbee.ZigbeeClusterLibrary):
        raise ValueError("802.15.4 frame without ZCL")
    if not packet.haslayer(zigbee.ZigbeeClusterLibrary) or not packet.haslayer(zigbee.ZigbeeAppDataPayload):
        raise ValueError("802.15.4 frame without ZCL")
    if len(raw) < 5 or fcs(raw[:-2]) != int.from_bytes(raw[-2:], "little"):
        raise ValueError("802.15.4 FCS mismatch")
    aps = packet[zigbee.ZigbeeAppDataPayload]
    zcl = packet[zigbee.ZigbeeClusterLibrary]
    message = ZclMessage(source=int(packet[dot15d4.Dot15d4Data].src_addr),
                         destination=int(packet[dot15d4.Dot15d4Data].dest_addr), cluster=int(aps.cluster),
                         command=int(zcl.command_identifier), tsn=int(zcl.transaction_sequence),
                         cluster_specific=int(zcl.zcl_frametype) == 1, from_server=int(zcl.command_direction) == 1)
    if message.cluster_specific:
        message.payload = bytes(zcl.payload)
    elif message.command == READ_ATTRIBUTES and zcl.haslayer(zigbee.ZCLGeneralReadAttributes):
        message.attributes = [int(a) for a in zcl[zigbee.ZCLGeneralReadAttributes].attribute_identifiers]
    elif message.command == READ_ATTRIBUTES_RESPONSE and zcl.haslayer(zigbee.ZCLGeneralReadAttributesResponse):
        for record in zcl[zigbee.ZCLGeneralReadAttributesResponse].read_attribute_status_record:
            status = int(record.status)
            type_id = int(record.attribute_data_type) if status == SUCCESS else 0
            value = decode_value(type_id, bytes(record.attribute_value)) if status == SUCCESS else None
            message.records[int(record.attribute_identifier)] = (status, type_id, value)
    return message
