"""Rendering from several threads at once gives the same bytes as rendering one after another.

Each check runs in a fresh interpreter, so the threads race for the first use of the
fonts (registration is the part that must be done once, under a lock).
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap

import pytest

_SCRIPT = textwrap.dedent(
    """
    import hashlib, io, sys, threading
    import ldn_compound
    from ldn_compound.render.record import render_batch_record
    from ldn_compound.render.labels import render_labels

    batches = [
        ldn_compound.calculate_batch(f, quantity=q, date="2026-03-01", lot_number=f"T{n}")
        for n, (f, q) in enumerate(
            [("ldn-capsules", 30), ("ldn-oral-liquid", "120 mL"), ("ldn-sublingual-drops", "30 mL"),
             ("ldn-topical-cream", "30 g")] * 2
        )
    ]

    def render(batch):
        out = io.BytesIO()
        render_batch_record(batch, out)
        render_labels(batch, out)
        return hashlib.sha256(out.getvalue()).hexdigest()

    if sys.argv[1] == "threads":
        results = [None] * len(batches)
        start = threading.Barrier(len(batches))

        def work(i):
            start.wait()
            results[i] = render(batches[i])

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batches))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        results = [render(b) for b in batches]
    print(" ".join(results))
    """
)


@functools.cache
def _digests(mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.split()


@pytest.mark.parametrize("attempt", range(4))
def test_first_renders_in_eight_threads_match_the_sequential_renders(attempt: int) -> None:
    threaded = _digests.__wrapped__("threads")
    assert threaded == _digests("sequential"), f"attempt {attempt}"
