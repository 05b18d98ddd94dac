"""Benchmark the batch register: recall by component lot and ``lots list`` with 10^3 … 10^6 batches.

Run on demand (not part of the test suite), from the repository root with the package installed:

    python bench/register.py                      # 10^3, 10^4, 10^5 and 10^6 batches
    python bench/register.py --sizes 1000 100000  # some sizes only
    python bench/register.py --no-write           # print only

It rewrites only its own section of docs/performance.md (between the ``bench:register``
markers).  For each size it makes a new SQLite register with the package's own schema and
fills it with that many batches in bulk: real batch documents (``ldn-capsules``, a few
strengths), two component lots each, statuses and prescriptions.  The bulk rows bypass
``Register.record`` (and so the audit trail): at about 5 ms a registration, a million would
take hours, and the queries measured here read neither.  Each figure is the best of several
runs of the Python call (``Register.recall``, ``Register.lots``), after one warm-up call.
The registrations themselves are measured by the concurrency test and by ``--record-rate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ldn_compound import calculate_batch  # noqa: E402
from ldn_compound.register import open_register  # noqa: E402
from ldn_compound.register import tables as t  # noqa: E402

#: Batches per API lot: a recall of one naltrexone lot finds this many batches.
PER_API_LOT = 400
#: Batches per filler lot.
PER_FILLER_LOT = 2000
TARGET_MS = 50.0
STATUSES = ["released"] * 17 + ["verified", "compounded", "prepared"]  # mostly released, as a working register is
START = dt.date(2020, 1, 1)


def best_ms(action: Callable[[], object], runs: int = 7) -> float:
    """The best wall time of ``runs`` calls, in milliseconds, after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        action()
        times.append(time.perf_counter() - begin)
    return min(times) * 1000


def fill(url: str, count: int) -> float:
    """Fill a new register at ``url`` with ``count`` batches; returns the seconds it took."""
    open_register(url).close()
    documents = []
    for strength in ("1.5 mg", "3 mg", "4.5 mg"):
        batch = calculate_batch("ldn-capsules", quantity=100, strength=strength, date="2026-03-01")
        documents.append(batch.to_dict())
    engine = sa.create_engine(url)
    begin = time.perf_counter()
    chunk = 20_000
    with engine.begin() as conn:
        for first in range(1, count + 1, chunk):
            rows, comps = [], []
            for n in range(first, min(first + chunk, count + 1)):
                day = START + dt.timedelta(days=n * 2000 // max(count, 1))
                lot = f"L{day.year}-{n:07d}"
                document = dict(documents[n % 3], lot_number=lot, compounding_date=day.isoformat())
                rows.append(
                    {
                        "id": n,
                        "lot_number": lot,
                        "status": STATUSES[n % len(STATUSES)],
                        "formula_id": "ldn-capsules" if n % 4 else "ldn-oral-liquid",
                        "formula_version": "1.0",
                        "compounding_date": day.isoformat(),
                        "registered_at": f"{day.isoformat()}T10:00:00.000000Z",
                        "registered_by": None,
                        "fingerprint": f"{n:012x}",
                        "quantity": "100 capsules",
                        "rx_number": f"RX{n:08d}",
                        "patient": f"Patient {n}",
                        "document": json.dumps(document, sort_keys=True),
                        "request": None,
                        "prescription": None,
                    }
                )
                comps.append(
                    {
                        "batch_id": n,
                        "component": "naltrexone-hcl",
                        "component_lot": f"NX{n // PER_API_LOT:06d}",
                        "expiry": None,
                        "manufacturer": "",
                    }
                )
                comps.append(
                    {
                        "batch_id": n,
                        "component": "mcc",
                        "component_lot": f"MC{n // PER_FILLER_LOT:06d}",
                        "expiry": None,
                        "manufacturer": "",
                    }
                )
            conn.execute(t.batches.insert(), rows)
            conn.execute(t.components.insert(), comps)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - begin


def measure(count: int, folder: Path) -> dict[str, object]:
    """Fill a register of ``count`` batches and time its queries."""
    path = folder / f"register-{count}.sqlite3"
    url = f"sqlite:///{path}"
    seconds = fill(url, count)
    size = path.stat().st_size + sum(p.stat().st_size for p in folder.glob(f"{path.name}-*"))
    middle = count // 2
    api_lot = f"NX{middle // PER_API_LOT:06d}"
    with open_register(url) as register:
        hits = len(register.recall(api_lot))
        figures = {
            "count": count,
            "fill_s": seconds,
            "size_mb": size / 1e6,
            "recall_hits": hits,
            "recall_ms": best_ms(lambda: register.recall(api_lot)),
            "recall_batch_ms": best_ms(lambda: register.recall(f"L{START.year}-{middle:07d}")),
            "recall_none_ms": best_ms(lambda: register.recall("NO-SUCH-LOT")),
            "list_ms": best_ms(lambda: register.lots(limit=100)),
            "list_status_ms": best_ms(lambda: register.lots(status="compounded", limit=100)),
            "list_filtered_ms": best_ms(
                lambda: register.lots(formula="ldn-oral-liquid", since="2024-06-01", status="verified", limit=100)
            ),
            "show_ms": best_ms(
                lambda: register.get(f"L{(START + dt.timedelta(days=middle * 2000 // count)).year}-{middle:07d}")
            ),
        }
    path.unlink()
    for extra in folder.glob(f"{path.name}-*"):
        extra.unlink()
    return figures


def record_rate(folder: Path, count: int = 200) -> float:
    """Milliseconds per ``Register.record`` (one process, SQLite, with its audit event)."""
    batch = calculate_batch("ldn-capsules", quantity=100, date="2026-03-01", lots=["naltrexone-hcl=NX1"])
    with open_register(folder / "rate.sqlite3") as register:
        register.record(batch)
        begin = time.perf_counter()
        for _ in range(count):
            register.record(batch)
        return (time.perf_counter() - begin) / count * 1000


def concurrency(url: str, folder: Path, writers: int = 8, each: int = 200) -> dict[str, object]:
    """``writers`` processes registering ``each`` batches at once: wall time and distinct lots."""
    import subprocess

    start = folder / "go"
    start.unlink(missing_ok=True)
    command = [sys.executable, "-m", "tests.register_worker", url, str(each), str(start)]
    workers = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(writers)
    ]
    time.sleep(3)  # let every worker import and open the register
    begin = time.perf_counter()
    start.touch()
    lots: list[str] = []
    for process in workers:
        out, err = process.communicate(timeout=3600)
        if process.returncode != 0:
            raise SystemExit(f"a worker failed: {err}")
        lots += out.split()
    seconds = time.perf_counter() - begin
    with open_register(url) as register:
        audit = register.verify_audit()
    return {"lots": len(lots), "distinct": len(set(lots)), "seconds": seconds, "audit": audit.ok}


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}"


def table(results: list[dict[str, object]]) -> str:
    head = (
        "| batches | fill | file | recall by API lot | recall by batch lot | recall, no match | lots list "
        "| list --status | list --status --formula --since | lots show |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = [
        f"| {r['count']:,} | {r['fill_s']:.1f} s | {r['size_mb']:,.0f} MB "
        f"| {r['recall_ms']:.2f} ms ({r['recall_hits']} batches) | {r['recall_batch_ms']:.2f} ms "
        f"| {r['recall_none_ms']:.2f} ms | {r['list_ms']:.2f} ms | {r['list_status_ms']:.2f} ms "
        f"| {r['list_filtered_ms']:.2f} ms | {r['show_ms']:.2f} ms |"
        for r in results
    ]
    return "\n".join([head, *rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--no-write", action="store_true", help="print the table; leave docs/performance.md")
    parser.add_argument("--no-concurrency", action="store_true", help="skip the 8 x 200 registrations")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ldn-bench-register-"))
    try:
        rate = record_rate(folder)
        engines = {}
        if not args.no_concurrency:
            engines["SQLite"] = concurrency(f"sqlite:///{folder / 'concurrent.sqlite3'}", folder)
            postgres = os.environ.get("LDN_TEST_POSTGRES_URL")
            if postgres:
                engine = sa.create_engine(postgres)
                with engine.begin() as conn:
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                    conn.exec_driver_sql("CREATE SCHEMA public")
                engine.dispose()
                engines["PostgreSQL"] = concurrency(postgres, folder)
            for name, figures in engines.items():
                print(name, figures, flush=True)
        results = []
        for count in args.sizes:
            results.append(measure(count, folder))
            print(table(results[-1:]).splitlines()[-1], flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    worst = max(r["recall_ms"] for r in results)  # type: ignore[type-var]
    text = (
        "## The batch register\n\n"
        "Measured by `python bench/register.py`: for each size a new SQLite register (WAL) is filled in bulk with "
        "real batch documents, two component lots per batch (one naltrexone lot per "
        f"{PER_API_LOT} batches, one filler lot per {PER_FILLER_LOT:,}), statuses and prescriptions; each figure "
        "is the best of 7 calls of the Python API after a warm-up. A recall reads the component-lot index "
        "and joins the batches by primary key; `lots list` walks the primary key (newest first), the status "
        "index or the (status, formula) index and stops at its limit (100), so neither grows much with the "
        "register. Filling is one bulk transaction per register (not `Register.record`).\n\n"
        f"Machine: {machine()}.\n\n"
        f"{table(results)}\n\n"
        f"Target: a recall by component lot under {TARGET_MS:.0f} ms with 1,000,000 batches; the slowest recall "
        f"measured was {worst:.2f} ms ({'met' if worst < TARGET_MS else 'NOT met'}). One registration "
        f"(`Register.record`, one process, with its audit event and hash chain) took {rate:.1f} ms; a "
        "registration waits for its commit to reach the disk (SQLite `synchronous=FULL` in WAL mode), so on "
        "this shared machine the time is mostly the disk's."
        + "".join(
            f"\n\nEight processes registering 200 batches each at once on {name}: {f['lots']:,} registrations, "
            f"{f['distinct']:,} distinct lots, in {f['seconds']:.0f} s; `audit verify` "
            f"{'passed' if f['audit'] else 'FAILED'} afterwards."
            for name, f in engines.items()
        )
    )
    print(text)
    if not args.no_write:
        from sections import write_section

        write_section("register", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
