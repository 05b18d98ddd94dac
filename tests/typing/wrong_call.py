"""Deliberately wrong calls: mypy --strict must report each line marked ``# wrong``."""

from __future__ import annotations

import ldn_compound

batch = ldn_compound.calculate_batch("ldn-capsules", quantity=30)
ldn_compound.render_labels(batch, 12345)  # wrong: an int is not a path or a binary stream
ldn_compound.render_batch_record("ldn-capsules", "record.pdf")  # wrong: a formula id is not a batch
ldn_compound.calculate_batch("ldn-capsules", quantity=[30])  # wrong: a list is not a quantity
