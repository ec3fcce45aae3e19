"""HTML evidence: one self-contained file each (inline CSS and script, no network), rendered with Jinja2 with
autoescaping on, so whatever a device or test sends shows as text."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup, escape

from pytest_svtad.reports.heatmap import hex_colour, pass_rate_colour

_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028",
                   0x2029: "\\u2029"}


def script_json(data: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">``: no ``</script>``, no HTML entities."""
    return Markup(json.dumps(data, sort_keys=True, ensure_ascii=False).translate(_SCRIPT_ESCAPES))


def paragraphs(text: str) -> Markup:
    """People's text as HTML: a blank line starts a paragraph, lines starting ``- `` or ``* `` are a list. Every
    character of the text is escaped; only the paragraph and list elements are markup."""
    blocks = [block for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    html: list[str] = []
    for block in blocks:
        lines = [line.strip() for line in block.strip().splitlines()]
        if all(line[:2] in ("- ", "* ") for line in lines):
            html.append("<ul>" + "".join(f"<li>{escape(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            html.append("<p>" + "<br>".join(str(escape(line)) for line in lines) + "</p>")
    return Markup("\n".join(html))


def pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


NOT_RUN_FILL = "#b0b0b0"


def rate_fill(rate: float | None, threshold: float = 0.9) -> str:
    """A heatmap cell's colour, the same as heatmap.png's (``heatmap.pass_rate_colour``): grey without a rate."""
    if rate is None:
        return NOT_RUN_FILL
    return hex_colour(pass_rate_colour(rate, threshold))


OUTCOME_ORDER = {"failed": 0, "not_run": 1, "descoped": 2, "passed": 3}


def failures_first(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed tests first, then those not run, de-scoped, passed; each kind in its given order."""
    return sorted(tests, key=lambda test: OUTCOME_ORDER.get(test["outcome"], 4))


def when(value: Any) -> str:
    """A stored timestamp as people read it: to the minute, no microseconds (``2026-11-27 14:03``)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value or "")
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return text


def bytecode_cache() -> BytecodeCache | None:
    """Jinja's compiled templates kept between sessions (issue 18 item 6: compiling the templates was about a
    quarter of the reports' cost in a session), in Jinja's own per-user folder under the system temp folder,
    which it creates private (0700) and refuses if another user owns it; entries are keyed by each template's
    source checksum, so an edited template is compiled afresh. No such folder: templates compiled each session."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("pytest_svtad.reports", "templates"),
                      autoescape=select_autoescape(("html", "j2"), default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, bytecode_cache=bytecode_cache())
    env.filters["script_json"] = script_json
    env.filters["pct"] = pct
    env.filters["paragraphs"] = paragraphs
    env.filters["rate_fill"] = rate_fill
    env.filters["failures_first"] = failures_first
    env.filters["when"] = when
    return env


def page(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render(template: str, path: Path, **context: Any) -> None:
    page = environment().get_template(template).render(**context)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
