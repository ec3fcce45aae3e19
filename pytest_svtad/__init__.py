"""pytest-svtad: SMETS1 test packs run as pytest, with SVTAD (SEC Appendix AK) exit-criteria evidence."""

__version__ = "0.5.0"
