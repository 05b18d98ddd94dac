"""Reading the files a run depends on: bounded in size, and remembered by identity.

Every data file ldn_compound reads by path (a formula file, the formulas of a
``--dir``, a pharmacy config, a label stock file) goes through
:func:`read_file`, which

- reads at most :data:`~ldn_compound.text.MAX_FILE_BYTES` (a config of
  ``/dev/zero`` is refused, not read until memory runs out);
- refuses directories, sockets and block devices (pipes, e.g. the shell's
  ``<(...)``, and character devices are read, within the bound);
- notes the file's identity (device and inode) in the :func:`recording` in
  force, so that :mod:`ldn_compound.outputs` can refuse to write over any file
  the run has read, whatever name the output is given.

>>> with recording() as seen:
...     _ = read_file(__file__)
>>> [read.path == __file__ for read in seen]
[True]
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
from collections.abc import Iterator

import attrs

from ldn_compound.text import MAX_FILE_BYTES

__all__ = ["FileRead", "InputFileError", "read_file", "recording"]


class InputFileError(Exception):
    """A file that cannot be read as data; ``reason`` completes "… <path> <reason>"."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


@attrs.frozen
class FileRead:
    """A file read during a run: the name it was read by, and its identity (device, inode)."""

    path: str
    device: int
    inode: int


_SEEN: contextvars.ContextVar[tuple[list[FileRead], ...]] = contextvars.ContextVar(
    "ldn_compound_files_read", default=()
)


@contextlib.contextmanager
def recording() -> Iterator[list[FileRead]]:
    """Collect every file :func:`read_file` reads in this block (this thread or task only).

    Recordings nest: a file read inside an inner one is in the outer one too.
    """
    seen: list[FileRead] = []
    token = _SEEN.set((*_SEEN.get(), seen))
    try:
        yield seen
    finally:
        _SEEN.reset(token)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"  # pragma: no cover - the kinds read are regular files, pipes and character devices


def read_file(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, at most ``limit``; raise :class:`InputFileError` saying why not."""
    name = str(path)
    if "\0" in name:
        raise InputFileError(name, "must be a file name without a NUL character")
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno is not None and error.errno == getattr(os, "ENXIO", -1):
            raise InputFileError(name, "must be a regular file (it is a socket)") from None
        raise InputFileError(name, f"cannot be read: {error.strerror or error}") from None
    info = os.fstat(descriptor)
    mode = info.st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        os.close(descriptor)
        raise InputFileError(name, f"must be a regular file (it is {_kind(mode)})")
    with os.fdopen(descriptor, "rb") as stream:
        for seen in _SEEN.get():
            seen.append(FileRead(name, info.st_dev, info.st_ino))
        try:
            data = stream.read(limit + 1)
        except OSError as error:
            raise InputFileError(name, f"cannot be read: {error.strerror or error}") from None
    if len(data) > limit:
        raise InputFileError(name, f"must be at most {limit // 1024} KiB (it is larger)")
    return data
