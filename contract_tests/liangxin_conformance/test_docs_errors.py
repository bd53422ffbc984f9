"""The documentation's error examples, replayed: the service must answer exactly as documented.

Free: none of these requests can be accepted (no valid body with a valid key).
"""

from __future__ import annotations

import pytest

from liangxin_conformance.lifecycle import json_violations
from liangxin_conformance.spec import error_examples
from liangxin_conformance.target import Target
from liangxin_conformance.violations import Violation, fail_if

CREATE = "/api/v1/jobs/createTask"
RECORD = "/api/v1/jobs/recordInfo"
#: The docs' own error examples (the contract quotes them verbatim).
MISSING_PROMPT = error_examples("createTask")[400, "missing-prompt"]
INVALID_TOKEN = error_examples("createTask")[401, "invalid-token"]
WRONG_KEY = "sk-wrong-" + "0" * 24


def exact(
    target: Target, response: object, status: int, body: object, rule: str
) -> list[Violation]:
    import httpx

    assert isinstance(response, httpx.Response)
    curl = target.curl(response.request)
    try:
        got = response.json()
    except ValueError:
        got = response.text
    if response.status_code == status and got == body:
        return []
    return [
        Violation(
            rule, f"expected HTTP {status} {body!r}, got HTTP {response.status_code} {got!r}", curl
        )
    ]


def test_missing_prompt_is_documented_400(target: Target) -> None:
    client = target.client()
    response = client.post(CREATE, json={"model": "seedream-v4-5", "input": {}})
    target.budget.settle(response.status_code, reserved=False)
    fail_if(exact(target, response, 400, MISSING_PROMPT, "liangxin.docs.error-example"))


@pytest.mark.parametrize("method, path", [("POST", CREATE), ("GET", RECORD)])
def test_wrong_key_is_documented_401(target: Target, method: str, path: str) -> None:
    client = target.client(authenticated=False)
    kwargs: dict[str, object] = {"headers": {"Authorization": f"Bearer {WRONG_KEY}"}}
    if method == "POST":
        # A valid body: only the key is wrong (so an auth-ignoring service is caught).
        kwargs["json"] = {"model": "seedream-v4-5", "input": {"prompt": "A red kite"}}
    else:
        kwargs["params"] = {"taskId": "task_seedream-v4-5_1777600000000"}
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    if method == "POST":
        target.budget.settle(response.status_code, reserved=False)
    fail_if(exact(target, response, 401, INVALID_TOKEN, "liangxin.docs.error-example"))


def test_missing_key_is_401_platform_error(target: Target) -> None:
    client = target.client(authenticated=False)
    response = client.get(RECORD, params={"taskId": "task_seedream-v4-5_1777600000000"})
    problems = json_violations(target, "getTaskDetails", response, "liangxin.auth")
    if response.status_code != 401:
        problems.append(
            Violation(
                "liangxin.auth.required",
                f"no key got HTTP {response.status_code}",
                target.curl(response.request),
            )
        )
    fail_if(problems)


@pytest.mark.parametrize(
    "body, why",
    [
        (
            {"model": "seedream-v4-5", "input": {"prompt": "A red kite", "aspect_ratio": "5:4"}},
            "invalid aspect ratio",
        ),
        (
            {"model": "flux-2-pro", "input": {"prompt": "A red kite", "width": 512}},
            "width without height",
        ),
        ({"input": {"prompt": "A red kite"}}, "missing model"),
        ({"model": "no-such-model", "input": {"prompt": "A red kite"}}, "unsupported model"),
        (
            {
                "model": "nano-banana-pro",
                "input": {
                    "prompt": "A red kite",
                    "image_input": ["https://e.com/a.png"] * 2,
                    "reference_images": ["https://e.com/b.png"] * 2,
                },
            },
            "more than 3 reference images in total",
        ),
    ],
    ids=["aspect-ratio", "flux-size-pair", "missing-model", "unsupported-model", "nano-image-cap"],
)
def test_documented_400(target: Target, body: dict[str, object], why: str) -> None:
    """The docs name these as HTTP 400 with the task-layer envelope."""
    response = target.client().post(CREATE, json=body)
    target.budget.settle(response.status_code, reserved=False)
    curl = target.curl(response.request)
    problems = json_violations(target, "createTask", response, "liangxin.docs")
    if response.status_code != 400:
        problems.append(
            Violation("liangxin.docs.status-400", f"{why}: HTTP {response.status_code}", curl)
        )
    elif response.json().get("code") != 400 or "msg" not in response.json():
        problems.append(
            Violation("liangxin.docs.error-envelope", f"{why}: {response.json()!r}", curl)
        )
    fail_if(problems)


def test_unknown_task_is_an_error(target: Target) -> None:
    """Not documented by LiangXin (404 is inferred): any documented error status with an envelope."""
    response = target.client().get(RECORD, params={"taskId": "task_seedream-v4-5_1000000000000"})
    curl = target.curl(response.request)
    problems = json_violations(target, "getTaskDetails", response, "liangxin.record")
    if response.status_code not in (400, 404):
        problems.append(
            Violation(
                "liangxin.record.unknown-task",
                f"unknown taskId got HTTP {response.status_code}",
                curl,
            )
        )
    fail_if(problems)
