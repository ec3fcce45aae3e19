"""DUIS XML signatures: what the harness signs verifies against the signer's certificate and nothing else, and every
failure (tampering, unknown signer, wrong curve, missing or mismatched key, no signature) is one SigningError line.
Keys and certificates are generated here, never committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from pytest_svtad.smets1.duis import DuisError, decode_request, encode_request
from pytest_svtad.smets1.duis.errors import error_code
from pytest_svtad.smets1.duis.signing import Signer, SigningError, Verifier, sign, verify
from pytest_svtad.smets1.messages import ServiceRequest

USER, ESME = "90-B3-D5-1F-30-01-00-00", "00-DB-12-34-56-78-90-A0"
DS = "http://www.w3.org/2000/09/xmldsig#"


Identity = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


def identity(common_name: str, curve: ec.EllipticCurve | None = None) -> Identity:
    """An EC key (P-256 unless given) and a self-signed certificate, made for the test (never committed)."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return key, cert


@pytest.fixture(scope="module")
def user() -> Identity:
    return identity("Z1")


@pytest.fixture(scope="module")
def request_xml() -> bytes:
    return encode_request(ServiceRequest("2.2", {"amount_pence": 500}), originator=USER, target=ESME, counter=7)


def test_a_signed_request_verifies_and_decodes_to_the_same_request(user: Identity, request_xml: bytes) -> None:
    key, cert = user
    signed = sign(request_xml, key, cert)
    text = signed.decode()
    for fact in ('Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"',
                 'Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"',
                 'Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"', '<ds:Reference URI="">',
                 f"<ds:X509SerialNumber>{cert.serial_number}</ds:X509SerialNumber>", "<ds:X509IssuerName>"):
        assert fact in text
    assert "X509Certificate" not in text  # named by issuer and serial, as DUIS does, not sent
    assert text.index("</sr:Body>") < text.index("<ds:Signature")  # enveloped, after the body
    content = verify(signed, [cert])
    assert decode_request(content).request == decode_request(request_xml).request
    assert decode_request(signed).signed


def test_keys_and_certificates_load_from_files(user: Identity, request_xml: bytes, tmp_path: Path) -> None:
    key, cert = user
    key_file, cert_file = tmp_path / "user.key", tmp_path / "user.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    signed = Signer(key_file, cert_file).sign(request_xml)
    assert Verifier([str(cert_file)]).verify(signed)


def test_a_changed_body_does_not_verify(user: Identity, request_xml: bytes) -> None:
    key, cert = user
    signed = sign(request_xml, key, cert)
    utrn = signed.split(b"<sr:UTRN>")[1].split(b"<")[0]
    tampered = signed.replace(utrn, utrn[:-1] + (b"1" if utrn[-1:] != b"1" else b"2"))
    with pytest.raises(SigningError, match="changed after signing") as caught:
        verify(tampered, [cert])
    assert caught.value.code == error_code("bad_signature")


def test_a_signature_by_someone_else_or_under_a_forged_name_is_refused(user: Identity, request_xml: bytes) -> None:
    key, cert = user
    other_key, other_cert = identity("U9")
    with pytest.raises(SigningError, match="unknown signer: no trusted certificate has issuer"):
        verify(sign(request_xml, other_key, other_cert), [cert])
    forged = sign(request_xml, other_key, other_cert).replace(
        str(other_cert.serial_number).encode(), str(cert.serial_number).encode()).replace(b"CN=U9", b"CN=Z1")
    with pytest.raises(SigningError, match="does not verify"):
        verify(forged, [cert])


def test_the_issuer_name_matches_whatever_the_order_of_its_parts(user: Identity, request_xml: bytes) -> None:
    key, cert = user
    signed = sign(request_xml, key, cert).replace(b"CN=Z1,OU=07", b"OU=07, CN=Z1")
    assert Verifier([cert]).signer_of(etree.fromstring(signed)) == cert


@pytest.mark.parametrize("problem", ["missing key file", "wrong curve", "key of another certificate",
                                     "not a key", "no trusted certificates", "unsigned", "placeholder signature"])
def test_signing_failures_are_one_line_errors(problem: str, user: Identity, request_xml: bytes, tmp_path: Path) -> None:
    key, cert = user
    expected = {"missing key file": "cannot be read", "wrong curve": "expected secp256r1",
                "key of another certificate": "does not belong to the certificate",
                "not a key": "not an unencrypted PEM/DER private key", "no trusted certificates": "no trusted",
                "unsigned": "not signed", "placeholder signature": "has no X509IssuerSerial"}[problem]
    with pytest.raises(SigningError, match=expected) as caught:
        if problem == "missing key file":
            sign(request_xml, tmp_path / "absent.key", cert)
        elif problem == "wrong curve":
            sign(request_xml, identity("P384", ec.SECP384R1())[0], cert)
        elif problem == "key of another certificate":
            sign(request_xml, identity("X")[0], cert)
        elif problem == "not a key":
            (tmp_path / "junk.key").write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
            sign(request_xml, tmp_path / "junk.key", cert)
        elif problem == "no trusted certificates":
            verify(sign(request_xml, key, cert), [])
        elif problem == "unsigned":
            verify(request_xml, [cert])
        else:
            placeholder = request_xml.replace(b"</sr:Request>", f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo/>'
                                              "<ds:SignatureValue>ZGVmYXVsdA==</ds:SignatureValue></ds:Signature>"
                                              "</sr:Request>".encode())
            verify(placeholder, [cert])
    assert "\n" not in str(caught.value)


def test_signing_a_template_replaces_its_placeholder_signature(user: Identity, request_xml: bytes) -> None:
    key, cert = user
    placeholder = request_xml.replace(b"</sr:Request>", f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo/>'
                                      "</ds:Signature></sr:Request>".encode())
    signed = sign(placeholder, key, cert)
    assert signed.count(b"Signature>") == 2 and verify(signed, [cert])  # one ds:Signature (open + close tags)


def test_a_hostile_document_is_refused_before_any_signature_work(user: Identity) -> None:
    key, cert = user
    with pytest.raises(DuisError, match="DOCTYPE"):
        verify(b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', [cert])
