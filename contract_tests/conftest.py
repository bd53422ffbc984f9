"""`pytest contract_tests` in this repository: the suite's plugin, for the shipped suite
(`liangxin_conformance/`) and its self-tests (`selftest/`).

The shipped package has no conftest of its own: `liangxin-conformance` loads the same plugin
with `-p liangxin_conformance.plugin`.
"""

pytest_plugins = ("liangxin_conformance.plugin",)
