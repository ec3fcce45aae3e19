"""Hardened XML parsing for DUIS: nothing a DCC, a device or a remote end sends is trusted.

lxml with entity resolution, DTD loading, network access and huge trees all off; on top of that any document with a
DOCTYPE is refused outright (DUIS documents never carry one, and an internal subset is how entity-expansion attacks
such as billion laughs arrive). Size is bounded before parsing. Every failure is a :class:`DuisError` with the
E-code a DCC User Interface gives for a message it cannot read (see ``duis_formats.yaml``, ``error_codes``).
"""

from __future__ import annotations

from lxml import etree

from pytest_svtad.smets1.duis.errors import DuisError, error_code

NS = "http://www.dccinterface.co.uk/ServiceUserGateway"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
RA_NS = "http://www.dccinterface.co.uk/ResponseAndAlert"
MAX_BYTES = 32 * 1024 * 1024  # an 11.1 firmware image (base64) is the largest legitimate DUIS message

_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
                          dtd_validation=False, remove_comments=True, remove_pis=True)


def parse(data: bytes, *, what: str = "DUIS message") -> etree._Element:
    """The root element of ``data``, or a DuisError naming the line and what was wrong."""
    if not isinstance(data, bytes | bytearray):
        raise DuisError(error_code("malformed"), f"{what}: expected XML bytes, got {type(data).__name__}")
    if len(data) > MAX_BYTES:
        raise DuisError(error_code("malformed"), f"{what}: {len(data)} bytes exceeds the {MAX_BYTES} byte limit")
    head = bytes(data[:4096]).upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in bytes(data).upper():
        raise DuisError(error_code("malformed"),
                        f"{what}: DOCTYPE/ENTITY declarations are refused (DUIS has none; entity expansion attack)")
    try:
        root = etree.fromstring(bytes(data), _PARSER)
    except etree.XMLSyntaxError as exc:
        line = f" line {exc.lineno}" if exc.lineno else ""
        raise DuisError(error_code("malformed"), f"{what}:{line} malformed XML: {exc.msg}") from None
    if root is None:
        raise DuisError(error_code("malformed"), f"{what}: empty document")
    return root


def local(element: etree._Element) -> str:
    """The element's name without its namespace (any prefix is accepted)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child named ``name`` in the DUIS namespace (or in no namespace: some tools drop the prefix)."""
    for item in children(element):
        if local(item) == name and etree.QName(item).namespace in (NS, None):
            return item
    return None


def find(element: etree._Element, path: str) -> etree._Element | None:
    """``path`` of local names separated by ``/`` below ``element``; None where any step is absent."""
    node: etree._Element | None = element
    for step in path.split("/"):
        if node is None:
            return None
        node = child(node, step)
    return node


def text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip()
