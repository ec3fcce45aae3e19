"""What the duis link needs of the DUIS codec (``pytest_svtad.smets1.duis``), with the User's keys: requests
encoded and signed, pre-commands checked and signed, responses and alerts verified (when a DCC certificate is
given) and decoded. Every codec or signing failure becomes a ``LinkError`` naming what was being read; the
receiver's ``classify`` lets the codec's own error through (the receiver answers it with a 400).
"""

from __future__ import annotations

from pytest_svtad.links.duis_receiver import Received, request_key
from pytest_svtad.links.errors import LinkError
from pytest_svtad.smets1 import duis
from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse
from pytest_svtad.smets1.profiles import DmcProfile

# the User the harness acts as when a profile names none: the sample User id of DCC's reference test data (as the
# simulated head-end's RequestIDs use it); a real DCC needs the User's own, in link.user_id
DEFAULT_USER_ID = "90-B3-D5-1F-30-01-00-00"


class DuisCodec:
    """The codec with the credentials of the DMC profile's ``duis`` section (none: the default User, unsigned
    requests, responses not verified)."""

    def __init__(self, dmc: DmcProfile) -> None:
        credentials = dmc.duis
        key, cert, dcc_cert = (credentials.key, credentials.cert, credentials.dcc_cert) if credentials else (None,) * 3
        self.dmc_id = dmc.id
        self.user_id = (credentials.user_id if credentials else DEFAULT_USER_ID).upper()
        self.default_user = credentials is None
        if (key is None) != (cert is None):
            raise LinkError(f"DMC '{dmc.id}': signing needs both duis.key and duis.cert (got only "
                            f"{'duis.key' if key is not None else 'duis.cert'})")
        from pytest_svtad.smets1.duis import signing

        try:  # keys and certificates loaded and checked once, at the link's opening
            self._signer = signing.Signer(key, cert) if key is not None and cert is not None else None
            self._verifier = signing.Verifier([dcc_cert]) if dcc_cert is not None else None
        except duis.DuisError as exc:
            raise LinkError(f"DMC '{dmc.id}': the duis credentials cannot be used: {exc.message}") from None

    @property
    def signs(self) -> bool:
        return self._signer is not None

    @property
    def verifies(self) -> bool:
        return self._verifier is not None

    def _sign(self, xml: bytes) -> bytes:
        if self._signer is None:
            return xml
        try:
            return self._signer.sign(xml)
        except duis.DuisError as exc:
            raise LinkError(f"DMC '{self.dmc_id}': cannot sign the request with duis.key/duis.cert: "
                            f"{exc.message}") from None

    def request(self, request: ServiceRequest, target: str, counter: int, device_ids: dict[str, str]) -> bytes:
        try:
            xml = duis.encode_request(request, originator=self.user_id, target=target, counter=counter,
                                      device_ids=device_ids)
        except duis.DuisError as exc:
            raise LinkError(f"{self.dmc_id}: SRV {request.srv}: the request cannot be written as DUIS: "
                            f"{exc.message}") from None
        return self._sign(xml)

    def signed_pre_command(self, xml: bytes, request: ServiceRequest) -> bytes:
        """The variant-5 request for the pre-command the DCC returned for a critical request, signed
        (``pytest_svtad/smets1/duis_precommand.py``)."""
        from pytest_svtad.smets1 import duis_precommand

        try:
            srv, payload = duis_precommand.decode_pre_command(self._verified(xml))
        except duis.DuisError as exc:
            raise LinkError(f"{self.dmc_id}: SRV {request.srv}: the DCC's transform of {request.request_id} carries "
                            f"no pre-command ({exc.code}: {exc.message}); the transcript is in the test's evidence") \
                from None
        if srv != request.srv:
            raise LinkError(f"{self.dmc_id}: SRV {request.srv}: the DCC returned a pre-command for SRV {srv}")
        return self._sign(duis_precommand.encode_signed_pre_command(request.request_id, srv, payload))

    def _verified(self, xml: bytes) -> bytes:
        if self._verifier is not None:
            self._verifier.verify(xml)
        return xml

    def response(self, xml: bytes, what: str) -> ServiceResponse:
        try:
            return duis.decode_response(self._verified(xml))
        except duis.DuisError as exc:
            raise LinkError(f"{self.dmc_id}: {what} is not a DUIS response the harness can accept ({exc.code}: "
                            f"{exc.message}); the transcript is in the test's evidence") from None

    def classify(self, xml: bytes) -> Received:
        """A document the DCC posted to the receiver: a response (keyed by its request) or an alert. The codec's
        ``DuisError`` passes through (the receiver refuses the post with it)."""
        checked = self._verified(xml)
        if duis.is_alert(checked):
            alert: Alert = duis.decode_alert(checked)
            return Received("alert", alert)
        response = duis.decode_response(checked)
        return Received("response", response, request_key(response.request_id))

