"""Writing output documents: never over an input, never half a set, never a special file replaced.

The command line, the web app and the register write their PDFs with
:func:`write_outputs`, which decides what to do by what the target is:

- **a regular file, or a new name in a writable folder**: the document is
  written to a temporary file in the same folder, flushed to disk, given the
  old file's permission bits (a new file gets the usual ``0666`` less the
  umask) and renamed over the target, so a reader sees the old file or the new
  one, never a part.  With ``no_clobber`` an existing file is refused, checked
  atomically (the new file is linked into place, which fails if the name was
  taken meanwhile).
- **"-"**: the document goes to standard output (never to a terminal).
- **a FIFO or a character device** (``/dev/null``, a terminal, a pipe named
  ``/dev/stdout``): the document is written *to* it; it is never replaced.  A
  FIFO nobody reads is refused rather than waited on.
- **a symbolic link** is followed: to a regular file, that file is replaced
  (the link stays); to a FIFO or character device, it is written to; a link to
  nothing is refused.
- **a directory, a socket or a block device** is refused.

Before anything is written every target is checked against every file the
run read (:mod:`ldn_compound.inputs`), by device and inode, so no name, link or
hard link can make an output overwrite its own formula, config or label stock
file; the package's own folders (its code and built-in formulas) are never
written to.  The folders of a set of outputs (a record and its labels) are
locked (``flock``) while the set is written, so two processes writing the same
outputs leave a record and labels from the same batch.

>>> import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> record = plan_output("--record", os.path.join(folder, "record.pdf"))
>>> write_outputs([(record, b"%PDF-1.4 ...")])
>>> open(os.path.join(folder, "record.pdf"), "rb").read()
b'%PDF-1.4 ...'
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Final, Literal

import attrs

from ldn_compound.exceptions import InputError, LDNError
from ldn_compound.inputs import FileRead
from ldn_compound.text import MAX_VALUE, excerpt

__all__ = [
    "LOCK_TIMEOUT",
    "OutputError",
    "OutputRefusedError",
    "Target",
    "check_targets",
    "plan_output",
    "write_outputs",
]

_log = logging.getLogger(__name__)

#: How long to wait for another process writing to the same folder, in seconds.
LOCK_TIMEOUT: Final = 30.0

Kind = Literal["file", "stdout", "stream"]


class OutputRefusedError(InputError):
    """An output the caller asked for that must not be written (an input file, an existing file with no-clobber…)."""

    code = "output-refused"

    def __init__(self, option: str, target: str, rule: str, *, code: str | None = None) -> None:
        super().__init__(option, target, rule, code=code)
        self.option = option
        self.target = target


class OutputError(LDNError, OSError):
    """An output that could not be written (a full disk, no permission, a busy lock): nothing was replaced."""

    code = "output-not-writable"

    def __init__(self, option: str, target: str, reason: str) -> None:
        super().__init__(f"{option} {excerpt(target)}: cannot write: {reason}")
        self.option = option
        self.target = target
        self.reason = reason

    def __str__(self) -> str:
        return str(self.args[0])


@attrs.frozen
class Target:
    """Where one output goes, as decided by :func:`plan_output`.

    ``option`` names the output in messages (``--record``), ``given`` is the
    name as given, ``kind`` is ``"file"`` (replaced atomically), ``"stdout"``
    or ``"stream"`` (a FIFO or device, written to), and ``path`` is the file
    written: for a file, the final target of any symbolic links.
    """

    option: str
    given: str
    kind: Kind
    path: Path | None = None

    @property
    def folder(self) -> Path | None:
        """The folder a file target is written in."""
        return None if self.path is None else self.path.parent


def _refuse(option: str, given: str, rule: str, *, code: str = "output-refused") -> OutputRefusedError:
    return OutputRefusedError(option, given, rule, code=code)


def _package_folders() -> list[Path]:
    """The package's own folders (code, built-in formulas), resolved: never written to."""
    from ldn_compound.loader import builtin_folder

    folders = [Path(__file__).resolve().parent]
    formulas = builtin_folder()
    if isinstance(formulas, Path):
        folders.append(formulas.resolve())
    return folders


def _stdout_identity() -> tuple[int, int] | None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        info = os.fstat(sys.stdout.fileno())
        return info.st_dev, info.st_ino
    return None


def plan_output(option: str, given: str, *, allow_stdout: bool = True) -> Target:
    """Decide what writing ``given`` means (see the module's rules); refuse what must not be written.

    This only looks: nothing is created.  Call it before the work, so a bad
    output name fails at once; :func:`write_outputs` checks again just before writing.
    """
    if not given.strip():
        raise _refuse(option, given, "name a file, e.g. record.pdf")
    if len(given) > MAX_VALUE or "\0" in given:
        raise _refuse(option, given, f"be a file name of at most {MAX_VALUE} characters, without NUL")
    if given == "-":
        if not allow_stdout:
            raise _refuse(option, given, "name a file: standard output is not available here")
        return Target(option, given, "stdout")
    path = Path(given)
    try:
        link = path.lstat()
    except FileNotFoundError:
        link = None
    except NotADirectoryError:
        raise _refuse(
            option, given, f"be in a folder ({path.parent} is not a directory)", code="output-folder-missing"
        ) from None
    except OSError as error:
        raise _refuse(option, given, f"be a usable file name ({error.strerror or error})") from None
    if link is not None and stat.S_ISLNK(link.st_mode):
        try:
            info: os.stat_result | None = path.stat()
        except OSError:
            raise _refuse(
                option, given, "not be a symbolic link to a missing file", code="output-dangling-link"
            ) from None
    else:
        info = link
    if info is not None:
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            raise _refuse(
                option, given, f"name a file, not a directory (e.g. {path / 'out.pdf'})", code="output-is-directory"
            )
        if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
            if (info.st_dev, info.st_ino) == _stdout_identity():
                return Target(option, given, "stdout")
            return Target(option, given, "stream", path)
        if not stat.S_ISREG(mode):
            kind = "a socket" if stat.S_ISSOCK(mode) else "a block device" if stat.S_ISBLK(mode) else "a special file"
            raise _refuse(
                option,
                given,
                f"be a regular file, a FIFO or a character device (it is {kind})",
                code="output-special-file",
            )
        if (info.st_dev, info.st_ino) == _stdout_identity():  # e.g. /dev/stdout while stdout goes to a file
            return Target(option, given, "stdout")
    real = Path(os.path.realpath(path))
    # a link must lead to a file by a name: /proc/self/fd/N (and /dev/stdout) may lead to a deleted file
    if info is not None and link is not None and stat.S_ISLNK(link.st_mode) and not real.exists():
        raise _refuse(
            option,
            given,
            "lead to a file that has a name (it is an open file without one)",
            code="output-unnamed-file",
        )
    folder = real.parent
    shown = path.parent if info is None else folder  # the folder as given, or where a link leads
    if not folder.is_dir():
        reason = "does not exist" if not folder.exists() else "is not a directory"
        raise _refuse(option, given, f"be in a folder that exists ({shown} {reason})", code="output-folder-missing")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _refuse(
            option, given, f"be in a writable folder ({shown} is not writable)", code="output-folder-not-writable"
        )
    return Target(option, given, "file", real)


def _identity(target: Target) -> tuple[int, int] | None:
    if target.path is None:
        return None
    try:
        info = target.path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def check_targets(targets: Sequence[Target], inputs: Iterable[FileRead] = ()) -> None:
    """Refuse two outputs to the same place, an output over a file that was read, and the package's folders."""
    read = {(item.device, item.inode): item.path for item in inputs}
    packages = _package_folders()
    for index, target in enumerate(targets):
        for other in targets[:index]:
            same_stdout = target.kind == other.kind == "stdout"
            same_path = target.path is not None and target.path == other.path
            same_file = _identity(target) is not None and _identity(target) == _identity(other)
            if same_stdout or same_path or same_file:
                raise _refuse(
                    target.option,
                    target.given,
                    f"not be the same file as {other.option}; give two different files",
                    code="output-twice",
                )
        identity = _identity(target)
        if identity is not None and identity in read:
            raise _refuse(
                target.option,
                target.given,
                f"not overwrite {read[identity]}, a file this command reads",
                code="output-is-input",
            )
        if target.kind == "file" and target.path is not None:
            for folder in packages:
                if target.path == folder or folder in target.path.parents:
                    raise _refuse(
                        target.option,
                        target.given,
                        "not be inside the ldn_compound package (its code and built-in formulas)",
                        code="output-is-input",
                    )


@contextlib.contextmanager
def _locked(folders: Iterable[Path], timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on each folder (in one order, so two writers cannot deadlock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no locking
        yield
        return
    held: list[int] = []
    keyed: dict[tuple[int, int], Path] = {}
    for folder in folders:
        with contextlib.suppress(OSError):
            info = folder.stat()
            keyed[(info.st_dev, info.st_ino)] = folder
    try:
        for key in sorted(keyed):
            folder = keyed[key]
            try:
                descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            except OSError:  # a folder we may write but not read: nothing to lock with
                continue
            held.append(descriptor)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as error:
                    if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        break  # the file system cannot lock: go on unlocked
                    if time.monotonic() >= deadline:
                        raise OutputError(
                            "output",
                            str(folder),
                            f"another process has been writing to {folder} for {timeout:g} s; try again",
                        ) from None
                    time.sleep(0.02)
        yield
    finally:
        for descriptor in held:
            os.close(descriptor)  # closing releases the lock


def _temporary(target: Target, data: bytes, mode: int | None) -> Path:
    """``data`` in a new temporary file beside the target, flushed to disk, with ``mode`` if given."""
    assert target.path is not None
    temporary = target.path.with_name(f".{target.path.name[:200]}.{secrets.token_hex(6)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as error:
        raise OutputError(target.option, target.given, error.strerror or str(error)) from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            if mode is not None:
                os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(target.option, target.given, error.strerror or str(error)) from None
    return temporary


def _write_stream(target: Target, data: bytes, stdout: IO[bytes] | None) -> None:
    """Write ``data`` to standard output, a FIFO or a device: into it, never replacing it."""
    if target.kind == "stdout":
        if stdout is None:
            raise OutputError(target.option, target.given, "standard output does not take binary data here")
        terminal = False
        with contextlib.suppress(AttributeError, ValueError, OSError):
            terminal = stdout.isatty()
        if terminal:
            raise _refuse(target.option, target.given, "not send a PDF to a terminal; redirect it, e.g. > record.pdf")
        try:
            stdout.write(data)
            stdout.flush()
        except OSError as error:
            raise OutputError(target.option, target.given, error.strerror or str(error)) from None
        return
    assert target.path is not None
    try:
        descriptor = os.open(target.path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise _refuse(
                target.option, target.given, "be a FIFO that something reads from", code="output-no-reader"
            ) from None
        raise OutputError(target.option, target.given, error.strerror or str(error)) from None
    try:
        os.set_blocking(descriptor, True)
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
    except OSError as error:
        raise OutputError(target.option, target.given, error.strerror or str(error)) from None
    finally:
        os.close(descriptor)


def write_outputs(
    outputs: Sequence[tuple[Target, bytes]],
    *,
    inputs: Iterable[FileRead] = (),
    no_clobber: bool = False,
    stdout: IO[bytes] | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Write every output by the rules of its kind, all or none of the files.

    Under the folders' locks: the targets are checked again (against ``inputs``,
    each other, the package, and, with ``no_clobber``, existing files), every
    file is written to its temporary, the streams are written, and only then is
    each file renamed into place.  A failure before the renames leaves every
    target as it was and no temporary file behind.  ``stdout`` is the binary
    stream "-" writes to (default: ``sys.stdout.buffer``).
    """
    if stdout is None:
        stdout = getattr(sys.stdout, "buffer", None)
    targets = [target for target, _ in outputs]
    folders = [target.folder for target in targets if target.kind == "file" and target.folder is not None]
    with _locked(folders, lock_timeout):
        check_targets(targets, inputs)
        temporaries: list[tuple[Target, Path]] = []
        try:
            for target, data in outputs:
                if target.kind != "file":
                    continue
                assert target.path is not None
                mode: int | None = None
                try:
                    existing = target.path.stat()
                except FileNotFoundError:
                    existing = None
                except OSError as error:
                    raise OutputError(target.option, target.given, error.strerror or str(error)) from None
                if existing is not None:
                    if no_clobber:
                        raise _refuse(
                            target.option,
                            target.given,
                            "not exist already (no-clobber is set); give a new name or allow overwriting",
                            code="output-exists",
                        )
                    if not stat.S_ISREG(existing.st_mode):
                        raise _refuse(
                            target.option, target.given, "still be a regular file", code="output-special-file"
                        )
                    mode = stat.S_IMODE(existing.st_mode)
                temporaries.append((target, _temporary(target, data, mode)))
            for target, data in outputs:
                if target.kind != "file":
                    _write_stream(target, data, stdout)
            for target, temporary in temporaries:
                assert target.path is not None
                try:
                    if no_clobber:
                        os.link(temporary, target.path)  # fails if the name was taken meanwhile
                    else:
                        temporary.replace(target.path)
                except FileExistsError:
                    raise _refuse(
                        target.option, target.given, "not exist already (no-clobber is set)", code="output-exists"
                    ) from None
                except OSError as error:
                    raise OutputError(target.option, target.given, error.strerror or str(error)) from None
            for target, data in outputs:
                _log.debug("wrote %s %s (%d bytes)", target.option, target.given, len(data))
        finally:
            for _, temporary in temporaries:
                temporary.unlink(missing_ok=True)
