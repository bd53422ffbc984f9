"""The package version and the SDK User-Agent."""

from __future__ import annotations

import platform

import httpx

__version__ = "0.1.0"


def user_agent() -> str:
    """`liangxin-client/<version> python/<version> httpx/<version>`."""
    return f"liangxin-client/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
