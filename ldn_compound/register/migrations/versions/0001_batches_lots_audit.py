"""Batches, their component lots and prints, lot counters and the audit trail.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of this revision."""
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("lot_number", sa.String(40), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("formula_id", sa.String(100), nullable=False),
        sa.Column("formula_version", sa.String(40), nullable=False),
        sa.Column("compounding_date", sa.String(10), nullable=False),
        sa.Column("registered_at", sa.String(32), nullable=False),
        sa.Column("registered_by", sa.String(100)),
        sa.Column("fingerprint", sa.String(12), nullable=False),
        sa.Column("quantity", sa.String(40), nullable=False),
        sa.Column("rx_number", sa.String(100)),
        sa.Column("patient", sa.String(200)),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("request", sa.Text),
        sa.Column("prescription", sa.Text),
    )
    op.create_index("ix_batches_status", "batches", ["status"])
    op.create_index("ix_batches_formula_id", "batches", ["formula_id"])
    op.create_index("ix_batches_compounding_date", "batches", ["compounding_date"])
    op.create_index("ix_batches_rx_number", "batches", ["rx_number"])
    op.create_table(
        "batch_components",
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), primary_key=True),
        sa.Column("component", sa.String(100), primary_key=True),
        sa.Column("component_lot", sa.String(100), nullable=False),
        sa.Column("expiry", sa.String(10)),
        sa.Column("manufacturer", sa.String(200), nullable=False),
    )
    op.create_index("ix_batch_components_component_lot", "batch_components", ["component_lot"])
    op.create_table(
        "prints",
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "lot_counters",
        sa.Column("prefix", sa.String(200), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("lot_number", sa.String(40)),
        sa.Column("user_name", sa.String(100)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_events_lot_number", "events", ["lot_number"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(
        sa.table("audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer), sa.column("hash", sa.String)),
        [{"id": 1, "seq": 0, "hash": "0" * 64}],
    )
