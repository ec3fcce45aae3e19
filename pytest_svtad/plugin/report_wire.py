"""A test report as one JSON string between an xdist worker and the controller (issue 18 item 5).

xdist sends each report as the dict ``pytest_report_to_serializable`` returns, and execnet encodes and decodes that
dict value by value in Python: about 30 calls per report, three reports per test, on the worker and again on the
controller's receiving thread. The worker packs the (already lean, ``plan_folders.lean_report_data``) dict into one
string with the C-accelerated ``json`` module instead, and the controller unpacks it before pytest rebuilds the
report: measured in docs/BENCHMARKS.md ("xdist on simulated packs", cheaper workers), about half the encoding and
two thirds of the decoding per report.

What JSON cannot say exactly is never packed: a report whose ``user_properties`` values (or attributes other
plugins set on it) hold anything but strings, numbers, booleans, None, lists and string-keyed dicts (a tuple, bytes,
an int-keyed dict) goes as before, so it reaches the controller as it always did. The fields pytest itself fills
have known shapes; the tuples among them (``location``, a skip's ``longrepr``, each ``(key, content)`` section, each
``(name, value)`` property) are tuples again after unpacking; pytest reads the lists inside a failure's
``longrepr`` by unpacking them, as it reads execnet's tuples. Keys another plugin or xdist adds after packing
(``item_index``, ``worker_id``, ``testrun_uid``) stay beside the string and are merged back. The string comes
from this session's own worker over xdist's channel and is read with ``json.loads`` only.
"""

from __future__ import annotations

import json
from typing import Any

PACKED = "$svtad_json"  # the key of the packed report in the dict xdist sends
# what pytest's own _report_to_json writes, of shapes known here (their tuples are restored by unpack); any other
# key (an attribute another plugin set on the report) is packed only when JSON brings it back exactly
PYTEST_KEYS = frozenset(("$report_type", "nodeid", "location", "outcome", "longrepr", "when", "sections",
                         "duration", "start", "stop", "wasxfail"))
_ENCODE = json.JSONEncoder(separators=(",", ":"), allow_nan=True, check_circular=False).encode


def _exact(value: Any) -> bool:
    """True when JSON brings ``value`` back equal and of the same types (no tuples, bytes or non-string keys)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_exact(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _exact(item) for key, item in value.items())
    return False


def pack(data: Any) -> Any:
    """A worker's serialized TestReport as ``{"$report_type": ..., PACKED: json}``, or ``data`` unchanged when it
    is not a TestReport or holds a property JSON would not bring back exactly."""
    if not isinstance(data, dict) or data.get("$report_type") != "TestReport":
        return data
    properties = data.get("user_properties", ())
    if not all(isinstance(prop, (list, tuple)) and len(prop) == 2 and isinstance(prop[0], str) and _exact(prop[1])
               for prop in properties):
        return data
    if not all(key in PYTEST_KEYS or _exact(value) for key, value in data.items() if key != "user_properties"):
        return data
    try:
        text = _ENCODE(data)
    except (TypeError, ValueError):
        return data  # something only execnet can carry: sent as before
    return {"$report_type": "TestReport", PACKED: text}


def unpack(data: Any) -> Any:
    """The dict ``pack`` was given (with the keys added beside the string merged in), or ``data`` unchanged when it
    is not packed."""
    if not isinstance(data, dict) or PACKED not in data:
        return data
    report = json.loads(data[PACKED])
    if not isinstance(report, dict):
        raise ValueError(f"a packed test report is a JSON object, got {type(report).__name__}")
    report.update((key, value) for key, value in data.items() if key != PACKED)
    for key in ("location", "longrepr"):  # a skip's longrepr is pytest's (path, lineno, reason) tuple
        if isinstance(report.get(key), list):
            report[key] = tuple(report[key])
    for key in ("sections", "user_properties"):
        if isinstance(report.get(key), list):
            report[key] = [tuple(pair) if isinstance(pair, list) else pair for pair in report[key]]
    return report
