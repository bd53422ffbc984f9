"""The settings a client takes from the environment when it is not given them."""

from __future__ import annotations

import os

#: Each setting a client reads from the environment, and the variable it reads.
ENVIRONMENT_VARIABLES = {"api_key": "LIANGXIN_API_KEY", "base_url": "LIANGXIN_BASE_URL"}


def environment_settings() -> dict[str, str]:
    """What `LiangXin()` / `AsyncLiangXin()` would take from the environment for the settings
    not passed: `{"api_key": ..., "base_url": ...}`, only those whose variable is set and not
    empty. For tools with defaults of their own (the `liangxin` CLI's profiles) that rank below
    the environment.
    """
    return {
        setting: value
        for setting, variable in ENVIRONMENT_VARIABLES.items()
        if (value := os.environ.get(variable))
    }
