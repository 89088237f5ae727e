"""Reading untrusted zip archives safely: no absolute or ``..`` paths, no links, no two
members of the same name, bounded declared and actual sizes, members read with a hard
cap."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import BinaryIO

from review_desk.i18n import tr

# Every way a damaged archive fails to read, from the zipfile module and below it.
ARCHIVE_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    ValueError,
    NotImplementedError,
    RuntimeError,
    KeyError,
)


class UnsafeArchive(Exception):
    """The archive is refused; the message says why."""


def check_names(archive: zipfile.ZipFile, *, max_total: int, max_members: int = 10_000) -> None:
    """Refuse unsafe member names, duplicate names and unreasonable declared sizes."""
    infos = archive.infolist()
    if len(infos) > max_members:
        raise UnsafeArchive(tr("The package has too many members ({count}).", count=len(infos)))
    total = 0
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        # zipfile reads the last of two same-named members, other tools the first: the
        # package would not be one thing. Case-blind, as a Windows folder would be.
        if name.casefold() in seen:
            raise UnsafeArchive(
                tr("The package has two members with the same name: {name}", name=name)
            )
        seen.add(name.casefold())
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


_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")


def check_exact_layout(data: bytes) -> None:
    """Refuse an archive whose bytes are not exactly what our writer lays out: members
    stored uncompressed, back to back from offset 0, each local header agreeing field by
    field with its central-directory entry, no data descriptors, no extra fields or
    comments, no bytes after the end record. The members' content is signed; this makes
    every other byte of a package count too, so that no flipped byte goes unnoticed."""
    damaged = UnsafeArchive(tr("The package's structure has been altered."))
    if len(data) < _END.size:
        raise damaged
    end = _END.unpack_from(data, len(data) - _END.size)
    signature, disk, cd_disk, here, total, cd_size, cd_offset, comment = end
    if signature != b"PK\x05\x06" or disk or cd_disk or here != total or comment:
        raise damaged
    if cd_offset + cd_size != len(data) - _END.size:
        raise damaged
    position, offset = cd_offset, 0
    for _index in range(total):
        if position + _CENTRAL.size > len(data) - _END.size:
            raise damaged
        central = _CENTRAL.unpack_from(data, position)
        sig, made_by, needed, flags, method, mtime, mdate, crc, csize, usize = central[:10]
        name_len, extra_len, comment_len, disk_start, internal, external = central[10:16]
        local_offset = central[16]
        if (
            sig != b"PK\x01\x02"
            # zip 2.0 made on MS-DOS/Windows (0) or Unix (3): where the package was signed
            or made_by & 0xFF != 20
            or made_by >> 8 not in (0, 3)
            or extra_len
            or comment_len
            or disk_start
            or internal
            or external != 0o600 << 16
            or local_offset != offset
            or flags & 0x08
            or method != zipfile.ZIP_STORED
            or csize != usize
        ):
            raise damaged
        name = data[position + _CENTRAL.size : position + _CENTRAL.size + name_len]
        local = _LOCAL.unpack_from(data, offset)
        expected = (b"PK\x03\x04", needed, flags, method, mtime, mdate, crc, csize, usize)
        if local[:9] != expected or local[9] != name_len or local[10]:
            raise damaged
        if data[offset + _LOCAL.size : offset + _LOCAL.size + name_len] != name:
            raise damaged
        offset += _LOCAL.size + name_len + csize
        position += _CENTRAL.size + name_len
    if offset != cd_offset or position != cd_offset + cd_size:
        raise damaged
