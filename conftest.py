"""Root conftest: the harness's own suite drives the plugin through pytest's ``pytester`` (declared here because
``pytest_plugins`` is only honoured in the rootdir's conftest)."""

pytest_plugins = ["pytester"]
