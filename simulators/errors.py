"""Errors of using the simulator wrongly (as opposed to what the simulated devices answer)."""


class RequestError(ValueError):
    """A request the harness should never have sent: unknown SRV, bad parameter, a device the DMC lacks."""
