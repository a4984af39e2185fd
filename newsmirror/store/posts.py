"""The post store: contained, atomic file writes; a post is either absent, the old bytes, or the new bytes.

Which article owns which path is the ledger's to say (``claim_path``); this module
only guarantees that a write lands inside ``MIRROR_DIR`` and is never seen half done.
"""

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
    make_folders(target.parent, fsync=fsync)
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
        fsync_folder(target.parent)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk: the names in it survive a power loss."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def make_folders(folder: Path, *, fsync: bool = True) -> None:
    """Create *folder* and its missing parents; with *fsync*, each new one durably.

    A post in a new category folder is only as durable as the folder's own entry in its
    parent: without flushing the parent, a power loss can take the folder, and the post
    with it, while the ledger row written afterwards survives.
    """
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        if fsync:
            fsync_folder(new.parent)


def remove_stale_temporaries(mirror_dir: Path) -> int:
    """Delete the temporary files a killed run left in ``MIRROR_DIR``; return how many.

    Only ``write_atomic``'s own names (``.<stem>.<random>.tmp``) are touched, and only
    under the run lock, when no other writer can be mid-write.
    """
    removed = 0
    if not mirror_dir.is_dir():
        return 0
    for path in mirror_dir.rglob(".*.tmp"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
