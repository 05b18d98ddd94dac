"""``ldn-compound serve``: it starts, prints its address, answers, and refuses bad options."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ldn_compound.cli import main
from ldn_compound.web.server import address
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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
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
