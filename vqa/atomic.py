"""Files that are never half-written: write beside, sync, rename into place.

Every output of ``vqa`` (predictions, metrics, scene files, attention files and figures, checkpoints,
weights, configs and model cards) is written through this module. The new content goes to a temporary
file in the destination's folder, is flushed and synced to disk, then ``os.replace`` renames it over
the destination, and the folder is synced so that the rename itself survives a power cut. A process
killed at any moment leaves the destination as it was before (old file, or no file) or whole and new.

A kill can leave the temporary file behind: it is hidden and named after its destination
(``.<name>.<random>.tmp<suffix>``), so it never shadows an output; ``temp_leftovers`` lists them.
The temporary name keeps the destination's suffix, so writers that pick a format from it (PIL,
safetensors) behave as they would on the destination itself.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = ["atomic_path", "atomic_write", "write_text", "write_bytes", "write_with", "temp_leftovers"]

# os.umask can only be read by setting it: read it once, at import, so the renamed file gets the
# permissions a plain open() would have given it (mkstemp creates 0600 files).
_UMASK = os.umask(0)
os.umask(_UMASK)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # a platform without directory handles (Windows): the rename is as durable as it gets
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename is still atomic
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; renamed onto ``path`` when the block ends.

    If the block raises (or the process dies), ``path`` is left untouched and the temporary file is
    removed (or, after a kill, left hidden beside it). Use it for writers that want a file name
    (``safetensors.save_file``, ``PIL.Image.save``); ``atomic_write`` for a file object.

    A symbolic link is followed (its target is replaced, the link kept); a destination that is not a
    regular file (``/dev/stdout``, a pipe) is written directly, as renaming onto it is impossible.
    """
    path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file():
        yield path
        return
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """``open(path, mode)`` whose content replaces ``path`` whole when the block ends without error.

    ``mode`` is ``"w"`` (text, ``encoding``) or ``"wb"``.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes whole files: mode 'w' or 'wb', got {mode!r}")
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as f:
            yield f
            f.flush()


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """``Path(path).write_text(text)``, atomically."""
    with atomic_write(path, "w", encoding) as f:
        f.write(text)
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """``Path(path).write_bytes(data)``, atomically."""
    with atomic_write(path, "wb") as f:
        f.write(data)
    return Path(path)


def write_with(save: Callable[[Path], object], path: str | Path) -> Path:
    """``save(tmp)`` then rename onto ``path``: for ``image.save``, ``safetensors.torch.save_file``... (the
    temporary name ends with ``path``'s suffix, which PIL reads the format from)."""
    with atomic_path(path) as tmp:
        save(tmp)
    return Path(path)


def temp_leftovers(folder: str | Path) -> list[Path]:
    """Temporary files that killed writers left in ``folder`` (safe to delete when no writer runs)."""
    return sorted(p for p in Path(folder).glob(".*.tmp*") if p.is_file())
