"""Store and link URLs: a store URL as users write it (``default_url``, ``store_url``), shown without its
credentials, and the check of a link's ``socket://`` address.

Plain helpers (no pytest, no store): the plugin, the store, the sink and the ``svtad`` command all use them.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

MASK = "***"
# query-string keys that carry a credential in some driver's URL (libpq's password and sslpassword, MySQL's passwd
# and pwd, token or secret for cloud drivers): matched as parts of the key, case-insensitively
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|credential|api_?key", re.IGNORECASE)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:@/?#]*):(?P<password>[^@/?#]*)@")
_QUERY_SECRET = re.compile(r"(?P<key>[A-Za-z0-9_.-]*(?:pass|pwd|secret|token|credential|api_?key)[A-Za-z0-9_.-]*)="
                           r"(?P<value>[^&#\s]*)", re.IGNORECASE)


def mask_url(url: str) -> str:
    """``url`` with every credential masked: the password of ``user:password@`` and query keys such as
    ``password``, ``passwd``, ``pwd``, ``sslpassword``, ``secret`` or ``token``. Anything SQLAlchemy parses is
    rendered by SQLAlchemy itself; anything else is masked by pattern, never shown as given."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
    except Exception:  # not a SQLAlchemy URL (or SQLAlchemy absent): mask by pattern
        return _mask_by_pattern(url)
    secret_keys = [key for key in parsed.query if _SECRET_KEY.search(key)]
    if parsed.password is None and not secret_keys:
        return url  # nothing to hide: shown exactly as given
    query = {key: (MASK if key in secret_keys else value) for key, value in parsed.query.items()}
    rendered = str(parsed.set(query=query).render_as_string(hide_password=True))
    return rendered.replace("%2A%2A%2A", MASK)  # the query's mask, URL-quoted by the renderer


def mask_text(text: str) -> str:
    """Free text (a driver's error message) with any URL credential in it masked by pattern."""
    return _mask_by_pattern(text)


def _mask_by_pattern(url: str) -> str:
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", url)
    return _QUERY_SECRET.sub(lambda m: f"{m['key']}={MASK}", masked)


def socket_url_problem(url: str) -> str | None:
    """What is wrong with a network link URL, ``socket://HOST:PORT`` or ``rfc2217://HOST:PORT`` (port 1-65535), or
    None when nothing is (other URLs, a device path for one, are left to pyserial)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("socket", "rfc2217"):
        return None
    try:
        port = parts.port
    except ValueError:
        port = -1
    where = parts.netloc.rsplit(":", 1)
    given = where[1] if len(where) == 2 else ""
    if not parts.hostname:
        return f"expected {scheme}://HOST:PORT, got '{url}' (no host)"
    if port is None:
        return f"expected {scheme}://HOST:PORT, got '{url}' (no port)"
    if not 1 <= port <= 65535:
        return f"port must be 1-65535, got '{given}' in '{url}'"
    return None


def duis_url_problem(url: str) -> str | None:
    """What is wrong with a DUIS link URL (``duis+http(s)://HOST[:PORT][/base]`` as ``--svtad-link`` takes it, or
    ``http(s)://...`` in a profile), or None when nothing is (or the URL is not a DUIS one)."""
    given = url[5:] if url.lower().startswith("duis+") else url
    if given is url and not url.lower().startswith(("http://", "https://")):
        return None
    parts = urlsplit(given)
    if parts.scheme.lower() not in ("http", "https"):
        return f"expected duis+https://HOST[:PORT] or duis+http://HOST[:PORT], got '{url}'"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        return f"the port must be a number 1-65535 in '{url}'"
    if not parts.hostname:
        return f"expected duis+https://HOST[:PORT], got '{url}' (no host)"
    if parts.query or parts.fragment:
        return f"a DUIS base URL has no query or fragment, got '{url}'"
    return None


def default_url(rootdir: Path) -> str:
    return f"sqlite:///{rootdir / '.svtad' / 'svtad.db'}"


def store_url(given: str, base: Path) -> str:
    """A store URL as users write it: a SQLAlchemy URL, or a plain path (relative to ``base``) to an SQLite file."""
    given = given.strip()
    if "://" in given:
        return given
    path = Path(given).expanduser()
    return f"sqlite:///{path if path.is_absolute() else (base / path).resolve()}"
