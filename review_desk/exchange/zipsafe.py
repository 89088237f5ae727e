"""Reading untrusted zip archives safely: no absolute or ``..`` paths, no links, bounded
declared and actual sizes, members read with a hard cap."""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath
from typing import BinaryIO

from review_desk.i18n import tr


class UnsafeArchive(Exception):
    """The archive is refused; the message says why."""


def check_names(archive: zipfile.ZipFile, *, max_total: int, max_members: int = 10_000) -> None:
    """Refuse unsafe member names and unreasonable declared sizes."""
    infos = archive.infolist()
    if len(infos) > max_members:
        raise UnsafeArchive(tr("The package has too many members ({count}).", count=len(infos)))
    total = 0
    for info in infos:
        name = info.filename
        path = PurePosixPath(name)
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or ":" in name
            or any(part in ("..", "") for part in path.parts)
        ):
            raise UnsafeArchive(tr("The package has an unsafe member name: {name}", name=name))
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise UnsafeArchive(tr("The package contains a link: {name}", name=name))
        total += info.file_size
        if info.file_size < 0 or total > max_total:
            raise UnsafeArchive(
                tr(
                    "The package declares more than {mb} MB of content.",
                    mb=max_total // (1024 * 1024),
                )
            )


def read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """Read a member, refusing it when it turns out larger than ``limit`` bytes (whatever
    its header declares)."""
    with archive.open(name) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise UnsafeArchive(tr("Member {name} is larger than allowed.", name=name))
    return data


def copy_member(archive: zipfile.ZipFile, name: str, target: BinaryIO, limit: int) -> int:
    """Stream a member into ``target`` with a hard cap; return the bytes copied."""
    copied = 0
    with archive.open(name) as stream:
        while chunk := stream.read(1 << 20):
            copied += len(chunk)
            if copied > limit:
                raise UnsafeArchive(tr("Member {name} is larger than allowed.", name=name))
            target.write(chunk)
    return copied
