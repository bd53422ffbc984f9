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
        lambda s: schemas(s)["Imagen4FastInput"].pop("x-liangxin-source"),
        "imagen4-fast: page not recovered, but spec does not mark imagen4-fast x-liangxin-source: inferred",
    ),
    (
        "undocumented model",
        lambda s: schemas(s)["CreateTaskRequest"]["discriminator"]["mapping"].update(
            {"flux-3": "#/components/schemas/Flux2ProRequest"}
        ),
        "flux-3: no docs page and not marked x-liangxin-source: inferred in spec",
    ),
    # Restrictions that are neither in the docs nor marked inferred (issue 10, item 6).
    (
        "new maxLength on a documented prompt",
        lambda s: schemas(s)["SeedreamV45Input"]["properties"]["prompt"].update(maxLength=100),
        "seedream-v4-5: input.prompt maxLength 100: a restriction the docs do not state "
        "(document it or mark it x-liangxin-inferred: [maxLength])",
    ),
    (
        "new minItems on reference images",
        lambda s: schemas(s)["NanoBananaProInput"]["properties"]["reference_images"].update(
            minItems=2
        ),
        "nano-banana-pro: input.reference_images minItems 2: a restriction the docs do not "
        "state (document it or mark it x-liangxin-inferred: [minItems])",
    ),
    (
        "new cross-field rule",
        lambda s: schemas(s)["SeedreamV45Input"].update(dependentRequired={"seed": ["prompt"]}),
        'seedream-v4-5: input.seed dependentRequired "prompt": a restriction the docs do not '
        "state (document it or mark it x-liangxin-inferred: [dependentRequired])",
    ),
    (
        "undocumented required response field",
        lambda s: schemas(s)["TaskRecord"]["required"].append("completeTime"),
        "get-task-details: getTaskDetails 200 data.completeTime is required in the spec but not "
        "in the docs (document it or mark the schema x-liangxin-inferred: [required])",
    ),
    (
        "status not in the docs",
        lambda s: s["paths"]["/api/v1/jobs/createTask"]["post"]["responses"].update(
            {"418": {"$ref": "#/components/responses/InternalError"}}
        ),
        "createTask status 418 is in the spec but not in the docs "
        "(document it or mark the response x-liangxin-source: inferred)",
    ),
    # Open lists and tolerance branches.
    (
        "open list closed",
        lambda s: schemas(s).update(
            NanoBananaAspectRatio={
                "$ref": "#/components/schemas/NanoBananaKnownAspectRatio",
                "default": "1:1",
            }
        ),
        "nano-banana-pro: input.aspect_ratio allowed values: docs open list (others accepted), "
        "spec closed enum",
    ),
    (
        "open list loses a known value",
        lambda s: schemas(s)["NanoBananaKnownAspectRatio"]["enum"].remove("4:5"),
        'nano-banana-pro-flash: input.aspect_ratio allowed values: missing "4:5" in spec',
    ),
    (
        "callBackUrl behind anyOf",
        lambda s: schemas(s)["CallBackUrl"].update(pattern="^http"),
        'callbacks: seedream-v4-5 body callBackUrl pattern: docs "^https://", spec "^http"',
    ),
    # Each fact's tag against the source of its constraint.
    (
        "documented limit marked inferred",
        lambda s: schemas(s)["NanoBananaProInput"]["properties"]["prompt"].update(
            {"x-liangxin-inferred": ["maxLength"]}
        ),
        "nano-banana-pro: input.prompt maxLength: documented in docs, inferred in spec "
        "(mark it x-liangxin-documented)",
    ),
    (
        "guessed regex unmarked",
        lambda s: schemas(s)["NanoBananaImageReference"].pop("x-liangxin-inferred"),
        "nano-banana-pro: input.image_input items pattern: inferred in docs, documented in spec "
        "(mark it x-liangxin-inferred)",
    ),
    (
        "partly known model loses its mark",
        lambda s: schemas(s)["KlingV3ProInput"].pop("x-liangxin-partial"),
        "endpoints: kling-v3-pro body input.prompt required: docs yes, spec no",
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


def copy_docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    return docs


def edit_page(docs: Path, name: str, change: Callable[[dict[str, Any]], object]) -> None:
    page = docs / f"{name}.yaml"
    data = yaml.safe_load(page.read_text())
    change(data)
    page.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_docs_closed_list_against_an_open_spec_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = copy_docs(tmp_path)
    edit_page(docs, "nano-banana-pro", lambda d: d["fields"]["input.aspect_ratio"].pop("open"))
    code, lines = run(capsys, "--docs", str(docs))
    assert code == 1
    assert (
        "nano-banana-pro: input.aspect_ratio allowed values: docs closed list, "
        "spec open (accepts any string)"
    ) in lines


def test_a_deleted_snapshot_page_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = copy_docs(tmp_path)
    (docs / "z-image.yaml").unlink()
    code, lines = run(capsys, "--docs", str(docs))
    assert code == 1
    assert (
        "INDEX.yaml: page z-image is listed but z-image.yaml is missing (deleted or renamed?)"
        in lines
    )


def test_a_renamed_snapshot_page_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = copy_docs(tmp_path)
    (docs / "flux-2-pro.yaml").rename(docs / "flux-2.yaml")
    code, lines = run(capsys, "--docs", str(docs))
    assert code == 1
    assert (
        "INDEX.yaml: page flux-2-pro is listed but flux-2-pro.yaml is missing (deleted or renamed?)"
        in lines
    )
    assert "INDEX.yaml: flux-2.yaml is not listed (a new or renamed page: add it to pages)" in lines


def test_a_missing_manifest_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = copy_docs(tmp_path)
    (docs / "INDEX.yaml").unlink()
    code, lines = run(capsys, "--docs", str(docs))
    assert code == 1
    assert "INDEX.yaml: missing (the manifest of the snapshot's pages)" in lines


def test_a_broken_page_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = copy_docs(tmp_path)
    with (docs / "z-image.yaml").open("a") as handle:
        handle.write("a: b: c\n")
    code, lines = run(capsys, "--docs", str(docs))
    assert code == 1
    assert lines[0].startswith("docs-check: not valid YAML: z-image.yaml: ")
