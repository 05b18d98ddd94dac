"""``ldn-compound serve``: run the web app with uvicorn, in one process or in several.

One process answers the bench pages of a pharmacy with room to spare.  An integration
server that many clients call at once runs ``--workers N`` processes (about one a core):
each is a whole copy of the app with a listening socket of its own on the same port
(``SO_REUSEPORT``), so the kernel spreads the connections over them; a calculation holds a
core for its whole time, and Python runs one at a time in a process.  The processes share
one session key, made by the supervising process, so a sign-in holds on whichever of them
answers; the register is a database that several processes use at once by design.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import wait
from types import FrameType
from typing import Any, Final, TextIO

import attrs

from ldn_compound.web.app import WebConfig, create_app, is_loopback

__all__ = ["MAX_WORKERS", "address", "serve"]

#: The most worker processes ``--workers`` starts.
MAX_WORKERS: Final = 32
#: How long a worker must have run for the supervisor to start another in its place when it stops.
_HEALTHY_SECONDS: Final = 5.0
#: How long the supervisor waits for its workers to finish their requests when stopping.
_STOP_SECONDS: Final = 15.0

_UVICORN: Final[dict[str, Any]] = {
    "timeout_graceful_shutdown": 10,  # a request still open then is dropped: the server stops
    "log_level": "warning",
    "proxy_headers": True,
    "forwarded_allow_ips": "127.0.0.1,::1",
    "server_header": False,
    "access_log": False,
}


class ServeError(Exception):
    """The server could not start or a worker kept stopping: one line for the command line's ``error:``."""


def address(host: str, port: int) -> str:
    """The URL a browser opens: ``http://127.0.0.1:8765/``."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def serve(host: str, port: int, config: WebConfig, *, workers: int = 1, out: TextIO | None = None) -> None:
    """Serve the app on ``host``:``port`` until interrupted; print the address first.

    Behind a reverse proxy on the same computer (for TLS), the proxy's ``X-Forwarded-Proto``
    and ``X-Forwarded-For`` are trusted from loopback only, so cookies are marked ``Secure``
    when the browser's connection is HTTPS.  With ``workers`` above 1, that many processes
    answer (see the module's text); Ctrl+C or SIGTERM stops them all.
    """
    import uvicorn

    stream = out or sys.stdout
    where = "this computer only" if is_loopback(host) else "the network: sign-in required"
    if workers <= 1:
        app = create_app(config)
        gc.freeze()  # what the app holds for its life is never scanned again by the garbage collector
        with _bind(host, port, shared=False) as sock:  # a port in use is an error line, before the address
            stream.write(f"ldn-compound serving on {address(host, port)} ({where}); press Ctrl+C to stop\n")
            stream.flush()
            uvicorn.Server(uvicorn.Config(app, host=host, port=port, **_UVICORN)).run(sockets=[sock])
        return
    config = attrs.evolve(config, session_key=config.session_key or secrets.token_bytes(32))
    create_app(config)  # a template or package problem shows now, once, not in every worker
    with _reserve(host, port):
        stream.write(
            f"ldn-compound serving on {address(host, port)} ({where}) with {workers} worker processes; "
            "press Ctrl+C to stop\n"
        )
        stream.flush()
        _supervise(host, port, config, workers)


def _socket(host: str, port: int, *, shared: bool) -> socket.socket:
    """A TCP socket bound to ``host``:``port``; with ``shared``, one of a group sharing the port (SO_REUSEPORT)."""
    family, kind, protocol, _, where = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[
        0
    ]
    sock = socket.socket(family, kind, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(where)
    except OSError:
        sock.close()
        raise
    return sock


def _bind(host: str, port: int, *, shared: bool) -> socket.socket:
    """:func:`_socket`, with the system's reason for a refusal as a :class:`ServeError`."""
    try:
        return _socket(host, port, shared=shared)
    except OSError as error:
        raise ServeError(f"cannot listen on {address(host, port)}: {error.strerror or error}") from None


@contextlib.contextmanager
def _reserve(host: str, port: int) -> Iterator[None]:
    """Hold the port for the workers: refused if any other program listens there, even one sharing ports."""
    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover - Linux, the BSDs and macOS have it
        raise ServeError("--workers: this system cannot share a port between processes; run one process")
    _bind(host, port, shared=False).close()  # fails if the port is taken, whoever took it
    with _bind(host, port, shared=True):  # bound, never listening: it takes no connections
        yield


def _worker(host: str, port: int, config: WebConfig) -> None:
    """One worker process: the app on a listening socket of its own in the port's group.

    It stops when its supervisor asks (SIGTERM) and also when the supervisor is gone (killed,
    say), so no worker is left holding the port.  Ctrl+C is the supervisor's to handle: the
    worker starts with SIGINT blocked and then ignores it, but for uvicorn's graceful stop.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # uvicorn's own handler stands while it runs; this one after
    import uvicorn

    sock = _socket(host, port, shared=True)
    sock.listen(2048)
    server = uvicorn.Server(uvicorn.Config(create_app(config), host=host, port=port, **_UVICORN))
    gc.freeze()  # what the app holds for its life is never scanned again by the garbage collector
    supervisor = multiprocessing.parent_process()

    def orphaned() -> None:
        if supervisor is not None:
            wait([supervisor.sentinel])
            server.should_exit = True

    threading.Thread(target=orphaned, name="supervisor watch", daemon=True).start()
    server.run(sockets=[sock])


def _supervise(host: str, port: int, config: WebConfig, count: int, stop_event: threading.Event | None = None) -> None:
    """Start ``count`` workers; start another in place of one that stops; stop them all on Ctrl+C or SIGTERM.

    ``stop_event``, when set, stops them too (for a program that runs the supervisor itself).
    """
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    def start(first: bool) -> tuple[multiprocessing.process.BaseProcess, float, bool]:
        process = context.Process(target=_worker, args=(host, port, config), name="ldn-compound worker")
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # the worker keeps it blocked
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return process, time.monotonic(), first

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    running = [start(first=True) for _ in range(count)]
    try:
        while not stopping:
            wait([process.sentinel for process, _, _ in running], timeout=0.5)
            stopping = stopping or (stop_event is not None and stop_event.is_set())
            for index, (process, started, first) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                quick = time.monotonic() - started < _HEALTHY_SECONDS
                if quick and first:  # the server cannot start: say so rather than start it again and again
                    raise ServeError(
                        f"a worker process stopped as it started (exit code {process.exitcode}); see the messages above"
                    )
                sys.stderr.write(
                    f"ldn-compound: a worker process stopped (exit code {process.exitcode}); starting another\n"
                )
                if quick:  # a replacement that stopped at once: wait a little before the next
                    time.sleep(1.0)
                running[index] = start(first=False)
    finally:
        processes = [process for process, _, _ in running]

        def hurry(_signum: int, _frame: FrameType | None) -> None:  # Ctrl+C again: stop now
            for process in processes:
                if process.is_alive():
                    process.kill()

        for number in previous:
            signal.signal(number, hurry)
        try:
            _stop(processes)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


def _stop(processes: list[multiprocessing.process.BaseProcess]) -> None:
    """Ask each worker to stop (SIGTERM: uvicorn finishes the requests it has), then end any still running."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + _STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(5)
