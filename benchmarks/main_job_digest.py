"""Digest of the README's main job (DMCT-SRVT pack, six sample DMCs, seed 0) for before/after comparisons.

Runs the job into a fixed report folder and prints one sha256 per output file, after removing what legitimately
differs between two runs of the same seed: wall-clock durations, object addresses in tracebacks and the lock
file. A refactor that keeps behaviour must print the same digests before and after:

    python benchmarks/main_job_digest.py > before.txt   # on the old commit
    python benchmarks/main_job_digest.py > after.txt    # on the new one
    diff before.txt after.txt
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(os.environ.get("SVTAD_DIGEST_ROOT", Path(__file__).resolve().parent.parent))
REPORT = Path(os.environ.get("SVTAD_DIGEST_REPORT") or tempfile.mkdtemp(prefix="svtad-digest-")) / "report"
COMMAND = [
    sys.executable, "-m", "pytest", "testpacks/dmct_srvt", "--svtad-stage", "DMCT-SRVT",
    "--svtad-ttm", "testpacks/ttm/smets1-sit-sample.csv", "--svtad-criteria", "testpacks/dmct_srvt/criteria.yaml",
    "--svtad-dmc", "all", "--svtad-report", f"{REPORT}/", "--svtad-store", "none", "-p", "no:cacheprovider",
    *os.environ.get("SVTAD_DIGEST_ARGS", "").split(),
]
VOLATILE = [
    (re.compile(rb'"duration": [0-9.e-]+'), b'"duration": 0'),
    (re.compile(rb" object at 0x[0-9a-f]+"), b" object at 0x0"),
    (re.compile(rb" in [0-9.]+s( \([0-9:]+\))? ="), b" in 0s ="),
    (re.compile(rb"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC"), b"generated (time)"),
    (re.compile(rb'"(generated|started|finished)(_at)?": "[0-9T:.+-]+Z?"'), rb'"\1\2": "(time)"'),
]


def normalise(data: bytes) -> bytes:
    data = data.replace(str(REPORT).encode(), b"<report>").replace(str(ROOT).encode(), b"<root>")
    data = re.sub(rb"(?m)^plugins: .*$", b"plugins: (list)", data)
    for pattern, replacement in VOLATILE:
        data = pattern.sub(replacement, data)
    return data


def main() -> int:
    shutil.rmtree(REPORT, ignore_errors=True)
    run = subprocess.run(COMMAND, cwd=ROOT, capture_output=True, check=False)
    (REPORT / "stdout.txt").write_bytes(normalise(run.stdout)) if REPORT.is_dir() else None
    print(f"exit {run.returncode}  stdout {hashlib.sha256(normalise(run.stdout)).hexdigest()[:16]}")
    if run.returncode not in (0, 1) or not run.stdout:
        print(run.stdout.decode(errors="replace")[-2000:], run.stderr.decode(errors="replace")[-2000:])
    for path in sorted(p for p in REPORT.rglob("*") if p.is_file() and p.name != ".svtad-lock"):
        digest = hashlib.sha256(normalise(path.read_bytes())).hexdigest()[:16]
        print(f"{digest}  {path.relative_to(REPORT)}")
    if not os.environ.get("SVTAD_DIGEST_REPORT"):
        shutil.rmtree(REPORT.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
