"""The wheel: one top-level namespace, every module inside it, installable beside the distributions
whose import names our folders would otherwise shadow (PyPA's `installer`, `python-daemon`).

Builds the wheel as a user's pip would (isolated build) and installs it into a fresh venv; pip reaches
the package index for setuptools and the two neighbours.
"""

from __future__ import annotations

import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("bricks", "builder", "daemon", "installer", "plugins", "evaluation", "batch", "training")


def _pip(python: Path | str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = _pip(sys.executable, "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT))
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = out.glob("lego_edit-*.whl")
    return path


def test_wheel_holds_one_namespace_and_every_module(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"lego_edit", next(t for t in top if t.endswith(".dist-info"))}, sorted(top)
    packaged = {n for n in names if n.endswith(".py")}
    in_repo = {f"lego_edit/{p.relative_to(ROOT).as_posix()}" for folder in FOLDERS
               for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts}
    assert in_repo - packaged == set(), "modules missing from the wheel (list the package in pyproject.toml)"
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "lego-edit = lego_edit.daemon.cli:main" in entry


def test_nothing_imports_our_folders_by_their_bare_names():
    """From the repository root `bricks`, `daemon` ... are importable as folders, so a stray bare import
    would pass here and fail in an installed copy."""
    bare = re.compile(r"^\s*(?:from|import) (?:bricks|builder|daemon|installer|plugins|evaluation|batch|training)\b(?!-)")
    found = [f"{p.relative_to(ROOT)}:{n}" for folder in (*FOLDERS, "tests", "bench") for p in (ROOT / folder).rglob("*.py")
             if p.name != "test_packaging.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if bare.search(line)]
    assert found == []


def test_installs_beside_pypa_installer_and_python_daemon(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    done = _pip(python, "install", "-q", str(wheel), "installer", "python-daemon")
    assert done.returncode == 0, done.stdout + done.stderr
    record = subprocess.run([str(python), "-c", "from importlib.metadata import files; "
                             "print('\\n'.join(str(f) for f in files('lego-edit')))"], capture_output=True, text=True, cwd=tmp_path)
    assert record.returncode == 0, record.stderr
    tops = {line.split("/", 1)[0] for line in record.stdout.split()}
    assert {t for t in tops if not t.endswith(".dist-info") and t != ".."} == {"lego_edit"}, sorted(tops)
    check = ("import daemon.daemon, installer.sources\n"
             "import lego_edit.daemon.cli, lego_edit.installer.core, lego_edit.builder, lego_edit.plugins.client\n"
             "from lego_edit.bricks import default_registry\n"
             "assert 'RES' in default_registry()\n"
             "from importlib.metadata import entry_points\n"
             "assert [e.value for e in entry_points(group='console_scripts') if e.name == 'lego-edit'] == "
             "['lego_edit.daemon.cli:main']\n"
             "print('ok')\n")
    both = subprocess.run([str(python), "-c", check], capture_output=True, text=True, cwd=tmp_path)
    assert both.returncode == 0 and both.stdout.strip() == "ok", both.stderr
