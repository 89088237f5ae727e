"""A throwaway PostgreSQL cluster for the tests: ``initdb`` in a temporary folder, run
as an unprivileged user (PostgreSQL refuses root), listening on a Unix socket in that
folder and on a loopback port, stopped at the end of the test session.

The superuser (``rdadmin``) connects over the socket without a password; every other
role logs in with its SCRAM password, over the socket or loopback, as in an agency.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

ADMIN = "rdadmin"


class ClusterUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed here."""


def server_programs() -> Path:
    """The folder of ``initdb`` and ``pg_ctl`` (on PATH, or Debian's versioned folder)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise ClusterUnavailable("PostgreSQL's initdb and pg_ctl are not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unprivileged() -> pwd.struct_passwd | None:
    """As root: the user the server runs as (``postgres``, else ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ClusterUnavailable("no unprivileged user to run PostgreSQL as")


class Cluster:
    """One running throwaway cluster."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.port = _free_port()
        self.bin = server_programs()
        self.user = _unprivileged()

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user.pw_name, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}\n{done.stderr}")

    def start(self) -> Cluster:
        """initdb and start; return self."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if self.user is not None:
            for path in (self.folder, self.socket_dir):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            ADMIN,
            "-A",
            "scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        # The superuser over the socket without a password (the test's own admin);
        # everybody else with their password, on the socket and on loopback.
        (self.data / "pg_hba.conf").write_text(
            f"local all {ADMIN} trust\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        options = (
            f"-k {self.socket_dir} -p {self.port} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=120 -c shared_buffers=32MB"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )
        return self

    def stop(self) -> None:
        """Stop the server at once (its data is thrown away)."""
        with contextlib.suppress(RuntimeError, OSError, subprocess.SubprocessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres", user: str = ADMIN, password: str = "") -> str:
        """A SQLAlchemy URL to ``database`` as ``user`` over the Unix socket."""
        secret = f":{password}" if password else ""
        return (
            f"postgresql+psycopg://{user}{secret}@/{database}"
            f"?host={self.socket_dir}&port={self.port}"
        )


def server_temp_folder(prefix: str = "rd-pg-") -> Path:
    """A new temporary folder the server's user can reach: in the temporary folder when
    others may pass through it, else in the nearest folder above it that they may
    (``bootstrap.py test`` puts the tests' temporary files in a private folder in RAM,
    closed to the server's user; ``/dev/shm`` above it is open)."""
    base = Path(tempfile.gettempdir()).resolve()
    while not base.stat().st_mode & stat.S_IXOTH and base.parent != base:
        base = base.parent
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))
