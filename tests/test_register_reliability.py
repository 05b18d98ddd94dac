"""The register under load and under a kill: concurrent processes, SIGKILL mid-registration (both engines).

``LDN_TEST_REGISTER_WRITERS`` and ``LDN_TEST_REGISTER_EACH`` set the size of the concurrency test:
8 processes x 25 registrations by default, to keep the suite quick.  The full 8 x 200 = 1,600 lots
on both engines is run by ``python bench/register.py`` (about 90 s on SQLite and 160 s on
PostgreSQL on a loaded 2-core machine) and recorded in docs/performance.md; the same test with
``LDN_TEST_REGISTER_EACH=200`` passes too.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ldn_compound import calculate_batch
from ldn_compound.register import open_register

ROOT = Path(__file__).parent.parent
WRITERS = int(os.environ.get("LDN_TEST_REGISTER_WRITERS", "8"))
EACH = int(os.environ.get("LDN_TEST_REGISTER_EACH", "25"))


def worker(url: str, count: int, start: Path, pause: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.register_worker", url, str(count), str(start), str(pause)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_processes_get_distinct_lots(register_url, tmp_path):
    start = tmp_path / "go"
    workers = [worker(register_url, EACH, start) for _ in range(WRITERS)]
    start.touch()
    lots: list[str] = []
    for process in workers:
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0, err
        lots += out.split()
    assert len(lots) == WRITERS * EACH
    assert len(set(lots)) == WRITERS * EACH
    expected = {f"L2026-{n:06d}" for n in range(1, WRITERS * EACH + 1)}
    assert set(lots) == expected  # none lost, no gap
    with open_register(register_url) as register:
        assert {x.lot_number for x in register.lots()} == expected
        report = register.verify_audit()
        assert report.ok, report.problem
        assert (report.events, report.batches) == (WRITERS * EACH, WRITERS * EACH)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_kill_mid_registration_leaves_a_sound_register(register_url, tmp_path, seed):
    start = tmp_path / "go"
    start.touch()
    process = worker(register_url, 1000, start, pause=0.05)
    assert process.stdout is not None
    committed = [process.stdout.readline().strip() for _ in range(3)]
    time.sleep(random.Random(seed).uniform(0.0, 0.1))
    os.kill(process.pid, signal.SIGKILL)
    rest, _ = process.communicate(timeout=60)
    committed += rest.split()
    assert process.returncode == -signal.SIGKILL
    if register_url.startswith("sqlite"):
        path = register_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with open_register(register_url) as register:
        report = register.verify_audit()
        assert report.ok, report.problem
        held = [x.lot_number for x in register.lots()]
        # every lot reported is there, whole (its print, its event); at most one more that was not yet reported
        assert set(committed) <= set(held) and len(held) - len(committed) in {0, 1}
        for lot in held:
            assert register.print_kinds(lot) == ["record"]
            assert [e.kind for e in register.audit_log(lot)] == ["registered"]
        # and the register goes on from there
        assert register.record(calculate_batch("ldn-capsules", quantity=10, date="2026-05-01")) == (
            f"L2026-{len(held) + 1:06d}"
        )
