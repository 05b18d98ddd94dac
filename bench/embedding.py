"""Throughput of an embedding application: batches calculated and rendered per second by 1, 2 and 4 processes.

Each job calculates a batch (the four built-in formulas in turn) and renders its compounding
record and labels into memory, as a pharmacy system embedding the library would. The same
number of jobs runs with 1, 2 and 4 worker processes (``concurrent.futures``); the machine
has the cores ``os.cpu_count()`` reports, so more workers than cores only add switching.

    python bench/embedding.py            # prints the table and rewrites its section of docs/performance.md
    python bench/embedding.py --no-write
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sections import write_section

JOBS = (
    ("ldn-capsules", 30),
    ("ldn-oral-liquid", "120 mL"),
    ("ldn-sublingual-drops", "30 mL"),
    ("ldn-topical-cream", "30 g"),
)


def job(number: int) -> int:
    """Calculate one batch and render its record and labels in memory; return the bytes made."""
    import ldn_compound

    formula, quantity = JOBS[number % len(JOBS)]
    batch = ldn_compound.calculate_batch(formula, quantity=quantity, date="2026-03-01", lot_number=f"E{number}")
    record, labels = io.BytesIO(), io.BytesIO()
    ldn_compound.render_batch_record(batch, record)
    ldn_compound.render_labels(batch, labels)
    return len(record.getvalue()) + len(labels.getvalue())


def warm(_: int) -> int:
    """Import and render once in a worker, so start-up is not counted."""
    return job(0)


def throughput(workers: int, jobs: int) -> float:
    """Jobs per second with ``workers`` processes (each warmed up first)."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(warm, range(workers)))
        start = time.perf_counter()
        list(pool.map(job, range(jobs), chunksize=4))
        return jobs / (time.perf_counter() - start)


def main() -> int:
    """Measure 1, 2 and 4 workers; print the table and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="jobs per measurement (default 200)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md as it is")
    args = parser.parse_args()
    rows = []
    single = None
    for workers in (1, 2, 4):
        rate = max(throughput(workers, args.jobs) for _ in range(2))
        single = single or rate
        rows.append(f"| {workers} | {rate:.1f} batches/s | {rate / single:.2f} × |")
    table = "\n".join(["| worker processes | calculated + record + labels | speed-up |", "|---|---|---|", *rows])
    print(table)
    if not args.no_write:
        write_section(
            "embedding",
            "## Embedding: throughput by worker processes\n\n"
            f"Measured by `python bench/embedding.py` ({args.jobs} jobs each, best of two runs, on {os.cpu_count()} "
            "cores): each job calculates a batch of one of the four built-in formulas and renders its compounding "
            "record and labels into memory.\n\n"
            f"{table}\n\n"
            "One process is the library's speed; processes scale with the cores there are, and more processes than "
            "cores add nothing. Threads are safe (the renderers share only the font registry, set up once under a "
            "lock) but the work is pure Python, so within one process they take turns.",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
