"""Kept so older imports work: the one YAML reader is ``pytest_svtad.smets1.yamlfiles`` (simulators may import it)."""

from pytest_svtad.smets1.yamlfiles import LocatedYaml, load_yaml, pydantic_error

__all__ = ["LocatedYaml", "load_yaml", "pydantic_error"]
