"""How the harness talks to an installation: the capabilities a link may have (``protocol/``, one per module),
the registry of link kinds (``registry``), the runner every real-device link shares (``runner``: transport + codec,
timeouts, retries, transcript), and the drivers, imported here so that each registers its kind: ``sim``
(in-process simulator), ``serial`` (pyserial, any URL), ``zigbee`` (serial + the HAN radio), ``duis`` (DUIS XML
over HTTP to a DCC User Interface)."""

from pytest_svtad.links import duis, serial, sim, zigbee  # noqa: F401  (each registers its kind)
from pytest_svtad.links.errors import LinkError
from pytest_svtad.links.protocol import DeviceLink, supports
from pytest_svtad.links.registry import capabilities, open_link, register

__all__ = ["DeviceLink", "LinkError", "capabilities", "open_link", "register", "supports"]
