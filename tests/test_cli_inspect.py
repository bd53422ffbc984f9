"""`--metadata png|sidecar|none` on the commands that save images, and `liangxin inspect`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from liangxin_client import LiangXin
from liangxin_client.cli import EXIT_API_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main
from liangxin_mock import MockServer
from tests.test_cli import CLI, one_line_error
from tests.test_image_metadata import without_text

PROMPT = "a tea bottle on a stone table, 茶"
OURS = {b"liangxin", b"Description", b"Software", b"Source", b"Creation Time"}


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path, task_seconds=0.3)


def pixels(path: Path) -> bytes:
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        return image.tobytes()


def generate(cli: CLI, *args: str) -> tuple[str, Path]:
    result = cli("--mock", "generate", "--json", "-m", "seedream-v4-5", "-r", "16:9", *args, PROMPT)
    assert result.returncode == EXIT_OK, result.stderr
    out = json.loads(result.stdout)
    [file] = out["files"]
    return out["taskId"], cli.cwd / file


def test_generate_writes_the_request_and_inspect_prints_it(cli: CLI) -> None:
    task_id, path = generate(cli, "--seed", "7", "-o", "out")
    shown = cli("inspect", str(path))
    assert shown.returncode == EXIT_OK, shown.stderr
    assert f"task:      {task_id}" in shown.stdout
    assert "model:     seedream-v4-5" in shown.stdout
    assert f"prompt:    {PROMPT}" in shown.stdout
    assert 'input:     aspect_ratio="16:9" seed=7' in shown.stdout
    assert "image:     1 of 1" in shown.stdout
    assert "request:   as sent by liangxin-client" in shown.stdout
    assert shown.stderr == ""

    as_json = cli("inspect", "--json", str(path))
    [entry] = json.loads(as_json.stdout)
    assert entry["file"] == str(path)
    meta = entry["metadata"]
    assert meta["taskId"] == task_id and meta["input"]["seed"] == 7


def test_as_row_makes_the_same_request_again_through_batch(cli: CLI) -> None:
    _, first = generate(cli, "--seed", "7", "--input", "watermark=false", "-o", "out")
    row = cli("inspect", "--as-row", str(first))
    assert row.returncode == EXIT_OK, row.stderr
    [line] = row.stdout.splitlines()
    assert json.loads(line) == {
        "model": "seedream-v4-5",
        "input": {"prompt": PROMPT, "aspect_ratio": "16:9", "seed": 7, "watermark": False},
    }
    (cli.cwd / "again.jsonl").write_text(row.stdout, encoding="utf-8")
    batch = cli("--mock", "batch", "again.jsonl", "-o", "again")
    assert batch.returncode == EXIT_OK, batch.stderr
    [second] = (cli.cwd / "again").glob("*.png")
    again = json.loads(cli("inspect", "--json", str(second)).stdout)[0]["metadata"]
    before = json.loads(cli("inspect", "--json", str(first)).stdout)[0]["metadata"]
    assert again["input"] == before["input"] and again["model"] == before["model"]
    assert again["taskId"] != before["taskId"]
    assert again["requestFrom"] == "sent"


def test_metadata_none_and_sidecar_leave_the_download_as_it_was(cli: CLI) -> None:
    task_id, with_png = generate(cli, "-o", "png")
    plain = cli("--mock", "download", task_id, "-o", "none", "--metadata", "none")
    side = cli("--mock", "download", task_id, "-o", "side", "--metadata", "sidecar")
    assert plain.returncode == side.returncode == EXIT_OK, plain.stderr + side.stderr
    [none_file] = (cli.cwd / "none").iterdir()
    side_file = cli.cwd / plain.stdout.strip().replace("none/", "side/", 1)
    assert none_file.read_bytes() == side_file.read_bytes()  # as downloaded, twice
    assert without_text(with_png.read_bytes(), OURS) == none_file.read_bytes()
    assert pixels(with_png) == pixels(none_file)
    assert sorted(p.name for p in (cli.cwd / "side").iterdir()) == [
        side_file.name,
        side_file.name + ".json",
    ]

    missing = cli("inspect", str(none_file))
    assert missing.returncode == EXIT_API_ERROR
    assert "no liangxin metadata" in one_line_error(missing)
    assert "inspect" not in missing.stdout
    shown = cli("inspect", str(side_file))
    assert shown.returncode == EXIT_OK and f"task:      {task_id}" in shown.stdout


def test_download_of_an_earlier_task_says_the_request_came_from_its_record(cli: CLI) -> None:
    created = cli("--mock", "create", "-m", "z-image", "--input", "seed=3", PROMPT)
    task_id = created.stdout.strip()
    assert cli("--mock", "wait", task_id).returncode == EXIT_OK
    downloaded = cli("--mock", "download", task_id, "-o", "later")
    assert downloaded.returncode == EXIT_OK, downloaded.stderr
    path = cli.cwd / downloaded.stdout.strip()
    shown = cli("inspect", str(path))
    assert "request:   from the task's record" in shown.stdout
    assert f"prompt:    {PROMPT}" in shown.stdout


def test_batch_passes_metadata_through(cli: CLI) -> None:
    rows = "".join(json.dumps({"model": "z-image", "prompt": f"row {i}"}) + "\n" for i in range(3))
    (cli.cwd / "rows.jsonl").write_text(rows)
    batch = cli("--mock", "batch", "rows.jsonl", "-o", "b", "--metadata", "sidecar")
    assert batch.returncode == EXIT_OK, batch.stderr
    images = sorted((cli.cwd / "b").glob("*.png"))
    assert len(images) == 3
    prompts = set()
    for image in images:
        sidecar = json.loads(Path(f"{image}.json").read_text("utf-8"))
        prompts.add(sidecar["prompt"])
        assert cli("inspect", "--as-row", str(image)).returncode == EXIT_OK
    assert prompts == {"row 0", "row 1", "row 2"}


def test_inspect_mistakes_are_one_line(cli: CLI) -> None:
    (cli.cwd / "notes.txt").write_text("not an image")
    not_image = cli("inspect", "notes.txt")
    assert not_image.returncode == EXIT_USAGE
    assert "notes.txt: not an image" in one_line_error(not_image)

    missing = cli("inspect", "nowhere.png")
    assert missing.returncode == EXIT_USAGE
    assert "nowhere.png" in one_line_error(missing)

    both = cli("inspect", "--json", "--as-row", "notes.txt")
    assert both.returncode == EXIT_USAGE
    assert "--as-row" in one_line_error(both)

    bad_mode = cli("--mock", "download", "t", "--metadata", "exif")
    assert bad_mode.returncode == EXIT_USAGE
    assert "--metadata" in one_line_error(bad_mode)


def test_inspect_many_files_prints_the_good_and_names_the_bad(cli: CLI) -> None:
    _, path = generate(cli, "-o", "out")
    (cli.cwd / "notes.txt").write_text("x")
    result = cli("inspect", "--json", str(path), "notes.txt")
    assert result.returncode == EXIT_USAGE
    good, bad = json.loads(result.stdout)
    assert good["metadata"]["prompt"] == PROMPT
    assert bad["file"] == "notes.txt" and "not an image" in bad["error"]
    assert "Traceback" not in result.stderr


def test_the_resume_hint_keeps_a_metadata_choice(
    liangxin_mock: MockServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(self: LiangXin, record: object, directory: object, **_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(LiangXin, "save", interrupted)
    auth = ["--base-url", liangxin_mock.base_url, "--api-key", liangxin_mock.api_key]
    out = str(tmp_path)
    code = main([*auth, "generate", "-m", "z-image", "-o", out, "--metadata", "none", "a cat"])
    assert code == EXIT_INTERRUPTED
    assert f"download {liangxin_mock.tasks()[0]['taskId']} -o {out} --metadata none`" in (
        capsys.readouterr().err
    )
