"""`liangxin`'s config file: named profiles holding a base URL and where to get the key.

```toml
# ~/.config/liangxin/config.toml ($XDG_CONFIG_HOME/liangxin/config.toml; $LIANGXIN_CONFIG)
default_profile = "work"

[profiles.work]
base_url = "https://<host from your LiangXin console>"
api_key_command = "pass show liangxin/work"     # its stdout is the key

[profiles.staging]
base_url = "https://staging.example"
api_key_file = "~/.config/liangxin/staging.key"  # the file's content is the key
```

The profile is `--profile NAME`, else `$LIANGXIN_PROFILE`, else `default_profile`, else a profile
named `default` if there is one. Flags and environment variables win over the profile. The key
is read only when a command needs it and is never printed.
"""

from __future__ import annotations

import difflib
import os
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import attrs

PROFILE_KEYS = frozenset({"base_url", "api_key_command", "api_key_file"})
TOP_KEYS = frozenset({"default_profile", "profiles"})
KEY_COMMAND_TIMEOUT = 60.0


class ConfigError(Exception):
    """The config file, or the profile asked for, cannot be used (exit 2: nothing was sent)."""


def config_path() -> tuple[Path, bool]:
    """The config file's path, and whether it was named explicitly (`$LIANGXIN_CONFIG`)."""
    explicit = os.environ.get("LIANGXIN_CONFIG")
    if explicit:
        return Path(explicit).expanduser(), True
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "liangxin" / "config.toml", False


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


@attrs.frozen
class Profile:
    """One `[profiles.NAME]` table."""

    name: str
    path: Path
    base_url: str | None = None
    api_key_command: str | None = None
    api_key_file: str | None = None

    def api_key(self) -> str | None:
        """The key from `api_key_command` or `api_key_file`; None when the profile names none."""
        if self.api_key_command:
            return self._run_key_command(self.api_key_command)
        if self.api_key_file:
            key_file = Path(self.api_key_file).expanduser()
            if not key_file.is_absolute():
                key_file = self.path.parent / key_file
            try:
                text = key_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(
                    f"profile {self.name!r}: cannot read api_key_file {str(key_file)!r}: "
                    f"{getattr(exc, 'strerror', None) or type(exc).__name__}"
                ) from None
            return text.strip() or self._empty("api_key_file")
        return None

    def _run_key_command(self, command: str) -> str:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ConfigError(f"profile {self.name!r}: api_key_command: {exc}") from None
        if not argv:
            return self._empty("api_key_command")
        try:
            done = subprocess.run(
                argv,
                stdout=subprocess.PIPE,
                text=True,
                timeout=KEY_COMMAND_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(
                f"profile {self.name!r}: api_key_command {argv[0]!r} could not run: {reason}"
            ) from None
        if done.returncode != 0:  # its output is never shown: it may be the key
            raise ConfigError(
                f"profile {self.name!r}: api_key_command {argv[0]!r} exited {done.returncode}"
            )
        return done.stdout.strip() or self._empty("api_key_command")

    def _empty(self, what: str) -> str:
        raise ConfigError(f"profile {self.name!r}: {what} gave an empty key")


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigError(f"cannot read config file {str(path)!r}: {reason}") from None


def load_profile(requested: str | None) -> Profile | None:
    """The profile to use: `requested` (--profile), else $LIANGXIN_PROFILE, else the default.

    None when there is no config file and no profile was asked for by name.
    """
    path, explicit = config_path()
    requested = requested or os.environ.get("LIANGXIN_PROFILE") or None
    if not path.exists():
        if explicit:
            raise ConfigError(f"LIANGXIN_CONFIG names {str(path)!r}, which does not exist")
        if requested:
            raise ConfigError(
                f"no profile {requested!r}: there is no config file at {str(path)!r} "
                "(see `liangxin --help` and docs/cli.md)"
            )
        return None
    data = _read(path)
    for key in set(data) - TOP_KEYS:
        raise ConfigError(
            f"config file {str(path)!r}: unknown setting {key!r}{_did_you_mean(key, sorted(TOP_KEYS))}"
        )
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(f"config file {str(path)!r}: `profiles` must be tables [profiles.NAME]")
    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"config file {str(path)!r}: default_profile must be a string")
    name = requested or default or ("default" if "default" in profiles else None)
    if name is None:
        return None
    if name not in profiles:
        known = sorted(profiles)
        raise ConfigError(
            f"no profile {name!r} in {str(path)!r}{_did_you_mean(name, known)} "
            f"(profiles: {', '.join(known) or 'none'})"
        )
    table = profiles[name]
    for key, value in table.items():
        if key not in PROFILE_KEYS:
            raise ConfigError(
                f"profile {name!r}: unknown setting {key!r}{_did_you_mean(key, sorted(PROFILE_KEYS))}"
                " (settings: api_key_command, api_key_file, base_url)"
            )
        if not isinstance(value, str):
            raise ConfigError(f"profile {name!r}: {key} must be a string")
    if "api_key_command" in table and "api_key_file" in table:
        raise ConfigError(f"profile {name!r}: give api_key_command or api_key_file, not both")
    return Profile(name=name, path=path, **table)
