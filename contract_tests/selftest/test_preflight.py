"""The set-up checks (`liangxin_conformance.preflight`) one by one, against real loopback servers:
each names what is wrong, and what merely looks odd is left to the suite to judge."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from liangxin_conformance import preflight
from liangxin_conformance.cli import parse_args, same_file_twice, wanted_outputs

KEY = "sk-preflight-5f0c2a9e71"


@dataclass
class Answer:
    """What the loopback server answers (and the last request it saw)."""

    status: int = 404
    body: bytes = b'{"code":404,"msg":"task not found","data":null}'
    headers: dict[str, str] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def server() -> Iterator[tuple[str, Answer]]:
    answer = Answer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer.seen.update(path=self.path, auth=self.headers.get("Authorization", ""))
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", answer
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_accepted_key_passes_with_a_free_request(server: tuple[str, Answer]) -> None:
    url, answer = server
    assert preflight.probe_service(url + "/", KEY) is None
    assert answer.seen["path"] == f"/api/v1/jobs/recordInfo?taskId={preflight.PROBE_TASK_ID}"
    assert answer.seen["auth"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (401, b'{"error":{"message":"invalid token","type":"new_api_error","code":""}}',
         'the service refused the key (HTTP 401 "invalid token"): check LIANGXIN_API_KEY / --api-key'),
        (403, b'{"code":403,"msg":"access denied","data":null}',
         'the service refused the key (HTTP 403 "access denied")'),
        (401, b"<html>nope</html>", "the service refused the key (HTTP 401):"),
        (503, b"", "the service is unavailable (HTTP 503): try again later"),
        (404, b"<html>Not Found</html>", "answered HTTP 404 without a LiangXin JSON body"),
    ],
)  # fmt: skip
def test_answers_that_stop_the_run(
    server: tuple[str, Answer], status: int, body: bytes, expected: str
) -> None:
    url, answer = server
    answer.status, answer.body = status, body
    problem = preflight.probe_service(url, KEY)
    assert problem is not None and expected in problem, problem


def test_a_redirect_names_where_it_goes(server: tuple[str, Answer]) -> None:
    url, answer = server
    answer.status, answer.body = 301, b""
    answer.headers = {"Location": "https://api.example.test/api/v1/jobs/recordInfo"}
    problem = preflight.probe_service(url, KEY)
    assert problem is not None
    assert "redirects (HTTP 301) to https://api.example.test/" in problem, problem


def test_saturation_says_when_to_come_back(server: tuple[str, Answer]) -> None:
    url, answer = server
    answer.status, answer.body, answer.headers = 429, b"{}", {"Retry-After": "30"}
    assert preflight.probe_service(url, KEY) == (
        "the service is refusing requests for load (HTTP 429, Retry-After 30): try again later"
    )


@pytest.mark.parametrize(
    "status, body",
    [
        (404, b'{"code":404,"msg":"task not found","data":null}'),
        (400, b'{"code":400,"msg":"taskId not found","data":null}'),
        (200, b'{"code":200,"msg":"success","data":{}}'),
        (500, b'{"code":500,"msg":"boom","data":null}'),  # the suite's to judge
    ],
)
def test_other_answers_are_the_suites_to_judge(
    server: tuple[str, Answer], status: int, body: bytes
) -> None:
    url, answer = server
    answer.status, answer.body = status, body
    assert preflight.probe_service(url, KEY) is None


def test_an_echoed_key_is_not_repeated(server: tuple[str, Answer]) -> None:
    url, answer = server
    answer.status = 401
    answer.body = b'{"error":{"message":"invalid token ' + KEY.encode() + b'"}}'
    problem = preflight.probe_service(url, KEY)
    assert problem is not None and KEY not in problem and "***" in problem, problem


def test_https_to_a_plain_http_server_is_a_tls_failure(server: tuple[str, Answer]) -> None:
    url, _ = server
    problem = preflight.probe_service(url.replace("http://", "https://"), KEY)
    assert problem is not None
    assert problem.startswith("the TLS handshake with https://127.0.0.1:"), problem


def test_an_untrusted_certificate_is_named(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        problem = preflight.probe_service(f"https://127.0.0.1:{httpd.server_address[1]}", KEY)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert problem is not None
    assert problem.startswith("the TLS certificate of https://127.0.0.1:"), problem
    assert "self-signed certificate" in problem, problem


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        problem = preflight.probe_service(f"http://127.0.0.1:{port}", KEY, timeout=0.5)
    assert problem == f"http://127.0.0.1:{port} took the connection but sent no answer within 0.5 s"


def test_a_server_that_does_not_speak_http() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def babble() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        thread = threading.Thread(target=babble, daemon=True)
        thread.start()
        problem = preflight.probe_service(f"http://127.0.0.1:{port}", KEY, timeout=5)
        thread.join(5)
    assert problem is not None
    assert problem.startswith(f"http://127.0.0.1:{port} did not answer in HTTP"), problem


def test_an_unknown_host_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DNS query leaves the machine: name resolution is made to fail here."""

    def no_such_host(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    problem = preflight.probe_service("https://liangxin.invalid", KEY)
    assert problem == (
        "cannot resolve the host of https://liangxin.invalid (Name or service not known)"
    )


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://api.example.test", True),
        ("http://127.0.0.1:8000/prefix", True),
        ("api.example.test", False),
        ("ftp://api.example.test", False),
        ("https://", False),
        ("http://127.0.0.1:99999", False),
    ],
)
def test_base_url_shape(url: str, ok: bool) -> None:
    assert (preflight.check_base_url(url) is None) == ok


# ------------------------------------------------------------------------------ outputs


def test_an_existing_file_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("last week's report\n")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    made: list[Path] = []
    assert preflight.check_writable(path, made) is None
    assert path.read_text() == "last week's report\n"
    assert path.stat().st_mtime == 1_000_000_000
    assert made == []


def test_a_new_file_is_not_left_behind_but_its_directories_are_made(tmp_path: Path) -> None:
    made: list[Path] = []
    path = tmp_path / "reports" / "weekly" / "report.md"
    assert preflight.check_writable(path, made) is None
    assert not path.exists() and path.parent.is_dir()
    assert made == [tmp_path / "reports", tmp_path / "reports" / "weekly"]
    (tmp_path / "reports" / "kept.txt").write_text("x")
    preflight.remove_made(made)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["kept.txt", "reports"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_a_read_only_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        problem = preflight.check_writable(locked / "report.md", [])
    finally:
        locked.chmod(0o700)
    assert problem == f"{locked / 'report.md'} cannot be written: Permission denied"


def test_relative_paths_are_the_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert preflight.resolve("out/../r.md", tmp_path) == tmp_path / "r.md"
    assert preflight.resolve("/abs/r.md", tmp_path) == Path("/abs/r.md")
    assert preflight.resolve("~/r.md", tmp_path) == tmp_path / "home" / "r.md"


def test_output_options_after_the_separator_are_the_clis(tmp_path: Path) -> None:
    args: argparse.Namespace = parse_args(
        ["--report", "r.md", "--", "--conformance-json=j.json", "-k", "docs",
         "--junitxml", "x/j.xml", "--basetemp", "bt", "-x"]
    )  # fmt: skip
    wanted, rest = wanted_outputs(args, tmp_path)
    assert wanted == {
        "junit.xml": [("--junitxml", tmp_path / "x" / "j.xml")],
        "report.md": [("--report", tmp_path / "r.md")],
        "outcomes.json": [("--conformance-json", tmp_path / "j.json")],
    }
    assert rest == ["-k", "docs", "--basetemp", str(tmp_path / "bt"), "-x"]
    assert same_file_twice(wanted) is None
    twice, _ = wanted_outputs(parse_args(["--junit", "a", "--json", "a"]), tmp_path)
    assert same_file_twice(twice) == f"--junit and --json name the same file {tmp_path / 'a'}"


def test_a_directory_for_files(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    made: list[Path] = []
    assert (
        preflight.check_directory(tmp_path / "afile", made)
        == f"{tmp_path / 'afile'} is not a directory"
    )
    assert preflight.check_directory(tmp_path / "afile" / "sub", made) == (
        f"{tmp_path / 'afile' / 'sub'} cannot be made: {tmp_path / 'afile'} is not a directory"
    )
    assert preflight.check_directory(tmp_path / "new" / "sub", made) is None
    assert made == [tmp_path / "new", tmp_path / "new" / "sub"]
    assert list((tmp_path / "new" / "sub").iterdir()) == []
