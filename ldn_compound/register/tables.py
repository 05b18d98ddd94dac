"""The register's tables (SQLAlchemy Core), as the newest migration leaves them.

Dates and times are ISO 8601 text (UTC, ending in ``Z``) so that they sort and read the
same on every database; documents are JSON text as :func:`ldn_compound.jsonio.dumps`
writes it.  The migrations in ``migrations/versions`` create these tables; a change here
needs a new migration.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "api_tokens",
    "audit_head",
    "batches",
    "components",
    "events",
    "lot_counters",
    "metadata",
    "prints",
    "signatures",
    "users",
    "weights",
]

metadata = MetaData()

batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lot_number", String(40), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("formula_id", String(100), nullable=False),
    Column("formula_version", String(40), nullable=False),
    Column("compounding_date", String(10), nullable=False),
    Column("registered_at", String(32), nullable=False),
    Column("registered_by", String(100)),
    Column("fingerprint", String(12), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("rx_number", String(100)),
    Column("patient", String(200)),
    Column("document", Text, nullable=False),
    Column("request", Text),
    Column("prescription", Text),
    Index("ix_batches_status", "status"),
    Index("ix_batches_formula_id", "formula_id"),
    Index("ix_batches_compounding_date", "compounding_date"),
    Index("ix_batches_rx_number", "rx_number"),
    Index("ix_batches_status_formula_id", "status", "formula_id"),
)

components = Table(
    "batch_components",
    metadata,
    Column("batch_id", Integer, ForeignKey("batches.id"), primary_key=True),
    Column("component", String(100), primary_key=True),
    Column("component_lot", String(100), nullable=False),
    Column("expiry", String(10)),
    Column("manufacturer", String(200), nullable=False, default=""),
    Index("ix_batch_components_component_lot", "component_lot"),
)

prints = Table(
    "prints",
    metadata,
    Column("batch_id", Integer, ForeignKey("batches.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

lot_counters = Table(
    "lot_counters",
    metadata,
    Column("prefix", String(200), primary_key=True),
    Column("last", Integer, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("lot_number", String(40)),
    Column("user_name", String(100)),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_events_lot_number", "lot_number"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("pin_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("created_at", String(32), nullable=False),
)

weights = Table(
    "weights",
    metadata,
    Column("batch_id", Integer, ForeignKey("batches.id"), primary_key=True),
    Column("line_id", String(100), primary_key=True),
    Column("amount", String(40), nullable=False),
    Column("expected", String(40), nullable=False),
    Column("low", String(40), nullable=False),
    Column("high", String(40), nullable=False),
    Column("within", Boolean, nullable=False),
    Column("entered_by", String(100), nullable=False),
    Column("entered_at", String(32), nullable=False),
    Column("accepted_by", String(100)),
    Column("accepted_at", String(32)),
    Column("accepted_reason", Text),
)

signatures = Table(
    "signatures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("meaning", String(40), nullable=False),
    Column("signed_at", String(32), nullable=False),
    Column("signed_at_local", String(40), nullable=False),
    Column("fingerprint", String(12), nullable=False),
    Column("reason", Text),
    Index("ix_signatures_batch_id", "batch_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
)
