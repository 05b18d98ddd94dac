"""What ``POST /api/v1/calculate`` costs in-process: one request's calculation and its JSON, per formula.

Run on demand (not part of the test suite), from the repository root with the package installed:

    python bench/calc.py                 # the table: run_batch, to_json and both, best of several runs
    python bench/calc.py --profile ldn-capsules   # where the time goes (cProfile), for one formula

Each figure is the best (shortest) mean over ``--loops`` calls, of ``--repeat`` repeats: noise
on a shared machine only adds time.  The bodies are those the web API receives.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

BODIES: dict[str, dict[str, Any]] = {
    "ldn-capsules": {"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mg", "date": "2026-03-01"},
    "ldn-capsules (aliquot)": {"formula": "ldn-capsules", "quantity": 32, "strength": "1.5 mg", "date": "2026-03-01"},
    "ldn-oral-liquid": {
        "formula": "ldn-oral-liquid",
        "quantity": "120 mL",
        "strength": "1 mg/mL",
        "date": "2026-03-01",
    },
    "ldn-sublingual-drops": {"formula": "ldn-sublingual-drops", "quantity": "30 mL", "date": "2026-03-01"},
    "ldn-topical-cream": {"formula": "ldn-topical-cream", "quantity": "30 g", "date": "2026-03-01"},
}


def best_ms(action: Callable[[], object], loops: int, repeat: int) -> float:
    """The best mean time of ``loops`` calls of ``action``, in ms, after a warm-up call."""
    action()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            action()
        best = min(best, (time.perf_counter() - start) / loops)
    return best * 1000


def main() -> int:
    """Print the table, or a profile of one formula."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", choices=sorted(BODIES), help="profile one body instead")
    args = parser.parse_args()

    from ldn_compound import service

    def calculate(body: dict[str, Any]) -> Any:
        return service.run_batch(service.request_from_mapping(body, record=False, labels=False))

    if args.profile:
        body = BODIES[args.profile]
        calculate(body).result.to_json()
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.loops):
            calculate(body).result.to_json()
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)
        return 0

    print(f"{'body':<26} {'run_batch':>10} {'to_json':>10} {'both':>10}")
    for name, body in BODIES.items():
        outcome = calculate(body)
        run_ms = best_ms(lambda b=body: calculate(b), args.loops, args.repeat)
        json_ms = best_ms(outcome.result.to_json, args.loops, args.repeat)
        both_ms = best_ms(lambda b=body: calculate(b).result.to_json(), args.loops, args.repeat)
        print(f"{name:<26} {run_ms:>8.3f}ms {json_ms:>8.3f}ms {both_ms:>8.3f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
