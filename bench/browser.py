"""Headless Chromium driven over the Chrome DevTools protocol (CDP): open a page, read it, click
it like a person, take a screenshot. For the contact sheet's tests and benchmark.

Debian's `chromium` (`apt-get install -y chromium`; `.ci/run` installs it), started with its own
throwaway profile, `--remote-debugging-port=0` (the port it picked is read from
`DevToolsActivePort` in the profile) and nothing that reaches the network; the protocol goes
over one websocket (`websockets`, a dev dependency) on 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

#: Where to look for the browser (`LIANGXIN_CHROMIUM` names another).
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

FLAGS = (
    "--headless",
    "--no-sandbox",  # as root in a container
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--allow-file-access-from-files",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class BrowserError(Exception):
    """The browser could not be started or did not answer."""


def find_chromium() -> str | None:
    named = os.environ.get("LIANGXIN_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


class Browser:
    """One headless Chromium; `page()` opens a tab. Use as a context manager."""

    def __init__(self, executable: str | None = None, *, width: int = 1280, height: int = 2000):
        found = executable or find_chromium()
        if found is None:
            raise BrowserError("no chromium found (apt-get install -y chromium)")
        self.width, self.height = width, height
        self._profile = Path(tempfile.mkdtemp(prefix="liangxin-chromium-"))
        self._proc = subprocess.Popen(
            [found, *FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []
        self._stack = contextlib.ExitStack()
        try:
            self._ws: ClientConnection = self._stack.enter_context(
                connect(self._endpoint(), max_size=None, open_timeout=30, proxy=None)
            )
        except BaseException:
            self.close()
            raise

    def _endpoint(self) -> str:
        port_file = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrowserError(f"chromium exited at start (code {self._proc.returncode})")
            with contextlib.suppress(OSError, ValueError):
                port, path = port_file.read_text().split("\n")[:2]
                if port and path:
                    return f"ws://127.0.0.1:{int(port)}{path}"
            time.sleep(0.05)
        raise BrowserError("chromium did not open its debugging port within 30 s")

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        """One CDP command; its result (events that arrive meanwhile are kept for `event`)."""
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        while True:
            reply = self._receive(60)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self._events.append(reply)

    def _receive(self, timeout: float) -> dict[str, Any]:
        try:
            reply: dict[str, Any] = json.loads(self._ws.recv(timeout=timeout))
        except TimeoutError:
            raise BrowserError("chromium did not answer within the time allowed") from None
        return reply

    def event(self, method: str, session: str, timeout: float = 30) -> dict[str, Any]:
        """Wait for the next `method` event of `session` (one already received counts)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method and event.get("sessionId") == session:
                    del self._events[i]
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no {method} within {timeout} s")
            reply = self._receive(left)
            if "method" in reply:
                self._events.append(reply)

    def page(self, *, scripts: bool = True) -> Page:
        """A new tab (JavaScript off when `scripts` is False: the page's own scripts never run,
        the protocol can still read the page)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, target, session)
        page.send("Page.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        if not scripts:
            page.send("Emulation.setScriptExecutionDisabled", {"value": True})
        return page

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stack.close()
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """A tab: navigate, evaluate, click, screenshot."""

    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session)

    def open(self, url: str, timeout: float = 30) -> float:
        """Load `url`; the seconds until its load event (what the benchmark reports)."""
        started = time.perf_counter()
        self.send("Page.navigate", {"url": url})
        self.browser.event("Page.loadEventFired", self.session, timeout)
        return time.perf_counter() - started

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        """Poll `expression` until it is truthy; its last value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A mouse click (press and release) in the middle of the element, as a person makes
        it: the browser's own hit testing, labels and `:checked` do the rest."""
        box = self.evaluate(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});"
            "if(!e){return null;}e.scrollIntoView({block:'center'});"
            "var r=e.getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2];})()"
        )
        if box is None:
            raise BrowserError(f"nothing matches {selector!r}")
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def loaded_images(self) -> int:
        """Images that loaded: complete, with pixels."""
        return int(
            self.evaluate(
                "Array.prototype.filter.call(document.images,"
                "function(i){return i.complete&&i.naturalWidth>0;}).length"
            )
        )

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(BrowserError):
            self.browser.send("Target.closeTarget", {"targetId": self.target})


@contextlib.contextmanager
def browser(width: int = 1280, height: int = 2000) -> Iterator[Browser]:
    with Browser(width=width, height=height) as started:
        yield started
