"""``ldn-compound serve``: it starts, prints its address, answers, and refuses bad options."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from ldn_compound import service
from ldn_compound.cli import main
from ldn_compound.web import WebConfig, server
from ldn_compound.web.server import ServeError, address, serve
from tests.web_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_serve_prints_its_address_and_answers_until_stopped(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ldn_compound", "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = process.stdout.readline()
        assert first == f"ldn-compound serving on http://127.0.0.1:{port}/ (this computer only); press Ctrl+C to stop\n"
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/formulas", timeout=5) as response:
                    body = json.loads(response.read())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert body["schema"] == "ldn-compound/formulas/1"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    assert "Traceback" not in process.stderr.read()


def _start(argv, cwd):
    """``ldn-compound serve ARGV`` as its own process; its first line; raises if it does not answer in 20 s."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ldn_compound", "serve", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        start_new_session=True,  # its own process group, as a terminal gives it: Ctrl+C goes to the group
    )
    return process, process.stdout.readline()


def _stop(process, signal_number=signal.SIGINT):
    os.killpg(process.pid, signal_number)  # as Ctrl+C does: the supervisor and its workers get it
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
        raise


def _children(pid):
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait_until_answering(base):
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(f"{base}/api/v1/formulas", timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_several_workers_share_the_port_and_a_sign_in_and_stop_together(tmp_path):
    register = str(tmp_path / "register.sqlite3")
    service.add_user("paul", "pharmacist", "2222", register=register)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, first = _start(["--port", str(port), "--workers", "2", "--register", register], tmp_path)
    try:
        assert first == (
            f"ldn-compound serving on {base}/ (this computer only) with 2 worker processes; press Ctrl+C to stop\n"
        )
        assert _wait_until_answering(base).status_code == 200
        workers = _children(process.pid)
        assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)

        # A second server on the same port is refused, even though the workers share it among themselves.
        _assert_port_refused(port, "2", tmp_path)

        # Sign in on one connection; then every new connection (the kernel gives each to either worker)
        # knows the session: the workers sign cookies with one key.
        with httpx.Client(base_url=base, timeout=30) as browser:
            page = browser.get("/sign-in").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            signed = browser.post(
                "/sign-in", data={"csrf_token": token, "user": "paul", "pin": "2222", "next": "/lots"}
            )
            assert signed.status_code == 303, signed.text
            session = browser.cookies["ldn_session"]
        for _ in range(24):
            with httpx.Client(base_url=base, timeout=30, cookies={"ldn_session": session}) as fresh:
                assert "paul (pharmacist)" in fresh.get("/lots").text
    finally:
        _stop(process)
    assert process.returncode == 0
    assert process.stderr.read() == ""  # no worker's KeyboardInterrupt traceback: they stop on the supervisor's word
    deadline = time.monotonic() + 10  # multiprocessing's resource tracker ends once it sees the server gone
    while [pid for pid in workers if Path(f"/proc/{pid}").exists()] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_a_port_in_use_is_one_error_line_before_any_address(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        for workers in ("1", "3"):
            _assert_port_refused(port, workers, tmp_path)


def _assert_port_refused(port, workers, cwd):
    """``serve --port PORT --workers N`` on a port in use: exit status 1 and one error line, before any address."""
    result = subprocess.run(
        [sys.executable, "-m", "ldn_compound", "serve", "--port", str(port), "--workers", workers],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: cannot listen on http://127.0.0.1:{port}/: Address already in use\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], 'error: --workers "0": must be a whole number from 1 to 32'),
        (["--workers", "two"], 'error: --workers "two": must be a whole number from 1 to 32'),
        (["--port", "http"], 'error: --port "http": must be a port number from 1 to 65535'),
        (["--port", "70000"], 'error: --port "70000": must be a port number from 1 to 65535'),
        (["--host", " "], 'error: --host " ": must be an address, e.g. 127.0.0.1'),
        (
            ["--host", "0.0.0.0"],
            (
                'error: --host "0.0.0.0": listening beyond this computer needs sign-in, and the register has no '
                "users yet: add one with 'ldn-compound users add NAME --role pharmacist'"
            ),
        ),
        (
            ["--dir", "no-such-folder"],
            'error: --dir "no-such-folder": does not exist; give the folder that holds your formula files (*.toml)',
        ),
    ],
)
def test_serve_refuses_bad_options_with_one_error_line(argv, message, capsys):
    assert main(["serve", *argv]) == 2
    assert capsys.readouterr().err == message + "\n"


def test_serve_refuses_a_bad_pharmacy_config_before_listening(tmp_path, capsys):
    bad = tmp_path / "pharmacy.toml"
    bad.write_text("[pharmacy\n", encoding="utf-8")
    assert main(["serve", "--pharmacy-config", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error: --pharmacy-config: pharmacy config ")


@pytest.mark.parametrize(
    ("host", "url"),
    [("127.0.0.1", "http://127.0.0.1:8765/"), ("::1", "http://[::1]:8765/"), ("localhost", "http://localhost:8765/")],
)
def test_address(host, url):
    assert address(host, 8765) == url


def test_serve_without_the_web_extra_says_how_to_install_it(monkeypatch, capsys):
    for name in list(sys.modules):
        if name.split(".")[0] == "starlette" or name == "ldn_compound.web" or name.startswith("ldn_compound.web."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "starlette", None)
    assert main(["serve"]) == 1
    assert capsys.readouterr().err == (
        "error: serve needs the web extra (starlette is not installed): pip install 'ldn_compound[web]'\n"
    )


def _spawned_workers():
    """This process's worker processes (multiprocessing's spawned interpreters)."""
    found = []
    for pid in _children(os.getpid()):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def _in_this_process(act):
    """Supervise 2 workers here; ``act(base, workers)`` runs in a thread once both answer; then they stop."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    failed: list[BaseException] = []

    def drive():
        try:
            deadline = time.monotonic() + 60
            while len(_spawned_workers()) < 2:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            _wait_until_answering(base)
            act(base, _spawned_workers())
        except BaseException as error:  # noqa: BLE001 - handed to the test's own thread below
            failed.append(error)
        finally:
            stop.set()  # whatever happened, the supervisor stops

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    try:
        with server._reserve("127.0.0.1", port):
            server._supervise("127.0.0.1", port, WebConfig(session_key=b"k" * 32), 2, stop_event=stop)
    finally:
        stop.set()
        thread.join(60)
    if failed:  # a check that failed in the thread fails the test
        raise failed[0]


def _answers(base):
    """The port answers a new connection (retried for a few seconds: while a worker leaves or joins the
    port's group, the system may refuse a connection that raced with it)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return httpx.get(f"{base}/api/v1/formulas", timeout=30).status_code == 200
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_supervisor_starts_another_worker_in_place_of_one_that_stops(monkeypatch, capsys):
    monkeypatch.setattr(server, "_HEALTHY_SECONDS", 0.0)
    seen = {}

    def kill_one(base, workers):
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while workers[0] in _spawned_workers() or len(_spawned_workers()) < 2:
            assert time.monotonic() < deadline, "no worker took the stopped one's place"
            time.sleep(0.1)
        seen["after"] = _spawned_workers()
        for _ in range(8):  # and the port still answers, on new connections
            assert _answers(base)

    _in_this_process(kill_one)
    assert len(seen["after"]) == 2
    assert "a worker process stopped (exit code -9); starting another" in capsys.readouterr().err
    assert _spawned_workers() == []


def test_a_worker_that_stops_as_it_starts_stops_the_server(monkeypatch):
    monkeypatch.setattr(server, "_HEALTHY_SECONDS", 3600.0)

    def kill_one(_base, workers):
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(3)  # the supervisor stops the server by itself, long before the test's stop

    with pytest.raises(ServeError, match=r"^a worker process stopped as it started \(exit code -9\)"):
        _in_this_process(kill_one)
    assert _spawned_workers() == []


def test_serve_with_workers_prints_its_address_and_stops_on_sigterm(tmp_path):
    """``serve`` itself, in this process: SIGTERM (a service manager's stop) ends the supervisor and its workers."""
    port = free_port()
    out = io.StringIO()

    def stop_when_answering():
        try:
            _wait_until_answering(f"http://127.0.0.1:{port}")
        finally:
            if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None):
                os.kill(os.getpid(), signal.SIGTERM)  # only while the supervisor's handler is in place

    thread = threading.Thread(target=stop_when_answering, daemon=True)
    thread.start()
    serve("127.0.0.1", port, WebConfig(), workers=2, out=out)
    thread.join(60)
    assert out.getvalue().endswith("with 2 worker processes; press Ctrl+C to stop\n")
    assert _spawned_workers() == []


def test_workers_stop_when_their_supervisor_is_killed(tmp_path):
    port = free_port()
    process, _ = _start(["--port", str(port), "--workers", "2", "--register", str(tmp_path / "r.sqlite3")], tmp_path)
    try:
        _wait_until_answering(f"http://127.0.0.1:{port}")
        workers = [pid for pid in _children(process.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == 2
        process.kill()  # SIGKILL: the supervisor cannot tell them
        process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived its supervisor"
            time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_a_replacement_that_stops_at_once_is_started_again_not_the_end_of_the_server(monkeypatch, capsys):
    monkeypatch.setattr(server, "_HEALTHY_SECONDS", 0.0)

    def kill_twice(base, workers):
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while workers[0] in _spawned_workers() or len(_spawned_workers()) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        monkeypatch.setattr(server, "_HEALTHY_SECONDS", 3600.0)  # every stop from now on is "at once"
        replacement = next(pid for pid in _spawned_workers() if pid != workers[1])
        os.kill(replacement, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while replacement in _spawned_workers() or len(_spawned_workers()) < 2:
            assert time.monotonic() < deadline, "the replacement's replacement did not start"
            time.sleep(0.05)
        assert _answers(base)

    _in_this_process(kill_twice)
    assert capsys.readouterr().err.count("starting another") == 2
    assert _spawned_workers() == []
