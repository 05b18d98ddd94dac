"""ldn_compound.inputs: data files are read within a bound, and remembered by identity."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from ldn_compound.inputs import InputFileError, read_file, recording
from ldn_compound.text import MAX_FILE_BYTES


def test_dev_zero_is_refused_after_the_bound_not_read_until_memory_runs_out() -> None:
    with pytest.raises(InputFileError, match=r"must be at most 1024 KiB \(it is larger\)"):
        read_file("/dev/zero")


def test_a_file_at_the_bound_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    at = tmp_path / "at.toml"
    at.write_bytes(b"#" * MAX_FILE_BYTES)
    assert len(read_file(at)) == MAX_FILE_BYTES
    over = tmp_path / "over.toml"
    over.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(InputFileError):
        read_file(over)


def test_directories_and_sockets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"must be a regular file \(it is a directory\)"):
        read_file(tmp_path)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    try:
        with pytest.raises(InputFileError, match="socket"):
            read_file(tmp_path / "sock")
    finally:
        server.close()


def test_a_pipe_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def writer() -> None:
        with fifo.open("wb") as stream:
            stream.write(b"[pharmacy]\n")

    thread = threading.Thread(target=writer)
    thread.start()
    assert read_file(fifo) == b"[pharmacy]\n"
    thread.join(10)


def test_files_read_are_recorded_by_identity_only_inside_a_recording(tmp_path: Path) -> None:
    file = tmp_path / "a.toml"
    file.write_text("x = 1\n", encoding="utf-8")
    read_file(file)  # outside: nothing to record into
    with recording() as seen:
        read_file(file)
        with recording() as inner:
            read_file(file)
    info = file.stat()
    assert [(r.path, r.device, r.inode) for r in inner] == [(str(file), info.st_dev, info.st_ino)]
    assert len(seen) == 2  # a recording sees what the ones inside it see


def test_an_unreadable_file_says_why(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot be read: No such file or directory"):
        read_file(tmp_path / "missing.toml")
