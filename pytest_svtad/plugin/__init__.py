"""The pytest face of pytest-svtad: the only package that imports pytest.

``hooks`` is the entry point (``pytest11: svtad``); ``session`` holds one session's state and its stash key;
``collector`` turns reports into results; ``options``, ``markers`` and ``fixtures`` are the public contract;
``scheduling``, ``plan_folders`` serve pytest-xdist; ``allure`` and ``publish`` feed allure-pytest and the report
sinks; ``packs`` collects test packs for ``svtad packs``.
"""
