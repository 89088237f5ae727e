"""The core never imports Qt: every module of review_desk and scoring_models imports with
PySide6 made unimportable."""

from __future__ import annotations

import os
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


def test_import_contracts_catch_a_query_inside_a_ui_function(tmp_path: Path) -> None:
    """The contracts are not vacuous: on a tree shaped like ours whose UI imports storage
    inside a function (where the old code did), and whose core imports Qt, they fail."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]
    for name, text in {
        "ui/__init__.py": "",
        "ui/page.py": "def load():\n    from review_desk.storage import models\n",
        "review_desk/__init__.py": "",
        "review_desk/storage/__init__.py": "",
        "review_desk/storage/models.py": "import sqlalchemy\n",
        "review_desk/charts.py": "import scoring_models\nimport PySide6.QtGui\n",
        "scoring_models/__init__.py": "",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    lines = ["[importlinter]", "root_packages =", "    ui", "    review_desk", "    scoring_models"]
    lines.append("include_external_packages = True")
    for index, contract in enumerate(contracts["contracts"]):
        lines += ["", f"[importlinter:contract:{index}]"]
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =")
                lines += [f"    {item}" for item in value]
            else:
                lines.append(f"{key} = {value}")
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command as c; "
            "sys.exit(c(['--no-cache']))",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ui.page -> review_desk.storage" in result.stdout
    assert "review_desk.charts -> PySide6" in result.stdout
    assert "Contracts: 1 kept, 2 broken." in result.stdout
