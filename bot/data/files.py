"""The one way files under knowledge/ and intents/ are listed and read.

Those folders are edited by hand and synced from elsewhere, so a path in them may be a symlink
to /etc/shadow, to an article outside the folder, or a FIFO that blocks whoever opens it. Only
regular files that resolve inside their folder are read; anything else is refused by name,
without opening it (or, when opening cannot be avoided, without blocking), and nothing of its
content is ever quoted.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Opening a FIFO for reading blocks until a writer appears; O_NONBLOCK makes it return at once.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_CHUNK = 1 << 16


class RefusedFile(OSError):
    """A path that is not a regular file inside its folder; ``reason`` quotes nothing of it."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.reason = f"refused: not a regular file inside {root.name or root}/"
        super().__init__(f"{path}: {self.reason}")


def _inside(path: Path, root: Path) -> Path:
    """The real path of ``path`` if it is a regular file inside ``root``; stats, never opens."""
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(Path(os.path.realpath(root))):
        raise RefusedFile(path, root)
    if not stat.S_ISREG(os.stat(real).st_mode):  # FIFOs, devices, sockets, folders
        raise RefusedFile(path, root)
    return real


def safe_files(folder: Path, pattern: str, root: Path) -> tuple[list[Path], list[RefusedFile]]:
    """The files of ``folder`` matching ``pattern`` that may be read, sorted, and those refused."""
    good: list[Path] = []
    refused: list[RefusedFile] = []
    if not folder.is_dir():
        return good, refused
    for path in sorted(folder.glob(pattern)):
        try:
            _inside(path, root)
        except RefusedFile as exc:
            refused.append(exc)
            continue
        except OSError:  # gone since listing, or a symlink loop: reading it will say why
            pass
        good.append(path)
    return good, refused


def read_bytes_safely(path: Path, root: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a regular file inside ``root`` (so the caller can tell the
    file is too large); raises RefusedFile, or OSError when the file cannot be read."""
    real = _inside(path, root)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in (getattr(os, "ELOOP", -1), getattr(os, "ENXIO", -1)):  # swapped for a link or FIFO
            raise RefusedFile(path, root) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped between the check and the open
            raise RefusedFile(path, root)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text_safely(path: Path, root: Path, limit: int) -> str:
    """The UTF-8 text of a regular file inside ``root``; raises RefusedFile, OSError, or
    ValueError when it is larger than ``limit`` bytes (UnicodeDecodeError when not UTF-8)."""
    raw = read_bytes_safely(path, root, limit)
    if len(raw) > limit:
        raise ValueError(f"{path}: the file is larger than {limit} bytes; split it")
    return raw.decode("utf-8")
