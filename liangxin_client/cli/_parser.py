"""The command line's grammar: every command and option of `liangxin`, and one-line usage errors."""

from __future__ import annotations

import argparse
import difflib
import math
import re
from collections.abc import Iterable
from typing import Any, NoReturn

import liangxin_contract
from liangxin_client import DEFAULT_MANY_CONCURRENCY, DEFAULT_WAIT_TIMEOUT, __version__
from liangxin_client.cli._exits import EXIT_CODES, EXIT_USAGE

DEFAULT_OUT = "liangxin-output"

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<choices>.*)\)")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2, with a "did you mean" for typos.

    Abbreviations are refused (`--aspect` is not `--aspect-ratio`): a shortened flag that
    means one thing today would silently mean another once an option is added. A flag that does
    not exist is named first, whatever argparse made of it (`--base URL` before the command
    made URL an invalid command), with the option it is closest to or a prefix of.
    """

    #: The long options of the top level, and of each command (set by build_parser).
    top_options: frozenset[str] = frozenset()
    command_options: dict[str, frozenset[str]] = {}  # noqa: RUF012  (set once, by build_parser)
    #: The arguments being parsed (set by main), for suggestions.
    argv: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {_explain(message)} (see `{self.prog} --help`)\n")


def _command() -> str | None:
    """The command named in the arguments (the first word that is one)."""
    return next((t for t in _Parser.argv if t in _Parser.command_options), None)


def _unknown_flags() -> list[tuple[int, str]]:
    """(position, flag) of each long option in the arguments that the command does not have."""
    command = _command()
    valid = _Parser.top_options | _Parser.command_options.get(command or "", frozenset())
    unknown = []
    for position, token in enumerate(_Parser.argv):
        if token == "--":
            break
        flag = token.split("=", 1)[0]
        if flag.startswith("--") and len(flag) > 2 and flag not in valid:
            unknown.append((position, flag))
    return unknown


def _closest(flag: str, options: Iterable[str]) -> str | None:
    """The option `flag` abbreviates (a unique prefix), else the one it is a typo of."""
    options = sorted(options)
    prefixed = [o for o in options if o.startswith(flag)]
    if len(prefixed) == 1:
        return prefixed[0]
    # Compared without the leading "--", which every option shares.
    names = {o[2:]: o for o in prefixed or options}
    close = difflib.get_close_matches(flag[2:], names, n=1, cutoff=0.7)
    return names[close[0]] if close else None


def _flag_hint(flag: str) -> str:
    command = _command()
    here = _Parser.top_options | _Parser.command_options.get(command or "", frozenset())
    if command is not None:
        owners = [c for c, options in _Parser.command_options.items() if flag in options]
        if owners:
            names = ", ".join(f"`{c}`" for c in owners)
            return f"{flag} (an option of {names}, not of `{command}`)"
    if close := _closest(flag, here):
        return f"{flag} (did you mean {close}?)"
    everywhere = here.union(*_Parser.command_options.values())
    if (close := _closest(flag, everywhere)) is not None:
        owners = [c for c, options in _Parser.command_options.items() if close in options]
        names = ", ".join(f"`{c}`" for c in owners)
        return f"{flag} (did you mean {close}? an option of {names})"
    return flag


def _explain(message: str) -> str:
    """argparse's message, or the unknown flags behind it, with what each was probably meant as."""
    unknown = _unknown_flags()
    caused_by_flag = message.startswith(
        ("unrecognized arguments", "the following arguments are required")
    )
    if match := _INVALID_CHOICE.search(message):
        given = match["given"]
        after_flag = {p + 1 for p, _ in unknown if "=" not in _Parser.argv[p]}
        caused_by_flag = any(_Parser.argv[p] == given for p in after_flag if p < len(_Parser.argv))
        if not caused_by_flag:
            choices = re.findall(r"'([^']*)'", match["choices"])
            close = difflib.get_close_matches(given, choices, n=1)
            return message + (f"; did you mean {close[0]!r}?" if close else "")
    if not unknown:
        return message
    flags = ", ".join(_flag_hint(flag) for _, flag in unknown)
    what = f"unknown option{'s' if len(unknown) > 1 else ''} {flags}"
    return what if caused_by_flag else f"{message}; {what}"


def _long_options(parser: argparse.ArgumentParser) -> frozenset[str]:
    return frozenset(
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--")
    )


def set_argv(argv: tuple[str, ...]) -> None:
    """The arguments about to be parsed, for the "did you mean" of a mistyped flag."""
    _Parser.argv = argv


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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _out_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        "-o",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"where to save (default: {DEFAULT_OUT})",
    )


def _metadata_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metadata",
        choices=("png", "sidecar", "none"),
        default="png",
        help="where each image's request goes: png (default) into a PNG's text chunks, a "
        "FILE.json sidecar for other formats; sidecar: always a sidecar; none: the file exactly "
        "as downloaded (`liangxin inspect FILE` shows it)",
    )


_TIMEOUT_HELP = f"stop waiting after S seconds (default {DEFAULT_WAIT_TIMEOUT:g}; the task goes on)"


def _wait_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout", type=_timeout, default=DEFAULT_WAIT_TIMEOUT, metavar="S", help=_TIMEOUT_HELP
    )


def _batch_options(parser: argparse.ArgumentParser) -> None:
    """The `batch` command's own options."""
    parser.add_argument(
        "file", nargs="?", metavar="FILE", help="JSONL or CSV, one request a row; - for stdin"
    )
    parser.add_argument("--status", metavar="JOURNAL", help="report where a batch stands, and stop")
    parser.add_argument("--out", "-o", default=DEFAULT_OUT, metavar="DIR")
    _metadata_option(parser)
    parser.add_argument("--journal", metavar="PATH", help="default: DIR/<name>.journal.sqlite")
    parser.add_argument("--manifest", metavar="PATH", help="default: DIR/<name>.manifest.jsonl")
    parser.add_argument("--format", choices=("jsonl", "csv"), help="default: from the file name")
    parser.add_argument("--model", "-m", help="model for rows that name none")
    parser.add_argument(
        "--key-column",
        metavar="NAME",
        help="the column (field) that is each row's key, not sent (default: key or id)",
    )
    parser.add_argument(
        "--name",
        metavar="TEMPLATE",
        help="file names under --out, e.g. '{key}/{n}.png' ({key} {row} {model} {task_id} {n} "
        "{prompt} and input fields; see docs/cli.md)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_MANY_CONCURRENCY,
        metavar="N",
        help=f"tasks in flight at most (default {DEFAULT_MANY_CONCURRENCY}; fewer after a 429)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="S",
        help=f"wait per task (default {DEFAULT_WAIT_TIMEOUT:g} s; a rerun waits again)",
    )
    parser.add_argument(
        "--resubmit-ambiguous",
        action="store_true",
        help="send again the rows whose createTask may have been accepted (may pay twice)",
    )
    parser.add_argument(
        "--recover",
        action="store_true",
        help="rebuild a lost or damaged journal from its ledger or manifest (no row paid again)",
    )
    parser.add_argument("--callback-url", metavar="URL", help="callBackUrl for every task")
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="receive the callbacks here (with --callback-url)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree; `args.command` names the command to run."""
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

    def command(name: str, help: str) -> _Parser:
        sub: _Parser = commands.add_parser(name, help=help, description=help)
        _common(sub, top=False)
        return sub

    gen = command("generate", "create a task, wait for it, save the images")
    _task_inputs(gen)
    _out_option(gen)
    _metadata_option(gen)
    _wait_timeout(gen)

    _task_inputs(command("create", "create a task and print its taskId"))

    get = command("get", "show a task's current record")
    get.add_argument("task_id", metavar="TASK_ID")

    wait = command("wait", "wait for a task to finish")
    wait.add_argument("task_id", metavar="TASK_ID")
    _wait_timeout(wait)

    resume = command("resume", "wait for a task, then save its images")
    resume.add_argument("task_id", metavar="TASK_ID")
    _out_option(resume)
    _metadata_option(resume)
    _wait_timeout(resume)

    download = command("download", "save a finished task's images")
    download.add_argument("task_id", metavar="TASK_ID")
    _out_option(download)
    _metadata_option(download)

    _batch_options(command("batch", "one task per row of a JSONL/CSV file, resumable"))

    inspect = command("inspect", "show the request saved in images (by generate, download, batch)")
    inspect.add_argument("files", nargs="+", metavar="FILE", help="an image, or its FILE.json")
    inspect.add_argument(
        "--as-row",
        action="store_true",
        help="print each image's request as a `liangxin batch` row (JSONL) that makes it again",
    )

    gallery = command(
        "gallery", "write the contact sheet (index.html) of a batch or an image folder"
    )
    gallery.add_argument(
        "target",
        metavar="DIR|MANIFEST",
        help="a batch's output folder, its manifest or journal, or a folder of images",
    )
    gallery.add_argument(
        "--output", "-o", metavar="FILE", help="default: index.html beside the manifest, or in DIR"
    )

    models = command("models", "list every model and its inputs")
    model_names = models.add_argument("model", nargs="*", metavar="MODEL", help="only these models")
    model_names.completer = _complete_models  # type: ignore[attr-defined]  # argcomplete
    _Parser.top_options = _long_options(parser)
    _Parser.command_options = {
        name: _long_options(sub) - _Parser.top_options for name, sub in commands.choices.items()
    }
    return parser
