"""Where every test starts, on every link kind (by capability, never by kind name): the link's own reset
(``KnownState``: a fresh simulated installation, or the device end's RESET), then the SRVs the DMC profile lists
under ``link.known_state.requests``, each to answer I0, then the alerts so far forgotten, so no alert state leaks
from one test into the next. Same steps on the simulated link, so a seed gives the same installation both ways."""

from __future__ import annotations

from typing import Any, cast

from pytest_svtad.links.errors import LinkError
from pytest_svtad.links.protocol import DeviceLink, KnownState, supports


def establish(link: DeviceLink, seed: int, enrolled: bool = False) -> list[str]:
    """Bring ``link``'s installation to the known state for a test with ``seed`` (``enrolled``: with a dormant
    installation enrolled, for service testing); returns what was done. A step that fails is a ``LinkError`` saying
    which (the test fails in setup: it would not start where it should)."""
    spec = link.dmc.link.known_state
    resettable = supports(link, KnownState)
    done: list[str] = []
    if spec.reset and resettable:
        done.append(cast(KnownState, link).reset(seed, enrolled) if enrolled else cast(KnownState, link).reset(seed))
    elif spec.reset:
        done.append("this link has no reset (KnownState)")
    for step in spec.requests:
        device = step.device.value if step.device is not None else None
        params: dict[str, Any] = dict(step.params)
        try:
            response = link.request(step.srv, device=device, **params)
        except ValueError as exc:  # the simulator refuses a misused request (RequestError) before answering
            raise LinkError(f"{link.dmc.id}: the known state's SRV {step.srv} (link.known_state.requests in the DMC "
                            f"profile) was refused: {exc}") from None
        if response.code != "I0":
            raise LinkError(f"{link.dmc.id}: the known state's SRV {step.srv} (link.known_state.requests in the DMC "
                            f"profile) answered {response.code}{': ' + response.detail if response.detail else ''}, "
                            "expected I0")
        done.append(f"SRV {step.srv} I0")
    if resettable and (spec.requests or not spec.reset):
        dropped = cast(KnownState, link).clear_alerts()
        done.append(f"{dropped} alert(s) before the test forgotten")
    return done
