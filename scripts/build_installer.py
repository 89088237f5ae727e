"""Build the one-folder installer with PyInstaller and smoke-test the frozen CLI.

    python scripts/build_installer.py

Runs PyInstaller on build_installer.spec, then the frozen ``review-desk --version``,
``demo`` and ``audit verify``, and prints the folder's size.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def folder_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "build_installer.spec"],
        cwd=ROOT,
        check=True,
    )
    version = re.search(
        r'__version__ = "([^"]+)"', (ROOT / "review_desk" / "__init__.py").read_text()
    )
    assert version
    folder = ROOT / "dist" / f"ReviewDesk-{version.group(1)}"
    cli = folder / ("review-desk.exe" if os.name == "nt" else "review-desk")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    print(
        subprocess.run(
            [cli, "--version"], check=True, capture_output=True, text=True, env=env
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "smoke.rdp"
        subprocess.run([cli, "demo", str(project)], check=True, env=env)
        subprocess.run([cli, "audit", "verify", str(project)], check=True, env=env)
        subprocess.run([cli, "project", "info", str(project)], check=True, env=env)
        # Results: the workbook and the charts (matplotlib and its fonts in the build).
        out = Path(tmp) / "results"
        subprocess.run(
            [cli, "export", str(project), "--out", str(out / "results.xlsx")], check=True, env=env
        )
        for kind in ("ranking", "radar"):
            subprocess.run(
                [cli, "chart", str(project), "--kind", kind, "--out", str(out / f"{kind}.png")],
                check=True,
                env=env,
            )
        shots = Path(tmp) / "shots"
        subprocess.run(
            [cli, "gui", str(project), "--screenshots", str(shots)],
            check=True,
            env=dict(env, XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp),
        )
        print(f"frozen GUI rendered {len(list(shots.glob('*.png')))} pages")
    print(f"folder: {folder}")
    print(f"size:   {folder_size(folder) / 1024 / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
