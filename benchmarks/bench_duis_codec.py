"""DUIS codec speed: requests encoded, decoded, signed and verified per second (pure functions, one process), with
a baseline of bare lxml parse+serialise of the same documents measured in the same run, since the machine is noisy.

    python benchmarks/bench_duis_codec.py [--count 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from pytest_svtad.smets1.duis import decode_request, encode_request
from pytest_svtad.smets1.duis.signing import Signer, Verifier
from pytest_svtad.smets1.messages import ServiceRequest

USER, ESME = "90-B3-D5-1F-30-01-00-00", "00-DB-12-34-56-78-90-A0"
MIX = [ServiceRequest("4.1.1"), ServiceRequest("2.2", {"amount_pence": 500}),
       ServiceRequest("6.4.1", {"threshold_w": 6900, "period_s": 300}, command_variant=4),
       ServiceRequest("1.1.1", {"tariff": {"tou": [{"from": "00:00", "rate_pence": 12.5},
                                                   {"from": "07:00", "rate_pence": 30.0}],
                                           "standing_charge_pence": 53}}, command_variant=4),
       ServiceRequest("4.17", {"start": datetime(2026, 1, 1, tzinfo=UTC)})]


def identity(common_name: str = "bench") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A P-256 key and a self-signed certificate valid around now (bench_duis.py writes the same to files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return key, cert


def rate(count: int, work: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for index in range(count):
        work(index)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    key, cert = identity()
    signer, verifier = Signer(key, cert), Verifier([cert])
    xmls = [encode_request(req, originator=USER, target=ESME, counter=n) for n, req in enumerate(MIX)]
    signed = [signer.sign(xml) for xml in xmls]
    measures: dict[str, Callable[[int], object]] = {
        "baseline: lxml parse + serialise": lambda i: etree.tostring(etree.fromstring(xmls[i % len(xmls)])),
        "encode_request": lambda i: encode_request(MIX[i % len(MIX)], originator=USER, target=ESME, counter=i),
        "decode_request": lambda i: decode_request(xmls[i % len(xmls)]),
        "sign": lambda i: signer.sign(xmls[i % len(xmls)]),
        "verify": lambda i: verifier.verify(signed[i % len(signed)]),
    }
    counts = {name: args.count // (10 if name in ("sign", "verify") else 1) for name in measures}
    results: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(args.rounds):  # rotations: every measure once per round
        for name, work in measures.items():
            results[name].append(rate(counts[name], work))
    print(f"Python {platform.python_version()}, lxml {etree.__version__}, {args.rounds} rounds, "
          f"mix of {len(MIX)} SRVs")
    print("| measure | per second, median | rounds | ratio to baseline |")
    print("| --- | --- | --- | --- |")
    base = statistics.median(results["baseline: lxml parse + serialise"])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"| {name} | {median:,.0f} | {', '.join(f'{v:,.0f}' for v in values)} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
