"""Atomic, contained file writes: a post is either absent, the old bytes, or the new bytes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutsideMirrorError(ValueError):
    """A post path would land outside ``MIRROR_DIR`` (through ``..`` or a symlink)."""


def _file_mode() -> int:
    """Return the mode a plain ``open()`` would give a new file under the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# Read once: os.umask can only be read by setting it, which is not thread-safe later.
_FILE_MODE = _file_mode()


def contained_path(mirror_dir: Path, relpath: str) -> Path:
    """Return ``mirror_dir/relpath``, refusing any path that resolves outside *mirror_dir*."""
    root = mirror_dir.resolve()
    target = (root / relpath).resolve()
    if target == root or root not in target.parents:
        raise OutsideMirrorError(f"post path {relpath!r} leaves {root}")
    return target


def write_atomic(target: Path, data: bytes, *, fsync: bool = True) -> None:
    """Write *data* to *target* through a temporary file in the same folder and ``os.replace``.

    The temporary name starts with a dot and does not end in ``.md``, so a crash leaves
    nothing a site generator would publish.  With *fsync*, the data and the folder entry
    are on disk before this returns: a ledger row recorded afterwards never points at
    a post that a power loss could take back.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem[:40]}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if fsync:
                os.fsync(stream.fileno())
        # mkstemp creates 0600 files; posts are served by other programs.
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if fsync:
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
