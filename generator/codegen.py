"""`generate` and `check`: build `liangxin_client/_generated` from the contract, or prove it current.

Both build the package the same way, in a temporary directory: validate the spec, run the pinned
openapi-python-client (whose post-hooks run the pinned ruff), add `PROVENANCE.json`. `generate`
then replaces the committed package whole, copies the spec into `liangxin_contract/` and writes
the provenance table `docs/constraints.md` (generator/constraints_table.py); `check` only
compares, file by file, and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from generator import constraints_table
from generator.pins import PINS

SPEC = Path("openapi/liangxin.yaml")
CONFIG = Path("generator/config.yaml")
#: Our versions of some of openapi-python-client's templates (same names; see generator/README.md).
TEMPLATES = Path("generator/templates")
GENERATED = Path("liangxin_client/_generated")
SPEC_COPY = Path("liangxin_contract/liangxin.yaml")
TABLE = constraints_table.TABLE
PROVENANCE = "PROVENANCE.json"
GENERATOR_TIMEOUT = 60  # seconds; a normal run takes about one


class GeneratorError(Exception):
    """Generation could not run; the message says why and what to do."""


def default_root() -> Path:
    """The repository root: the parent of the `generator` package."""
    return Path(__file__).resolve().parent.parent


def tool_versions() -> dict[str, str]:
    """The installed versions of the pinned tools; refuses any that differ from the pins."""
    installed: dict[str, str] = {}
    for name, pinned in PINS.items():
        try:
            installed[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise GeneratorError(f"{name} is not installed; run: pip install -e '.[dev]'") from None
        if installed[name] != pinned:
            raise GeneratorError(
                f"{name} {installed[name]} is installed but generator/pins.py pins {pinned}; "
                "run: pip install -e '.[dev]' (or bump the pin, see generator/README.md)"
            )
    return installed


def load_valid_spec(spec_path: Path) -> dict[str, Any]:
    """The parsed spec, after openapi-spec-validator has accepted it."""
    try:
        spec: dict[str, Any] = yaml.safe_load(spec_path.read_bytes())
        validate(spec)
    except (OSError, yaml.YAMLError, OpenAPIValidationError) as exc:
        raise GeneratorError(f"{spec_path} is not a valid OpenAPI document: {exc}") from exc
    return spec


def run_openapi_python_client(root: Path, out: Path) -> None:
    """Generate the package into `out` (which must not exist yet)."""
    bin_dir = Path(sys.executable).parent
    if shutil.which("ruff", path=str(bin_dir)) is None:
        raise GeneratorError(f"no ruff in {bin_dir}; the post-hooks need the pinned ruff there")
    env = {**os.environ, "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])}
    command = [
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        str(root / SPEC),
        "--meta",
        "none",
        "--config",
        str(root / CONFIG),
        "--output-path",
        str(out),
        "--custom-template-path",
        str(root / TEMPLATES),
        "--overwrite",
        "--fail-on-warning",
    ]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=GENERATOR_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise GeneratorError(f"openapi-python-client failed:\n{result.stdout}{result.stderr}")


def provenance(root: Path, spec: dict[str, Any], versions: dict[str, str]) -> bytes:
    """The provenance record: what the package was generated from, and with which tools."""
    record = {
        "comment": "Written by `python -m generator generate`; never edit this package by hand.",
        "config": CONFIG.as_posix(),
        "config_sha256": sha256(root / CONFIG),
        "spec": SPEC.as_posix(),
        "spec_sha256": sha256(root / SPEC),
        "spec_version": str(spec["info"]["version"]),
        "templates": {
            path.relative_to(root).as_posix(): sha256(path)
            for path in sorted((root / TEMPLATES).glob("*.jinja"))
        },
        "tools": versions,
    }
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(root: Path, dest: Path) -> Path:
    """Build the generated package from `root`'s spec and config into `dest/_generated`."""
    versions = tool_versions()
    spec = load_valid_spec(root / SPEC)
    package = dest / GENERATED.name
    run_openapi_python_client(root, package)
    (package / PROVENANCE).write_bytes(provenance(root, spec, versions))
    return package


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` by relative POSIX path, without bytecode caches."""
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def compare(expected: dict[str, bytes], actual: dict[str, bytes], prefix: Path) -> list[str]:
    """`missing:`, `extra:` and `changed:` lines, naming paths under `prefix`."""
    lines = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            lines.append(f"missing: {(prefix / name).as_posix()}")
        elif name not in expected:
            lines.append(f"extra: {(prefix / name).as_posix()}")
        elif expected[name] != actual[name]:
            lines.append(f"changed: {(prefix / name).as_posix()}")
    return lines


def drift(root: Path, package: Path) -> list[str]:
    """Differences between a fresh build and what `root` holds (package and spec copy)."""
    lines = compare(snapshot(package), snapshot(root / GENERATED), GENERATED)
    copy = root / SPEC_COPY
    if not copy.is_file():
        lines.append(f"missing: {SPEC_COPY.as_posix()}")
    elif copy.read_bytes() != (root / SPEC).read_bytes():
        lines.append(f"changed: {SPEC_COPY.as_posix()}")
    table = root / TABLE
    if not table.is_file():
        lines.append(f"missing: {TABLE.as_posix()}")
    elif table.read_text() != render_table(root):
        lines.append(f"changed: {TABLE.as_posix()}")
    return lines


def render_table(root: Path) -> str:
    """docs/constraints.md as `root`'s spec makes it."""
    return constraints_table.render(yaml.safe_load((root / SPEC).read_bytes()))


def replace_dir(source: Path, target: Path) -> None:
    """Replace `target` with a copy of `source`, so no stale file survives."""
    staging = target.with_name(f".{target.name}.new")
    retired = target.with_name(f".{target.name}.old")
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(source, staging)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired)


def generate(root: Path) -> int:
    """Regenerate the package and the spec copy under `root`, unless they are current."""
    with tempfile.TemporaryDirectory(prefix="liangxin-generate-") as tmp:
        package = build(root, Path(tmp))
        differences = drift(root, package)
        if not differences:
            print(f"{GENERATED.as_posix()} and {SPEC_COPY.as_posix()} are already current")
            return 0
        replace_dir(package, root / GENERATED)
    (root / SPEC_COPY).write_bytes((root / SPEC).read_bytes())
    (root / TABLE).parent.mkdir(parents=True, exist_ok=True)
    (root / TABLE).write_text(render_table(root))
    print("\n".join(differences))
    print(
        f"regenerated {GENERATED.as_posix()}, {SPEC_COPY.as_posix()} and {TABLE.as_posix()} "
        f"from {SPEC.as_posix()}"
    )
    return 0


def check(root: Path) -> int:
    """Exit 1, naming every differing file, when the committed output is not what generate makes."""
    with tempfile.TemporaryDirectory(prefix="liangxin-check-") as tmp:
        differences = drift(root, build(root, Path(tmp)))
    if differences:
        print("\n".join(differences))
        print(
            f"drift: {GENERATED.as_posix()} is not what the pinned generator makes from "
            f"{SPEC.as_posix()}; run `python -m generator generate` (never edit it by hand)"
        )
        return 1
    print(f"{GENERATED.as_posix()} and {SPEC_COPY.as_posix()} match {SPEC.as_posix()}")
    return 0


def main(argv: list[str]) -> int:
    """`generate|check [--root DIR]`; 0 when current, 1 on drift, 2 when it cannot build."""
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--root", type=Path, default=default_root(), help="repository root")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        return generate(root) if args.command == "generate" else check(root)
    except (GeneratorError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
