"""Users with hashed PINs, the actual amounts weighed, and e-signatures.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of this revision."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("pin_hash", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "weights",
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), primary_key=True),
        sa.Column("line_id", sa.String(100), primary_key=True),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("expected", sa.String(40), nullable=False),
        sa.Column("low", sa.String(40), nullable=False),
        sa.Column("high", sa.String(40), nullable=False),
        sa.Column("within", sa.Boolean, nullable=False),
        sa.Column("entered_by", sa.String(100), nullable=False),
        sa.Column("entered_at", sa.String(32), nullable=False),
        sa.Column("accepted_by", sa.String(100)),
        sa.Column("accepted_at", sa.String(32)),
        sa.Column("accepted_reason", sa.Text),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("meaning", sa.String(40), nullable=False),
        sa.Column("signed_at", sa.String(32), nullable=False),
        sa.Column("signed_at_local", sa.String(40), nullable=False),
        sa.Column("fingerprint", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_signatures_batch_id", "signatures", ["batch_id"])
