"""Learned task durations kept between processes, so the first wait of a new `liangxin` is warm.

One small JSON file, `durations.json` in `$LIANGXIN_CACHE_DIR` (default
`$XDG_CACHE_HOME/liangxin`, i.e. `~/.cache/liangxin`): per base URL, per model, the last durations
in seconds. Reading never fails a command (a missing or damaged file is no knowledge); writing
merges with what other processes saved meanwhile and replaces the file atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from liangxin_client import DurationStats

FILE_NAME = "durations.json"
#: Base URLs kept (the most recently saved first); more are dropped.
KEEP_SERVICES = 20


def cache_dir() -> Path:
    explicit = os.environ.get("LIANGXIN_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "liangxin"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _samples(value: Any) -> list[float]:
    if not isinstance(value, list):
        return []
    return [float(v) for v in value if isinstance(v, int | float) and 0 <= v < 86_400]


def load_durations(stats: DurationStats, base_url: str, path: Path | None = None) -> int:
    """Add the saved durations for `base_url` to `stats`; return how many models were known."""
    saved = _read(path or cache_dir() / FILE_NAME).get(base_url)
    if not isinstance(saved, dict):
        return 0
    models = 0
    for model, values in saved.items():
        samples = _samples(values)[-stats.keep :]
        for seconds in samples:
            stats.add(str(model), seconds)
        models += bool(samples)
    return models


def save_durations(stats: DurationStats, base_url: str, path: Path | None = None) -> None:
    """Merge `stats` into the file under `base_url` (best effort: errors are ignored)."""
    target = path or cache_dir() / FILE_NAME
    with suppress(OSError):
        data = _read(target)
        service = data.pop(base_url, {})
        if not isinstance(service, dict):
            service = {}
        for model in stats.models():
            service[model] = stats.samples(model)
        if not service:
            return
        data = {base_url: service, **dict(list(data.items())[: KEEP_SERVICES - 1])}
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".durations-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
            os.replace(tmp, target)
        except OSError:
            with suppress(OSError):
                os.unlink(tmp)


@contextmanager
def remembered_durations(stats: DurationStats, key: str) -> Iterator[None]:
    """Load the saved durations for `key` into `stats` now; save what it learned at the end."""
    load_durations(stats, key)
    try:
        yield
    finally:
        save_durations(stats, key)
