"""XML signatures on DUIS messages, as DCC's public signing tool describes them (SmartDCCInnovation/
dccboxed-signing-tool): an enveloped XML-DSig signature over the whole document (Reference URI=""), exclusive
canonicalisation, ECDSA-SHA256 over NIST P-256, SHA-256 digest, and a KeyInfo naming the signer's certificate by
X509IssuerSerial (the certificate itself is not sent: the receiver looks it up in the certificates it trusts).

The XML-DSig work is signxml's; this module loads keys and certificates (paths named in a DMC profile's ``duis``
section, or objects), checks the curve, picks the trusted certificate by issuer and serial, and turns every
failure into one line: a ``SigningError`` (a DuisError whose code is the bad-signature E-code, so an emulator can
answer with it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    InvalidInput,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidSignature

from pytest_svtad.smets1.duis.errors import DuisError, error_code
from pytest_svtad.smets1.duis.xml import DS_NS, parse

KeySource = str | os.PathLike[str] | bytes | ec.EllipticCurvePrivateKey
CertSource = str | os.PathLike[str] | bytes | x509.Certificate

_CONFIG = SignatureConfiguration(require_x509=True, location="./", expect_references=1,
                                 signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
                                 digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
                                 default_reference_c14n_method=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)


class SigningError(DuisError):
    """A message that cannot be signed or whose signature does not verify; one line, no traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(error_code("bad_signature"), message)


def _read(source: str | os.PathLike[str] | bytes, what: str) -> bytes:
    if isinstance(source, bytes):
        return source
    path = Path(source)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{what} {path}: cannot be read ({exc.strerror or exc})") from None


def load_key(source: KeySource) -> ec.EllipticCurvePrivateKey:
    """An EC P-256 private key from a PEM/DER file (or bytes, or a key), else a SigningError."""
    if isinstance(source, ec.EllipticCurvePrivateKey):
        key = source
        where = "private key"
    else:
        data = _read(source, "private key")
        where = f"private key {source if not isinstance(source, bytes) else '(bytes)'}"
        try:
            loaded = (serialization.load_pem_private_key(data, password=None) if b"-----BEGIN" in data
                      else serialization.load_der_private_key(data, password=None))
        except (ValueError, TypeError) as exc:
            raise SigningError(f"{where}: not an unencrypted PEM/DER private key ({exc})") from None
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise SigningError(f"{where}: expected an EC (P-256) key, got {type(loaded).__name__}")
        key = loaded
    if not isinstance(key.curve, ec.SECP256R1):
        raise SigningError(f"{where}: curve {key.curve.name}, expected secp256r1 (P-256) for ECDSA-SHA256")
    return key


def load_certificate(source: CertSource) -> x509.Certificate:
    """An X.509 certificate from a PEM/DER file (or bytes, or a certificate), else a SigningError."""
    if isinstance(source, x509.Certificate):
        return source
    data = _read(source, "certificate")
    try:
        return (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                else x509.load_der_x509_certificate(data))
    except ValueError as exc:
        raise SigningError(f"certificate {source if not isinstance(source, bytes) else '(bytes)'}: "
                           f"not a PEM/DER X.509 certificate ({exc})") from None


def _name_parts(name: str) -> frozenset[tuple[str, str]]:
    """An issuer name as a set of (attribute, value): ``CN=Z1,OU=07`` and ``OU=07, CN=Z1`` are the same issuer."""
    parts = set()
    for item in name.replace("\\,", "\0").split(","):
        if "=" in item:
            key, _, value = item.partition("=")
            parts.add((key.strip().upper(), value.strip().replace("\0", ",")))
    return frozenset(parts)


def issuer_name(cert: x509.Certificate) -> str:
    """The issuer as DUIS samples write it (most significant last, e.g. ``CN=Z1,OU=07``)."""
    return cert.issuer.rfc4514_string()


def _key_info(cert: x509.Certificate) -> etree._Element:
    key_info = etree.Element(f"{{{DS_NS}}}KeyInfo", nsmap={"ds": DS_NS})
    serial = etree.SubElement(etree.SubElement(key_info, f"{{{DS_NS}}}X509Data"), f"{{{DS_NS}}}X509IssuerSerial")
    etree.SubElement(serial, f"{{{DS_NS}}}X509IssuerName").text = issuer_name(cert)
    etree.SubElement(serial, f"{{{DS_NS}}}X509SerialNumber").text = str(cert.serial_number)
    return key_info


class Signer:
    """Signs DUIS documents with one key and certificate (loaded and checked once)."""

    def __init__(self, key: KeySource, cert: CertSource) -> None:
        self.key = load_key(key)
        self.cert = load_certificate(cert)
        public = self.cert.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey) or public.public_numbers() != \
                self.key.public_key().public_numbers():
            raise SigningError(f"the private key does not belong to the certificate {issuer_name(self.cert)} "
                               f"serial {self.cert.serial_number}")
        self._signer = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256,
                                 digest_algorithm=DigestAlgorithm.SHA256,
                                 c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)

    def sign(self, xml: bytes) -> bytes:
        root = parse(xml, what="document to sign")
        for old in root.findall(f"{{{DS_NS}}}Signature"):
            root.remove(old)  # a template's placeholder signature is replaced, never signed over
        try:
            # The samples list only the enveloped-signature transform (exclusive c14n is the reference default).
            signed = self._signer.sign(root, key=self.key, key_info=_key_info(self.cert),
                                       exclude_c14n_transform_element=True)
        except (InvalidInput, ValueError, TypeError) as exc:
            raise SigningError(f"cannot sign: {exc}") from None
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


class Verifier:
    """Verifies DUIS signatures against trusted certificates, picked by the KeyInfo's issuer and serial."""

    def __init__(self, trusted_certs: Iterable[CertSource]) -> None:
        self.trusted = [load_certificate(item) for item in trusted_certs]
        if not self.trusted:
            raise SigningError("no trusted certificates to verify against")

    def signer_of(self, root: etree._Element) -> x509.Certificate:
        signature = root.find(f"{{{DS_NS}}}Signature")
        if signature is None:
            raise SigningError("the message is not signed (no ds:Signature after the body)")
        issuer = signature.findtext(f".//{{{DS_NS}}}X509IssuerName")
        serial = signature.findtext(f".//{{{DS_NS}}}X509SerialNumber")
        if not issuer or not serial or not serial.strip().isdigit():
            raise SigningError("the signature's KeyInfo has no X509IssuerSerial (issuer name and serial number)")
        for cert in self.trusted:
            if cert.serial_number == int(serial) and _name_parts(issuer_name(cert)) == _name_parts(issuer):
                return cert
        raise SigningError(f"unknown signer: no trusted certificate has issuer {issuer.strip()!r} and serial "
                           f"{serial.strip()}")

    def verify(self, xml: bytes) -> bytes:
        root = parse(xml, what="signed DUIS message")
        cert = self.signer_of(root)
        try:
            result = XMLVerifier().verify(root, x509_cert=cert, expect_config=_CONFIG)
        except InvalidDigest:
            raise SigningError("the signed content was changed after signing (digest mismatch)") from None
        except (InvalidSignature, InvalidCertificate, InvalidInput) as exc:
            raise SigningError(f"the signature does not verify against {issuer_name(cert)} serial "
                               f"{cert.serial_number}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                               ) from None
        verified = result[0] if isinstance(result, list) else result
        return etree.tostring(verified.signed_xml, xml_declaration=True, encoding="UTF-8")


def sign(xml: bytes, key: KeySource, cert: CertSource) -> bytes:
    """``xml`` with an enveloped DUIS signature by ``key`` (ECDSA P-256), naming ``cert`` by issuer and serial."""
    return Signer(key, cert).sign(xml)


def verify(xml: bytes, trusted_certs: Iterable[CertSource]) -> bytes:
    """The signed content of ``xml`` (signature removed) once it verifies against one of ``trusted_certs``."""
    return Verifier(trusted_certs).verify(xml)
