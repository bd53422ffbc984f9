"""What must not leave the client but in the request itself: the API key and the callBackUrl.

`APIKey` holds the key the way httpx's auth classes hold credentials: in an object whose `repr`
and `str` say `***`, so a traceback's frame locals (what Sentry and `capture_locals` record) and
a client's attributes never show it; only the `Authorization` header is built from it. A server
may echo a secret back in another form — URL-encoded (`%2F`, `%2b`), JSON-escaped (`\\/`,
`\\u002b`), as HTML entities, `+` read as a space, base64 of `Bearer <key>` — and `Hidden`, the
secrets of one call, finds every such form (`echo_pattern`) where errors and log lines are made.
"""

from __future__ import annotations

import base64
import re
from functools import cached_property, lru_cache
from typing import Any, NoReturn

from liangxin_contract import redact_url

REDACTED = "***"
#: A callBackUrl's path and query are hidden on their own too when at least this long.
_MIN_HIDDEN_PATH = 8


def _char_forms(char: str) -> str:
    """A pattern for `char` as is or as any of its escapes (escapes' hex digits in any case)."""
    code = ord(char)
    # `\\+`: a JSON escape may itself be escaped again (a JSON text quoted inside JSON)
    escapes = [rf"\\+u{code:04x}", f"&#0*{code};", f"&#x0*{code:x};"]
    if code < 0x80:
        escapes.append(f"%{code:02x}")
    if char == "/":
        escapes.append(r"\\+/")
    if char == "+":
        escapes.append(" ")  # a form decoder's reading of a `+` it was sent
    return f"(?:{re.escape(char)}|(?i:{'|'.join(escapes)}))"


def echo_pattern(secret: str, *prefixes: str) -> re.Pattern[str]:
    """`secret` in every form a server may echo it in: as is or with any character escaped,
    and base64 of it (or of `prefix + secret`, e.g. a whole `Bearer` header)."""
    whole = [secret, *(prefix + secret for prefix in prefixes)]
    encoded = {
        encode(raw.encode()).decode().rstrip("=")
        for raw in whole
        for encode in (base64.b64encode, base64.urlsafe_b64encode)
    }
    alternatives = [f"{re.escape(text)}=*" for text in sorted(encoded, key=len, reverse=True)]
    alternatives.append("".join(_char_forms(char) for char in secret))
    return re.compile("|".join(alternatives))


#: Echo patterns of callBackUrls, kept across calls (a batch sends one URL on every row); never
#: of API keys, which each `APIKey` keeps itself and nothing else holds.
_url_pattern = lru_cache(maxsize=256)(echo_pattern)


class APIKey:
    """The API key; it shows as `***` in every repr, str, traceback and log line.

    `reveal()` is the one way to the value (for the Authorization header). Not picklable: an
    object holding it is never meant to be saved.
    """

    __slots__ = ("__dict__", "_value")

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def authorization(self) -> str:
        """The `Authorization` header's value."""
        return f"Bearer {self._value}"

    def printable(self) -> bool:
        """True when the key can go in a header as is (no whitespace, control or non-ASCII)."""
        return all("!" <= char <= "~" for char in self._value)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The key in every echo form (compiled at the first scrub: errors and logs only)."""
        return echo_pattern(self._value, "Bearer ")

    def scrub(self, text: str) -> str:
        return self.pattern.sub(REDACTED, text) if self._value else text

    def __repr__(self) -> str:
        return f"APIKey({REDACTED!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("an APIKey is not pickled (it would write the key out)")

    def __copy__(self) -> APIKey:
        return self

    def __deepcopy__(self, memo: Any) -> APIKey:
        return self


class Hidden:
    """The secrets of one call: the client's key, and the callBackUrl of each createTask it sends
    (shown as scheme and host, as `redact_url` does; its path alone, if echoed, as `/***`)."""

    __slots__ = ("_urls", "key")

    def __init__(self, key: APIKey | None) -> None:
        self.key = key
        self._urls: list[str] | None = None

    def add_url(self, url: object) -> None:
        """Hide `url` too (its patterns are made at the first scrub: errors and logs only)."""
        if isinstance(url, str) and url and url not in (self._urls or ()):
            self._urls = [*(self._urls or ()), url]

    def scrub(self, text: str) -> str:
        for url in self._urls or ():
            for pattern, shown in _url_forms(url):
                text = pattern.sub(shown, text)
        return text if self.key is None else self.key.scrub(text)

    def __repr__(self) -> str:
        return f"Hidden({REDACTED!r})"


def _url_forms(url: str) -> list[tuple[re.Pattern[str], str]]:
    """A callBackUrl's patterns and what each match becomes: the whole URL → scheme and host;
    its path and query alone (where a token lives) → `/***`."""
    shown = redact_url(url)
    forms = [(_url_pattern(url), shown)]
    head = shown.removesuffix("/***")
    rest = url.strip()[len(head) :] if url.strip().startswith(head) else ""
    if len(rest) >= _MIN_HIDDEN_PATH:
        forms.append((_url_pattern(rest), "/***"))
    return forms
