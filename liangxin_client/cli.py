"""`liangxin`: generate images, inspect tasks and list models from the command line.

Results go to stdout (paths, a taskId, or JSON with `--json`); progress, the taskId as soon as it
exists, and errors go to stderr. An error is one line, `error: ...`, and its exit code says what
went wrong (see `EXIT_CODES`).
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import math
import os
import re
import shlex
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO
from urllib.parse import urlsplit

from rich.console import Console

import liangxin_contract
from liangxin_client._cli_batch import add_arguments as add_batch_arguments
from liangxin_client._cli_batch import cmd_batch
from liangxin_client._cli_config import ConfigError, load_profile
from liangxin_client._cli_mock import MockUnavailableError, embedded_mock
from liangxin_client._cli_models import describe_models, render_models
from liangxin_client._cli_progress import TaskProgress
from liangxin_client._client import LiangXin
from liangxin_client._durations_file import durations_key, remembered_durations
from liangxin_client._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    LiangXinError,
    NotFoundError,
    TaskFailedError,
    TaskTimeoutError,
    UnexpectedTaskStateError,
    find_ambiguous_submit,
)
from liangxin_client._inputs import build_create_body
from liangxin_client._records import TaskRecord, TaskState
from liangxin_client._tasks import DEFAULT_WAIT_TIMEOUT
from liangxin_client._version import __version__
from liangxin_client._warnings import LiangXinWarning

EXIT_OK = 0
EXIT_API_ERROR = 1  # the service answered with an error or could not be reached, or another
#                    failure once something was sent (an unknown task state, a failed save)
EXIT_USAGE = 2  # bad arguments or input rejected before anything was sent
EXIT_TASK_FAILED = 3  # the task reached `fail`
EXIT_TIMEOUT = 4  # --timeout passed before the task finished (it goes on)
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES = (
    "0 ok, 1 API or other error after sending, 2 usage or invalid input (nothing sent), "
    "3 task failed, 4 timed out, 130 Ctrl-C"
)

DEFAULT_OUT = "liangxin-output"


class UsageError(Exception):
    """A user mistake found by the CLI itself (exit 2)."""


class TaskNotFinishedError(LiangXinError):
    """`download` of a task that has no results yet."""


class SaveFailedError(LiangXinError):
    """The task succeeded but its results could not be saved (exit 1; `download` recovers)."""


# -- the parser ---------------------------------------------------------------------------------


_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<choices>.*)\)")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2, with a "did you mean" for typos.

    Abbreviations are refused (`--aspect` is not `--aspect-ratio`): a shortened flag that
    means one thing today would silently mean another once an option is added.
    """

    #: Every option string of the whole command tree (set by build_parser), for suggestions.
    known_options: tuple[str, ...] = ()
    #: The arguments being parsed (set by main), for suggestions.
    argv: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_USAGE, f"error: {message}{self._suggestion(message)} (see `{self.prog} --help`)\n"
        )

    def _suggestion(self, message: str) -> str:
        if match := _INVALID_CHOICE.search(message):
            choices = re.findall(r"'([^']*)'", match["choices"])
            close = difflib.get_close_matches(match["given"], choices, n=1)
            return f"; did you mean {close[0]!r}?" if close else ""
        # An unknown flag, wherever argparse stopped (a required option it then misses, too).
        hints = []
        for token in _Parser.argv:
            flag = token.split("=", 1)[0]
            if not flag.startswith("--") or flag == "--" or flag in _Parser.known_options:
                continue
            close = difflib.get_close_matches(flag, _Parser.known_options, n=1, cutoff=0.6)
            close = close or [o for o in _Parser.known_options if o.startswith(flag)][:1]
            if close:
                hints.append(f"{flag} → {close[0]}")
        return f"; did you mean {', '.join(hints)}?" if hints else ""


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options accepted before or after the command (`liangxin --mock get ID` or `... get ID --mock`)."""

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    group = parser.add_argument_group("connection and output")
    group.add_argument(
        "--api-key",
        default=default(None),
        help="API key (default: $LIANGXIN_API_KEY, else the profile's)",
    )
    group.add_argument(
        "--base-url",
        default=default(None),
        help="service URL (default: $LIANGXIN_BASE_URL, else the profile's)",
    )
    group.add_argument(
        "--profile",
        default=default(None),
        metavar="NAME",
        help="a profile of the config file (default: $LIANGXIN_PROFILE, else default_profile)",
    )
    group.add_argument(
        "--mock",
        action="store_true",
        default=default(False),
        help="run against the embedded liangxin-mock (offline; tasks kept in $LIANGXIN_MOCK_DB)",
    )
    group.add_argument(
        "--json", action="store_true", default=default(False), help="machine-readable stdout"
    )


def _complete_models(**_: Any) -> list[str]:
    return list(liangxin_contract.model_names())


def _task_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="what to generate")
    model = parser.add_argument(
        "--model", "-m", required=True, help="model value (see `liangxin models`)"
    )
    model.completer = _complete_models  # type: ignore[attr-defined]  # argcomplete
    parser.add_argument(
        "--aspect-ratio", "-r", metavar="RATIO", help="input.aspect_ratio, e.g. 16:9"
    )
    parser.add_argument("--seed", type=int, metavar="N", help="input.seed")
    parser.add_argument(
        "--input",
        "-i",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help='another input field; VALUE is JSON when it parses (5, true, ["a"]), else text',
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse what the contract only guesses (an inferred rule, a model or input field it "
        "does not know) instead of warning and sending",
    )
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an input field the contract does not document, sent as is (VALUE as for --input)",
    )
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="skip the contract checks and send the input as given (the service still checks)",
    )


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, got {text!r}")
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def _out_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        "-o",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"where to save (default: {DEFAULT_OUT})",
    )


_TIMEOUT_HELP = f"stop waiting after S seconds (default {DEFAULT_WAIT_TIMEOUT:g}; the task goes on)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="liangxin",
        description="Generate images with the LiangXin Market API.",
        epilog=(
            f"exit codes: {EXIT_CODES}. Config file with profiles: $LIANGXIN_CONFIG, else "
            "$XDG_CONFIG_HOME/liangxin/config.toml (~/.config/liangxin/config.toml). "
            'Shell completion: eval "$(register-python-argcomplete liangxin)".'
        ),
    )
    parser.add_argument("--version", action="version", version=f"liangxin {__version__}")
    _common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, run: Callable[[Run], int], help: str) -> _Parser:
        sub: _Parser = commands.add_parser(name, help=help, description=help)
        _common(sub, top=False)
        sub.set_defaults(run=run)
        return sub

    gen = command("generate", cmd_generate, "create a task, wait for it, save the images")
    _task_inputs(gen)
    _out_option(gen)
    gen.add_argument(
        "--timeout", type=_timeout, default=DEFAULT_WAIT_TIMEOUT, metavar="S", help=_TIMEOUT_HELP
    )

    create = command("create", cmd_create, "create a task and print its taskId")
    _task_inputs(create)

    get = command("get", cmd_get, "show a task's current record")
    get.add_argument("task_id", metavar="TASK_ID")

    wait = command("wait", cmd_wait, "wait for a task to finish")
    wait.add_argument("task_id", metavar="TASK_ID")
    wait.add_argument(
        "--timeout", type=_timeout, default=DEFAULT_WAIT_TIMEOUT, metavar="S", help=_TIMEOUT_HELP
    )

    resume = command("resume", cmd_resume, "wait for a task, then save its images")
    resume.add_argument("task_id", metavar="TASK_ID")
    _out_option(resume)
    resume.add_argument(
        "--timeout", type=_timeout, default=DEFAULT_WAIT_TIMEOUT, metavar="S", help=_TIMEOUT_HELP
    )

    download = command("download", cmd_download, "save a finished task's images")
    download.add_argument("task_id", metavar="TASK_ID")
    _out_option(download)

    batch = command("batch", cmd_batch, "one task per row of a JSONL/CSV file, resumable")
    add_batch_arguments(batch)

    models = command("models", cmd_models, "list every model and its inputs")
    model_names = models.add_argument("model", nargs="*", metavar="MODEL", help="only these models")
    model_names.completer = _complete_models  # type: ignore[attr-defined]  # argcomplete
    _Parser.known_options = tuple(
        sorted(
            {
                option
                for each in (parser, *commands.choices.values())
                for action in each._actions
                for option in action.option_strings
                if option.startswith("--")
            }
        )
    )
    return parser


# -- shared pieces ------------------------------------------------------------------------------


class Run:
    """What one invocation knows: the arguments, the consoles, and the task in flight."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stderr = Console(stderr=True, highlight=False, soft_wrap=True)
        self.task_id: str | None = None
        self.base_url: str | None = None
        self.resume_with = "wait"  # the command that picks the task up again: wait or download

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    def note(self, message: str) -> None:
        """A line for humans on stderr."""
        self.stderr.print(message, markup=False)

    def resume_hint(self, command: str | None = None) -> str:
        """One pasteable command that picks the task up again: `resume` (wait, then save) after
        `generate`, `wait` after `wait`, `download` once it succeeded.

        It repeats every option given as a flag that the new process needs (`--mock`,
        `--base-url`, `--profile`, `-o`) — never the API key: with `--api-key` it says so.
        """
        command = command or self.resume_with
        args = self.args
        argv = ["liangxin"]
        if args.mock:
            argv.append("--mock")
        if args.base_url:
            argv += ["--base-url", args.base_url]
        if args.profile:
            argv += ["--profile", args.profile]
        argv += [command, self.task_id or "TASK_ID"]
        out = getattr(args, "out", None)
        if command in ("download", "resume") and out is not None:
            argv += ["-o", out]
        return shlex.join(argv)

    def resume(self, command: str | None = None) -> str:
        """The resume hint in backticks, and a reminder when the key was a flag (never shown)."""
        note = " (with your --api-key: it is never shown)" if self.args.api_key else ""
        return f"`{self.resume_hint(command)}`{note}"


def _emit(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _check_model(model: str) -> None:
    known = liangxin_contract.model_names()
    if model not in known:
        close = difflib.get_close_matches(model, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown model {model!r}{hint} (`liangxin models` lists them)")


def _parse_pairs(items: list[str], option: str) -> dict[str, Any]:
    """KEY=VALUE options as a dict; VALUE is JSON when it parses, else text."""
    fields: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{option} expects KEY=VALUE, got {item!r}")
        try:
            fields[key] = json.loads(text)
        except ValueError:
            fields[key] = text
    return fields


def _parse_inputs(args: argparse.Namespace) -> dict[str, Any]:
    fields = _parse_pairs(args.input, "--input")
    for key, value in (("aspect_ratio", args.aspect_ratio), ("seed", args.seed)):
        if value is not None:
            if key in fields:
                raise UsageError(f"{key} given twice (as --{key.replace('_', '-')} and --input)")
            fields[key] = value
    if "prompt" in fields:
        raise UsageError("give the prompt as the PROMPT argument, not --input prompt=...")
    return fields


class OutputDir:
    """`--out`, made ready before anything is sent: created if missing, a directory, writable.

    `discard()` removes the directories it created, for a command that ends before a task exists.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.path = Path(text)
        self.created: list[Path] = []
        try:
            self.created = [p for p in (self.path, *self.path.parents) if not p.exists()]
            if self.path.exists() and not self.path.is_dir():
                raise UsageError(f"--out {text!r} is not a directory")
            self.path.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".liangxin-probe-", dir=self.path)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            self.discard()
            raise UsageError(f"cannot write to --out {text!r}: {_os_error(exc)}") from None

    @contextmanager
    def kept_only_on_success(self) -> Iterator[None]:
        """Remove the directories made for the results if the block fails (no results to save)."""
        try:
            yield
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        for path in self.created:  # deepest first; rmdir leaves anything non-empty alone
            with suppress(OSError):
                path.rmdir()


def _os_error(exc: OSError) -> str:
    return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")


def _save(run: Run, client: LiangXin, record: TaskRecord, out: OutputDir) -> list[Path]:
    """Save a succeeded task's results; a failure names the task and the `download` to retry."""
    run.resume_with = "download"
    try:
        return client.save(record, out.path)
    except (OSError, APIError) as exc:
        reason = _os_error(exc) if isinstance(exc, OSError) else str(exc)
        raise SaveFailedError(
            f"task {record.task_id} succeeded but cannot save results to {out.text}: {reason}; "
            f"retry with {run.resume('download')}"
        ) from exc


@contextmanager
def _client(run: Run) -> Iterator[LiangXin]:
    """A client for the configured service, or for a freshly started embedded mock.

    Flags win over the environment, which wins over the config file's profile.
    """
    args = run.args
    if args.mock:
        if args.base_url or args.api_key:
            raise UsageError("--mock runs its own service: drop --base-url and --api-key")
        with ExitStack() as stack:
            try:
                mock_url, mock_key = stack.enter_context(embedded_mock())
            except MockUnavailableError as exc:
                raise UsageError(f"{exc}; nothing was sent") from None
            run.base_url = mock_url
            client = stack.enter_context(_new_client(mock_key, mock_url))
            stack.enter_context(remembered_durations(client, durations_key(run)))
            yield client
        return
    try:
        profile = load_profile(args.profile)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    from_profile = f" or in profile {profile.name!r}" if profile else " or in a config profile"
    base_url = (
        args.base_url
        or os.environ.get("LIANGXIN_BASE_URL")
        or (profile.base_url if profile else None)
    )
    api_key = args.api_key or os.environ.get("LIANGXIN_API_KEY")
    if not api_key and profile is not None:
        try:
            api_key = profile.api_key()
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    if not api_key:
        raise UsageError(
            f"no API key: pass --api-key or set LIANGXIN_API_KEY{from_profile} "
            "(api_key_command / api_key_file), or use --mock"
        )
    if not base_url:
        raise UsageError(
            f"no base URL: pass --base-url or set LIANGXIN_BASE_URL{from_profile} (base_url), "
            "or use --mock"
        )
    run.base_url = base_url
    with _new_client(api_key, base_url) as client, remembered_durations(client, base_url):
        yield client


def _new_client(api_key: str, base_url: str) -> LiangXin:
    """A client; a configuration it rejects is a usage error (nothing was sent)."""
    try:
        return LiangXin(api_key, base_url)
    except LiangXinError as exc:
        raise UsageError(f"{exc}; nothing was sent") from None


def _iso(millis: int | None) -> str | None:
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000).astimezone().isoformat(timespec="seconds")


def record_json(record: TaskRecord) -> dict[str, Any]:
    """A record as the CLI's JSON shows it (recordInfo's names, resultJson decoded)."""
    return {
        "taskId": record.task_id,
        "model": record.model,
        "state": record.raw_state,
        "resultUrls": list(record.result_urls),
        "failCode": record.fail_code,
        "failMsg": record.fail_msg,
        "createTime": record.create_time,
        "updateTime": record.update_time,
        "completeTime": record.complete_time,
        "costTime": record.cost_time,
        "param": dict(record.param) if record.param is not None else None,
    }


def _render(record: TaskRecord, run: Run) -> str:
    results: list[tuple[str, Any]] = [("result", url) for url in record.result_urls]
    if run.args.mock and record.result_urls:
        # The embedded mock's port dies with this command: its URLs would be dead links.
        count = len(record.result_urls)
        results = [
            (
                "results",
                f"{count} file{'s' * (count != 1)}; save with `{run.resume_hint('download')}` "
                "(--mock result URLs work only while the mock runs)",
            )
        ]
    rows: list[tuple[str, Any]] = [
        ("task", record.task_id),
        ("model", record.model),
        ("state", record.raw_state),
        ("created", _iso(record.create_time)),
        ("completed", _iso(record.complete_time)),
        ("cost", f"{record.cost_time / 1000:g} s" if record.cost_time is not None else None),
        ("fail", ": ".join(p for p in (record.fail_code, record.fail_msg) if p) or None),
        *results,
    ]
    return "\n".join(f"{name + ':':<10} {value}" for name, value in rows if value is not None)


def _wait(run: Run, client: LiangXin, task_id: str, timeout: float) -> TaskRecord:
    run.task_id = task_id
    with TaskProgress(task_id, run.stderr) as progress:
        record = client.tasks.wait(task_id, timeout=timeout, on_update=progress.update)
    if run.stderr.is_terminal:  # the spinner is gone; plain output already said it
        run.note(f"{task_id}: {record.raw_state} after {progress.elapsed:.1f} s")
    return record


# -- the commands -------------------------------------------------------------------------------


def _task_request(run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields, extra fields) of `generate`/`create`, checked offline unless --no-validate."""
    args = run.args
    fields = _parse_inputs(args)
    extra = _parse_pairs(args.extra, "--extra")
    if not args.no_validate:
        # Every contract rule, offline, before the client is built: documented ones refuse,
        # guesses print a warning (or refuse, with --strict); create() need not check again.
        build_create_body(
            args.model, args.prompt, fields=fields, extra_input=extra, strict=args.strict
        )
    return fields, extra


def _create(run: Run, client: LiangXin, fields: dict[str, Any], extra: dict[str, Any]) -> str:
    args = run.args
    task = client.tasks.create(
        args.model,
        args.prompt,
        extra_input=extra or None,
        validate=False,  # checked (or skipped) by _task_request
        **fields,
    )
    run.task_id = task.task_id
    return task.task_id


def cmd_generate(run: Run) -> int:
    args = run.args
    fields, extra = _task_request(run)
    run.resume_with = "resume"
    with _client(run) as client:
        out = OutputDir(args.out)  # before paying for a task whose images could not be saved
        with out.kept_only_on_success():
            task_id = _create(run, client, fields, extra)
            run.note(f"task {task_id} created")
            record = _wait(run, client, task_id, args.timeout)
        paths = _save(run, client, record, out)
    return _print_saved(run, record, paths)


def cmd_resume(run: Run) -> int:
    """`wait`, then `download`: what `generate` does once the task exists."""
    args = run.args
    run.resume_with = "resume"
    with _client(run) as client:
        out = OutputDir(args.out)
        with out.kept_only_on_success():
            record = _wait(run, client, args.task_id, args.timeout)
        paths = _save(run, client, record, out)
    return _print_saved(run, record, paths)


def _print_saved(run: Run, record: TaskRecord, paths: list[Path]) -> int:
    """The saved files on stdout: one path a line, or the record plus `files` with --json."""
    if run.json:
        _emit({**record_json(record), "files": [str(p) for p in paths]})
    else:
        print("\n".join(str(p) for p in paths))
    return EXIT_OK


def cmd_create(run: Run) -> int:
    args = run.args
    fields, extra = _task_request(run)
    with _client(run) as client:
        task_id = _create(run, client, fields, extra)
    if run.json:
        _emit({"taskId": task_id, "model": args.model})
    else:
        print(task_id)
    return EXIT_OK


def cmd_get(run: Run) -> int:
    args = run.args
    run.task_id = args.task_id
    with _client(run) as client:
        record = client.tasks.get(args.task_id)
    print(json.dumps(record_json(record), indent=2) if run.json else _render(record, run))
    return EXIT_OK


def cmd_wait(run: Run) -> int:
    args = run.args
    with _client(run) as client:
        record = _wait(run, client, args.task_id, args.timeout)
    print(json.dumps(record_json(record), indent=2) if run.json else _render(record, run))
    return EXIT_OK


def cmd_download(run: Run) -> int:
    args = run.args
    run.task_id = args.task_id
    with _client(run) as client:
        out = OutputDir(args.out)
        with out.kept_only_on_success():
            record = client.tasks.get(args.task_id)
            if record.state is TaskState.FAIL:
                raise TaskFailedError(record.task_id, record.fail_code, record.fail_msg)
            if record.state is not TaskState.SUCCESS:
                raise TaskNotFinishedError(
                    f"task {record.task_id} has no results yet (state: {record.raw_state}); "
                    f"run {run.resume('wait')} first"
                )
        paths = _save(run, client, record, out)
    return _print_saved(run, record, paths)


def cmd_models(run: Run) -> int:
    args = run.args
    for model in args.model:
        _check_model(model)
    described = describe_models(args.model or None)
    if run.json:
        _emit(described)
    else:
        sys.stdout.write(render_models(described))
    return EXIT_OK


# -- errors -------------------------------------------------------------------------------------


def _explain(run: Run, exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for an error."""
    if isinstance(exc, InvalidRequestError):
        return EXIT_USAGE, _cli_wording(str(exc))
    if isinstance(exc, UsageError | ConfigurationError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, TaskFailedError):
        return EXIT_TASK_FAILED, str(exc)
    if isinstance(exc, TaskTimeoutError):
        after = f" after {exc.timeout:g} s" if exc.timeout is not None else ""
        return EXIT_TIMEOUT, (
            f"task {exc.task_id} not finished{after} (last state: {exc.last_state or 'unknown'}); "
            f"it goes on: resume with {run.resume()}"
        )
    if isinstance(exc, NotFoundError):
        hint = _base_url_hint(run)
        if run.task_id and not hint:
            return EXIT_API_ERROR, f"no task {run.task_id!r} on this service ({exc})"
        return EXIT_API_ERROR, f"{exc}{hint}"
    if isinstance(exc, APIConnectionError) and run.base_url:
        return EXIT_API_ERROR, f"cannot reach {run.base_url}: {exc}"
    if isinstance(exc, AuthenticationError):
        return EXIT_API_ERROR, f"{exc}: check --api-key / LIANGXIN_API_KEY"
    if isinstance(exc, UnexpectedTaskStateError):
        return EXIT_API_ERROR, (
            f"task {exc.task_id} is in state {exc.state!r}, which this version of liangxin does "
            f"not know; `liangxin{' --mock' if run.args.mock else ''} get {exc.task_id}` shows "
            "the raw record (or upgrade liangxin-client)"
        )
    if isinstance(exc, LiangXinError):
        # APIError, a failed save, ...: anything else the library raises comes after sending
        # (a configuration the client rejects is a UsageError raised by `_new_client`).
        return EXIT_API_ERROR, str(exc)
    if isinstance(exc, OSError):
        return EXIT_API_ERROR, _os_error(exc)
    raise exc


def _cli_wording(message: str) -> str:
    """A library message about Python arguments, said the command line's way."""
    message = message.replace("pass extra_input={...}", "use --extra KEY=VALUE")
    message = re.sub(r"\bextra_input(=\{[^}]*\})?", "--extra KEY=VALUE", message)
    return re.sub(r"\bvalidate=False\b", "--no-validate", message)


def _base_url_hint(run: Run) -> str:
    """For a 404: a base URL that already ends in the API's own path prefix is the usual cause."""
    path = urlsplit(run.base_url or "").path.rstrip("/")
    for suffix in ("/api/v1/jobs", "/api/v1", "/api"):
        if path.endswith(suffix):
            root = (run.base_url or "").rstrip("/")[: -len(suffix)]
            return (
                f"; the base URL ends in {suffix!r}, which the client adds itself: "
                f"try --base-url {root}"
            )
    return ""


def _interrupted(run: Run | None, exc: KeyboardInterrupt) -> str:
    ambiguous = find_ambiguous_submit(exc)
    if ambiguous is not None:
        return (
            "interrupted while the task was being created: a task may exist (and cost credits) "
            "— check before running the command again: your LiangXin console's recent tasks"
            f"{' or GET /__mock__/stats' if run is not None and run.args.mock else ''}; "
            f"request: {ambiguous.request_summary}"
        )
    if run is not None and run.task_id:
        return f"interrupted; task {run.task_id} goes on: resume with {run.resume()}"
    return "interrupted"


def _fail(run: Run | None, code: int, message: str, kind: str) -> int:
    line = " ".join(message.split())
    print(f"error: {line}", file=sys.stderr)
    if run is not None and run.json:
        _emit({"error": {"type": kind, "message": line, "exitCode": code, "taskId": run.task_id}})
    return code


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """The library's warnings as one `warning: ...` line each; others as Python shows them."""
    if issubclass(category, LiangXinWarning):
        print(f"warning: {_cli_wording(' '.join(str(message).split()))}", file=sys.stderr)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `liangxin` and `python -m liangxin_client`."""
    with warnings.catch_warnings():  # restores the caller's filters and showwarning
        # The library's warnings are one line each, shown whatever the warning filters say
        # (PYTHONWARNINGS=error would otherwise turn a guess into a traceback).
        warnings.simplefilter("default", LiangXinWarning)
        warnings.showwarning = _show_warning
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    """Entry point of `liangxin` and `python -m liangxin_client`: returns the exit code."""
    run: Run | None = None
    try:  # Ctrl-C is one line at any point, start-up and error reporting included
        parser = build_parser()
        _autocomplete(parser)
        _Parser.argv = tuple(sys.argv[1:] if argv is None else argv)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a usage error (already printed)
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        run = Run(args)
        if not os.environ.get("LIANGXIN_LOG"):
            # Retries are the library's business; the final outcome is what the user sees.
            logging.getLogger("stamina").addHandler(logging.NullHandler())
        try:
            code: int = args.run(run)
            return code
        except BrokenPipeError:
            # The reader went away (`liangxin models | head`): stop quietly, as the Python docs
            # advise.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        except Exception as exc:
            code, message = _explain(run, exc)
            return _fail(run, code, message, type(exc).__name__)
    except KeyboardInterrupt as exc:
        return _fail(run, EXIT_INTERRUPTED, _interrupted(run, exc), "Interrupted")


def _autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request (argcomplete sets _ARGCOMPLETE), then exit."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)


if __name__ == "__main__":
    sys.exit(main())
