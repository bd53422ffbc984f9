"""docs-check passes on the real spec and names each documented fact a broken copy loses."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import docs_check

REPO = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO / "openapi" / "liangxin.yaml"
DOCS = REPO / "openapi" / "docs"

Mutation = Callable[[dict[str, Any]], object]


def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"]
    return found


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = docs_check.main(list(argv))
    return code, capsys.readouterr().out.splitlines()


def broken_spec(tmp_path: Path, mutate: Mutation) -> Path:
    spec = yaml.safe_load(SPEC_PATH.read_text())
    mutate(spec)
    path = tmp_path / "liangxin.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    return path


def test_real_spec_agrees_with_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys)
    assert code == 0, "\n".join(lines)


def test_unchanged_copy_agrees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys, "--spec", str(broken_spec(tmp_path, lambda s: None)))
    assert code == 0, "\n".join(lines)


CASES: list[tuple[str, Mutation, str]] = [
    (
        "undocumented field",
        lambda s: schemas(s)["NanoBananaProInput"]["properties"].update(
            use_google_search_tool={"type": "boolean"}
        ),
        "nano-banana-pro: input.use_google_search_tool is in the spec but not in the docs "
        "(document it or mark it x-liangxin-source: inferred)",
    ),
    (
        "drop 21:9",
        lambda s: schemas(s)["SeedreamAspectRatio"]["enum"].remove("21:9"),
        'seedream-v4-5: input.aspect_ratio allowed values: missing "21:9" in spec',
    ),
    (
        "nano maxLength",
        lambda s: schemas(s)["NanoBananaProInput"]["properties"]["prompt"].update(maxLength=3001),
        "nano-banana-pro: input.prompt maxLength: docs 3000, spec 3001",
    ),
    (
        "nano minLength",
        lambda s: schemas(s)["NanoBananaProInput"]["properties"]["prompt"].update(minLength=1),
        "nano-banana-pro: input.prompt minLength: docs 2, spec 1",
    ),
    (
        "prompt optional",
        lambda s: schemas(s)["SeedreamV45Input"]["required"].remove("prompt"),
        "seedream-v4-5: input.prompt required: docs yes, spec no",
    ),
    (
        "sibling default",
        lambda s: schemas(s)["NanoBananaProFlashInput"]["properties"]["resolution"].pop("default"),
        'nano-banana-pro-flash: input.resolution default: docs "1K", spec "2K"',
    ),
    (
        "flux together",
        lambda s: schemas(s)["Flux2ProInput"].pop("dependentRequired"),
        "flux-2-pro: rule together(width, height): dependentRequired[width] lacks ['height']",
    ),
    (
        "nano cap",
        lambda s: schemas(s)["NanoBananaProInput"].pop("x-liangxin-rules"),
        "nano-banana-pro: rule max-total-items(image_input, reference_images): missing in spec x-liangxin-rules",
    ),
    (
        "status 413",
        lambda s: s["paths"]["/api/v1/jobs/createTask"]["post"]["responses"].pop("413"),
        "endpoints: createTask status 413 missing in spec",
    ),
    (
        "example",
        lambda s: s["paths"]["/api/v1/jobs/createTask"]["post"]["requestBody"]["content"][
            "application/json"
        ]["examples"].pop("seedream-minimal"),
        "seedream-v4-5: example 'minimal' not embedded in createTask's request examples",
    ),
    (
        "inferred mark",
        lambda s: [
            schemas(s)[n].pop("x-liangxin-source")
            for n in ("Imagen4FastRequest", "Imagen4FastInput")
        ],
        "imagen4-fast: page not recovered, but spec does not mark imagen4-fast x-liangxin-source: inferred",
    ),
    (
        "undocumented model",
        lambda s: schemas(s)["CreateTaskRequest"]["discriminator"]["mapping"].update(
            {"flux-3": "#/components/schemas/Flux2ProRequest"}
        ),
        "flux-3: no docs page and not marked x-liangxin-source: inferred in spec",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_copy_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: Mutation, expected: str
) -> None:
    code, lines = run(capsys, "--spec", str(broken_spec(tmp_path, mutate)))
    assert code == 1
    assert expected in lines


def test_docs_change_shows_in_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    page = docs / "flux-2-pro.yaml"
    data = yaml.safe_load(page.read_text())
    data["fields"]["input.width"]["maximum"] = 2048
    page.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    code, lines = run(capsys, "--docs", str(docs))
    assert code == 1
    assert "flux-2-pro: input.width maximum: docs 2048, spec 1440" in lines
