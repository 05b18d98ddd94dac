"""The batch register: lots from the register, storage, recall, reprints, migrations, backups.

Every test runs on SQLite and, when ``LDN_TEST_POSTGRES_URL`` is set (CI sets it), on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import attrs
import pytest
import sqlalchemy as sa

from ldn_compound import BatchResult, InputError, Prescription, calculate_batch
from ldn_compound.register import (
    LotExistsError,
    RegisterError,
    RegisterUnavailableError,
    RegisterVersionError,
    UnknownLotError,
    open_register,
)
from ldn_compound.register.store import HEAD_REVISION, default_path, resolve_url
from ldn_compound.settings import default_settings


def capsules(day: str = "2026-03-01", **kwargs: object) -> BatchResult:
    kwargs.setdefault("lots", ["naltrexone-hcl=NX2291:2027-06-30", "mcc=MC881"])
    return calculate_batch("ldn-capsules", quantity=100, date=day, **kwargs)  # type: ignore[arg-type]


RX = Prescription(number="RX-1001", patient="Ada Lovelace", prescriber="Dr Babbage", directions="1 at night")


def sql(register, statement: str, **params: object) -> list[tuple]:
    """Plain SQL behind the register's back."""
    engine = sa.create_engine(register._engine.url)
    with engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        rows = [tuple(r) for r in result] if result.returns_rows else []
    engine.dispose()
    return rows


# --------------------------------------------------------------------------- lot numbers


def test_registered_batches_get_consecutive_lots_of_their_year(register):
    assert register.record(capsules()) == "L2026-000001"
    assert register.record(capsules()) == "L2026-000002"
    assert register.record(capsules("2027-01-02")) == "L2027-000001"
    assert register.record(capsules("2026-12-31")) == "L2026-000003"


def test_the_same_inputs_twice_are_two_lots(register):
    batch = capsules()
    assert register.record(batch) != register.record(batch)


def test_the_lot_pattern_is_a_setting(register_url, quick_hasher):
    settings = attrs.evolve(default_settings(), lot_pattern="B{yy}{month}-{seq:04d}")
    with open_register(register_url, settings=settings, pin_hasher=quick_hasher) as register:
        assert register.record(capsules("2026-03-01")) == "B2603-0001"
        assert register.record(capsules("2026-04-01")) == "B2604-0001"
        assert register.record(capsules("2026-03-09")) == "B2603-0002"


@pytest.mark.parametrize("pattern", ["L{year}", "L-{seq}-{day}", "L {seq}", "{seq:06d}{", "L{0}{seq}"])
def test_a_bad_lot_pattern_is_refused(register_url, pattern):
    settings = attrs.evolve(default_settings(), lot_pattern=pattern)
    with pytest.raises(InputError) as caught:
        open_register(register_url, settings=settings)
    assert caught.value.code == "invalid-lot-pattern"


def test_a_lot_number_given_is_kept_and_must_be_unique(register):
    assert register.record(capsules(lot_number="MY-LOT-1")) == "MY-LOT-1"
    with pytest.raises(LotExistsError) as caught:
        register.record(capsules(lot_number="MY-LOT-1"))
    assert caught.value.code == "lot-exists"
    assert [lot.lot_number for lot in register.lots()] == ["MY-LOT-1"]


def test_the_counter_skips_a_number_given_by_hand(register):
    register.record(capsules(lot_number="L2026-000001"))
    assert register.record(capsules()) == "L2026-000002"


def test_the_lot_number_is_unique_by_a_database_constraint(register):
    register.record(capsules())
    with pytest.raises(sa.exc.IntegrityError):
        sql(
            register,
            "INSERT INTO batches (lot_number, status, formula_id, formula_version, compounding_date, registered_at,"
            " fingerprint, quantity, document) SELECT lot_number, status, formula_id, formula_version,"
            " compounding_date, registered_at, fingerprint, quantity, document FROM batches",
        )


# --------------------------------------------------------------------------- what is stored


def test_the_stored_document_is_the_batch_with_its_lot(register):
    batch = capsules()
    lot = register.record(batch, RX, request={"formula": "ldn-capsules", "quantity": 100})
    held = register.get(lot)
    assert held.document == attrs.evolve(batch, lot_number=lot).to_dict()
    assert held.batch.to_dict() == held.document
    assert held.status == "prepared"
    assert (held.rx_number, held.patient) == ("RX-1001", "Ada Lovelace")
    assert held.prescription["directions"] == "1 at night"
    assert held.request == {"formula": "ldn-capsules", "quantity": 100}
    assert held.fingerprint == held.document["fingerprint"]
    assert held.to_dict()["next_actions"] == ["compound", "quarantine", "reject"]


def test_prints_are_stored_and_reprinted_byte_for_byte(register):
    seen = []

    def prints(stamped: BatchResult) -> dict[str, bytes]:
        seen.append(stamped.lot_number)
        return {"record": b"%PDF record " + stamped.lot_number.encode(), "labels": bytes(range(256))}

    lot = register.record(capsules(), prints=prints)
    assert seen == [lot]
    assert register.print_kinds(lot) == ["labels", "record"]
    again = register.reprint(lot, ["record", "labels"], user="tina")
    assert again == {"record": f"%PDF record {lot}".encode(), "labels": bytes(range(256))}
    assert [e.kind for e in register.audit_log(lot)] == ["registered", "reprinted"]
    with pytest.raises(InputError) as caught:
        register.reprint(lot, ["mfr"])
    assert caught.value.code == "no-such-print"


def test_a_failed_print_registers_nothing(register):
    def prints(_stamped: BatchResult) -> dict[str, bytes]:
        raise RuntimeError("printer on fire")

    with pytest.raises(RuntimeError):
        register.record(capsules(), prints=prints)
    assert register.lots() == []
    assert register.audit_log() == []
    assert register.record(capsules()) == "L2026-000001"


def test_unknown_lot(register):
    with pytest.raises(UnknownLotError) as caught:
        register.get("L2026-999999")
    assert caught.value.code == "unknown-lot"
    with pytest.raises(UnknownLotError):
        register.audit_log("nope")


# --------------------------------------------------------------------------- recall and lists


def test_recall_by_component_lot_and_by_compounded_lot(register):
    a = register.record(capsules(), RX)
    b = register.record(capsules(lots=["naltrexone-hcl=QX7781"]))
    c = register.record(capsules(lots=["mcc=QX7781", "naltrexone-hcl=NX1"]))
    hits = register.recall("QX7781")
    assert [(h.lot_number, h.component) for h in hits] == [(b, "naltrexone-hcl"), (c, "mcc")]
    assert register.recall("NX2291")[0].patient == "Ada Lovelace"
    own = register.recall(a)
    assert [(h.lot_number, h.component, h.rx_number) for h in own] == [(a, None, "RX-1001")]
    assert register.recall("nothing-like-it") == []


def test_lots_list_filters(register):
    register.record(capsules("2026-03-01"))
    register.record(calculate_batch("ldn-oral-liquid", quantity="120 mL", date="2026-03-05"))
    register.record(capsules("2026-03-09"))
    assert [x.lot_number for x in register.lots()] == ["L2026-000003", "L2026-000002", "L2026-000001"]
    assert [x.lot_number for x in register.lots(formula="ldn-oral-liquid")] == ["L2026-000002"]
    assert [x.lot_number for x in register.lots(since="2026-03-05")] == ["L2026-000003", "L2026-000002"]
    assert [x.lot_number for x in register.lots(since=dt.date(2026, 3, 6), formula="ldn-capsules")] == ["L2026-000003"]
    assert len(register.lots(status="prepared", limit=2)) == 2
    assert register.lots(status="released") == []
    for bad in ({"status": "gone"}, {"since": "March"}, {"limit": 0}):
        with pytest.raises(InputError):
            register.lots(**bad)


# --------------------------------------------------------------------------- opening, migrations, backups


def test_url_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("LDN_COMPOUND_REGISTER", raising=False)
    monkeypatch.setattr("platformdirs.user_data_dir", lambda *_a, **_k: str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / "register.sqlite3"
    assert resolve_url() == f"sqlite:///{tmp_path / 'data' / 'register.sqlite3'}"
    assert (tmp_path / "data").is_dir()
    monkeypatch.setenv("LDN_COMPOUND_REGISTER", str(tmp_path / "env.sqlite3"))
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'env.sqlite3'}"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url(tmp_path / "x.db") == f"sqlite:///{tmp_path / 'x.db'}"


def test_the_default_register_is_created_on_first_use(tmp_path, monkeypatch):
    monkeypatch.delenv("LDN_COMPOUND_REGISTER", raising=False)
    monkeypatch.setattr("platformdirs.user_data_dir", lambda *_a, **_k: str(tmp_path / "fresh" / "dir"))
    with open_register() as register:
        assert register.record(capsules()) == "L2026-000001"
        assert register.migrated == (f"migrated new -> {HEAD_REVISION}",)
    path = tmp_path / "fresh" / "dir" / "register.sqlite3"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with open_register(path) as again:
        assert again.migrated == ()
        assert [x.lot_number for x in again.lots()] == ["L2026-000001"]


def _at_revision(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", "ldn_compound.register:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()


def test_an_older_register_is_migrated_after_a_backup(empty_database_url, tmp_path):
    register_url = empty_database_url
    _at_revision(register_url, "0001")
    engine = sa.create_engine(register_url)
    with engine.begin() as conn:
        assert not sa.inspect(conn).has_table("users")
    engine.dispose()
    with open_register(register_url) as register:
        assert register.migrated[-1] == f"migrated 0001 -> {HEAD_REVISION}"
        assert register.record(capsules()) == "L2026-000001"
        assert register.users() == []
    if register_url.startswith("sqlite"):
        backups = list(tmp_path.glob("register.sqlite3.r0001-*.bak"))
        assert len(backups) == 1
        with sqlite3.connect(backups[0]) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)


def test_a_newer_register_is_refused(empty_database_url):
    register_url = empty_database_url
    open_register(register_url).close()
    engine = sa.create_engine(register_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(RegisterVersionError) as caught:
        open_register(register_url)
    assert "9999 is newer" in str(caught.value)
    assert caught.value.code == "register-too-new"


def test_a_database_that_is_not_a_register_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE batches (x)")
    with pytest.raises(RegisterVersionError):
        open_register(path)


@pytest.mark.parametrize(
    "target",
    [
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "{tmp}/no/such/folder/register.sqlite3",
        "{tmp}/junk.sqlite3",
    ],
)
def test_an_unreachable_register(tmp_path, target):
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database, just some text" * 100)
    with pytest.raises(RegisterUnavailableError) as caught:
        open_register(target.format(tmp=tmp_path))
    assert caught.value.code == "register-unavailable"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@h:port/db"]
)
def test_an_unsupported_register_url(url):
    with pytest.raises(InputError):
        open_register(url)


def test_backup(register, tmp_path):
    lot = register.record(capsules())
    target = tmp_path / "copy.sqlite3"
    if register.dialect != "sqlite":
        with pytest.raises(RegisterError, match="pg_dump"):
            register.backup(target)
        return
    assert register.backup(target) == target
    with open_register(target) as copy:
        assert [x.lot_number for x in copy.lots()] == [lot]
        assert copy.verify_audit().ok
    assert not list(tmp_path.glob(".*.partial"))
    for bad in (tmp_path, tmp_path / "none" / "x.db"):
        with pytest.raises(InputError):
            register.backup(bad)


def test_an_older_register_of_the_previous_revision_is_migrated(empty_database_url):
    _at_revision(empty_database_url, "0002")
    with open_register(empty_database_url) as register:
        assert register.migrated[-1] == f"migrated 0002 -> {HEAD_REVISION}"
        engine = sa.create_engine(empty_database_url)
        with engine.connect() as conn:
            indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("batches")}
        engine.dispose()
        assert "ix_batches_status_formula_id" in indexes


def _plan(register, statement) -> str:
    with register._engine.connect() as conn:
        compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
        return " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))


def test_recall_and_lots_list_use_indexes(sqlite_register):
    """Recall and the list read indexes (the figures for 10^3 to 10^6 batches are in bench/register.py)."""
    from ldn_compound.register import tables as t

    b, c = t.batches, t.components
    recall = sa.select(b.c.lot_number).join(c, c.c.batch_id == b.c.id).where(c.c.component_lot == "QX7781")
    plan = _plan(sqlite_register, recall)
    assert "USING INDEX ix_batch_components_component_lot" in plan
    assert "USING INTEGER PRIMARY KEY" in plan
    listing = sa.select(b.c.lot_number).where(b.c.status == "verified", b.c.formula_id == "x").order_by(b.c.id.desc())
    assert "USING INDEX ix_batches_status_formula_id" in _plan(sqlite_register, listing)
    newest = sa.select(b.c.lot_number).order_by(b.c.id.desc()).limit(100)
    assert "SCAN batches" in _plan(sqlite_register, newest) and "TEMP B-TREE" not in _plan(sqlite_register, newest)


def test_a_lots_document_never_shows_a_register_url_kept_with_its_request(register):
    """Registers written by 0.2.0 kept the register's URL (a password, for PostgreSQL) with the request."""
    request = {
        "formula": "ldn-capsules",
        "quantity": "100",
        "register": "postgresql+psycopg://u:secret@db/ldn",
        "pharmacy_config": "/srv/pharmacy/pharmacy.toml",
        "formula_dir": "/srv/pharmacy/formulas",
        "sig_codes": "/home/alice/sigs.toml",
    }
    lot = register.record(capsules(), request=request)
    shown = register.get(lot).to_dict()
    assert shown["request"] == {"formula": "ldn-capsules", "quantity": "100"}
    assert "secret" not in json.dumps(shown)
    assert "/srv/" not in json.dumps(shown) and "alice" not in json.dumps(shown)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://ldn:s3cret-pw@127.0.0.1:abc/db",  # cannot be parsed: the port
        "postgresql+psycopg://ldn:p@ss#w0rd-pw@127.0.0.1/db",  # '@' and '#' in the password
    ],
)
def test_a_register_urls_password_never_reaches_a_message(url):
    with pytest.raises((InputError, RegisterError)) as caught:
        open_register(url)
    message = str(caught.value)
    assert "ldn:***@" in message
    for piece in ("s3cret", "p@ss", "ss#w0rd", "w0rd-pw"):
        assert piece not in message
