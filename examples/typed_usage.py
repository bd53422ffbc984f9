"""Typed use of liangxin_client, checked by `mypy --strict` (nox `lint`, tests/test_client_typing.py).

Run it against a local mock: `liangxin-mock` in one shell, then
`LIANGXIN_API_KEY=... LIANGXIN_BASE_URL=http://127.0.0.1:8000 python examples/typed_usage.py`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from liangxin_client import (
    AmbiguousSubmitError,
    AsyncLiangXin,
    GenerationResult,
    LiangXin,
    NanoBananaProInput,
    RateLimitError,
    SeedreamAspectRatio,
    SeedreamV45Input,
    Task,
    TaskFailedError,
    TaskRecord,
    TaskState,
    TaskTimeoutError,
)


def show(record: TaskRecord) -> None:
    print(f"{record.task_id}: {record.state.value}")


def sync_example(out: Path) -> list[Path]:
    ratio: SeedreamAspectRatio = "16:9"
    with LiangXin(timeout=20.0) as client:
        task: Task = client.tasks.create(
            input=SeedreamV45Input(prompt="A tea bottle", aspect_ratio=ratio)
        )
        try:
            record = client.tasks.wait(task, timeout=120, on_update=show)
        except TaskFailedError as exc:
            print("failed:", exc.fail_code, exc.fail_msg)
            return []
        except TaskTimeoutError as exc:
            print("still running:", exc.last_state)
            return []
        assert record.state is TaskState.SUCCESS
        urls: tuple[str, ...] = record.result_urls
        print(urls)
        result: GenerationResult = client.generate(
            "z-image", "A watercolor fox", image_size="square_hd"
        )
        return result.save(out)


async def async_example(out: Path) -> list[Path]:
    async with AsyncLiangXin() as client:
        try:
            result = await client.generate(
                input=NanoBananaProInput(prompt="Two products, one studio shot", resolution="2K"),
                download_to=out,
            )
        except AmbiguousSubmitError as exc:
            print("check before resubmitting:", exc.request_summary)
            return []
        except RateLimitError as exc:
            print("busy; retry after", exc.retry_after)
            return []
        return list(result.paths)


if __name__ == "__main__":
    print(sync_example(Path("out")))
    print(asyncio.run(async_example(Path("out"))))
