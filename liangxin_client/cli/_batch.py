"""`liangxin batch FILE`: one task per input row, journaled so that any run can be resumed.

Rows come from JSONL, CSV or stdin (`-`, read by `_batch_input.py`); each is a request as
`generate_many` takes it (prompt, model and input fields). Every row is checked before anything
is sent. The journal (`_journal.py`, next to the output by default) is written before each
createTask and as soon as its taskId is known; the same command run again resumes: finished
rows are skipped, rows with a taskId are waited for (never resubmitted), rows whose createTask
may or may not have been accepted are reported as ambiguous and resubmitted only with
`--resubmit-ambiguous`. Images are saved as their tasks finish; the results manifest (JSONL, one
line per row) is written at the end, and on Ctrl-C — which stops submitting at once and says how
to resume (`_batch_report.py`). One run at a time holds the journal, a journal that lost its
content is never taken for a new batch, and a step that cannot be recorded (a full disk) or an
image that cannot be saved stops the sending at once (`_batch_journal.py`).

The engine is the library's public `AsyncManyRun`: `WorkItem`s carry a body to submit or the
taskId of a task to wait for, and `ManyHooks` journal each step.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from liangxin_client import (
    AsyncLiangXin,
    AsyncManyRun,
    CallbackReceiver,
    ManyHooks,
    NameTemplate,
    TaskRecord,
    WorkItem,
    async_wait_for_task,
)
from liangxin_client.cli._batch_input import load_rows
from liangxin_client.cli._batch_journal import Recorder, open_for_run
from liangxin_client.cli._batch_names import check_names, check_not_there
from liangxin_client.cli._batch_report import (
    cmd_status,
    manifest_path,
    plural,
    resume_command,
    resume_note,
    summary,
    write_manifest,
)
from liangxin_client.cli._connect import service
from liangxin_client.cli._durations_file import remembered_durations
from liangxin_client.cli._exits import EXIT_API_ERROR, UsageError
from liangxin_client.cli._failures import fail
from liangxin_client.cli._gallery_rows import LiveSheet
from liangxin_client.cli._journal import FINAL, Journal, JournalError
from liangxin_client.cli._output import OutputDir, os_error
from liangxin_client.cli._progress import BatchProgress
from liangxin_client.cli._run import Run

#: Seconds between fallback polls while callbacks are expected.
CALLBACK_POLL_INTERVAL = 15.0
#: How long a Ctrl-C waits for createTask calls already on the wire to be answered.
SETTLE_SECONDS = 15.0

Wait = Callable[[str, Callable[[TaskRecord], object]], Awaitable[TaskRecord]]


def _plan(journal: Journal, resubmit: bool, recorder: Recorder) -> tuple[list[WorkItem], int, int]:
    """Work for this run: (items, rows already final, ambiguous rows left alone)."""
    journal.mark_ambiguous()
    if resubmit:
        recorder.reopened(journal.reopen_ambiguous())
    items: list[WorkItem] = []
    final = ambiguous = 0
    for row in journal.rows():
        if row.state in FINAL:
            final += 1
        elif row.task_id is not None:
            items.append(WorkItem(row.index, body=row.body, task_id=row.task_id, key=row.key))
        elif row.state == "ambiguous":
            ambiguous += 1
        else:
            items.append(WorkItem(row.index, body=row.body, key=row.key))
    return items, final, ambiguous


def _listen_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UsageError(f"--listen expects HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


@contextlib.asynccontextmanager
async def _receiver(listen: str | None) -> AsyncIterator[CallbackReceiver | None]:
    """A CallbackReceiver served on `listen` for the whole batch (None: no callbacks)."""
    if listen is None:
        yield None
        return
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
    server = _Server(receiver.uvicorn_config(host, port))  # stalled connections bounded
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


def _callback_wait(client: AsyncLiangXin, receiver: CallbackReceiver, timeout: float) -> Wait:
    async def wait(task_id: str, on_update: Callable[[TaskRecord], object]) -> TaskRecord:
        return await async_wait_for_task(
            client,
            task_id,
            callbacks=receiver,
            timeout=timeout,
            poll_interval=CALLBACK_POLL_INTERVAL,
            on_update=on_update,
        )

    return wait


async def _run_batch(
    run: Run,
    client: AsyncLiangXin,
    recorder: Recorder,
    items: list[WorkItem],
    progress: BatchProgress,
    sheet: LiveSheet | None = None,
    name: NameTemplate | None = None,
) -> bool:
    """Run the work (then close `client`); True when it ran to the end, False when interrupted
    or stopped (`recorder.stopped`: a step could not be recorded, or an image saved)."""
    args = run.args
    callback_url = args.callback_url

    def submitting(item: WorkItem) -> None:
        recorder.submitting(item.index)

    def created(item: WorkItem, task_id: str) -> None:
        recorder.created(item.index, task_id)

    if callback_url:
        items = [
            WorkItem(
                i.index, body={**i.body, "callBackUrl": callback_url}, task_id=i.task_id, key=i.key
            )
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
            progress.track(items, index=lambda item: item.index),
            concurrency=args.concurrency,
            timeout=args.timeout,
            download_to=args.out,
            hooks=ManyHooks(submitting=submitting, created=created),
            wait=wait,
            metadata=args.metadata,
            name=name,
        )
        consumer = asyncio.current_task()
        assert consumer is not None
        interrupted = asyncio.Event()
        stopping: list[asyncio.Future[None]] = []
        loop = asyncio.get_running_loop()

        leaving: list[bool] = []

        def leave() -> None:
            """Stop consuming, once: a second cancel would cut the clean-up itself short."""
            if not leaving:
                leaving.append(True)
                consumer.cancel()

        async def interrupt() -> None:
            many.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(many.settle_submits(), SETTLE_SECONDS)
            leave()

        def halt() -> None:  # as Ctrl-C, without the signal: send nothing new, then end
            many.stop()
            if not interrupted.is_set() and not stopping:
                stopping.append(asyncio.ensure_future(interrupt()))

        recorder.on_stop = halt

        def on_sigint() -> None:
            if interrupted.is_set():  # again: stop waiting for the calls in flight
                if not leaving:
                    run.note("interrupted again: leaving now; calls still in flight are ambiguous")
                leave()
                return
            interrupted.set()
            run.note("interrupted: submitting nothing new; recording the tasks in flight ...")
            stopping.append(asyncio.ensure_future(interrupt()))

        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        try:
            async for outcome in many:
                recorder.outcome(outcome)
                unsent = recorder.unsent(outcome)
                progress.finished(outcome.index, "not_submitted" if unsent else outcome.status)
                if sheet is not None:
                    sheet.update()
        except asyncio.CancelledError:
            if not interrupted.is_set() and not recorder.stopped:
                raise
            return False
        finally:
            for task in stopping:
                task.cancel()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)
                if interrupted.is_set():  # on the way out: the journal and manifest get written
                    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (main() restores it)
    return not interrupted.is_set() and not recorder.stopped


def _estimate(client: AsyncLiangXin, bodies: list[dict[str, Any]]) -> float | None:
    models = {str(b.get("model")) for b in bodies}
    known = [s for m in models for s in client.durations.samples(m)]
    return sorted(known)[len(known) // 2] if known else None


def cmd_batch(run: Run) -> int:
    args = run.args
    if args.status:
        return cmd_status(run)
    if not args.file:
        raise UsageError("give a FILE (JSONL or CSV; - for stdin), or --status JOURNAL")
    if bool(args.callback_url) != bool(args.listen):
        raise UsageError("--callback-url and --listen go together")
    if not args.timeout > 0:
        raise UsageError("--timeout must be more than 0 seconds")
    rows = load_rows(args)
    bodies, keys = [body for _, body, _ in rows], [key for _, _, key in rows]
    name = check_names(args, rows)  # every row's file name safe and its own
    with service(run) as where:
        client = where.client(run, AsyncLiangXin)  # closed by _run_batch
        with remembered_durations(client.durations, where.durations_key(client)):
            OutputDir(args.out)  # created and writable, before anything is sent
            opened = open_for_run(run, bodies, keys)  # locked, whole, writable — or refused
            try:
                journal, resumed = opened.journal, opened.resumed
                for note in opened.notes:
                    run.note(note)
                recorder = Recorder(opened, str(args.out), run.note)
                try:
                    items, final, ambiguous = _plan(journal, args.resubmit_ambiguous, recorder)
                except JournalError as exc:
                    raise UsageError(f"{exc}; nothing was sent") from None
                if recorder.failure is not None:  # the ledger took no `reopened` line
                    raise UsageError(f"{recorder.failure}; nothing was sent")
                check_not_there(name, journal.rows(), Path(args.out), [line for line, _, _ in rows])
                run.note(
                    f"batch: {plural(len(bodies), 'row')}"
                    + (f", resuming ({final} finished, {len(items)} to do)" if resumed else "")
                    + (
                        f"; {plural(ambiguous, 'ambiguous row')} left alone (--resubmit-ambiguous)"
                        if ambiguous
                        else ""
                    )
                    + f"; journal {journal.path}"
                )
                progress = BatchProgress(
                    run.stderr,
                    len(bodies),
                    final,
                    _estimate(client, bodies),
                    concurrency=args.concurrency,
                    todo=len(items),
                )
                sheet = LiveSheet(run, journal, run.note)  # the contact sheet, index.html
                sheet.update()
                started = time.monotonic()
                ended: bool | None = None  # for the sheet: None when the run stopped itself
                try:
                    with progress:
                        completed = asyncio.run(
                            _run_batch(run, client, recorder, items, progress, sheet, name)
                        )
                        ended = None if recorder.stopped else completed
                finally:
                    _wrap_up(run, journal)
                    sheet.finish(ended)
                try:
                    counts: dict[str, int] | None = journal.counts()
                except JournalError:
                    counts = None
            finally:
                opened.close()
    wall = time.monotonic() - started
    if recorder.stopped:
        return _stopped(run, recorder, counts, len(bodies), wall)
    assert counts is not None
    return summary(run, counts, len(bodies), wall, completed)


def _wrap_up(run: Run, journal: Journal) -> None:
    """The end of a run: rows left in flight are ambiguous; the manifest (best effort)."""
    path = manifest_path(run.args)
    with contextlib.suppress(JournalError):  # a row still `submitting` reads as ambiguous anyway
        journal.mark_ambiguous()
    try:
        write_manifest(journal, path)
    except (JournalError, OSError) as exc:
        reason = str(exc) if isinstance(exc, JournalError) else os_error(exc)
        run.note(f"cannot write the manifest {path}: {reason}")


def _stopped(
    run: Run, recorder: Recorder, counts: dict[str, int] | None, total: int, wall: float
) -> int:
    """A run that stopped itself: the summary, the taskIds in hand, and why (exit 1)."""
    if counts is not None and not run.json:
        summary(run, counts, total, wall, True)
    resume = f"`{resume_command(run)}`{resume_note(run)}"
    if recorder.output_failure is not None:
        return fail(
            run,
            EXIT_API_ERROR,
            f"{recorder.output_failure}; the batch stopped sending new rows. Make --out "
            f"writable, then run {resume} to save the tasks already made (none is paid twice)",
            "BatchStopped",
        )
    lines = list(recorder.lines())
    ledger = recorder.ledger.path
    if lines:
        run.note(
            f"the {len(lines)} tasks this run made and has not recorded as finished "
            "(index and taskId, as ledger lines):"
        )
        print("\n".join(lines), file=sys.stderr)
    if recorder.unkept:
        kept = f"if they are not in the journal, append the lines above to {ledger} first"
    else:
        places = [p for p in (ledger, recorder.rescue.path) if p in recorder.kept_in]
        kept = f"the next run takes them from {' and '.join(map(str, places or [ledger]))}"
    return fail(
        run,
        EXIT_API_ERROR,
        f"{recorder.failure}; the batch stopped sending new rows. Free space or fix the file, "
        f"then run {resume} ({kept}; none is paid twice)",
        "BatchStopped",
    )
