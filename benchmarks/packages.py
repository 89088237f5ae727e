"""Work packages with a lot of PDF bytes: make one at the agency and open it on the
expert's side, measuring throughput against sha256sum over the same bytes and the peak
memory (target: under 300 MB) of each step, each in its own process.

    python benchmarks/packages.py [--gb 1.0]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SETUP = textwrap.dedent(
    """
    import os, sys, random
    from pathlib import Path
    from datetime import datetime
    from sqlalchemy import select
    from review_desk.demo import build_demo
    from review_desk.storage import models as m
    folder, size_gb = Path(sys.argv[1]), float(sys.argv[2])
    project = build_demo(folder / "agency.rdp")
    with project.reading() as s:
        expert = s.scalars(select(m.Expert).where(m.Expert.name == "张志强")).one()
        query = select(m.Assignment).where(m.Assignment.expert_id == expert.id)
        dossiers = [a.dossier_id for a in s.scalars(query)]
    per_file = 8 * 1024 * 1024
    count = int(size_gb * 1024**3 // per_file)
    with project.transaction() as s:
        for i in range(count):
            sha, size = project.files.put_bytes(b"%PDF-1.7\\n" + os.urandom(per_file - 9))
            s.add(m.Material(dossier_id=dossiers[i % len(dossiers)], filename=f"big{i}.pdf",
                             sha256=sha, size=size, page_count=1, version=1, is_current=True,
                             received_at=datetime.now().astimezone(), text_status="unread"))
    print(expert.id)
    """
)
MAKE = textwrap.dedent(
    """
    import sys, resource
    from pathlib import Path
    from review_desk.project import Project
    from review_desk.exchange.work_package import make_work_package
    with Project(sys.argv[1]) as project:
        make_work_package(project, int(sys.argv[2]), Path(sys.argv[3]))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)
OPEN = textwrap.dedent(
    """
    import sys, resource
    from pathlib import Path
    from review_desk.exchange.work_package_open import open_work_package
    open_work_package(Path(sys.argv[1]), Path(sys.argv[2])).close()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rd-packages-"))
    try:
        expert = subprocess.run(
            [sys.executable, "-c", SETUP, str(folder), str(args.gb)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        store = folder / "agency.rdp.files"
        os.sync()
        files = [str(p) for p in store.rglob("*") if p.is_file()]
        total = sum(os.path.getsize(f) for f in files) / 1024 / 1024
        start = time.perf_counter()
        for chunk in range(0, len(files), 200):
            subprocess.run(
                ["sha256sum", *files[chunk : chunk + 200]], check=True, stdout=subprocess.DEVNULL
            )
        sha = time.perf_counter() - start
        start = time.perf_counter()
        made = subprocess.run(
            [
                sys.executable,
                "-c",
                MAKE,
                str(folder / "agency.rdp"),
                expert,
                str(folder / "work.rdwork"),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        make_s = time.perf_counter() - start
        start = time.perf_counter()
        opened = subprocess.run(
            [sys.executable, "-c", OPEN, str(folder / "work.rdwork"), str(folder / "expert.rdp")],
            check=True,
            capture_output=True,
            text=True,
        )
        open_s = time.perf_counter() - start
        size = (folder / "work.rdwork").stat().st_size / 1024 / 1024
        print(f"package: {size:.0f} MB ({total:.0f} MB of stored files in the project)")
        print(f"sha256sum of the files:  {total / sha:8.1f} MB/s")
        print(
            f"make (agency):           {size / make_s:8.1f} MB/s  ({make_s:.1f} s), "
            f"peak {int(made.stdout.split()[-1]) / 1024:.0f} MB"
        )
        print(
            f"open (expert):           {size / open_s:8.1f} MB/s  ({open_s:.1f} s), "
            f"peak {int(opened.stdout.split()[-1]) / 1024:.0f} MB"
        )
        print("target: peak memory < 300 MB for each")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
