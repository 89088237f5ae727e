"""The core never imports Qt: every module of review_desk and scoring_models imports with
PySide6 made unimportable."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class BlockQt:
        def find_spec(self, name, path=None, target=None):
            if name == "PySide6" or name.startswith(("PySide6.", "shiboken6")):
                raise ImportError(f"blocked: {name}")
            return None

    sys.meta_path.insert(0, BlockQt())
    imported = []
    for package_name in ("review_desk", "scoring_models"):
        package = importlib.import_module(package_name)
        imported.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if info.name.endswith("__main__") or ".migrations." in info.name:
                continue
            importlib.import_module(info.name)
            imported.append(info.name)
    assert not any(m.startswith(("PySide6", "ui")) for m in sys.modules), "Qt or ui loaded"
    print(len(imported))
    """
)


def test_core_imports_without_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 15


def test_blocker_really_blocks_qt() -> None:
    """The blocker itself works: importing PySide6 under it fails."""
    script = SCRIPT.split("imported = []")[0] + "import PySide6.QtCore\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "blocked: PySide6" in result.stderr


def test_ui_package_import_does_not_load_qt() -> None:
    """``import ui.launcher`` stays headless, so the CLI starts without Qt."""
    script = "import sys, ui.launcher; assert 'PySide6' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_import_contracts_are_kept() -> None:
    """The import-linter contracts of pyproject.toml hold: the layers ui → review_desk →
    scoring_models, the UI never importing storage or SQLAlchemy (not even inside a
    function), and the core never importing Qt."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command as c; "
            "sys.exit(c(['--no-cache']))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
