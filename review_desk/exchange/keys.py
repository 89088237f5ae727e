"""The expert's signing key (Ed25519): made and kept on the expert's machine beside the
local project; the agency enrols the public key, recognised by a fingerprint short
enough to read out over the phone."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from review_desk.errors import UserError
from review_desk.i18n import _


class KeyError_(UserError):
    """A key that cannot be used; the message is for the user."""


def key_path(project_path: Path) -> Path:
    """Where an expert project's private key is kept."""
    return project_path.with_name(project_path.name + ".key")


def load_or_create_key(project_path: Path) -> Ed25519PrivateKey:
    """Return the expert's private key, making it (readable by the owner only) if new."""
    path = key_path(project_path)
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as error:
            raise KeyError_(_("The signing key file is damaged.")) from error
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyError_(_("The signing key is not an Ed25519 key."))
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(pem)
    return key


def key_for_project(project_path: Path) -> Ed25519PrivateKey:
    """Return the key of an existing Review Desk project, made if new; a path that is not
    one (missing, mistyped, a text file) is refused and gets no key file beside it."""
    from review_desk.storage.database import check_project_file

    check_project_file(project_path)
    return load_or_create_key(project_path)


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Return the public key in PEM form (what the expert hands to the agency)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public(pem: str) -> Ed25519PublicKey:
    """Parse a PEM public key; refuse anything but Ed25519."""
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as error:
        raise KeyError_(_("Not a public key in PEM form.")) from error
    if not isinstance(key, Ed25519PublicKey):
        raise KeyError_(_("The public key is not an Ed25519 key."))
    return key


def fingerprint(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Return an 80-bit fingerprint as four groups of four letters/digits (base32)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    code = base64.b32encode(hashlib.sha256(raw).digest()).decode("ascii")[:16]
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


def verify(public: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Return True when ``signature`` is the key's signature of ``data``."""
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
