"""The contract accepts every documented example and rejects bodies that break a documented rule."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from generator import spec_lint
from liangxin_contract import ContractViolation, validate_create_task

REPO = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO / "openapi" / "liangxin.yaml"
DOCS = REPO / "openapi" / "docs"


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


@cache
def request_validator() -> Any:
    schema = {"$ref": "#/components/schemas/CreateTaskRequest", "components": spec()["components"]}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def docs_examples() -> list[tuple[str, dict[str, Any]]]:
    """(id, body) of every example in the docs snapshot and in the spec's createTask examples."""
    out = []
    for path in sorted(DOCS.glob("*.yaml")):
        for example in yaml.safe_load(path.read_text()).get("examples", []):
            body = copy.deepcopy(example["body"])
            if body["input"].get("prompt") == "…":  # elided in the facts sheet
                body["input"]["prompt"] = "A tea bottle"
            out.append((f"docs:{path.stem}:{example['name']}", body))
    media = spec()["paths"]["/api/v1/jobs/createTask"]["post"]["requestBody"]["content"]
    for name, example in media["application/json"]["examples"].items():
        out.append((f"spec:{name}", example["value"]))
    return out


EXAMPLES = docs_examples()


def base_body(model: str) -> dict[str, Any]:
    """A valid body for `model`: its first documented example."""
    return copy.deepcopy(next(body for _, body in EXAMPLES if body["model"] == model))


def with_input(model: str, **fields: Any) -> dict[str, Any]:
    body = base_body(model)
    body["input"].update(fields)
    return body


def schema_accepts(body: Any) -> bool:
    return bool(request_validator().is_valid(body))


def contract_accepts(body: Any) -> bool:
    try:
        validate_create_task(body)
    except ContractViolation:
        return False
    return True


@pytest.mark.parametrize("body", [b for _, b in EXAMPLES], ids=[i for i, _ in EXAMPLES])
def test_documented_example_is_valid(body: dict[str, Any]) -> None:
    errors = [e.message for e in request_validator().iter_errors(body)]
    assert errors == []
    assert validate_create_task(body).model == body["model"]


def test_every_model_has_an_example() -> None:
    mapping = spec()["components"]["schemas"]["CreateTaskRequest"]["discriminator"]["mapping"]
    assert set(mapping) <= {body["model"] for _, body in EXAMPLES}


MODELS = list(spec()["components"]["schemas"]["CreateTaskRequest"]["discriminator"]["mapping"])
#: Models whose fields the docs state (a partly known model's `input` is open).
FIELDS_KNOWN = [m for m in MODELS if m != "kling-v3-pro"]

# (id, body, accepted): rules JSON Schema can express, so both validators must agree.
SCHEMA_CASES: list[tuple[str, Any, bool]] = [
    *[(f"empty prompt {m}", with_input(m, prompt=""), False) for m in FIELDS_KNOWN],
    ("empty prompt kling-v3-pro (open input)", with_input("kling-v3-pro", prompt=""), True),
    ("unknown model", {"model": "seedream-v9", "input": {"prompt": "A cat"}}, False),
    ("missing model", {"input": {"prompt": "A cat"}}, False),
    ("5:4 seedream-v4-5", with_input("seedream-v4-5", aspect_ratio="5:4"), False),
    ("5:4 nano-banana-pro", with_input("nano-banana-pro", aspect_ratio="5:4"), True),
    ("cinematic seedream", with_input("seedream-v4-5", aspect_ratio="cinematic_21_9"), True),
    ("cinematic imagen", with_input("imagen4-ultra", aspect_ratio="cinematic_21_9"), False),
    ("imagen seed 0", with_input("imagen4-ultra", seed=0), False),
    ("imagen seed 1", with_input("imagen4-ultra", seed=1), True),
    ("flux width only", {"model": "flux-2-pro", "input": {"prompt": "x", "width": 1024}}, False),
    ("flux height only", {"model": "flux-2-pro", "input": {"prompt": "x", "height": 768}}, False),
    ("flux width 2000", with_input("flux-2-pro", width=2000, height=768), False),
    ("flux 1440x256", with_input("flux-2-pro", width=1440, height=256), True),
    ("nbp prompt 1", with_input("nano-banana-pro", prompt="a"), False),
    ("nbp prompt 2", with_input("nano-banana-pro", prompt="ab"), True),
    ("nbp prompt 3000", with_input("nano-banana-pro", prompt="a" * 3000), True),
    ("nbp prompt 3001", with_input("nano-banana-pro", prompt="a" * 3001), False),
    ("http callback", {**base_body("z-image"), "callBackUrl": "http://x.example/cb"}, False),
]


@pytest.mark.parametrize(
    ("body", "accepted"), [c[1:] for c in SCHEMA_CASES], ids=[c[0] for c in SCHEMA_CASES]
)
def test_documented_rule(body: Any, accepted: bool) -> None:
    assert schema_accepts(body) is accepted
    assert contract_accepts(body) is accepted


def images(n: int) -> list[str]:
    return [f"https://example.com/{i}.png" for i in range(n)]


# Caps across two fields live in x-liangxin-rules: JSON Schema alone accepts these bodies.
CAP_CASES: list[tuple[str, dict[str, Any], bool]] = [
    (
        "nbp 2+2",
        with_input("nano-banana-pro", image_input=images(2), reference_images=images(2)),
        False,
    ),
    (
        "nbp 1+2",
        with_input("nano-banana-pro", image_input=images(1), reference_images=images(2)),
        True,
    ),
    (
        "flash 3+1",
        with_input("nano-banana-pro-flash", image_input=images(3), reference_images=images(1)),
        False,
    ),
    (
        "flux 4+1",
        with_input(
            "flux-2-pro", input_image="https://example.com/a.png", reference_images=images(4)
        ),
        False,
    ),
    (
        "flux 1+3",
        with_input(
            "flux-2-pro", input_image="https://example.com/a.png", reference_images=images(3)
        ),
        True,
    ),
]


@pytest.mark.parametrize(
    ("body", "accepted"), [c[1:] for c in CAP_CASES], ids=[c[0] for c in CAP_CASES]
)
def test_image_cap_across_fields(body: dict[str, Any], accepted: bool) -> None:
    assert schema_accepts(body)
    assert contract_accepts(body) is accepted


def test_lint_passes_on_the_real_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_lint.main([]) == 0, capsys.readouterr().out


BREAKAGES = [
    (
        "operationId",
        lambda s: s["paths"]["/api/v1/jobs/recordInfo"]["get"].pop("operationId"),
        "#/paths/~1api~1v1~1jobs~1recordInfo/get: operation has no operationId",
    ),
    (
        "bad example",
        lambda s: s["paths"]["/api/v1/jobs/createTask"]["post"]["requestBody"]["content"][
            "application/json"
        ]["examples"]["imagen4-ultra"]["value"]["input"].update(seed=0),
        "examples/imagen4-ultra/value: example does not validate",
    ),
    (
        "reason",
        lambda s: s["components"]["schemas"]["TaskRecord"]["properties"]["createTime"].pop(
            "x-liangxin-reason"
        ),
        "#/components/schemas/TaskRecord/properties/createTime: x-liangxin-source: inferred without",
    ),
    (
        "const",
        lambda s: s["components"]["schemas"]["ZImageRequest"]["properties"]["model"].pop("const"),
        "#/components/schemas/ZImageRequest: model has no const",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [b[1:] for b in BREAKAGES], ids=[b[0] for b in BREAKAGES]
)
def test_lint_names_the_problem_in_a_broken_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: Any, expected: str
) -> None:
    broken = copy.deepcopy(spec())
    mutate(broken)
    path = tmp_path / "liangxin.yaml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False, allow_unicode=True))
    assert spec_lint.main(["--spec", str(path), "--copy", str(path)]) == 1
    assert expected in capsys.readouterr().out


def test_lint_flags_a_stale_packaged_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "copy.yaml"
    stale.write_bytes(SPEC_PATH.read_bytes() + b"\n")
    assert spec_lint.main(["--copy", str(stale)]) == 1
    assert f"{stale}: is not a byte-identical copy" in capsys.readouterr().out


@pytest.mark.parametrize(
    "status, body",
    [
        (400, {"foo": 1}),
        (403, {"error": "quota"}),
        (500, {"code": "E500"}),
        (429, {}),
    ],
)
def test_generated_parser_survives_an_unrecognized_error_body(status: int, body: object) -> None:
    """The contract models error bodies so the generated parser cannot crash on JSON it does
    not recognise (ErrorEnvelope's last branch); the facade maps them to the error tree."""
    import httpx

    from liangxin_client._generated import AuthenticatedClient
    from liangxin_client._generated.api.tasks import create_task, get_task_details
    from liangxin_client._generated.models import SeedreamV45Input, SeedreamV45Request

    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    client = AuthenticatedClient(base_url="http://mock", token="k")
    client.set_httpx_client(httpx.Client(base_url="http://mock", transport=transport))
    request = SeedreamV45Request(model="seedream-v4-5", input_=SeedreamV45Input(prompt="a"))
    created = create_task.sync_detailed(client=client, body=request)
    fetched = get_task_details.sync_detailed(client=client, task_id="t")
    assert created.status_code == fetched.status_code == status
    assert created.parsed is not None and created.parsed.to_dict() == body
