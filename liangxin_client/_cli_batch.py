"""`liangxin batch FILE`: one task per input row, journaled so that any run can be resumed.

Rows come from JSONL, CSV or stdin (`-`); each is a request as `generate_many` takes it (prompt,
model and input fields). Every row is checked before anything is sent. The journal
(`_journal.py`, next to the output by default) is written before each createTask and as soon as
its taskId is known; the same command run again resumes: finished rows are skipped, rows with a
taskId are waited for (never resubmitted), rows whose createTask may or may not have been
accepted are reported as ambiguous and resubmitted only with `--resubmit-ambiguous`. Images are
saved as their tasks finish; the results manifest (JSONL, one line per row) is written at the
end, and on Ctrl-C — which stops submitting at once and says how to resume.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import shlex
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from liangxin_client._client import AsyncLiangXin
from liangxin_client._errors import InvalidRequestError
from liangxin_client._journal import FINAL, Journal, JournalError
from liangxin_client._many import (
    DEFAULT_MANY_CONCURRENCY,
    AsyncManyRun,
    GenerateOutcome,
    ManyHooks,
    WorkItem,
    request_body,
)
from liangxin_client._records import TaskRecord
from liangxin_client._tasks import DEFAULT_WAIT_TIMEOUT
from liangxin_contract import redact_url

if TYPE_CHECKING:
    from liangxin_client.callbacks import CallbackReceiver
    from liangxin_client.cli import Run

#: Seconds between fallback polls while callbacks are expected.
CALLBACK_POLL_INTERVAL = 15.0
#: How long a Ctrl-C waits for createTask calls already on the wire to be answered.
SETTLE_SECONDS = 15.0
_TEXT_COLUMNS = frozenset({"prompt", "model"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `batch` command's own options (cli.py adds the command and the common options)."""
    parser.add_argument(
        "file", nargs="?", metavar="FILE", help="JSONL or CSV, one request a row; - for stdin"
    )
    parser.add_argument("--status", metavar="JOURNAL", help="report where a batch stands, and stop")
    parser.add_argument("--out", "-o", default="liangxin-output", metavar="DIR")
    parser.add_argument("--journal", metavar="PATH", help="default: DIR/<name>.journal.sqlite")
    parser.add_argument("--manifest", metavar="PATH", help="default: DIR/<name>.manifest.jsonl")
    parser.add_argument("--format", choices=("jsonl", "csv"), help="default: from the file name")
    parser.add_argument("--model", "-m", help="model for rows that name none")
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
    parser.add_argument("--callback-url", metavar="URL", help="callBackUrl for every task")
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="receive the callbacks here (with --callback-url)"
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# -- input ----------------------------------------------------------------------------------------


def _cell(column: str, text: str) -> Any:
    if column in _TEXT_COLUMNS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_rows(text: str, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) for each request in `text` (JSONL or CSV with a header)."""
    from liangxin_client.cli import UsageError

    if fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise UsageError(f"line {number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise UsageError(f"line {number}: a row must be a JSON object")
            yield number, row
        return
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        if None in row:
            raise UsageError(f"line {reader.line_num}: more cells than header columns")
        cells = {
            key.strip(): _cell(key.strip(), value)
            for key, value in row.items()
            if key and value not in (None, "")
        }
        if cells:
            yield reader.line_num, cells


def _format(args: argparse.Namespace, text: str) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.file).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def load_bodies(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every row as a createTask body; any invalid row is a usage error (nothing sent)."""
    from liangxin_client.cli import UsageError

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {args.file}: {exc}") from None
    bodies: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, row in read_rows(text, _format(args, text)):
        if args.model and "model" not in row:
            row["model"] = args.model
        try:
            bodies.append(request_body(row))
        except InvalidRequestError as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise UsageError("; ".join(problems[:5]) + more + "; nothing was sent")
    if not bodies:
        raise UsageError(f"{args.file} has no rows")
    return bodies


# -- paths ----------------------------------------------------------------------------------------


def _name(args: argparse.Namespace) -> str:
    return "stdin" if args.file == "-" else Path(args.file).stem


def journal_path(args: argparse.Namespace) -> Path:
    return Path(args.journal or Path(args.out) / f"{_name(args)}.journal.sqlite")


def manifest_path(args: argparse.Namespace) -> Path:
    return Path(args.manifest or Path(args.out) / f"{_name(args)}.manifest.jsonl")


#: The resume hint names the callback URL through this variable: the docs say to keep a
#: callBackUrl unguessable, so it is never printed in full.
CALLBACK_VARIABLE = "LIANGXIN_CALLBACK_URL"
_CALLBACK_PLACEHOLDER = "<callback url>"


def resume_command(run: Run) -> str:
    """The command that resumes this batch (the same one, with its paths spelled out).

    A `--callback-url` is written as `"$LIANGXIN_CALLBACK_URL"` (unset, the command refuses to
    run: `--listen` needs it) and `resume_note` says so.
    """
    args = run.args
    parts = ["liangxin", *(["--mock"] if args.mock else []), "batch", args.file]
    parts += ["-o", args.out, "--journal", str(journal_path(args))]
    for flag, value in (
        ("--model", args.model),
        ("--callback-url", _CALLBACK_PLACEHOLDER if args.callback_url else None),
        ("--listen", args.listen),
    ):
        if value:
            parts += [flag, value]
    if args.concurrency != DEFAULT_MANY_CONCURRENCY:
        parts += ["--concurrency", str(args.concurrency)]
    if args.file == "-":
        parts.insert(0, "<same input> |")
    text = shlex.join(parts).replace("'<same input> |'", "<same input> |")
    return text.replace(shlex.quote(_CALLBACK_PLACEHOLDER), f'"${CALLBACK_VARIABLE}"')


def resume_note(run: Run) -> str:
    """What to set before pasting `resume_command` (empty without a callback URL)."""
    url = run.args.callback_url
    if not url:
        return ""
    return f" (with {CALLBACK_VARIABLE} set to your callback URL, {redact_url(url)})"


def write_manifest(journal: Journal, path: Path) -> None:
    """One JSON line per row, replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for row in journal.rows():
                out.write(json.dumps(row.manifest(), ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- status ---------------------------------------------------------------------------------------


def cmd_status(run: Run) -> int:
    from liangxin_client.cli import EXIT_OK, UsageError

    try:
        with Journal(Path(run.args.status), create=False) as journal:
            counts = journal.counts()
            rows = list(journal.rows())
            meta = journal.meta()
    except JournalError as exc:
        raise UsageError(str(exc)) from None
    ambiguous = [r.manifest() for r in rows if r.state in ("ambiguous", "submitting")]
    errors = [r.manifest() for r in rows if r.state in ("error", "failed")]
    if run.json:
        print(
            json.dumps(
                {
                    "rows": len(rows),
                    "states": counts,
                    "meta": meta,
                    "ambiguous": ambiguous,
                    "errors": errors,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    print(f"{run.args.status}: {len(rows)} rows ({meta.get('input', '?')})")
    for state, count in counts.items():
        print(f"  {state:<11} {count}")
    for entry in ambiguous:
        summary = {k: entry["request"].get(k) for k in ("model",)}
        prompt = str(entry["request"].get("input", {}).get("prompt", ""))[:60]
        print(f"  ambiguous row {entry['index'] + 1}: {summary['model']} {prompt!r}")
    for entry in errors[:20]:
        task = f" task {entry['taskId']}" if entry["taskId"] else ""
        print(f"  {entry['state']} row {entry['index'] + 1}{task}: {entry['error']}")
    done = counts.get("success", 0) + counts.get("failed", 0)
    if done < len(rows):
        print("  not finished: run the same `liangxin batch` command again to resume")
    return EXIT_OK


# -- progress -------------------------------------------------------------------------------------


class BatchProgress:
    """Counts, rate and ETA on stderr: a rich bar on a terminal, a line every 10 % otherwise."""

    def __init__(self, console: Console, total: int, done: int, estimate: float | None) -> None:
        self.console = console
        self.total = total
        self.done = done
        self.counts: Counter[str] = Counter()
        self.estimate = estimate  # seconds per task, learned earlier (None: unknown)
        self.concurrency = 1
        self._start = time.monotonic()
        self._finished_here = 0
        self._live: Progress | None = None
        self._row: TaskID | None = None
        self._next_line = 0.1

    def __enter__(self) -> BatchProgress:
        if self.console.is_terminal:
            self._live = Progress(
                TextColumn("batch"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                console=self.console,
                transient=False,
            )
            self._live.start()
            self._row = self._live.add_task(
                "batch", total=self.total, completed=self.done, detail=self.detail()
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    def eta(self) -> float | None:
        left = self.total - self.done
        elapsed = time.monotonic() - self._start
        if self._finished_here >= 5 and elapsed > 0:
            return left / (self._finished_here / elapsed)
        if self.estimate is not None:
            return -(-left // max(1, self.concurrency)) * self.estimate
        return None

    def detail(self) -> str:
        elapsed = time.monotonic() - self._start
        rate = self._finished_here / elapsed if elapsed > 0 else 0.0
        parts = [f"{k} {v}" for k, v in sorted(self.counts.items())]
        eta = self.eta()
        parts.append(f"{rate:.1f}/s")
        parts.append(f"ETA {eta:.0f} s" if eta is not None else "ETA ?")
        return " · ".join(parts)

    def finished(self, status: str) -> None:
        self.done += 1
        self._finished_here += 1
        self.counts[status] += 1
        if self._live is not None and self._row is not None:
            self._live.update(self._row, completed=self.done, detail=self.detail())
        elif self.done / self.total >= self._next_line or self.done == self.total:
            self._next_line = self.done / self.total + 0.1
            self.console.print(f"batch: {self.done}/{self.total} · {self.detail()}", markup=False)


# -- the run --------------------------------------------------------------------------------------


def _plan(journal: Journal, resubmit: bool) -> tuple[list[WorkItem], int, int]:
    """Work for this run: (items, rows already final, ambiguous rows left alone)."""
    journal.mark_ambiguous()
    if resubmit:
        journal.reopen_ambiguous()
    items: list[WorkItem] = []
    final = ambiguous = 0
    for row in journal.rows():
        if row.state in FINAL:
            final += 1
        elif row.task_id is not None:
            items.append(WorkItem(row.index, body=row.body, task_id=row.task_id))
        elif row.state == "ambiguous":
            ambiguous += 1
        else:
            items.append(WorkItem(row.index, body=row.body))
    return items, final, ambiguous


def _record(journal: Journal, outcome: GenerateOutcome) -> None:
    error = str(outcome.error) if outcome.error is not None else None
    if outcome.status == "not_submitted":
        journal.finished(outcome.index, "pending", error=error)
    else:
        files = [str(p) for p in outcome.paths]
        journal.finished(outcome.index, outcome.status, files=files, error=error)


def _listen_address(text: str) -> tuple[str, int]:
    from liangxin_client.cli import UsageError

    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UsageError(f"--listen expects HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


@contextlib.asynccontextmanager
async def _receiver(listen: str | None) -> Any:
    """A CallbackReceiver served on `listen` for the whole batch (None: no callbacks)."""
    if listen is None:
        yield None
        return
    from liangxin_client.callbacks import CallbackReceiver
    from liangxin_client.cli import UsageError

    host, port = _listen_address(listen)
    try:
        import uvicorn
    except ImportError:
        raise UsageError("--listen needs uvicorn: pip install 'liangxin-client[mock]'") from None

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # the batch handles Ctrl-C itself
            yield

    receiver = CallbackReceiver()
    server = _Server(uvicorn.Config(receiver, host=host, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            raise UsageError(f"cannot listen on {listen} for callbacks")
        await asyncio.sleep(0.02)
    try:
        yield receiver
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await serving


async def _run_batch(
    run: Run,
    client: AsyncLiangXin,
    journal: Journal,
    items: list[WorkItem],
    progress: BatchProgress,
) -> bool:
    """Run the work (then close `client`); True when it ran to the end, False when interrupted."""
    args = run.args
    callback_url = args.callback_url

    def submitting(item: WorkItem) -> None:
        journal.submitting(item.index)

    def created(item: WorkItem, task_id: str) -> None:
        journal.submitted(item.index, task_id)

    if callback_url:
        items = [
            WorkItem(i.index, body={**i.body, "callBackUrl": callback_url}, task_id=i.task_id)
            if i.body is not None
            else i
            for i in items
        ]
    async with client, _receiver(args.listen) as receiver:
        wait = None
        if receiver is not None:
            wait = _callback_wait(client, receiver, args.timeout)
        many = AsyncManyRun(
            client,
            items,
            concurrency=args.concurrency,
            timeout=args.timeout,
            download_to=args.out,
            hooks=ManyHooks(submitting=submitting, created=created),
            wait=wait,
        )
        progress.concurrency = args.concurrency
        consumer = asyncio.current_task()
        assert consumer is not None
        interrupted = asyncio.Event()
        stopping: list[asyncio.Future[None]] = []
        loop = asyncio.get_running_loop()

        async def interrupt() -> None:
            many.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(many.settle_submits(), SETTLE_SECONDS)
            consumer.cancel()

        def on_sigint() -> None:
            if interrupted.is_set():
                consumer.cancel()
                return
            interrupted.set()
            run.note("interrupted: submitting nothing new; recording the tasks in flight ...")
            stopping.append(asyncio.ensure_future(interrupt()))

        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        try:
            async for outcome in many:
                _record(journal, outcome)
                if outcome.status != "not_submitted":
                    progress.finished(outcome.status)
        except asyncio.CancelledError:
            if not interrupted.is_set():
                raise
            return False
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)
    return not interrupted.is_set()


def _callback_wait(client: AsyncLiangXin, receiver: CallbackReceiver, timeout: float) -> Any:
    from liangxin_client.callbacks import async_wait_for_task

    async def wait(task_id: str, on_update: Any) -> TaskRecord:
        return await async_wait_for_task(
            client,
            task_id,
            callbacks=receiver,
            timeout=timeout,
            poll_interval=CALLBACK_POLL_INTERVAL,
            on_update=on_update,
        )

    return wait


def _estimate(client: AsyncLiangXin, bodies: list[dict[str, Any]]) -> float | None:
    models = {str(b.get("model")) for b in bodies}
    known = [s for m in models for s in client.durations.samples(m)]
    return sorted(known)[len(known) // 2] if known else None


def cmd_batch(run: Run) -> int:
    from liangxin_client import cli

    args = run.args
    if args.status:
        return cmd_status(run)
    if not args.file:
        raise cli.UsageError("give a FILE (JSONL or CSV; - for stdin), or --status JOURNAL")
    if bool(args.callback_url) != bool(args.listen):
        raise cli.UsageError("--callback-url and --listen go together")
    if not args.timeout > 0:
        raise cli.UsageError("--timeout must be more than 0 seconds")
    bodies = load_bodies(args)
    with cli._client(run) as sync_client:
        cli.OutputDir(args.out)  # created and writable, before anything is sent
        try:
            journal = Journal(journal_path(args))
        except JournalError as exc:
            raise cli.UsageError(str(exc)) from None
        with journal:
            try:
                resumed = journal.start(bodies, {"input": str(args.file), "out": str(args.out)})
            except JournalError as exc:
                raise cli.UsageError(str(exc)) from None
            items, final, ambiguous = _plan(journal, args.resubmit_ambiguous)
            run.note(
                f"batch: {len(bodies)} rows"
                + (f", resuming ({final} finished, {len(items)} to do)" if resumed else "")
                + (
                    f"; {ambiguous} ambiguous rows left alone (--resubmit-ambiguous)"
                    if ambiguous
                    else ""
                )
                + f"; journal {journal.path}"
            )
            client = AsyncLiangXin(
                sync_client._api_key,
                sync_client.base_url,
                timeout=sync_client.timeout,
                max_retries=sync_client.max_retries,
            )
            client.durations = sync_client.durations  # loaded and saved by cli._client
            progress = BatchProgress(run.stderr, len(bodies), final, _estimate(client, bodies))
            started = time.monotonic()
            try:
                with progress:
                    completed = asyncio.run(_run_batch(run, client, journal, items, progress))
            finally:
                journal.mark_ambiguous()
                write_manifest(journal, manifest_path(args))
            counts = journal.counts()
    return _summary(run, counts, len(bodies), time.monotonic() - started, completed)


def _summary(run: Run, counts: dict[str, int], total: int, wall: float, completed: bool) -> int:
    from liangxin_client import cli

    args = run.args
    if run.json:
        print(
            json.dumps(
                {
                    "rows": total,
                    "states": counts,
                    "seconds": round(wall, 1),
                    "manifest": str(manifest_path(args)),
                    "journal": str(journal_path(args)),
                    "completed": completed,
                },
                indent=2,
            )
        )
    else:
        states = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(f"{total} rows in {wall:.1f} s: {states}")
        print(f"manifest: {manifest_path(args)}")
    if not completed:
        run.note(
            f"interrupted; nothing is lost: resume with `{resume_command(run)}`{resume_note(run)}"
        )
        return cli.EXIT_INTERRUPTED
    unfinished = total - counts.get("success", 0) - counts.get("failed", 0)
    if unfinished:
        run.note(
            f"{unfinished} rows not done (see the manifest, or `liangxin batch --status "
            f"{journal_path(args)}`); rerun `{resume_command(run)}`{resume_note(run)} to resume"
        )
        return cli.EXIT_API_ERROR
    return cli.EXIT_TASK_FAILED if counts.get("failed") else cli.EXIT_OK
