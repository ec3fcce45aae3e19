"""Reading an SCT load profile file (``svtad sct --profile``, the SCT pack): YAML through the one reader, checked
against the fleet's ``LoadProfile`` model, every error naming the file and line. The model stays with the fleet in
``simulators/fleet/profile.py``; the simulators read no files themselves."""

from __future__ import annotations

from pathlib import Path

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.reader import load_yaml, validate
from simulators.fleet.profile import LoadProfile


def load_profile(path: Path) -> LoadProfile:
    located = load_yaml(path, "load profile")
    if not isinstance(located.data, dict):
        raise SvtadInputError(path, "load profile: expected a mapping", 1)
    return validate(located, LoadProfile, "load profile")
