"""File storage behind one small interface; local disk by default (an S3 backend can slot in)."""
import os
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from flask import current_app

# Accepted image types, recognised by their first bytes (never by the client's claimed type).
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # defaults of config MAX_PHOTO_BYTES / MAX_DOCUMENT_BYTES
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
SNIFF_BYTES = 16  # enough for every signature above
CHUNK_BYTES = 64 * 1024


class TooLarge(ValueError):
    """A streamed file went over its size cap (nothing was stored)."""


def sniff_image(data: bytes) -> str | None:
    """The image MIME type of data, or None when it is not a PNG, JPEG, GIF or WebP."""
    for signature, mime in IMAGE_SIGNATURES.items():
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff_document(data: bytes) -> str | None:
    """A certificate's MIME type: a PDF or one of the accepted images; None otherwise."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return sniff_image(data)


class LocalStorage:
    """Files under one directory, named by opaque keys that start with the tenant id."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, *, tenant_id: uuid.UUID, data: bytes, suffix: str) -> str:
        """Store bytes; returns the key."""
        key = f"{tenant_id}/{uuid.uuid4().hex}{suffix}"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return key

    def save_stream(self, *, tenant_id: uuid.UUID, head: bytes, stream: BinaryIO, suffix: str, max_bytes: int) -> str:
        """Store head + the rest of stream chunk by chunk, never more than max_bytes in all; returns the key.

        The file is written under a temporary name and renamed into place, so a refused or broken
        upload leaves nothing behind and memory stays at one chunk whatever the size.
        """
        key = f"{tenant_id}/{uuid.uuid4().hex}{suffix}"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                size = len(head)
                out.write(head)
                while size <= max_bytes and (chunk := stream.read(CHUNK_BYTES)):
                    size += len(chunk)
                    out.write(chunk)
            if size > max_bytes:
                raise TooLarge(f"over {max_bytes} bytes")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def read(self, key: str) -> bytes:
        """The bytes stored under key."""
        return (self.root / key).read_bytes()

    def delete(self, key: str) -> None:
        """Remove a stored file if it exists."""
        (self.root / key).unlink(missing_ok=True)


def storage() -> LocalStorage:
    """The configured storage backend."""
    root = current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads"
    return LocalStorage(Path(root))
