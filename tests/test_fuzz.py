"""Hypothesis fuzz of the CLI's argument parsing and of the library's public entry points.

Whatever the input, the outcome is documented: the CLI returns one of its exit codes (never a
traceback), and the library returns a value or raises a `LiangXinError`. The budget is fixed
(`derandomize`, `max_examples`) so CI time stays small and a failure reproduces.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import liangxin_contract
from liangxin_client import LiangXin, LiangXinError, Task, TaskRecord
from liangxin_client.cli import (
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TASK_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    main,
)
from liangxin_mock import MockServer

DOCUMENTED_EXITS = {EXIT_OK, EXIT_API_ERROR, EXIT_USAGE, EXIT_TASK_FAILED, EXIT_TIMEOUT}
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MODELS = list(liangxin_contract.model_names())

#: A guess (an inferred rule, an unknown model or field) is sent with a warning: a documented
#: outcome, not an exception.
pytestmark = pytest.mark.filterwarnings("ignore::liangxin_client.LiangXinWarning")


@pytest.fixture(scope="module")
def fuzz_mock() -> Iterator[MockServer]:
    with MockServer(task_seconds=0.05) as server:
        yield server


@pytest.fixture
def fuzz_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fuzz_mock: MockServer
) -> Iterator[MockServer]:
    """No machine configuration; files land in tmp_path; no retry waits."""
    for name in list(os.environ):
        if name.startswith(("LIANGXIN_", "XDG_", "_ARGCOMPLETE")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LIANGXIN_MOCK_DB", str(tmp_path / "mock.db"))
    monkeypatch.chdir(tmp_path)
    stamina.set_testing(True, attempts=1)
    yield fuzz_mock
    stamina.set_testing(False)


# -- the CLI --------------------------------------------------------------------------------------

COMMANDS = ["generate", "create", "get", "wait", "resume", "download", "models", "genrate", ""]
FLAGS = [
    "--model", "-m", "--aspect-ratio", "-r", "--seed", "--input", "-i", "--extra", "--no-validate",
    "--out", "-o", "--timeout", "--json", "--api-key", "--base-url", "--profile", "--help",
    "--version", "--aspect", "--modle", "--mock=1", "--", "-", "-x", "--seed=1.5",
]  # fmt: skip
URLS = [
    "http://127.0.0.1:notaport", "http://[::1", "http://", "ftp://x", "x", "", "http://h:99999",
    "http://127.0.0.1:9", "MOCK", "MOCK/api/v1", "http://ex ample.com", "http://\u00e9.test",
]  # fmt: skip
ODD_VALUES = [
    "16:9", "5:7", "seed=5", "image_size=huge", "x=", "=1", "a=b=c", "0.01", "-1", "nan", "inf",
    "1e400", "task_z-image_1", "out", "/proc/forbidden", "[1", "{}",
]  # fmt: skip
VALUES = st.one_of(st.sampled_from([*MODELS, *ODD_VALUES]), st.text(max_size=12))
TOKENS = st.one_of(st.sampled_from(FLAGS), VALUES)


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    argv = [draw(st.sampled_from(COMMANDS))] if draw(st.booleans()) else []
    argv += draw(st.lists(TOKENS, max_size=8))
    if draw(st.booleans()):
        argv = ["--base-url", draw(st.sampled_from(URLS)), *argv]
    if draw(st.booleans()):
        argv = ["--api-key", draw(st.sampled_from(["KEY", "", " k", "k\n", "ключ"])), *argv]
    return [token for token in argv if token != "--mock"]


@settings(FUZZ, max_examples=300)
@given(argv=argvs())
def test_cli_argument_parsing_ends_in_a_documented_exit_code(
    argv: list[str], fuzz_env: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    real = fuzz_env
    argv = [
        token.replace("MOCK", real.base_url) if token.startswith("MOCK") else token
        for token in argv
    ]
    argv = [real.api_key if token == "KEY" else token for token in argv]
    if "--timeout" not in argv and argv[:1] != ["--timeout"]:
        argv += ["--timeout", "5"] if {"generate", "wait", "resume"} & set(argv) else []
    try:
        code = main(argv)
    except SystemExit as exc:  # pragma: no cover - main returns its code
        raise AssertionError(f"main raised SystemExit({exc.code}) for {argv!r}") from None
    out, err = capsys.readouterr()
    assert code in DOCUMENTED_EXITS, (argv, code, err)
    assert "Traceback" not in err, (argv, err)
    if code not in (EXIT_OK,) and "--help" not in argv and "--version" not in argv:
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, (argv, err)
    assert real.api_key not in out + err, (argv, err)  # the key (given by --api-key) never shows


def test_cli_interrupt_is_a_documented_exit_code() -> None:
    assert EXIT_INTERRUPTED == 130  # the one code the fuzz cannot reach: it is Ctrl-C


# -- the library ----------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
RESERVED = {"input", "callback_url", "extra_input", "validate", "model", "prompt"}
FIELD_NAMES = st.one_of(
    st.sampled_from(["aspect_ratio", "image_size", "seed", "width", "height", "resolution"]),
    st.text(max_size=10),
).filter(lambda name: name not in RESERVED)


@settings(FUZZ, max_examples=200)
@given(
    api_key=st.one_of(st.none(), st.text(max_size=12)),
    base_url=st.one_of(st.sampled_from(URLS), st.text(max_size=20)),
    headers=st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2),
    max_retries=st.integers(min_value=-2, max_value=3),
)
def test_client_construction_is_a_client_or_a_liangxin_error(
    api_key: str | None,
    base_url: str,
    headers: dict[str, str],
    max_retries: int,
    fuzz_env: MockServer,
) -> None:
    with contextlib.suppress(LiangXinError):
        LiangXin(api_key, base_url, default_headers=headers, max_retries=max_retries).close()


BODIES = st.one_of(
    st.binary(max_size=40),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {"code": st.sampled_from([200, 400, 500, "200", None]), "msg": st.text(max_size=5)},
        optional={
            "data": st.one_of(
                JSON,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "taskId": st.one_of(st.just("task_1"), JSON),
                        "state": st.one_of(
                            st.sampled_from(["waiting", "success", "fail", "odd"]), JSON
                        ),
                        "resultJson": st.one_of(
                            st.just('{"resultUrls":["https://x/0.png"]}'), JSON
                        ),
                        "param": JSON,
                        "createTime": JSON,
                        "failCode": JSON,
                    },
                ),
            )
        },
    ).map(lambda value: json.dumps(value).encode()),
)
STATUSES = st.sampled_from([200, 201, 204, 301, 307, 400, 401, 403, 404, 413, 422, 429, 500, 502])


@settings(FUZZ, max_examples=300)
@given(
    status=STATUSES,
    body=BODIES,
    model=st.one_of(st.sampled_from(MODELS), st.text(max_size=8)),
    prompt=st.one_of(st.text(max_size=10), JSON),
    fields=st.dictionaries(FIELD_NAMES, JSON, max_size=3),
    validate=st.booleans(),
    task_id=st.one_of(st.text(max_size=10), st.just("task_1")),
)
@example(  # found by this fuzz: NaN cannot be encoded as JSON (was a bare ValueError)
    status=200, body=b"{}", model="z-image", prompt="x", fields={"seed": float("nan")},
    validate=False, task_id="task_1",
)  # fmt: skip
@example(
    status=200, body=b"{}", model="z-image", prompt={1, 2}, fields={}, validate=False, task_id="t"
)
def test_public_calls_return_or_raise_a_liangxin_error(
    status: int,
    body: bytes,
    model: str,
    prompt: Any,
    fields: dict[str, Any],
    validate: bool,
    task_id: str,
    fuzz_env: MockServer,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"location": "/elsewhere"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with LiangXin(
        "sk-fuzz", "https://api.liangxin.test", http_client=http, max_retries=0
    ) as client:
        try:
            task = client.tasks.create(model, prompt, validate=validate, **fields)
            assert isinstance(task, Task) and task.task_id
        except LiangXinError:
            pass
        try:
            record = client.tasks.get(task_id)
            assert isinstance(record, TaskRecord)
        except LiangXinError:
            pass
        with contextlib.suppress(LiangXinError):
            client.tasks.wait(task_id, timeout=0.01)
