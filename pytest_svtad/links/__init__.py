"""How the harness talks to an installation: one ``DeviceLink`` interface, one adapter per link kind."""

from pytest_svtad.links.base import DeviceLink, LinkError, open_link

__all__ = ["DeviceLink", "LinkError", "open_link"]
