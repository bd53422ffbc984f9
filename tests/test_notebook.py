"""examples/results_in_jupyter.ipynb, run by a real Jupyter kernel (nbclient + ipykernel) against
a mock this test starts: its output cells hold the image and the fields."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from liangxin_mock import MockServer

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "results_in_jupyter.ipynb"


def outputs(cell: Any) -> list[dict[str, Any]]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"]


@pytest.mark.slow
def test_the_example_notebook_shows_the_image(
    liangxin_mock: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    private = tmp_path / "jupyter"
    private.mkdir()
    # Jupyter's files (the kernel's connection file, IPython's profile): this test's own, in the
    # test process (which writes the connection file) and in the kernel.
    jupyter = {
        "JUPYTER_RUNTIME_DIR": str(private / "runtime"),
        "JUPYTER_DATA_DIR": str(private / "data"),
        "JUPYTER_CONFIG_DIR": str(private / "config"),
        "IPYTHONDIR": str(private / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    for name, value in jupyter.items():
        monkeypatch.setenv(name, value)
    env = {
        **os.environ,  # already private (the repository's conftest.py)
        "LIANGXIN_API_KEY": liangxin_mock.api_key,
        "LIANGXIN_BASE_URL": liangxin_mock.base_url,
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # no debugger warning on stderr
    }
    client = nbclient.NotebookClient(
        notebook,
        timeout=180,
        startup_timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
        allow_errors=False,
    )
    client.execute(env=env)

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    [shown] = outputs(code[0])  # `result`
    saved = sorted((tmp_path / "out").glob("*.png"))
    assert len(saved) == 1
    png = base64.b64decode(shown["data"]["image/png"])
    assert png == saved[0].read_bytes()
    html = shown["data"]["text/html"]
    assert '<img src="data:image/png;base64,' in html
    assert "A tea bottle on a stone table" in html

    [record] = outputs(code[1])  # `result.record`: the result URL, fetched by the browser
    assert f'<img src="{liangxin_mock.base_url}/files/' in record["data"]["text/html"]
    [as_dict] = outputs(code[2])
    assert as_dict["data"]["text/plain"].startswith("{'taskId': 'task_seedream-v4-5_")
    [meta] = outputs(code[3])
    assert "'prompt': 'A tea bottle on a stone table'" in meta["data"]["text/plain"]
