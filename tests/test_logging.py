"""The library logs to the ``ldn_compound`` logger at DEBUG level, and prints nothing unless the application configures logging."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

import ldn_compound


def test_a_calculation_and_a_file_write_are_logged(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    with caplog.at_level(logging.DEBUG, logger="ldn_compound"):
        batch = ldn_compound.calculate_batch(
            "ldn-capsules", quantity=30, date="2026-03-01", lot_number="LOG1", lots=["mcc=M1:2027-06"]
        )
        ldn_compound.render_labels(batch, tmp_path / "labels.pdf")
    messages = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    calculated = [text for name, level, text in messages if name == "ldn_compound.batch" and level == logging.DEBUG]
    assert len(calculated) == 1
    assert calculated[0].startswith("calculated ldn-capsules v")
    assert calculated[0].endswith("lot LOG1, 0 warning(s)")
    assert any(
        name == "ldn_compound.render._pdf" and text.startswith(f"wrote {tmp_path / 'labels.pdf'} (")
        for name, _, text in messages
    )


def test_nothing_is_printed_without_logging_configured() -> None:
    code = (
        "import logging, ldn_compound; logging.lastResort.setLevel(logging.DEBUG); "
        "ldn_compound.calculate_batch('ldn-capsules', quantity=30, date='2026-03-01')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert (done.stdout, done.stderr) == ("", "")
