"""The suite's pytest options and fixtures live in `contract_tests.plugin`."""

from contract_tests.plugin import *  # noqa: F403
from contract_tests.plugin import (  # noqa: F401  (hooks pytest looks up by name)
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_report_header,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_terminal_summary,
    target,
)
