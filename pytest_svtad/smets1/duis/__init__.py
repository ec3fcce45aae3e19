"""DUIS (DCC User Interface Specification) XML for the harness: the codec and XML signing.

``codec``: ServiceRequest <-> DUIS request XML for every simulated SRV; ServiceResponse/Alert <-> DUIS response,
acknowledgement and alert XML. ``signing``: enveloped XML-DSig (exclusive c14n, ECDSA-SHA256 P-256,
X509IssuerSerial key info). ``xml``: the hardened parser every input goes through. ``duis_formats.yaml``: every
format detail, marked confirmed (with its public source) or assumed. See docs/duis.md.
"""

from pytest_svtad.smets1.duis.codec import (
                                            DecodedRequest,
                                            RequestId,
                                            check_command_variant,
                                            decode_alert,
                                            decode_message,
                                            decode_request,
                                            decode_response,
                                            encode_acknowledgement,
                                            encode_alert,
                                            encode_request,
                                            encode_response,
                                            is_alert,
                                            parse_request_id,
                                            response_id,
                                            service_reference,
)
from pytest_svtad.smets1.duis.errors import DuisError

__all__ = ["DecodedRequest", "DuisError", "RequestId", "check_command_variant", "decode_alert", "decode_message",
           "decode_request", "decode_response", "encode_acknowledgement", "encode_alert", "encode_request",
           "encode_response", "is_alert", "parse_request_id", "response_id", "service_reference"]
