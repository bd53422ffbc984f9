"""`BackgroundServer`: a loopback server on a thread of its own, used as a context manager.

Owns only the `with` protocol that `MockServer` and `CallbackReceiver` share: entering starts the
server (and returns it), leaving stops it. How each one starts and stops is its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class BackgroundServer(ABC):
    """`with Server(...) as server:` runs `start()` on entering and `stop()` on leaving."""

    @abstractmethod
    def start(self) -> Self:
        """Start serving (a no-op when already started); return the server."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving and wait for the server's thread."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
