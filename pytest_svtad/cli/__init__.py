"""The ``svtad`` command: argparse and printing only; the work is in ``rules``, ``store``, ``reports``."""

from pytest_svtad.cli.main import main

__all__ = ["main"]
