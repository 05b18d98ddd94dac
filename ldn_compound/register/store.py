"""The batch register on a database: lots, lifecycle, actual amounts, users, signatures, audit trail.

Use :func:`ldn_compound.register.open_register`; this module imports SQLAlchemy.
Every change runs in one transaction that also appends its audit event, so a batch
and its history are either both written or neither.  Writers are serialized (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: a row lock on the audit trail's head), which also
makes the lot counter and the hash chain safe with several processes at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import sqlite3
import string
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Self

import attrs
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from ldn_compound.exceptions import InputError, LDNError, QuantityError
from ldn_compound.model import BatchResult, Prescription
from ldn_compound.register import tables as t
from ldn_compound.register.errors import (
    ForbiddenTransitionError,
    LotExistsError,
    NotPermittedError,
    PinLockedError,
    RegisterError,
    RegisterUnavailableError,
    RegisterVersionError,
    UnknownLotError,
    UnknownUserError,
    UserDisabledError,
    UserExistsError,
    VerificationBlockedError,
    WrongPinError,
)
from ldn_compound.register.lifecycle import ACTIONS, REASON_REQUIRED, Action, Role, Status, allowed_actions
from ldn_compound.settings import Settings, default_settings

__all__ = [
    "ENV_VAR",
    "HEAD_REVISION",
    "AuditReport",
    "Event",
    "LotRecord",
    "LotSummary",
    "RecallHit",
    "Register",
    "Signature",
    "User",
    "Weight",
    "default_path",
    "open_register",
    "resolve_url",
]

#: The environment variable that names the register when none is given.
ENV_VAR = "LDN_COMPOUND_REGISTER"
#: The schema revision this version of ldn_compound writes (the newest migration).
HEAD_REVISION = "0004"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004")
_GENESIS = "0" * 64
_LOT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
_PG_MIGRATION_LOCK = 0x4C444E  # "LDN": one migration at a time on a PostgreSQL register


# --------------------------------------------------------------------------- values returned


@attrs.frozen
class Weight:
    """An actual amount entered for a line, with the range it had to fall in."""

    line: str
    amount: str
    expected: str
    low: str
    high: str
    within: bool
    entered_by: str
    entered_at: str
    accepted_by: str | None = None
    accepted_at: str | None = None
    accepted_reason: str | None = None

    @property
    def ok(self) -> bool:
        """Within tolerance, or accepted by a pharmacist."""
        return self.within or self.accepted_by is not None


@attrs.frozen
class Signature:
    """An e-signature: who, in what role, when (UTC and local), what it means, on which document."""

    user: str
    role: str
    meaning: str
    signed_at: str
    signed_at_local: str
    fingerprint: str
    reason: str | None = None


@attrs.frozen
class LotSummary:
    """One line of ``lots list``."""

    lot_number: str
    status: str
    formula_id: str
    compounding_date: str
    quantity: str
    rx_number: str | None
    patient: str | None
    registered_at: str


@attrs.frozen
class RecallHit:
    """A registered batch found by a recall, and the component lot that matched."""

    lot_number: str
    status: str
    formula_id: str
    compounding_date: str
    quantity: str
    rx_number: str | None
    patient: str | None
    component: str | None
    component_lot: str


@attrs.frozen
class LotRecord:
    """Everything the register holds for a batch."""

    lot_number: str
    status: str
    formula_id: str
    formula_version: str
    compounding_date: str
    registered_at: str
    registered_by: str | None
    fingerprint: str
    quantity: str
    rx_number: str | None
    patient: str | None
    document: dict[str, Any]
    request: dict[str, Any] | None
    prescription: dict[str, Any] | None
    prints: dict[str, str]  # kind → SHA-256 of the bytes first printed
    weights: tuple[Weight, ...]
    signatures: tuple[Signature, ...]

    @property
    def batch(self) -> BatchResult:
        """The batch rebuilt from its stored document (no recalculation)."""
        return BatchResult.from_dict(self.document)

    @property
    def prescription_value(self) -> Prescription | None:
        """The stored prescription as a :class:`~ldn_compound.model.Prescription` (its sig is the batch's)."""
        rx = self.prescription
        if rx is None:
            return None
        from ldn_compound.jsonio import _read_q
        from ldn_compound.model import TitrationStep

        return Prescription(
            number=rx["number"],
            patient=rx["patient"],
            prescriber=rx["prescriber"],
            directions=rx["directions"],
            date_filled=None if rx["date_filled"] is None else dt.date.fromisoformat(rx["date_filled"]),
            refills=rx["refills"],
            quantity=None if rx["quantity"] is None else _read_q(rx["quantity"], "quantity"),
            titration=tuple(TitrationStep(_read_q(t["dose"], "dose"), t["days"]) for t in rx["titration"]),
            sig=self.batch.directions,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: the stored batch document with the register's status, weights and signatures."""
        return {
            "schema": "ldn-compound/lot/1",
            "lot_number": self.lot_number,
            "status": self.status,
            "formula": {"id": self.formula_id, "version": self.formula_version},
            "compounding_date": self.compounding_date,
            "registered_at": self.registered_at,
            "registered_by": self.registered_by,
            "fingerprint": self.fingerprint,
            "quantity": self.quantity,
            "prescription": self.prescription,
            "request": None if self.request is None else kept_request(self.request),
            "prints": [{"kind": kind, "sha256": sha} for kind, sha in sorted(self.prints.items())],
            "weights": [attrs.asdict(w) for w in self.weights],
            "signatures": [attrs.asdict(s) for s in self.signatures],
            "next_actions": [a.value for a in allowed_actions(Status(self.status))],
            "batch": self.document,
        }


@attrs.frozen
class User:
    """A user of the register (the PIN hash is never returned)."""

    name: str
    role: str
    disabled: bool
    failures: int
    created_at: str


@attrs.frozen
class Event:
    """One audit event."""

    seq: int
    at: str
    kind: str
    lot_number: str | None
    user: str | None
    data: dict[str, Any]
    hash: str


@attrs.frozen
class AuditReport:
    """What ``audit verify`` found: ``ok``, how much it checked, and the first problem."""

    ok: bool
    events: int
    batches: int
    users: int
    problem: str | None = None
    event: int | None = None


# --------------------------------------------------------------------------- helpers


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canon(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _event_hash(*fields: object) -> str:
    """The hash of an event: its sequence number, time, kind, lot, user, data and the previous hash."""
    return _sha(_canon(list(fields)))


def _mask(url: str) -> str:
    """A database URL with its password hidden, whether or not the URL can be parsed.

    Everything between ``scheme://user:`` and the last ``@`` is the password, so one with
    ``@`` or ``#`` in it is hidden whole: ``postgresql+psycopg://ldn:***@db/ldn``.
    """
    scheme, separator, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not separator or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def _scrub(text: str, url: str) -> str:
    """``text`` (a driver's message) without the URL's password or any piece of it a parser split off."""
    userinfo = url.partition("://")[2].rpartition("@")[0]
    password = userinfo.partition(":")[2]
    for piece in sorted({password, *password.split("@")}, key=len, reverse=True):
        if len(piece) >= 3:
            text = text.replace(piece, "***")
    return text


def default_path() -> Path:
    """The default register: ``register.sqlite3`` in the user's data directory (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("ldn-compound", appauthor=False)) / "register.sqlite3"


def resolve_url(url: str | os.PathLike[str] | None = None) -> str:
    """The database URL of a register given as a URL, a file path, ``$LDN_COMPOUND_REGISTER`` or nothing."""
    text = None if url is None else str(url).strip()
    if not text:
        text = os.environ.get(ENV_VAR, "").strip() or None
    if text is None:
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().absolute()}"


#: Request fields a register never keeps: where it is kept (a database URL may hold a password) and the
#: paths of the computer's own files, which the lot's document and record already reflect.
_NOT_KEPT: Final = frozenset({"register", "formula_dir", "pharmacy_config", "sig_codes"})


def kept_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """A batch request as the register keeps and shows it: without :data:`_NOT_KEPT`.

    A register of 0.2.0 stored those fields, so a lot's document drops them too.
    """
    return {key: value for key, value in request.items() if key not in _NOT_KEPT}


def _prescription_dict(prescription: Prescription | None) -> dict[str, Any] | None:
    if prescription is None:
        return None
    from ldn_compound.units import format_amount

    return {
        "number": prescription.number,
        "patient": prescription.patient,
        "prescriber": prescription.prescriber,
        "directions": prescription.directions,
        "date_filled": None if prescription.date_filled is None else prescription.date_filled.isoformat(),
        "refills": prescription.refills,
        "quantity": None if prescription.quantity is None else format_amount(prescription.quantity),
        "titration": [{"dose": format_amount(step.dose), "days": step.days} for step in prescription.titration],
    }


def _check_pattern(pattern: str) -> None:
    """A lot pattern must use ``{seq}`` and only the known fields, and make a valid lot number."""
    rule = "use {seq} and only {year}, {yy}, {month}, and make 1 to 40 letters, digits, '.', '_', '/' or '-'"
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError:
        raise InputError("lot pattern", pattern, rule, code="invalid-lot-pattern") from None
    if "seq" not in fields or not fields <= {"seq", "year", "yy", "month"}:
        raise InputError("lot pattern", pattern, rule, code="invalid-lot-pattern")
    try:
        sample = pattern.format(seq=123, year="2026", yy="26", month="03")
    except (ValueError, IndexError, KeyError):
        raise InputError("lot pattern", pattern, rule, code="invalid-lot-pattern") from None
    if not _LOT_RE.fullmatch(sample):
        raise InputError("lot pattern", pattern, rule, code="invalid-lot-pattern")


# --------------------------------------------------------------------------- opening


def _make_engine(url: str) -> Engine:
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise InputError(
            "register", _mask(url), "be a database URL (sqlite:///…, postgresql+psycopg://…) or a file path"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in {"", ":memory:"} or database.startswith("file:"):
            raise InputError("register", url, "name a database file")
        folder = Path(database).parent
        if not folder.is_dir():
            raise RegisterUnavailableError(f"register {url} cannot be opened: the folder {folder} does not exist")
        engine = sa.create_engine(parsed, connect_args={"timeout": 60})

        @sa_event.listens_for(engine, "connect")
        def _connect(dbapi: Any, _record: Any) -> None:
            dbapi.isolation_level = None  # transactions are begun below, as BEGIN IMMEDIATE for writers
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA busy_timeout = 60000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @sa_event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("ldn_write") else "BEGIN")

        return engine
    if backend == "postgresql":
        try:
            return sa.create_engine(parsed, connect_args={"connect_timeout": 10}, pool_pre_ping=True)
        except ImportError as error:  # pragma: no cover - psycopg is a dependency
            raise RegisterUnavailableError(f"register {_mask(url)} needs a driver: {error}") from None
    raise InputError("register", _mask(url), "be a SQLite file or a PostgreSQL URL (postgresql+psycopg://…)")


def _current_revision(conn: Connection) -> str | None:
    inspector = sa.inspect(conn)
    if not inspector.has_table("alembic_version"):
        if inspector.has_table("batches"):
            raise RegisterVersionError("the database has batches but no schema version: it is not a register")
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _backup_sqlite(database: str, revision: str) -> Path:
    """Copy a SQLite register before migrating it: ``NAME.rREV-YYYYMMDDTHHMMSSZ.bak`` beside it."""
    source = Path(database)
    target = source.with_name(f"{source.name}.r{revision}-{_now():%Y%m%dT%H%M%SZ}.bak")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def _migrate(engine: Engine) -> list[str]:
    """Bring the schema to :data:`HEAD_REVISION`; refuse a newer one.  Returns what was done."""
    done: list[str] = []
    with engine.connect() as conn, conn.begin():
        revision = _current_revision(conn)
    if revision == HEAD_REVISION:
        return done
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise RegisterVersionError(
            f"the register's schema {revision} is newer than this ldn_compound knows ({HEAD_REVISION}): "
            "upgrade ldn_compound to use it"
        )
    from alembic import command
    from alembic.config import Config

    with engine.connect().execution_options(ldn_write=True) as conn, conn.begin():
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        revision = _current_revision(conn)  # again, now that no one else can migrate
        if revision == HEAD_REVISION:
            return done
        if revision is not None and engine.dialect.name == "sqlite":
            database = engine.url.database
            assert database is not None
            done.append(f"backup {_backup_sqlite(database, revision)}")
        config = Config()
        config.set_main_option("script_location", "ldn_compound.register:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, HEAD_REVISION)
        done.append(f"migrated {revision or 'new'} -> {HEAD_REVISION}")
    return done


def open_register(
    url: str | os.PathLike[str] | None = None,
    *,
    settings: Settings | None = None,
    pin_hasher: Any = None,
) -> Register:
    """Open (and on first use create) the register at ``url``.

    ``url`` is a database URL (``postgresql+psycopg://user@host/db``, ``sqlite:///path``)
    or a file path; without one, ``$LDN_COMPOUND_REGISTER``, else ``register.sqlite3``
    in the user's data directory.  An older schema is migrated (a SQLite file is copied
    first, beside it); a newer one is refused with :class:`~ldn_compound.register.errors.RegisterVersionError`; a
    database that cannot be reached raises :class:`~ldn_compound.register.errors.RegisterUnavailableError`.
    """
    resolved = resolve_url(url)
    settings = settings or default_settings()
    _check_pattern(settings.lot_pattern)
    engine = _make_engine(resolved)
    try:
        migrated = _migrate(engine)
    except LDNError:
        engine.dispose()
        raise
    except (sa.exc.DBAPIError, sqlite3.Error, OSError) as error:
        engine.dispose()
        reason = _scrub(_reason(error), resolved)
        raise RegisterUnavailableError(f"register {_mask(resolved)} cannot be opened: {reason}") from None
    return Register(engine, resolved, settings, pin_hasher=pin_hasher, migrated=migrated)


def _reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


# --------------------------------------------------------------------------- the register


class Register:
    """A batch register on a database; get one with :func:`open_register`.

    Usable as a context manager (closes its connections on exit).
    """

    def __init__(
        self,
        engine: Engine,
        url: str,
        settings: Settings,
        *,
        pin_hasher: Any = None,
        migrated: Sequence[str] = (),
    ) -> None:
        self._engine = engine
        self.url = _mask(url)
        self.settings = settings
        self.migrated = tuple(migrated)
        self._hasher = pin_hasher or _pin_hasher()

    # ----------------------------------------------------------------- plumbing

    def close(self) -> None:
        """Close the register's connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self._engine.dialect.name)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn, conn.begin():
                yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            raise RegisterUnavailableError(f"register {self.url}: {_reason(error)}") from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction; writers wait for each other (the audit head is locked first)."""
        try:
            with self._engine.connect().execution_options(ldn_write=True) as conn, conn.begin():
                conn.execute(sa.select(t.audit_head.c.seq).where(t.audit_head.c.id == 1).with_for_update())
                yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            raise RegisterUnavailableError(f"register {self.url}: {_reason(error)}") from None

    def _event(self, conn: Connection, kind: str, lot: str | None, user: str | None, data: dict[str, Any]) -> int:
        head = conn.execute(sa.select(t.audit_head).where(t.audit_head.c.id == 1)).one()
        seq = head.seq + 1
        at = _utc(_now())
        text = _canon(data)
        digest = _event_hash(seq, at, kind, lot, user, text, head.hash)
        conn.execute(
            t.events.insert().values(
                seq=seq, at=at, kind=kind, lot_number=lot, user_name=user, data=text, prev_hash=head.hash, hash=digest
            )
        )
        conn.execute(t.audit_head.update().where(t.audit_head.c.id == 1).values(seq=seq, hash=digest))
        return int(seq)

    # ----------------------------------------------------------------- state digests (what verify compares)

    @staticmethod
    def _lot_state(conn: Connection, batch_id: int) -> str:
        return _lot_digest(
            conn.execute(sa.select(t.batches).where(t.batches.c.id == batch_id)).mappings().one(),
            conn.execute(sa.select(t.components).where(t.components.c.batch_id == batch_id)).mappings().all(),
            conn.execute(sa.select(t.prints).where(t.prints.c.batch_id == batch_id)).mappings().all(),
            conn.execute(sa.select(t.weights).where(t.weights.c.batch_id == batch_id)).mappings().all(),
            conn.execute(sa.select(t.signatures).where(t.signatures.c.batch_id == batch_id)).mappings().all(),
        )

    @staticmethod
    def _user_state(conn: Connection, name: str) -> str:
        return _user_digest(conn.execute(sa.select(t.users).where(t.users.c.name == name)).mappings().one())

    def _batch_row(self, conn: Connection, lot: str) -> Any:
        row = conn.execute(sa.select(t.batches).where(t.batches.c.lot_number == str(lot))).mappings().first()
        if row is None:
            raise UnknownLotError("lot", lot, "be a lot number in the register")
        return row

    # ----------------------------------------------------------------- registering

    def _next_lot(self, conn: Connection, day: dt.date) -> str:
        pattern = self.settings.lot_pattern
        fields = {"year": f"{day:%Y}", "yy": f"{day:%y}", "month": f"{day:%m}"}
        used = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
        key = "|".join([pattern] + [fields[name] for name in ("year", "yy", "month") if name in used])
        counter = t.lot_counters
        last = conn.execute(sa.select(counter.c.last).where(counter.c.prefix == key)).scalar()
        if last is None:
            last = 0
            conn.execute(counter.insert().values(prefix=key, last=0))
        while True:  # skip numbers taken by a lot number given by hand
            last += 1
            lot = pattern.format(seq=last, **fields)
            taken = conn.execute(sa.select(t.batches.c.id).where(t.batches.c.lot_number == lot)).first()
            if taken is None:
                break
        conn.execute(counter.update().where(counter.c.prefix == key).values(last=last))
        return lot

    def record(
        self,
        batch: BatchResult,
        prescription: Prescription | None = None,
        *,
        request: Mapping[str, Any] | None = None,
        prints: Callable[[BatchResult], Mapping[str, bytes]] | None = None,
        user: str | None = None,
    ) -> str:
        """Register ``batch`` and return its lot number.

        Without a lot number of its own (``""`` or ``"preview"``) the batch gets the next
        one from the register's pattern; a lot number it has must not be in the register
        yet (:class:`~ldn_compound.register.errors.LotExistsError`).  ``prints`` is called with the batch carrying its
        lot and returns the bytes printed (``{"record": b"%PDF…", "labels": …}``); they
        are stored so that a reprint gives the same bytes.  ``request`` (the inputs) is
        stored as given.  All of it is one transaction with its audit event.
        """
        given = batch.lot_number if batch.lot_number not in {"", "preview"} else None
        if given is not None and not _LOT_RE.fullmatch(given):
            raise InputError("lot number", given, "be 1 to 40 letters, digits, '.', '_', '/' or '-'")
        request_text = None if request is None else _canon(kept_request(request))
        rx = _prescription_dict(prescription)
        with self._write() as conn:
            if given is not None:
                if conn.execute(sa.select(t.batches.c.id).where(t.batches.c.lot_number == given)).first():
                    raise LotExistsError("lot number", given, "be a lot number the register does not hold yet")
                lot = given
            else:
                lot = self._next_lot(conn, batch.compounding_date)
            stamped = attrs.evolve(batch, lot_number=lot)
            document = stamped.to_dict()
            files = dict(prints(stamped)) if prints is not None else {}
            inserted = conn.execute(
                t.batches.insert().values(
                    lot_number=lot,
                    status=Status.PREPARED.value,
                    formula_id=batch.formula.id,
                    formula_version=batch.formula.version,
                    compounding_date=batch.compounding_date.isoformat(),
                    registered_at=_utc(_now()),
                    registered_by=user,
                    fingerprint=document["fingerprint"],
                    quantity=document["quantity"],
                    rx_number=None if rx is None else rx["number"],
                    patient=None if rx is None else rx["patient"],
                    document=_canon(document),
                    request=request_text,
                    prescription=None if rx is None else _canon(rx),
                )
            ).inserted_primary_key
            assert inserted is not None
            batch_id = int(inserted[0])
            for item in stamped.lots:
                conn.execute(
                    t.components.insert().values(
                        batch_id=batch_id,
                        component=item.component,
                        component_lot=item.lot,
                        expiry=None if item.expiry is None else item.expiry.isoformat(),
                        manufacturer=item.manufacturer,
                    )
                )
            for kind, data in sorted(files.items()):
                conn.execute(
                    t.prints.insert().values(batch_id=batch_id, kind=kind, sha256=_sha(data), size=len(data), data=data)
                )
            self._event(
                conn,
                "registered",
                lot,
                user,
                {
                    "formula": f"{batch.formula.id} v{batch.formula.version}",
                    "fingerprint": document["fingerprint"],
                    "prints": {kind: _sha(data) for kind, data in sorted(files.items())},
                    "component_lots": {item.component: item.lot for item in stamped.lots},
                    "rx_number": None if rx is None else rx["number"],
                    "state": self._lot_state(conn, batch_id),
                },
            )
        return lot

    # ----------------------------------------------------------------- reading

    def get(self, lot: str) -> LotRecord:
        """Everything held for ``lot`` (:class:`~ldn_compound.register.errors.UnknownLotError` if none)."""
        with self._read() as conn:
            row = self._batch_row(conn, lot)
            found = conn.execute(
                sa.select(t.prints.c.kind, t.prints.c.sha256).where(t.prints.c.batch_id == row["id"])
            ).all()
            weights = conn.execute(
                sa.select(t.weights).where(t.weights.c.batch_id == row["id"]).order_by(t.weights.c.line_id)
            ).mappings()
            signed = conn.execute(
                sa.select(t.signatures).where(t.signatures.c.batch_id == row["id"]).order_by(t.signatures.c.id)
            ).mappings()
            return LotRecord(
                lot_number=row["lot_number"],
                status=row["status"],
                formula_id=row["formula_id"],
                formula_version=row["formula_version"],
                compounding_date=row["compounding_date"],
                registered_at=row["registered_at"],
                registered_by=row["registered_by"],
                fingerprint=row["fingerprint"],
                quantity=row["quantity"],
                rx_number=row["rx_number"],
                patient=row["patient"],
                document=json.loads(row["document"]),
                request=None if row["request"] is None else json.loads(row["request"]),
                prescription=None if row["prescription"] is None else json.loads(row["prescription"]),
                prints=dict(found),
                weights=tuple(_weight(w) for w in weights),
                signatures=tuple(_signature(s) for s in signed),
            )

    def lots(
        self,
        *,
        status: str | Status | None = None,
        formula: str | None = None,
        since: str | dt.date | None = None,
        limit: int | None = None,
    ) -> list[LotSummary]:
        """Registered batches, newest first, filtered by status, formula id and compounding date."""
        b = t.batches
        query = sa.select(
            b.c.lot_number,
            b.c.status,
            b.c.formula_id,
            b.c.compounding_date,
            b.c.quantity,
            b.c.rx_number,
            b.c.patient,
            b.c.registered_at,
        ).order_by(b.c.id.desc())
        if status is not None:
            try:
                status = Status(status)
            except ValueError:
                raise InputError("status", status, f"be one of {', '.join(s.value for s in Status)}") from None
            query = query.where(b.c.status == status.value)
        if formula is not None:
            query = query.where(b.c.formula_id == formula)
        if since is not None:
            day = since if isinstance(since, dt.date) else _read_day(since, "since")
            query = query.where(b.c.compounding_date >= day.isoformat())
        if limit is not None:
            if limit < 1:
                raise InputError("limit", limit, "be at least 1")
            query = query.limit(limit)
        with self._read() as conn:
            return [LotSummary(*row) for row in conn.execute(query)]

    def recall(self, lot: str) -> list[RecallHit]:
        """Every registered batch that used component lot ``lot``, and the batch whose own lot it is."""
        b, c = t.batches, t.components
        columns = (b.c.lot_number, b.c.status, b.c.formula_id, b.c.compounding_date, b.c.quantity, b.c.rx_number)
        with self._read() as conn:
            used = conn.execute(
                sa.select(*columns, b.c.patient, c.c.component, c.c.component_lot)
                .join(c, c.c.batch_id == b.c.id)
                .where(c.c.component_lot == str(lot))
                .order_by(b.c.compounding_date, b.c.lot_number)
            ).all()
            own = conn.execute(
                sa.select(*columns, b.c.patient, sa.null(), b.c.lot_number).where(b.c.lot_number == str(lot))
            ).all()
        return [RecallHit(*row) for row in own] + [RecallHit(*row) for row in used]

    def print_kinds(self, lot: str) -> list[str]:
        """The kinds of print stored for ``lot`` (``labels``, ``record``)."""
        return sorted(self.get(lot).prints)

    def reprint(self, lot: str, kinds: Sequence[str], *, user: str | None = None) -> dict[str, bytes]:
        """The bytes first printed for ``lot`` (each of ``kinds``); the reprint is an audit event."""
        with self._write() as conn:
            row = self._batch_row(conn, lot)
            stored = {r.kind: r for r in conn.execute(sa.select(t.prints).where(t.prints.c.batch_id == row["id"]))}
            out: dict[str, bytes] = {}
            for kind in kinds:
                if kind not in stored:
                    have = ", ".join(sorted(stored)) or "none"
                    raise InputError(
                        "reprint",
                        f"{lot} {kind}",
                        f"be a print the register holds for the lot ({have})",
                        code="no-such-print",
                    )
                data = bytes(stored[kind].data)
                if _sha(data) != stored[kind].sha256:
                    raise RegisterError(
                        f"the stored {kind} of {lot} does not match its fingerprint: run 'audit verify'"
                    )
                out[kind] = data
            self._event(
                conn,
                "reprinted",
                lot,
                user,
                {"prints": {k: _sha(v) for k, v in out.items()}, "state": self._lot_state(conn, row["id"])},
            )
        return out

    def log_print(self, lot: str, kind: str, data: bytes, *, user: str | None = None) -> None:
        """Write to the audit trail that a new document of ``lot`` was printed (e.g. the record with its amounts)."""
        with self._write() as conn:
            row = self._batch_row(conn, lot)
            self._event(
                conn,
                "printed",
                lot,
                user,
                {"kind": kind, "sha256": _sha(data), "state": self._lot_state(conn, row["id"])},
            )

    # ----------------------------------------------------------------- users

    def _check_authoriser(self, conn: Connection, by: str | None, action: str, *, disabling: str = "") -> None:
        """Once the register has had a pharmacist, ``action`` on its users needs an enabled one: ``by``.

        ``by``'s PIN has been checked by :meth:`_authorised`.  The register's very first
        pharmacist is added by whoever sets it up; once any pharmacist was added, even one
        disabled since, a pharmacist signs.  The last enabled pharmacist cannot be disabled
        (``disabling`` names the user to disable): the register would have no one to sign.
        """
        pharmacists = [
            (row.name, row.disabled)
            for row in conn.execute(
                sa.select(t.users.c.name, t.users.c.disabled).where(t.users.c.role == Role.PHARMACIST.value)
            )
        ]
        enabled = [name for name, disabled in pharmacists if not disabled]
        if disabling and enabled == [disabling]:
            raise NotPermittedError(
                "user", disabling, "not be the last enabled pharmacist: add another pharmacist first"
            )
        if not pharmacists and by is None:
            return  # the register's first pharmacist is added by whoever sets it up
        if by is None:
            raise NotPermittedError(
                "signer",
                None,
                f"be a pharmacist, with their PIN: {action} needs one once the register has a pharmacist",
            )
        if by not in enabled:
            raise NotPermittedError("signer", by, f"be an enabled pharmacist: {action} needs one")

    def _authorised(self, by: str | None, by_pin: str | None) -> str | None:
        """``by``, their PIN checked (a wrong one waits, is counted and is an audit event); None when not given."""
        if by is None:
            return None
        if by_pin is None:
            raise NotPermittedError("signer", by, "give their PIN with their name")
        return self.authenticate(by, by_pin).name

    def add_user(
        self, name: str, role: str | Role, pin: str, *, by: str | None = None, by_pin: str | None = None
    ) -> User:
        """Add a user with a role and a PIN (at least 4 characters), stored as an argon2 hash.

        Once the register has a pharmacist, an enabled one signs for it: ``by`` is their
        name and ``by_pin`` their PIN, checked here; the audit event names them.
        """
        if not _NAME_RE.fullmatch(str(name)):
            raise InputError("user", name, "be 1 to 100 letters, digits, '.', '_', '@' or '-'")
        try:
            role = Role(role)
        except ValueError:
            raise InputError("role", role, "be technician or pharmacist") from None
        if not isinstance(pin, str) or not 4 <= len(pin) <= 128 or pin.strip() != pin:
            raise InputError("PIN", "(hidden)", "be 4 to 128 characters without leading or trailing spaces")
        signer = self._authorised(by, by_pin)
        digest = self._hasher.hash(pin)
        with self._write() as conn:
            self._check_authoriser(conn, signer, "adding a user")
            if conn.execute(sa.select(t.users.c.id).where(t.users.c.name == name)).first():
                raise UserExistsError("user", name, "be a name the register does not hold yet")
            conn.execute(
                t.users.insert().values(
                    name=name, role=role.value, pin_hash=digest, disabled=False, failures=0, created_at=_utc(_now())
                )
            )
            data = {"role": role.value, "user_state": self._user_state(conn, name)}
            self._event(conn, "user-added", None, name, data if signer is None else {**data, "by": signer})
        return self.user(name)

    def user(self, name: str) -> User:
        """The user called ``name``."""
        with self._read() as conn:
            row = conn.execute(sa.select(t.users).where(t.users.c.name == name)).mappings().first()
        if row is None:
            raise UnknownUserError("user", name, "be a user of the register ('users list')")
        return User(row["name"], row["role"], bool(row["disabled"]), row["failures"], row["created_at"])

    def users(self) -> list[User]:
        """Every user, by name."""
        with self._read() as conn:
            rows = conn.execute(sa.select(t.users).order_by(t.users.c.name)).mappings().all()
        return [User(r["name"], r["role"], bool(r["disabled"]), r["failures"], r["created_at"]) for r in rows]

    def create_token(self, name: str) -> str:
        """A new API token for user ``name``, shown once: the register keeps only its SHA-256.

        Creating one is an audit event (its hash's first 12 digits, never the token).
        """
        token = "ldn_" + secrets.token_urlsafe(32)
        digest = _sha(token)
        with self._write() as conn:
            row = conn.execute(sa.select(t.users).where(t.users.c.name == name)).mappings().first()
            if row is None:
                raise UnknownUserError("user", name, "be a user of the register ('users list')")
            if row["disabled"]:
                raise UserDisabledError("user", name, "be enabled (this user is disabled)")
            conn.execute(t.api_tokens.insert().values(user_name=name, token_hash=digest, created_at=_utc(_now())))
            self._event(conn, "token-created", None, name, {"token": digest[:12]})
        return token

    def token_user(self, token: str) -> User | None:
        """The user an API token belongs to, if they are enabled; None for an unknown token."""
        digest = _sha(str(token))
        with self._read() as conn:
            row = (
                conn.execute(
                    sa.select(t.users)
                    .join(t.api_tokens, t.api_tokens.c.user_name == t.users.c.name)
                    .where(t.api_tokens.c.token_hash == digest)
                )
                .mappings()
                .first()
            )
        if row is None or row["disabled"]:
            return None
        return User(row["name"], row["role"], disabled=False, failures=row["failures"], created_at=row["created_at"])

    def disable_user(self, name: str, *, by: str | None = None, by_pin: str | None = None) -> User:
        """Disable a user: they can no longer sign (their past signatures stay).

        A pharmacist signs for it, as for :meth:`add_user`; the last enabled pharmacist
        cannot be disabled.
        """
        signer = self._authorised(by, by_pin)
        with self._write() as conn:
            self._check_authoriser(conn, signer, "disabling a user", disabling=name)
            row = conn.execute(sa.select(t.users).where(t.users.c.name == name)).mappings().first()
            if row is None:
                raise UnknownUserError("user", name, "be a user of the register ('users list')")
            conn.execute(t.users.update().where(t.users.c.name == name).values(disabled=True))
            data = {"user_state": self._user_state(conn, name)}
            self._event(conn, "user-disabled", None, name, data if signer is None else {**data, "by": signer})
        return self.user(name)

    def authenticate(self, name: str, pin: str) -> User:
        """Check ``name``'s PIN and return the user.

        A wrong PIN waits ``settings.wrong_pin_delay`` seconds, is counted and written to
        the audit trail, and raises :class:`~ldn_compound.register.errors.WrongPinError`.
        """
        from argon2.exceptions import InvalidHashError, VerificationError

        with self._read() as conn:
            row = conn.execute(sa.select(t.users).where(t.users.c.name == str(name))).mappings().first()
        if row is None:
            raise UnknownUserError("user", name, "be a user of the register ('users list')")
        if row["disabled"]:
            raise UserDisabledError("user", name, "be enabled (this user is disabled)")
        self._check_lockout(str(name), int(row["failures"]))
        try:
            good = bool(self._hasher.verify(row["pin_hash"], str(pin)))
        except (VerificationError, InvalidHashError):
            good = False
        if not good:
            time.sleep(self.settings.wrong_pin_delay)
            with self._write() as conn:
                conn.execute(t.users.update().where(t.users.c.name == name).values(failures=t.users.c.failures + 1))
                failures = conn.execute(sa.select(t.users.c.failures).where(t.users.c.name == name)).scalar_one()
                self._event(
                    conn, "wrong-pin", None, name, {"failures": failures, "user_state": self._user_state(conn, name)}
                )
            raise WrongPinError("user", name, f"give their own PIN ({failures} wrong in a row)")
        if row["failures"]:
            with self._write() as conn:
                conn.execute(t.users.update().where(t.users.c.name == name).values(failures=0))
                self._event(
                    conn,
                    "pin-accepted",
                    None,
                    name,
                    {"after_failures": row["failures"], "user_state": self._user_state(conn, name)},
                )
        return User(row["name"], row["role"], disabled=False, failures=0, created_at=row["created_at"])

    def _check_lockout(self, name: str, failures: int) -> None:
        """Refuse ``name``'s PIN, unchecked, while ``pin_lockout_after`` wrong ones in a row are recent."""
        settings = self.settings
        if failures < settings.pin_lockout_after:
            return
        with self._read() as conn:
            last = conn.execute(
                sa.select(sa.func.max(t.events.c.at)).where(
                    t.events.c.kind == "wrong-pin", t.events.c.user_name == name
                )
            ).scalar()
        if last is None:  # pragma: no cover - every counted failure is an event
            return
        until = dt.datetime.strptime(last, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC) + dt.timedelta(
            seconds=settings.pin_lockout_seconds
        )
        if _now() < until:
            raise PinLockedError(
                "user",
                name,
                f"wait until {until.strftime('%H:%M:%S')} UTC: {failures} wrong PINs in a row lock the PIN for "
                f"{settings.pin_lockout_seconds:g} s after the last",
            )

    # ----------------------------------------------------------------- actual amounts

    def weigh(self, lot: str, amounts: Mapping[str, object], *, user: str, pin: str) -> tuple[Weight, ...]:
        """Enter what each line actually weighed or measured (``{"naltrexone-hcl": "451.2 mg"}``).

        Each is checked against the line's amount ± its tolerance (a setting), widened by
        the balance's readability (mass) or the liquid resolution (volume).  An amount
        out of tolerance is recorded and blocks verification until a pharmacist accepts it.
        Allowed while the batch is prepared or needs changes.
        """
        if not amounts:
            raise InputError("line", "", "be given at least once, as ID=AMOUNT")
        signer = self.authenticate(user, pin)
        with self._write() as conn:
            row = self._batch_row(conn, lot)
            status = Status(row["status"])
            if status not in {Status.PREPARED, Status.NEEDS_CHANGES}:
                raise ForbiddenTransitionError(
                    "status", status.value, "be prepared or needs-changes to enter amounts", code="forbidden-transition"
                )
            document = json.loads(row["document"])
            lines = {line["id"]: line for line in document["ingredients"]}
            at = _utc(_now())
            entered: dict[str, dict[str, Any]] = {}
            for line_id, value in amounts.items():
                if line_id not in lines:
                    raise InputError("line", line_id, f"be one of {', '.join(lines)}", code="unknown-line")
                check = _tolerance(lines[line_id], value, document, self.settings)
                conn.execute(
                    t.weights.delete().where(t.weights.c.batch_id == row["id"], t.weights.c.line_id == line_id)
                )
                conn.execute(
                    t.weights.insert().values(
                        batch_id=row["id"], line_id=line_id, entered_by=signer.name, entered_at=at, **check
                    )
                )
                entered[line_id] = check
            self._event(
                conn, "weighed", lot, signer.name, {"lines": entered, "state": self._lot_state(conn, row["id"])}
            )
        return tuple(w for w in self.get(lot).weights if w.line in amounts)

    def accept(self, lot: str, line: str, *, user: str, pin: str, reason: str) -> Weight:
        """A pharmacist accepts an out-of-tolerance amount, with a reason."""
        reason = _need_reason(reason, "accept an amount out of tolerance")
        signer = self.authenticate(user, pin)
        if signer.role != Role.PHARMACIST:
            raise NotPermittedError(
                "user", signer.name, f"be a pharmacist to accept an amount (they are a {signer.role})"
            )
        with self._write() as conn:
            row = self._batch_row(conn, lot)
            if Status(row["status"]) not in {Status.PREPARED, Status.NEEDS_CHANGES, Status.COMPOUNDED}:
                raise ForbiddenTransitionError(
                    "status", row["status"], "be prepared, needs-changes or compounded to accept an amount"
                )
            where = (t.weights.c.batch_id == row["id"], t.weights.c.line_id == line)
            weight = conn.execute(sa.select(t.weights).where(*where)).mappings().first()
            if weight is None or weight["within"]:
                raise InputError("line", line, "be a line whose amount was entered and is out of tolerance")
            conn.execute(
                t.weights.update()
                .where(*where)
                .values(accepted_by=signer.name, accepted_at=_utc(_now()), accepted_reason=reason)
            )
            self._event(
                conn,
                "amount-accepted",
                lot,
                signer.name,
                {"line": line, "amount": weight["amount"], "reason": reason, "state": self._lot_state(conn, row["id"])},
            )
        return next(w for w in self.get(lot).weights if w.line == line)

    # ----------------------------------------------------------------- lifecycle

    def transition(self, lot: str, action: str | Action, *, user: str, pin: str, reason: str | None = None) -> Status:
        """Sign ``action`` on ``lot`` and move it to its next status (see :mod:`.lifecycle`)."""
        try:
            action = Action(action)
        except ValueError:
            raise InputError("action", action, f"be one of {', '.join(a.value for a in Action)}") from None
        if action in REASON_REQUIRED:
            reason = _need_reason(reason, action.value)
        signer = self.authenticate(user, pin)
        sources, target, roles = ACTIONS[action]
        with self._write() as conn:
            row = self._batch_row(conn, lot)
            status = Status(row["status"])
            if status not in sources:
                can = ", ".join(a.value for a in allowed_actions(status)) or "nothing (final)"
                raise ForbiddenTransitionError(
                    "status", status.value, f"allow '{action.value}' (a {status.value} batch allows: {can})"
                )
            if Role(signer.role) not in roles:
                raise NotPermittedError(
                    "user", signer.name, f"be a pharmacist to {action.value} a batch (they are a {signer.role})"
                )
            signed = conn.execute(
                sa.select(t.signatures.c.user_name, t.signatures.c.meaning)
                .where(t.signatures.c.batch_id == row["id"])
                .order_by(t.signatures.c.id)
            ).all()
            if action is Action.COMPOUND:
                self._check_amounts(conn, row, need_accepted=False)
            if action is Action.VERIFY:
                compounded_by = [u for u, meaning in signed if meaning == Action.COMPOUND.meaning]
                if compounded_by and compounded_by[-1] == signer.name and not self.settings.self_verification:
                    raise NotPermittedError(
                        "user", signer.name, "not verify a batch they compounded (setting self_verification)"
                    )
                self._check_amounts(conn, row, need_accepted=True)
            if action is Action.RELEASE and status is Status.QUARANTINED:
                meanings = [meaning for _, meaning in signed]
                last_verified = max((i for i, m in enumerate(meanings) if m == Action.VERIFY.meaning), default=-1)
                last_return = max((i for i, m in enumerate(meanings) if m == Action.RETURN.meaning), default=-1)
                if last_verified < 0 or last_return > last_verified:
                    raise ForbiddenTransitionError(
                        "status", status.value, "allow 'release' of a batch that was not verified"
                    )
            moment = _now()
            conn.execute(t.batches.update().where(t.batches.c.id == row["id"]).values(status=target.value))
            conn.execute(
                t.signatures.insert().values(
                    batch_id=row["id"],
                    user_name=signer.name,
                    role=signer.role,
                    meaning=action.meaning,
                    signed_at=_utc(moment),
                    signed_at_local=moment.astimezone().isoformat(timespec="seconds"),
                    fingerprint=row["fingerprint"],
                    reason=reason,
                )
            )
            self._event(
                conn,
                action.value,
                lot,
                signer.name,
                {
                    "from": status.value,
                    "to": target.value,
                    "meaning": action.meaning,
                    "role": signer.role,
                    "fingerprint": row["fingerprint"],
                    "reason": reason,
                    "state": self._lot_state(conn, row["id"]),
                },
            )
        return target

    def _check_amounts(self, conn: Connection, row: Any, *, need_accepted: bool) -> None:
        document = json.loads(row["document"])
        needed = [line["id"] for line in document["ingredients"] if not line["qs"]]
        entered = {
            w["line_id"]: w
            for w in conn.execute(sa.select(t.weights).where(t.weights.c.batch_id == row["id"])).mappings()
        }
        missing = [line for line in needed if line not in entered]
        if missing:
            raise VerificationBlockedError(
                "amounts", row["lot_number"], f"be entered for every line first (missing: {', '.join(missing)})"
            )
        if need_accepted:
            out = [line for line, w in entered.items() if not w["within"] and w["accepted_by"] is None]
            if out:
                raise VerificationBlockedError(
                    "amounts",
                    row["lot_number"],
                    f"be within tolerance or accepted by a pharmacist first (out of tolerance: {', '.join(sorted(out))})",
                )

    def compound(self, lot: str, *, user: str, pin: str) -> Status:
        """The technician signs that the batch was made (every line's amount entered)."""
        return self.transition(lot, Action.COMPOUND, user=user, pin=pin)

    def verify(self, lot: str, *, user: str, pin: str) -> Status:
        """A pharmacist signs the check (not of their own batch unless the setting allows)."""
        return self.transition(lot, Action.VERIFY, user=user, pin=pin)

    def release(self, lot: str, *, user: str, pin: str) -> Status:
        """A pharmacist releases a verified batch."""
        return self.transition(lot, Action.RELEASE, user=user, pin=pin)

    def quarantine(self, lot: str, *, user: str, pin: str, reason: str) -> Status:
        """A pharmacist puts a batch on hold, with a reason."""
        return self.transition(lot, Action.QUARANTINE, user=user, pin=pin, reason=reason)

    def reject(self, lot: str, *, user: str, pin: str, reason: str) -> Status:
        """A pharmacist scraps a batch, with a reason (final)."""
        return self.transition(lot, Action.REJECT, user=user, pin=pin, reason=reason)

    def send_back(self, lot: str, *, user: str, pin: str, reason: str) -> Status:
        """A pharmacist returns a batch for changes, with a reason."""
        return self.transition(lot, Action.RETURN, user=user, pin=pin, reason=reason)

    # ----------------------------------------------------------------- audit trail

    def audit_log(self, lot: str | None = None) -> list[Event]:
        """The audit events, oldest first (only those of ``lot`` when given)."""
        query = sa.select(t.events).order_by(t.events.c.seq)
        with self._read() as conn:
            if lot is not None:
                self._batch_row(conn, lot)
                query = query.where(t.events.c.lot_number == lot)
            rows = conn.execute(query).mappings().all()
        return [
            Event(r["seq"], r["at"], r["kind"], r["lot_number"], r["user_name"], json.loads(r["data"]), r["hash"])
            for r in rows
        ]

    def verify_audit(self) -> AuditReport:  # noqa: PLR0911 - one return for each kind of damage
        """Check the hash chain and that every batch and user is as its last event left it."""
        chunk = 5000
        with self._read() as conn:
            prev, seq = _GENESIS, 0
            lot_state: dict[str, tuple[int, str]] = {}
            user_state: dict[str, tuple[int, str]] = {}
            while True:
                found = conn.execute(
                    sa.select(t.events).where(t.events.c.seq > seq).order_by(t.events.c.seq).limit(chunk)
                ).all()
                for r in found:
                    where = f"event {r.seq} ({r.kind}{' ' + r.lot_number if r.lot_number else ''})"
                    if r.seq != seq + 1:
                        return _bad(seq, f"event {seq + 1} is missing: the trail jumps from {seq} to {r.seq}", seq + 1)
                    if r.prev_hash != prev:
                        return _bad(seq, f"{where} does not follow event {seq}: the chain is broken", r.seq)
                    if _event_hash(r.seq, r.at, r.kind, r.lot_number, r.user_name, r.data, r.prev_hash) != r.hash:
                        return _bad(seq, f"{where} was changed after it was written", r.seq)
                    try:
                        data = json.loads(r.data)
                    except ValueError:  # pragma: no cover - the hash covers the text
                        return _bad(seq, f"{where} is not readable", r.seq)
                    if "state" in data and r.lot_number:
                        lot_state[r.lot_number] = (r.seq, data["state"])
                    if "user_state" in data and r.user_name:
                        user_state[r.user_name] = (r.seq, data["user_state"])
                    prev, seq = r.hash, r.seq
                if len(found) < chunk:
                    break
            head = conn.execute(sa.select(t.audit_head).where(t.audit_head.c.id == 1)).one()
            if head.seq != seq or head.hash != prev:
                return _bad(
                    seq, f"event {seq + 1} is missing: the trail ends at {seq} but had {head.seq} events", seq + 1
                )
            batches = 0
            seen: set[str] = set()
            last_id = 0
            while True:
                rows = (
                    conn.execute(
                        sa.select(t.batches).where(t.batches.c.id > last_id).order_by(t.batches.c.id).limit(1000)
                    )
                    .mappings()
                    .all()
                )
                if not rows:
                    break
                ids = [r["id"] for r in rows]
                related = {
                    name: _group(conn, table, ids)
                    for name, table in (("c", t.components), ("p", t.prints), ("w", t.weights), ("s", t.signatures))
                }
                for b in rows:
                    lot = b["lot_number"]
                    seen.add(lot)
                    digest = _lot_digest(b, *(related[k].get(b["id"], []) for k in "cpws"))
                    expected = lot_state.get(lot)
                    if expected is None:
                        return _bad(seq, f"batch {lot} is not in the audit trail: it was added behind its back", None)
                    if expected[1] != digest:
                        return _bad(
                            seq,
                            f"batch {lot} was changed after event {expected[0]}, its last audit event",
                            expected[0],
                        )
                    batches += 1
                last_id = ids[-1]
            for lot, (event_seq, _) in sorted(lot_state.items(), key=lambda item: item[1][0]):
                if lot not in seen:
                    return _bad(seq, f"batch {lot} of event {event_seq} was deleted", event_seq)
            users = conn.execute(sa.select(t.users)).mappings().all()
            names = set()
            for u in users:
                names.add(u["name"])
                expected = user_state.get(u["name"])
                if expected is None or expected[1] != _user_digest(u):
                    where = (
                        "is not in the audit trail" if expected is None else f"was changed after event {expected[0]}"
                    )
                    return _bad(seq, f"user {u['name']} {where}", None if expected is None else expected[0])
            for name, (event_seq, _) in user_state.items():
                if name not in names:
                    return _bad(seq, f"user {name} of event {event_seq} was deleted", event_seq)
        return AuditReport(ok=True, events=seq, batches=batches, users=len(users))

    # ----------------------------------------------------------------- backups

    def backup(self, path: str | os.PathLike[str]) -> Path:
        """Copy a SQLite register, consistently, to ``path`` (written whole, then moved into place)."""
        target = Path(path)
        if self.dialect != "sqlite":
            raise RegisterError("register backup copies a SQLite register; back up a PostgreSQL register with pg_dump")
        if target.is_dir():
            raise InputError("backup file", str(target), "be a file name, not a folder")
        if not target.parent.is_dir():
            raise InputError("backup file", str(target), "be in a folder that exists")
        database = self._engine.url.database
        assert database is not None
        if target.exists() and target.resolve() == Path(database).resolve():
            raise InputError("backup file", str(target), "not be the register itself")
        partial = target.with_name(f".{target.name}.partial")
        try:
            with sqlite3.connect(database) as src, sqlite3.connect(partial) as dst:
                src.backup(dst)
            src.close()
            dst.close()
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target


# --------------------------------------------------------------------------- module helpers


def _pin_hasher() -> Any:
    """argon2id with argon2-cffi's default costs (RFC 9106's second recommended option: 64 MiB, 3 passes)."""
    from argon2 import PasswordHasher

    return PasswordHasher()


def _bad(events: int, problem: str, event: int | None) -> AuditReport:
    return AuditReport(ok=False, events=events, batches=0, users=0, problem=problem, event=event)


def _group(conn: Connection, table: sa.Table, ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in conn.execute(sa.select(table).where(table.c.batch_id.in_(ids))).mappings():
        out.setdefault(row["batch_id"], []).append(row)
    return out


def _plain(row: Any, skip: Sequence[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        if key in skip:
            continue
        if isinstance(value, bytes | memoryview):
            out[key] = _sha(bytes(value))
        elif isinstance(value, bool):
            out[key] = int(value)
        else:
            out[key] = value
    return out


def _lot_digest(
    batch: Any, comps: Sequence[Any], prints: Sequence[Any], weights: Sequence[Any], signs: Sequence[Any]
) -> str:
    return _sha(
        _canon(
            {
                "batch": _plain(batch, ("id",)),
                "components": sorted((_plain(c, ("batch_id",)) for c in comps), key=_canon),
                "prints": sorted((_plain(p, ("batch_id",)) for p in prints), key=_canon),
                "weights": sorted((_plain(w, ("batch_id",)) for w in weights), key=_canon),
                "signatures": sorted((_plain(s, ("id", "batch_id")) for s in signs), key=_canon),
            }
        )
    )


def _user_digest(row: Any) -> str:
    return _sha(_canon(_plain(row, ("id",))))


def _weight(row: Any) -> Weight:
    return Weight(
        line=row["line_id"],
        amount=row["amount"],
        expected=row["expected"],
        low=row["low"],
        high=row["high"],
        within=bool(row["within"]),
        entered_by=row["entered_by"],
        entered_at=row["entered_at"],
        accepted_by=row["accepted_by"],
        accepted_at=row["accepted_at"],
        accepted_reason=row["accepted_reason"],
    )


def _signature(row: Any) -> Signature:
    return Signature(
        user=row["user_name"],
        role=row["role"],
        meaning=row["meaning"],
        signed_at=row["signed_at"],
        signed_at_local=row["signed_at_local"],
        fingerprint=row["fingerprint"],
        reason=row["reason"],
    )


def _need_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InputError("reason", reason or "", f"be given to {what}", code="reason-required")
    return text


def _read_day(text: object, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError(field, text, "be a date YYYY-MM-DD") from None


def _tolerance(
    line: Mapping[str, Any], value: object, document: Mapping[str, Any], settings: Settings
) -> dict[str, Any]:
    """The check of one actual amount: the range it must fall in and whether it does.

    Both ends are rounded (half up) to the balance's readability, or for a volume to the
    liquid resolution: the one rule for every amount measured, so the range printed is
    the range checked.
    """
    from ldn_compound.jsonio import _read_q
    from ldn_compound.units import MASS, Q_, VOLUME, format_amount, magnitude, parse_quantity, round_to_step

    expected = _read_q(line["amount"], "amount")
    field = f"line {line['id']}"
    kind = MASS if expected.dimensionality == parse_quantity("1 mg", "x", MASS).dimensionality else VOLUME
    try:
        amount = parse_quantity(value, field, kind)
    except QuantityError as error:
        raise InputError(field, value, f"be {kind.name} like {line['amount']!r} ({error.rule})") from None
    tolerance: Decimal = (
        settings.active_amount_tolerance if line["role"] == "active" else settings.other_amount_tolerance
    )
    readability = _read_q(document["balance"]["readability"], "readability")
    step = readability if kind is MASS else settings.liquid_resolution
    unit = "mg" if kind is MASS else "mL"
    places = magnitude(step, unit)
    low = Q_(round_to_step(magnitude(expected * (1 - tolerance) - step, unit), places), unit)
    high = Q_(round_to_step(magnitude(expected * (1 + tolerance) + step, unit), places), unit)
    return {
        "amount": format_amount(amount),
        "expected": format_amount(expected),
        "low": format_amount(low),
        "high": format_amount(high),
        "within": bool(low <= amount <= high),
    }
