"""A process that registers batches, for the concurrency and kill tests of the register.

``python -m tests.register_worker URL COUNT START_FILE [PAUSE]``: waits until START_FILE exists
(so that every worker starts at once), registers COUNT batches and prints each lot as it is
committed.  With PAUSE (seconds), each registration renders its "documents" that long, inside
its transaction, so a kill lands mid-registration.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ldn_compound import calculate_batch
from ldn_compound.register import open_register


def main(url: str, count: int, start: Path, pause: float = 0.0) -> None:
    batch = calculate_batch(
        "ldn-capsules", quantity=100, date="2026-03-01", lots=["naltrexone-hcl=NX1", f"mcc=P{Path(url).name[-6:]}"]
    )

    def prints(stamped: object) -> dict[str, bytes]:
        time.sleep(pause)
        return {"record": b"%PDF-1.4 " + str(getattr(stamped, "lot_number", "")).encode() * 100}

    with open_register(url) as register:
        while not start.exists():
            time.sleep(0.01)
        for _ in range(count):
            lot = register.record(batch, prints=prints)
            sys.stdout.write(lot + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
