"""liangxin-mock: a local simulator of the LiangXin Market image API.

An independent implementation of the contract (`openapi/liangxin.yaml`, shipped in
`liangxin_contract`): it validates each createTask body against the contract, simulates the task
lifecycle from stored timestamps, serves real PNG results, delivers callbacks, persists to SQLite
and can inject reproducible gateway faults. Outside the contract: the `X-Mock-Fail` and
`X-Mock-Task-Seconds` request headers and the `/__mock__/` introspection endpoints.
"""

from liangxin_mock.app import create_app
from liangxin_mock.config import MockConfig
from liangxin_mock.server import MockServer

__all__ = ["MockConfig", "MockServer", "create_app"]
