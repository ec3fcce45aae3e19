"""``python -m pytest_svtad.cli``: the ``svtad`` command."""

from pytest_svtad.cli.main import main

raise SystemExit(main())
