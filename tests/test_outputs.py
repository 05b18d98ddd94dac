"""ldn_compound.outputs: what writing a document does to each kind of target."""

from __future__ import annotations

import io
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from ldn_compound import outputs
from ldn_compound.inputs import read_file, recording
from ldn_compound.outputs import OutputError, OutputRefusedError, Target, check_targets, plan_output, write_outputs


def write(path: Path | str, data: bytes = b"%PDF new", option: str = "--record", **options: object) -> Target:
    target = plan_output(option, str(path))
    write_outputs([(target, data)], **options)  # type: ignore[arg-type]
    return target


# --------------------------------------------------------------------------- regular files


def test_a_new_file_is_created_with_the_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write(tmp_path / "new.pdf")
    finally:
        os.umask(old)
    assert (tmp_path / "new.pdf").read_bytes() == b"%PDF new"
    assert stat.S_IMODE((tmp_path / "new.pdf").stat().st_mode) == 0o640


def test_an_existing_file_is_replaced_keeping_its_permission_bits(tmp_path: Path) -> None:
    target = tmp_path / "record.pdf"
    target.write_bytes(b"old")
    target.chmod(0o604)
    inode = target.stat().st_ino
    write(target)
    assert target.read_bytes() == b"%PDF new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o604
    assert target.stat().st_ino != inode  # replaced by rename: a reader never sees half a file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.pdf"]  # no temporary left


def test_no_clobber_refuses_an_existing_file_and_leaves_it(tmp_path: Path) -> None:
    target = tmp_path / "record.pdf"
    target.write_bytes(b"old")
    with pytest.raises(OutputRefusedError) as caught:
        write(target, no_clobber=True)
    assert caught.value.code == "output-exists"
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.pdf"]
    write(tmp_path / "fresh.pdf", no_clobber=True)
    assert (tmp_path / "fresh.pdf").read_bytes() == b"%PDF new"


def test_no_clobber_refuses_a_file_that_appears_after_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = plan_output("--record", str(tmp_path / "record.pdf"))
    real_link = os.link

    def racing_link(source: object, destination: object) -> None:
        Path(str(destination)).write_bytes(b"someone else's")
        real_link(source, destination)  # type: ignore[arg-type]

    monkeypatch.setattr(outputs.os, "link", racing_link)
    with pytest.raises(OutputRefusedError, match="no-clobber"):
        write_outputs([(target, b"%PDF")], no_clobber=True)
    assert (tmp_path / "record.pdf").read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.pdf"]


def test_a_failed_rename_is_an_output_error_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "record.pdf"
    target.write_bytes(b"old")

    def fail(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs.Path, "replace", fail)
    with pytest.raises(OutputError) as caught:
        write(target)
    assert (caught.value.code, caught.value.reason) == ("output-not-writable", "No space left on device")
    assert isinstance(caught.value, OSError)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.pdf"]


# --------------------------------------------------------------------------- special files


def test_dev_null_is_written_to_not_replaced() -> None:
    target = write("/dev/null")
    assert target.kind == "stream"
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_a_fifo_is_written_to_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader_open = threading.Event()

    payload = b"%PDF to the pipe"

    def reader() -> None:
        descriptor = os.open(fifo, os.O_RDWR)  # a reader that is open before the writer comes (Linux)
        reader_open.set()
        data = b""
        while len(data) < len(payload):
            data += os.read(descriptor, 1024)
        os.close(descriptor)
        received.append(data)

    thread = threading.Thread(target=reader)
    thread.start()
    assert reader_open.wait(10)
    write(fifo, payload)
    thread.join(10)
    assert received == [payload]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_fifo_nobody_reads_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputRefusedError) as caught:
        write(fifo)
    assert caught.value.code == "output-no-reader"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_socket_a_directory_and_a_dangling_link_are_refused(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    path = tmp_path / "sock"
    server.bind(str(path))
    try:
        with pytest.raises(OutputRefusedError, match="it is a socket"):
            plan_output("--record", str(path))
    finally:
        server.close()
    with pytest.raises(OutputRefusedError, match="not a directory"):
        plan_output("--record", str(tmp_path))
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "x.pdf")
    with pytest.raises(OutputRefusedError) as caught:
        plan_output("--record", str(tmp_path / "dangling"))
    assert caught.value.code == "output-dangling-link"


def test_a_symlink_to_a_regular_file_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.pdf"
    real.write_bytes(b"old")
    link = tmp_path / "link.pdf"
    link.symlink_to(real)
    write(link)
    assert link.is_symlink()
    assert real.read_bytes() == b"%PDF new"


def test_dash_writes_to_standard_output_and_never_to_a_terminal() -> None:
    buffer = io.BytesIO()
    target = plan_output("--labels", "-")
    assert target.kind == "stdout"
    write_outputs([(target, b"%PDF out")], stdout=buffer)
    assert buffer.getvalue() == b"%PDF out"

    class Terminal(io.BytesIO):
        def isatty(self) -> bool:
            return True

    with pytest.raises(OutputRefusedError, match="terminal"):
        write_outputs([(target, b"%PDF")], stdout=Terminal())
    with pytest.raises(OutputRefusedError, match="standard output is not available"):
        plan_output("--labels", "-", allow_stdout=False)


def test_dev_stdout_redirected_to_a_file_is_standard_output(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "out.pdf"
    code = (
        "import sys; from ldn_compound.outputs import plan_output, write_outputs; "
        "t = plan_output('--labels', '/dev/stdout'); print(t.kind, file=sys.stderr); "
        "write_outputs([(t, b'%PDF via dev stdout')])"
    )
    with out.open("wb") as stream:
        done = subprocess.run([sys.executable, "-c", code], stdout=stream, stderr=subprocess.PIPE, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().strip() == "stdout"
    assert out.read_bytes() == b"%PDF via dev stdout"
    assert Path("/dev/stdout").is_symlink()


# --------------------------------------------------------------------------- what is never written


def test_an_output_over_a_file_that_was_read_is_refused_by_identity(tmp_path: Path) -> None:
    config = tmp_path / "pharmacy.toml"
    config.write_text("[pharmacy]\n", encoding="utf-8")
    hard = tmp_path / "hard-link.pdf"
    os.link(config, hard)
    soft = tmp_path / "soft-link.pdf"
    soft.symlink_to(config)
    with recording() as read:
        read_file(config)
    for name in (config, hard, soft, tmp_path / "." / "pharmacy.toml"):
        target = plan_output("--record", str(name))
        with pytest.raises(OutputRefusedError) as caught:
            write_outputs([(target, b"%PDF")], inputs=read)
        assert caught.value.code == "output-is-input"
    assert config.read_text(encoding="utf-8") == "[pharmacy]\n"


def test_the_package_folders_are_never_written(tmp_path: Path) -> None:
    from ldn_compound.loader import builtin_folder

    builtin = Path(str(builtin_folder().joinpath("ldn-capsules.toml")))
    before = builtin.read_bytes()
    for name in (builtin, builtin.with_name("new.pdf"), Path(outputs.__file__)):
        with pytest.raises(OutputRefusedError, match="inside the ldn_compound package"):
            check_targets([plan_output("-o", str(name))])
    assert builtin.read_bytes() == before


def test_two_outputs_to_one_place_are_refused(tmp_path: Path) -> None:
    one = plan_output("--record", str(tmp_path / "a.pdf"))
    two = plan_output("--labels", str(tmp_path / "." / "a.pdf"))
    with pytest.raises(OutputRefusedError, match="same file as --record"):
        check_targets([one, two])
    with pytest.raises(OutputRefusedError, match="same file as --record"):
        check_targets([plan_output("--record", "-"), plan_output("--labels", "-")])


@pytest.mark.parametrize("name", ["", "   ", "a\0b", "x" * 5000])
def test_impossible_names_are_refused(name: str) -> None:
    with pytest.raises(OutputRefusedError):
        plan_output("--record", name)


# --------------------------------------------------------------------------- locking


def test_concurrent_writers_leave_a_record_and_labels_from_the_same_batch(tmp_path: Path) -> None:
    """Writers racing for the same record and labels: the set on disk always comes from one of them."""
    record, labels = tmp_path / "record.pdf", tmp_path / "labels.pdf"
    errors: list[BaseException] = []

    def writer(name: bytes) -> None:
        try:
            for _ in range(15):
                write_outputs(
                    [
                        (plan_output("--record", str(record)), b"record " + name),
                        (plan_output("--labels", str(labels)), b"labels " + name),
                    ]
                )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    mismatches = 0

    def checker(stop: threading.Event) -> None:
        nonlocal mismatches
        while not stop.is_set():
            with outputs._locked([tmp_path], 10):
                if record.exists() and labels.exists() and record.read_bytes()[7:] != labels.read_bytes()[7:]:
                    mismatches += 1

    stop = threading.Event()
    watch = threading.Thread(target=checker, args=(stop,))
    watch.start()
    threads = [threading.Thread(target=writer, args=(bytes([65 + n]),)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stop.set()
    watch.join(10)
    assert errors == []
    assert mismatches == 0
    assert record.read_bytes()[7:] == labels.read_bytes()[7:]


def test_a_writer_that_holds_the_folder_too_long_is_reported(tmp_path: Path) -> None:
    target = plan_output("--record", str(tmp_path / "record.pdf"))
    with outputs._locked([tmp_path], 10):
        result: list[BaseException] = []

        def other() -> None:
            try:
                write_outputs([(target, b"%PDF")], lock_timeout=0.1)
            except BaseException as error:  # noqa: BLE001 - checked below
                result.append(error)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
    assert len(result) == 1 and isinstance(result[0], OutputError)
    assert "another process" in str(result[0])
    assert not (tmp_path / "record.pdf").exists()


def test_each_output_written_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.DEBUG, logger="ldn_compound.outputs"):
        write(tmp_path / "record.pdf", b"%PDF 12")
    assert f"wrote --record {tmp_path / 'record.pdf'} (7 bytes)" in caplog.messages


def test_a_link_to_an_open_file_without_a_name_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "gone.pdf"
    with file.open("wb") as stream:
        file.unlink()  # open, but no longer in any folder
        with pytest.raises(OutputRefusedError) as caught:
            plan_output("--record", f"/proc/self/fd/{stream.fileno()}")
    assert caught.value.code == "output-unnamed-file"
