"""What an installed copy gets: the metadata and files of the built distributions, and commands
that say which extra is missing instead of a traceback when it is."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from liangxin_mock import MockServer

ROOT = Path(__file__).resolve().parent.parent
#: Where the conformance suite's package (`liangxin_conformance`) lives in the repository.
SUITE_FOLDER = ROOT / "contract_tests"

#: Installed as `sitecustomize`, it makes the named top-level modules unimportable, as they are
#: when the extra that brings them is not installed.
_BLOCKER = """
import importlib.abc, sys
BLOCKED = set({names!r})
class _Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Missing())
"""


def run_without(
    tmp_path: Path, modules: list[str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` with `modules` unimportable, in this process and in any Python it starts."""
    site = tmp_path / "blocker"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_BLOCKER.format(names=modules))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT), str(SUITE_FOLDER)])
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=timeout,
        check=False,
    )


MOCK_EXTRA = ["starlette", "uvicorn", "PIL"]
CONTRACT_EXTRA = ["pytest", "_pytest", "schemathesis", "hypothesis"]


def test_the_blocker_blocks(tmp_path: Path) -> None:
    done = run_without(tmp_path, ["uvicorn"], "-c", "import uvicorn")
    assert done.returncode == 1 and "No module named 'uvicorn'" in done.stderr


def test_liangxin_mock_without_the_mock_extra_says_so_in_one_line(tmp_path: Path) -> None:
    helped = run_without(tmp_path, MOCK_EXTRA, "-m", "liangxin_mock", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "usage: liangxin-mock" in helped.stdout
    assert "Traceback" not in helped.stderr
    ran = run_without(tmp_path, MOCK_EXTRA, "-m", "liangxin_mock", "--port", "0")
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith("liangxin-mock: needs the mock extra")
    assert "pip install 'liangxin-client[mock]'" in lines[0]


def test_liangxin_conformance_without_the_contract_extra_could_not_run(tmp_path: Path) -> None:
    done = run_without(tmp_path, CONTRACT_EXTRA, "-m", "liangxin_conformance")
    assert "NOT CONFORMANT" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.returncode == 3, done.stdout + done.stderr
    assert "could not run" in done.stderr
    assert "pip install 'liangxin-client[contract]'" in done.stderr
    helped = run_without(tmp_path, CONTRACT_EXTRA, "-m", "liangxin_conformance", "--help")
    assert helped.returncode == 0
    assert "3 could not run" in " ".join(helped.stdout.split())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built from this checkout by the project's build backend."""
    builders = pytest.importorskip("hatchling.builders.sdist")
    from hatchling.builders.wheel import WheelBuilder

    out = tmp_path_factory.mktemp("dist")
    sdist = next(builders.SdistBuilder(str(ROOT)).build(directory=str(out), versions=["standard"]))
    wheel = next(WheelBuilder(str(ROOT)).build(directory=str(out), versions=["standard"]))
    return {"sdist": Path(sdist), "wheel": Path(wheel)}


def test_the_sdist_has_the_license_and_the_tests(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert "LICENSE" in names
    assert "tests/test_packaging.py" in names and "tests/client_support.py" in names
    assert "contract_tests/selftest/test_cli.py" in names
    assert "noxfile.py" in names and "scripts/test" in names and "docs/cli.md" in names


def test_the_wheel_metadata_names_license_authors_and_urls(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        meta_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(wheel.read(meta_name))
        licenses = [n for n in wheel.namelist() if "/licenses/" in n]
        assert any(n.endswith("/LICENSE") for n in licenses), wheel.namelist()
        assert "liangxin_client/__init__.py" in wheel.namelist()
        assert not any(n.startswith("tests/") for n in wheel.namelist())
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Author"] or meta["Author-email"]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert urls, "no Project-URL in the metadata"
    assert all(u.startswith("https://") for u in urls.values())
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_wheel_ships_the_suite_as_liangxin_conformance_without_its_self_tests(
    built: dict[str, Path],
) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = wheel.read(entry_points).decode()
    tops = {name.split("/", 1)[0] for name in names}
    assert "contract_tests" not in tops and "selftest" not in tops, sorted(tops)
    for shipped in ("cli.py", "plugin.py", "test_operations.py", "test_client_contract.py"):
        assert f"liangxin_conformance/{shipped}" in names
    assert not [n for n in names if "selftest" in n or "mutants" in n or "conftest" in n]
    assert "liangxin-conformance = liangxin_conformance.cli:main" in scripts


@pytest.fixture(scope="module")
def wheel_venv(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the built wheel installed (offline, no dependencies); it finds the
    dependencies in this environment's site-packages (a `.pth` line: the editable install's own
    `.pth`, which puts the repository on `sys.path`, is not read from there)."""
    venv = tmp_path_factory.mktemp("wheel") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--disable-pip-version-check", "--no-deps", "--no-index", "--ignore-installed",
         str(built["wheel"])],
        check=True,
        timeout=300,
    )  # fmt: skip
    return venv


def outside(venv: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`args` run from `cwd` (outside the repository) with only the venv's bin on PATH."""
    clean = {"PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin", "HOME": str(cwd), **env}
    return subprocess.run(
        list(args), capture_output=True, text=True, cwd=cwd, env=clean, timeout=600, check=False
    )


@pytest.mark.slow
def test_liangxin_conformance_runs_from_the_installed_wheel_outside_the_repository(
    wheel_venv: Path, tmp_path: Path
) -> None:
    where = outside(
        wheel_venv,
        tmp_path,
        "python",
        "-c",
        "import importlib.util as u, liangxin_client, liangxin_conformance\n"
        "print(liangxin_conformance.__file__, liangxin_client.__file__)\n"
        "print(u.find_spec('contract_tests'), u.find_spec('selftest'))",
    )
    assert where.returncode == 0, where.stderr
    files, found = where.stdout.splitlines()
    assert all(path.startswith(str(wheel_venv)) for path in files.split()), files
    assert found == "None None"
    helped = outside(wheel_venv, tmp_path, "liangxin-conformance", "--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: liangxin-conformance")
    with MockServer(task_seconds=0.2, allow_http_callbacks=True) as mock:
        ran = outside(
            wheel_venv,
            tmp_path,
            "liangxin-conformance", "--base-url", mock.base_url, "--local-mock",
            "--max-examples", "2", "--junit", "junit.xml", "--report", "report.md",
            "--", "-k", "test_docs_errors or test_client_contract",
            LIANGXIN_API_KEY=mock.api_key,
        )  # fmt: skip
        accepted = mock.stats()["createTask"]
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert "liangxin-conformance: CONFORMANT" in ran.stdout
    junit = (tmp_path / "junit.xml").read_text()
    assert "test_client_contract" in junit and "test_docs_errors" in junit
    assert (tmp_path / "report.md").is_file()
    assert accepted >= 1  # the client check's task reached the mock over HTTP
