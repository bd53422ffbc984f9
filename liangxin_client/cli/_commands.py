"""The single-task commands: generate, create, get, wait, resume, download — and models."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import liangxin_contract
from liangxin_client import (
    APIError,
    LiangXin,
    TaskFailedError,
    TaskRecord,
    TaskState,
    request_body,
)
from liangxin_client.cli._connect import connect
from liangxin_client.cli._exits import (
    EXIT_OK,
    SaveFailedError,
    TaskNotFinishedError,
    UsageError,
)
from liangxin_client.cli._models import describe_models, render_models
from liangxin_client.cli._output import (
    OutputDir,
    emit,
    os_error,
    print_record,
    print_saved,
)
from liangxin_client.cli._progress import TaskProgress
from liangxin_client.cli._run import Run

# -- input ----------------------------------------------------------------------------------------


def _check_model(model: str) -> None:
    known = liangxin_contract.model_names()
    if model not in known:
        close = liangxin_contract.closest_model(model)
        hint = f"; did you mean {close!r}?" if close else ""
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


def _parse_inputs(run: Run) -> dict[str, Any]:
    args = run.args
    fields = _parse_pairs(args.input, "--input")
    for key, value in (("aspect_ratio", args.aspect_ratio), ("seed", args.seed)):
        if value is not None:
            if key in fields:
                raise UsageError(f"{key} given twice (as --{key.replace('_', '-')} and --input)")
            fields[key] = value
    if "prompt" in fields:
        raise UsageError("give the prompt as the PROMPT argument, not --input prompt=...")
    if "model" in fields:
        raise UsageError(
            "give the model with --model/-m, not --input model=... "
            "(to send an input field named 'model', use --extra model=...)"
        )
    if clashing := sorted(fields.keys() & _OPTION_NAMES):
        name = clashing[0]
        raise UsageError(
            f"--input {name}=... names an option of the request, not an input field; "
            f"to send an input field named {name!r}, use --extra {name}=..."
        )
    return fields


# The keyword options of the library's create()
# (`tasks.create(model, prompt, *, input, callback_url, extra_input, validate, strict, **fields)`):
# an --input of one of them would be read as that option, not sent as an input field.
_OPTION_NAMES = frozenset({"input", "callback_url", "extra_input", "validate", "strict"})


def _task_request(run: Run) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(fields, extra fields, the createTask body) of `generate`/`create`, checked offline
    unless --no-validate."""
    args = run.args
    fields = _parse_inputs(run)
    extra = _parse_pairs(args.extra, "--extra")
    # Every contract rule, offline, before the client is built: documented ones refuse,
    # guesses print a warning (or refuse, with --strict); create() need not check again.
    body = request_body(
        {"model": args.model, "prompt": args.prompt, **fields, "extra_input": extra},
        validate=not args.no_validate,
        strict=args.strict,
    )
    return fields, extra, body


# -- the steps ------------------------------------------------------------------------------------


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


def _wait(run: Run, client: LiangXin, task_id: str, timeout: float) -> TaskRecord:
    run.task_id = task_id
    with TaskProgress(task_id, run.stderr) as progress:
        record = client.tasks.wait(task_id, timeout=timeout, on_update=progress.update)
    if run.stderr.is_terminal:  # the spinner is gone; plain output already said it
        run.note(progress.closing(record))
    return record


def _save(
    run: Run,
    client: LiangXin,
    record: TaskRecord,
    out: OutputDir,
    request: dict[str, Any] | None = None,
) -> list[Path]:
    """Save a succeeded task's results, each with `request` (the body sent; None: the record's
    copy) as --metadata says; a failure names the task and the `download` to retry."""
    run.resume_with = "download"
    try:
        return client.save(record, out.path, metadata=run.args.metadata, request=request)
    except (OSError, APIError) as exc:
        reason = os_error(exc) if isinstance(exc, OSError) else str(exc)
        raise SaveFailedError(
            f"task {record.task_id} succeeded but cannot save results to {out.text}: {reason}; "
            f"retry with {run.resume('download')}"
        ) from exc


# -- the commands ---------------------------------------------------------------------------------


def cmd_generate(run: Run) -> int:
    args = run.args
    fields, extra, body = _task_request(run)
    run.resume_with = "resume"
    with connect(run) as client:
        out = OutputDir(args.out)  # before paying for a task whose images could not be saved
        with out.kept_only_on_success():
            task_id = _create(run, client, fields, extra)
            run.note(f"task {task_id} created")
            record = _wait(run, client, task_id, args.timeout)
        paths = _save(run, client, record, out, body)
    return print_saved(run, record, paths)


def cmd_resume(run: Run) -> int:
    """`wait`, then `download`: what `generate` does once the task exists."""
    args = run.args
    run.resume_with = "resume"
    with connect(run) as client:
        out = OutputDir(args.out)
        with out.kept_only_on_success():
            record = _wait(run, client, args.task_id, args.timeout)
        paths = _save(run, client, record, out)
    return print_saved(run, record, paths)


def cmd_create(run: Run) -> int:
    args = run.args
    fields, extra, _ = _task_request(run)
    with connect(run) as client:
        task_id = _create(run, client, fields, extra)
    if run.json:
        emit({"taskId": task_id, "model": args.model})
    else:
        print(task_id)
    return EXIT_OK


def cmd_get(run: Run) -> int:
    args = run.args
    run.task_id = args.task_id
    with connect(run) as client:
        record = client.tasks.get(args.task_id)
    return print_record(record, run)


def cmd_wait(run: Run) -> int:
    args = run.args
    with connect(run) as client:
        record = _wait(run, client, args.task_id, args.timeout)
    return print_record(record, run)


def cmd_download(run: Run) -> int:
    args = run.args
    run.task_id = args.task_id
    with connect(run) as client:
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
    return print_saved(run, record, paths)


def cmd_models(run: Run) -> int:
    args = run.args
    for model in args.model:
        _check_model(model)
    described = describe_models(args.model or None)
    if run.json:
        emit(described)
    else:
        sys.stdout.write(render_models(described))
    return EXIT_OK
