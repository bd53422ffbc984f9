"""The `liangxin` command line, run as a subprocess against the embedded mock (and in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

import liangxin_contract
from liangxin_client import LiangXin, LiangXinError, UnexpectedTaskStateError
from liangxin_client._tasks import Tasks
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

MockFactory = Callable[..., MockServer]


class CLI:
    """Runs `python -m liangxin_client` with a private mock database and no credentials."""

    def __init__(self, tmp_path: Path, task_seconds: float = 0.5) -> None:
        self.cwd = tmp_path
        # The environment is already private (the repository's conftest.py).
        self.env = {
            **os.environ,
            "LIANGXIN_MOCK_DB": str(tmp_path / "mock.db"),
            "LIANGXIN_MOCK_TASK_SECONDS": str(task_seconds),
        }

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "liangxin_client", *args],
            cwd=self.cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def ratio(path: Path) -> float:
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    return width / height


# -- happy paths --------------------------------------------------------------------------------


def test_generate_writes_a_png_of_the_requested_ratio(cli: CLI) -> None:
    result = cli(
        "generate", "--mock", "-m", "seedream-v4-5", "-r", "16:9", "-o", "out", "a tea bottle"
    )
    assert result.returncode == EXIT_OK, result.stderr
    task_id = result.stderr.split("task ", 1)[1].split()[0]
    assert task_id.startswith("task_seedream-v4-5_")
    [line] = result.stdout.splitlines()
    path = cli.cwd / line
    assert path.parent == cli.cwd / "out"
    assert task_id in path.name
    assert ratio(path) == pytest.approx(16 / 9, rel=0.01)
    assert "Traceback" not in result.stderr


def test_generate_json(cli: CLI) -> None:
    result = cli(
        "--mock", "generate", "--json", "-m", "z-image", "--input", 'image_size="portrait_3_4"',
        "--input", "seed=7", "a cat",
    )  # fmt: skip
    assert result.returncode == EXIT_OK, result.stderr
    out = json.loads(result.stdout)
    assert out["state"] == "success"
    assert out["taskId"] in result.stderr  # announced before the wait
    assert out["param"]["input"] == {"prompt": "a cat", "image_size": "portrait_3_4", "seed": 7}
    [file] = out["files"]
    assert ratio(cli.cwd / file) == pytest.approx(3 / 4, rel=0.01)


def test_tasks_outlive_the_embedded_mock(cli: CLI) -> None:
    created = cli("create", "--mock", "-m", "nano-banana-pro", "-r", "9:16", "a tea bottle")
    assert created.returncode == EXIT_OK, created.stderr
    task_id = created.stdout.strip()
    assert task_id.startswith("task_nano-banana-pro_")

    waited = cli("wait", task_id, "--mock", "--json")  # a new process, a new port
    assert waited.returncode == EXIT_OK, waited.stderr
    assert json.loads(waited.stdout)["state"] == "success"

    shown = cli("get", task_id, "--mock")
    assert shown.returncode == EXIT_OK and "state:     success" in shown.stdout

    downloaded = cli("--mock", "download", task_id, "-o", "saved")
    assert downloaded.returncode == EXIT_OK, downloaded.stderr
    [line] = downloaded.stdout.splitlines()
    assert ratio(cli.cwd / line) == pytest.approx(9 / 16, rel=0.01)


def test_models_lists_every_model_from_the_contract(cli: CLI) -> None:
    result = cli("models")
    assert result.returncode == EXIT_OK
    for model in liangxin_contract.model_names():
        assert f"\n{model}" in "\n" + result.stdout
    assert "one of: 1:1, 16:9" in result.stdout
    assert "256–1440" in result.stdout  # flux width range

    described = json.loads(cli("models", "--json", "imagen4-ultra").stdout)
    [imagen] = described
    fields = {f["name"]: f for f in imagen["inputs"]}
    assert fields["prompt"]["required"] is True
    assert fields["aspect_ratio"]["default"] == "square_1_1"
    assert fields["compression_quality"]["minimum"] == 1
    assert "zh-CN" in fields["language"]["allowed"]


# -- user mistakes ------------------------------------------------------------------------------

MISTAKES = {
    "unknown-model-strict": (["generate", "--mock", "--strict", "-m", "seedream", "x"], EXIT_USAGE, "did you mean 'seedream-v4-5'"),
    "bad-ratio": (["generate", "--mock", "-m", "seedream-v4-5", "-r", "5:7", "x"], EXIT_USAGE, "aspect_ratio"),
    "unknown-input-strict": (["create", "--mock", "--strict", "-m", "flux-2-pro", "-i", "colour=red", "x"], EXIT_USAGE, "colour"),
    "inferred-rule-strict": (["create", "--mock", "--strict", "-m", "imagen4-fast", "--seed", "0", "x"], EXIT_USAGE, "input.seed"),
    "bad-input": (["create", "--mock", "-m", "flux-2-pro", "-i", "novalue", "x"], EXIT_USAGE, "KEY=VALUE"),
    "missing-key": (["generate", "-m", "seedream-v4-5", "x"], EXIT_USAGE, "no API key"),
    "missing-base-url": (["get", "--api-key", "sk-1", "task_x_1"], EXIT_USAGE, "no base URL"),
    "unknown-task": (["get", "--mock", "task_seedream-v4-5_1000000000000"], EXIT_API_ERROR, "no task"),
    "unreachable": (["get", "--api-key", "k", "--base-url", "http://127.0.0.1:9", "t"], EXIT_API_ERROR, "cannot reach"),
    "no-command": ([], EXIT_USAGE, "COMMAND"),
    "bad-timeout": (["wait", "t", "--timeout", "-1"], EXIT_USAGE, "timeout"),
    "infinite-timeout": (["wait", "t", "--timeout", "inf"], EXIT_USAGE, "finite"),
    "nan-timeout": (["generate", "-m", "z-image", "--timeout", "nan", "x"], EXIT_USAGE, "finite"),
    "out-unwritable": (["generate", "--mock", "-m", "z-image", "-o", "/proc/forbidden", "x"], EXIT_USAGE, "/proc/forbidden"),
    "download-out-unwritable": (["download", "--mock", "task_x_1", "-o", "/proc/forbidden"], EXIT_USAGE, "/proc/forbidden"),
    "unknown-model-listed": (["models", "dall-e"], EXIT_USAGE, "unknown model"),
    "foreign-model-listed": (["models", "fal-ai/bytedance/seedream/v4.5/edit"], EXIT_USAGE, "did you mean 'seedream-v4-5-edit'"),
}  # fmt: skip


@pytest.mark.parametrize(("args", "code", "says"), MISTAKES.values(), ids=MISTAKES.keys())
def test_user_mistakes_give_one_line_errors(
    cli: CLI, args: list[str], code: int, says: str
) -> None:
    result = cli(*args)
    assert result.returncode == code
    assert says in one_line_error(result)
    assert result.stdout == ""


def test_guesses_warn_in_one_line_and_are_sent(cli: CLI) -> None:
    # An input field the contract does not list: a warning, then the task is created.
    result = cli("create", "--mock", "-m", "flux-2-pro", "-i", "colour=red", "x")
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout.startswith("task_flux-2-pro_")
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("warning: unknown input field 'colour'")
    # An inferred rule (Imagen 4 Fast's page was not recovered): sent, with a warning.
    result = cli("create", "--mock", "-m", "imagen4-fast", "--seed", "0", "x")
    assert result.returncode == EXIT_OK, result.stderr
    assert "warning: invalid input.seed" in result.stderr and "inferred" in result.stderr
    # A model the contract does not know: sent with a hint; the mock answers as the service
    # documents ("unsupported model", 400), after sending: exit 1.
    result = cli("generate", "--mock", "-m", "seedream", "x")
    assert result.returncode == EXIT_API_ERROR
    warning, error = result.stderr.strip().splitlines()
    assert warning.startswith("warning: model 'seedream' is not in the contract")
    assert "did you mean 'seedream-v4-5'" in warning
    assert error.startswith("error: unsupported model")
    # A prompt of only whitespace: the docs say "non-empty" and no more, so it is a guess.
    result = cli("create", "--mock", "-m", "seedream-v4-5", "   ")
    assert result.returncode == EXIT_OK, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("warning: invalid input.prompt: only whitespace (3 characters)")


def test_json_errors_are_json_on_stdout(cli: CLI) -> None:
    result = cli("--mock", "get", "--json", "task_seedream-v4-5_1000000000000")
    assert result.returncode == EXIT_API_ERROR
    error = json.loads(result.stdout)["error"]
    assert error["taskId"] == "task_seedream-v4-5_1000000000000"
    assert error["exitCode"] == EXIT_API_ERROR


# -- task outcomes (in-process, against a configured mock) --------------------------------------


def test_a_failed_task_exits_3(
    liangxin_mock_factory: MockFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mock = liangxin_mock_factory(fail_rate=1.0, task_seconds=0.2)
    argv = ["--base-url", mock.base_url, "--api-key", mock.api_key, "generate", "-m", "z-image"]
    assert main([*argv, "-o", str(tmp_path), "a cat"]) == EXIT_TASK_FAILED
    err = capsys.readouterr().err
    assert "error: task task_z-image_" in err and "failed" in err
    assert list(tmp_path.iterdir()) == []


def test_a_wait_timeout_exits_4_and_says_how_to_resume(
    liangxin_mock_factory: MockFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    mock = liangxin_mock_factory(task_seconds=60)
    auth = ["--base-url", mock.base_url, "--api-key", mock.api_key]
    assert main([*auth, "create", "-m", "z-image", "a cat"]) == EXIT_OK
    task_id = capsys.readouterr().out.strip()
    assert main([*auth, "wait", task_id, "--timeout", "0.3"]) == EXIT_TIMEOUT
    # one pasteable command: the --base-url given as a flag is repeated, the key never is
    err = capsys.readouterr().err
    assert f"resume with `liangxin --base-url {mock.base_url} wait {task_id}`" in err
    assert mock.api_key not in err and "--api-key" in err
    assert main([*auth, "download", task_id]) == EXIT_API_ERROR
    assert "no results yet" in capsys.readouterr().err


def test_python_dash_m_and_version(cli: CLI) -> None:
    result = cli("--version")
    assert result.returncode == EXIT_OK
    assert result.stdout.startswith("liangxin ")


# -- --out is checked before paying; a failed save says how to recover --------------------------


def _auth(mock: MockServer) -> list[str]:
    return ["--base-url", mock.base_url, "--api-key", mock.api_key]


@pytest.mark.parametrize("where", ["/proc/forbidden", "a-file"])
def test_generate_checks_out_before_creating_a_task(
    liangxin_mock_factory: MockFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    where: str,
) -> None:
    mock = liangxin_mock_factory()
    (tmp_path / "a-file").write_text("not a directory")
    out = where if where.startswith("/") else str(tmp_path / where)
    for command in (["generate", "-m", "z-image", "a cat"], ["download", "task_z-image_1"]):
        assert main([*_auth(mock), *command, "-o", out]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert err.startswith("error: ") and out in err and len(err.splitlines()) == 1
    assert mock.tasks() == []  # nothing was created
    stats = mock.stats()
    assert (stats["createTask"], stats["keys"][mock.api_key]["recordInfo"]) == (0, 0)


def test_out_is_created_but_removed_again_when_there_is_nothing_to_save(
    liangxin_mock_factory: MockFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mock = liangxin_mock_factory()
    out = tmp_path / "new" / "dir"
    argv = [*_auth(mock), "generate", "-m", "flux-2-pro", "-i", "width=512", "-o", str(out)]
    assert main([*argv, "a cat"]) == EXIT_USAGE
    assert "input.height" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert main([*_auth(mock), "download", "task_z-image_1", "-o", str(out)]) == EXIT_API_ERROR
    assert "no task" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_names_the_task_and_the_download_to_retry(
    liangxin_mock_factory: MockFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = liangxin_mock_factory()
    out = tmp_path / "my out"

    def disk_full(self: LiangXin, record: object, directory: object, **_: object) -> list[Path]:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(LiangXin, "save", disk_full)
        code = main([*_auth(mock), "generate", "-m", "z-image", "-o", str(out), "a cat"])
    assert code == EXIT_API_ERROR
    [task] = mock.tasks()
    task_id = task["taskId"]
    [line] = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error:")]
    assert f"task {task_id} succeeded but cannot save results to {out}" in line
    assert "No space left on device" in line
    retry = f"liangxin --base-url {mock.base_url} download {task_id} -o '{out}'"
    assert retry in line

    assert main([*_auth(mock), "download", task_id, "-o", str(out)]) == EXIT_OK
    [saved] = capsys.readouterr().out.splitlines()
    assert Path(saved).parent == out and task_id in saved


def test_ctrl_c_while_saving_says_download_not_wait(
    liangxin_mock_factory: MockFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = liangxin_mock_factory()

    def interrupted(self: LiangXin, record: object, directory: object, **_: object) -> list[Path]:
        raise KeyboardInterrupt

    monkeypatch.setattr(LiangXin, "save", interrupted)
    code = main([*_auth(mock), "generate", "-m", "z-image", "-o", str(tmp_path), "a cat"])
    assert code == EXIT_INTERRUPTED
    [task] = mock.tasks()
    err = capsys.readouterr().err
    hint = f"liangxin --base-url {mock.base_url} download {task['taskId']} -o {tmp_path}"
    assert f"resume with `{hint}`" in err
    assert " wait " not in err


# -- exit 2 only when nothing was sent ----------------------------------------------------------


def test_an_unknown_task_state_exits_1_and_points_at_get(
    liangxin_mock_factory: MockFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = liangxin_mock_factory()

    def unknown(self: Tasks, task_id: str, **kwargs: object) -> None:
        raise UnexpectedTaskStateError(task_id, "queued")

    monkeypatch.setattr(Tasks, "wait", unknown)
    assert main([*_auth(mock), "wait", "task_z-image_1"]) == EXIT_API_ERROR
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: task task_z-image_1 is in state 'queued'")
    assert "`liangxin get task_z-image_1` shows the raw record" in err
    assert "tasks.get()" not in err  # worded for the command line, not the library


def test_other_library_errors_after_sending_exit_1(
    liangxin_mock_factory: MockFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = liangxin_mock_factory()

    def odd(self: Tasks, task_id: str) -> None:
        raise LiangXinError("something odd came back")

    monkeypatch.setattr(Tasks, "get", odd)
    assert main([*_auth(mock), "get", "task_z-image_1"]) == EXIT_API_ERROR
    assert "something odd came back" in capsys.readouterr().err


# -- Ctrl-C anywhere ----------------------------------------------------------------------------


def test_ctrl_c_during_start_up_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("liangxin_client.cli._main.build_parser", interrupted)
    assert main(["models"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "error: interrupted\n"
