"""Load test of the HTTP API on loopback: POST /api/v1/calculate from 16 concurrent clients, and record PDFs.

Run on demand (not part of the test suite), from the repository root with the web extra installed:

    python bench/web.py              # 30 s of load a server; prints the table and rewrites its section of docs/performance.md
    python bench/web.py --seconds 5 --workers 2 --no-write

For each number of worker processes (``--workers``, default 1 and 2) it starts ``ldn-compound
serve --workers N`` on a free loopback port as its own process (the server as a pharmacy
runs it) and drives it with a bounded client: 16 keep-alive connections, each sending one
request at a time for a fixed time, each cycling through the four built-in formulas'
batches (BODIES, each client starting at another one); then a fixed number of record PDFs,
one at a time.  It reads the CPU time the server's processes used from /proc, so the CPU
a request costs is measured as well as its latency.  The client is asyncio on plain
sockets, so it takes little of the CPU the server needs.  Every request goes to 127.0.0.1
and the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from sections import write_section  # noqa: E402 - the benchmarks' one rule for docs/performance.md

CLIENTS = 16
BODY = {"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mg", "date": "2026-03-01"}
BODIES = (
    BODY,
    {"formula": "ldn-oral-liquid", "quantity": "120 mL", "strength": "1 mg/mL", "date": "2026-03-01"},
    {"formula": "ldn-capsules", "quantity": 32, "strength": "1.5 mg", "date": "2026-03-01"},  # with an aliquot
    {"formula": "ldn-sublingual-drops", "quantity": "30 mL", "strength": "10 mg/mL", "date": "2026-03-01"},
    {"formula": "ldn-topical-cream", "quantity": "60 g", "strength": "1 mg/g", "date": "2026-03-01"},
)
GOALS = {"p50": 10.0, "p99": 50.0, "record": 100.0}  # ms


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, register: str, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ldn_compound",
            "serve",
            "--workers",
            str(workers),
            "--port",
            str(port),
            "--pharmacy-config",
            str(ROOT / "docs/examples/pharmacy.toml"),
            "--register",
            register,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/formulas", timeout=2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def request_bytes(path: str, body: dict[str, object] | None) -> bytes:
    if body is None:
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    """Send one request on a keep-alive connection; read the whole response."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    match = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
    assert match is not None, head
    body = await reader.readexactly(int(match.group(1)))
    return status, body


async def client(port: int, requests: list[bytes], stop_at: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            status, _ = await exchange(reader, writer, requests[sent % len(requests)])
            sent += 1
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()
        await writer.wait_closed()


async def load(port: int, seconds: float, clients: int) -> tuple[list[float], list[int], float]:
    requests = [request_bytes("/api/v1/calculate", body) for body in BODIES]
    latencies: list[float] = []
    errors: list[int] = []
    begin = time.perf_counter()
    stop_at = begin + seconds
    await asyncio.gather(
        *(client(port, requests[i:] + requests[:i], stop_at, latencies, errors) for i in range(clients))
    )
    return latencies, errors, time.perf_counter() - begin


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) of ``pid`` and every process under it, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        times[child] = int(fields[11]) + int(fields[12])
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(times.get(member, 0) for member in tree) / tick


async def sequential(port: int, path: str, body: dict[str, object] | None, count: int) -> list[float]:
    request = request_bytes(path, body)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    times = []
    try:
        await exchange(reader, writer, request)  # warm-up
        for _ in range(count):
            start = time.perf_counter()
            status, data = await exchange(reader, writer, request)
            times.append(time.perf_counter() - start)
            assert 200 <= status < 300, data[:200]
    finally:
        writer.close()
        await writer.wait_closed()
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(value_ms: float, goal: float) -> str:
    return "met" if value_ms < goal else "**not met**"


@dataclasses.dataclass
class Run:
    """What one server (one number of workers) measured."""

    workers: int
    single: list[float]
    latencies: list[float]
    errors: list[int]
    elapsed: float
    cpu: float
    record: list[float]
    reprint: list[float]


def measure(workers: int, seconds: float, clients: int, records: int) -> Run:
    port = free_port()
    folder = tempfile.mkdtemp(prefix="ldn-bench-web-")
    server = start_server(port, str(Path(folder) / "register.sqlite3"), workers)
    try:
        asyncio.run(sequential(port, "/api/v1/calculate", BODIES[-1], 20))  # every worker warm on every formula
        single = asyncio.run(sequential(port, "/api/v1/calculate", BODY, 200))
        cpu_before = cpu_seconds(server.pid)
        latencies, errors, elapsed = asyncio.run(load(port, seconds, clients))
        cpu = cpu_seconds(server.pid) - cpu_before
        record = asyncio.run(sequential(port, "/api/v1/lots", BODY, records))
        reprint = asyncio.run(sequential(port, "/api/v1/lots/L2026-000001/record.pdf", None, records))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return Run(workers, single, latencies, errors, elapsed, cpu, record, reprint)


def rows(run: Run, clients: int, records: int) -> list[tuple[str, str, str, str]]:
    count = len(run.latencies)
    p50, p99 = percentile(run.latencies, 0.50), percentile(run.latencies, 0.99)
    name = f"{run.workers} worker{'s' if run.workers > 1 else ''}"
    return [
        (
            f"{name}: requests answered",
            (
                f"{count:,} in {run.elapsed:.1f} s, {count / run.elapsed:,.0f} requests/s; {len(run.errors)} not 200; "
                f"server CPU {run.cpu / count * 1000:.2f} ms a request"
            ),
            "",
            "",
        ),
        (f"{name}: `POST /api/v1/calculate`, {clients} clients: p50", ms(p50), "< 10 ms", verdict(p50 * 1000, 10.0)),
        (f"{name}: `POST /api/v1/calculate`, {clients} clients: p99", ms(p99), "< 50 ms", verdict(p99 * 1000, 50.0)),
        (
            f"{name}: `POST /api/v1/calculate`, one client: p50 / p99",
            f"{ms(percentile(run.single, 0.5))} / {ms(percentile(run.single, 0.99))}",
            "",
            "",
        ),
        (
            f"{name}: `POST /api/v1/lots`, register a batch and print its record, one client ({records}): p50 / p99",
            f"{ms(percentile(run.record, 0.5))} / {ms(percentile(run.record, 0.99))}",
            "< 100 ms",
            verdict(percentile(run.record, 0.5) * 1000, GOALS["record"]),
        ),
        (
            f"{name}: `GET /api/v1/lots/LOT/record.pdf`, the stored record again, one client ({records}): p50 / p99",
            f"{ms(percentile(run.reprint, 0.5))} / {ms(percentile(run.reprint, 0.99))}",
            "< 100 ms",
            verdict(percentile(run.reprint, 0.5) * 1000, GOALS["record"]),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load (default 30)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients (default 16)")
    parser.add_argument("--records", type=int, default=50, help="record PDFs to time (default 50)")
    parser.add_argument("--workers", default="1,2", help="the numbers of server processes to measure (default 1,2)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    if not 0 < args.seconds <= 300 or not 0 < args.clients <= 64 or not 0 < args.records <= 1000:
        parser.error("--seconds at most 300, --clients at most 64, --records at most 1000")
    try:
        counts = [int(text) for text in args.workers.split(",")]
    except ValueError:
        parser.error("--workers: numbers separated by commas, e.g. 1,2")
    if not counts or not all(1 <= n <= 8 for n in counts):
        parser.error("--workers: from 1 to 8 each")

    load_before = os.getloadavg()[0]
    runs = [measure(n, args.seconds, args.clients, args.records) for n in counts]
    table = ["| measurement | result | goal | |", "|---|---|---|---|"]
    for run in runs:
        table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(run, args.clients, args.records)]
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load_before:.1f} before the runs and {os.getloadavg()[0]:.1f} after them"
    )
    mix = "; ".join(f"`{json.dumps(body)}`" for body in BODIES)
    best = min(runs, key=lambda run: percentile(run.latencies, 0.5))
    cpu_ms = best.cpu / len(best.latencies) * 1000
    section = "\n".join(
        [
            "## The HTTP API under load",
            "",
            (
                f"Measured by `python bench/web.py`: `ldn-compound serve --workers N` on a free loopback port, for "
                f"each N; {args.clients} keep-alive clients each sending `POST /api/v1/calculate` one after another "
                f"for {args.seconds:.0f} s, each going round these batches (each client starting at another): {mix}. "
                "Then, one at a time, batches registered with their record (`POST /api/v1/lots`) and a stored "
                "record printed again. The one-client row sends the first body only. The server CPU is what its "
                "processes used during the load (from /proc), over the requests answered. The clients run in "
                f"another process on the same machine and share its cores with the server. Machine: {machine}."
            ),
            "",
            *table,
            "",
            (
                f"With {args.clients} clients and a server kept busy, a request waits for the ones ahead of it: the "
                "latency under load is about the number of clients times the server's CPU for a request, divided by "
                f"the cores it has. Here a request costs the server {cpu_ms:.2f} ms of CPU "
                f"({best.workers} worker{'s' if best.workers > 1 else ''}), so {args.clients} clients on "
                f"{os.cpu_count()} cores wait about {args.clients} × {cpu_ms:.2f} ms ÷ {os.cpu_count()} = "
                f"{args.clients * cpu_ms / (os.cpu_count() or 1):.1f} ms at best, while the load's own client takes "
                "some of those cores too. One worker uses one core; on a machine with more cores, more workers "
                "divide the wait further."
            ),
        ]
    )
    print(section)
    if not args.no_write:
        write_section("web", section)


if __name__ == "__main__":
    main()
