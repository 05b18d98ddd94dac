"""Shared test set-up: hypothesis profiles (derandomised in CI so every run is the same)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=60)
settings.register_profile(
    "ci", deadline=None, max_examples=100, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

#: Scripts that mypy checks (tests/test_typing.py); one is wrong on purpose, so pytest never imports them.
collect_ignore_glob = ["typing/*.py"]

# --------------------------------------------------------------------------- the batch register, on both engines

import pytest  # noqa: E402

POSTGRES_URL = os.environ.get("LDN_TEST_POSTGRES_URL", "")


_TABLES = "batches, batch_components, prints, lot_counters, events, users, weights, signatures"
_postgres_ready = False


def _reset_postgres(url: str) -> None:
    """An empty PostgreSQL database (everything in the public schema dropped)."""
    import sqlalchemy as sa

    global _postgres_ready  # noqa: PLW0603 - whether the test database holds an empty register
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    _postgres_ready = False


def _empty_postgres_register(url: str) -> None:
    """An empty register in the PostgreSQL test database: migrated once, then emptied for each test."""
    import sqlalchemy as sa

    from ldn_compound.register import open_register

    global _postgres_ready  # noqa: PLW0603
    if not _postgres_ready:
        _reset_postgres(url)
        open_register(url).close()
        _postgres_ready = True
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
        conn.execute(sa.text("UPDATE audit_head SET seq = 0, hash = :zero"), {"zero": "0" * 64})
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """An empty SQLite register, migrated once and copied for each test."""
    from ldn_compound.register import open_register

    path = tmp_path_factory.mktemp("template") / "register.sqlite3"
    open_register(path).close()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def register_url(request, tmp_path, sqlite_template):
    """The URL of an empty register: a SQLite file, and a PostgreSQL database when CI provides one."""
    if request.param == "sqlite":
        import shutil

        shutil.copyfile(sqlite_template, tmp_path / "register.sqlite3")
        return f"sqlite:///{tmp_path / 'register.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip("LDN_TEST_POSTGRES_URL is not set (CI sets it)")
    _empty_postgres_register(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """The URL of an empty database (no register in it yet), on both engines."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip("LDN_TEST_POSTGRES_URL is not set (CI sets it)")
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def quick_hasher():
    """An argon2 hasher with small costs, so the tests that sign often stay quick."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _open_quick(url, hasher):
    import attrs

    from ldn_compound.register import open_register
    from ldn_compound.settings import default_settings

    return open_register(url, settings=attrs.evolve(default_settings(), wrong_pin_delay=0.0), pin_hasher=hasher)


@pytest.fixture
def register(register_url, quick_hasher):
    """An open, empty register (no wait after a wrong PIN), on each engine."""
    opened = _open_quick(register_url, quick_hasher)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_register(tmp_path, sqlite_template, quick_hasher):
    """An open, empty SQLite register, for the tests of logic that is the same on every engine."""
    import shutil

    shutil.copyfile(sqlite_template, tmp_path / "register.sqlite3")
    opened = _open_quick(tmp_path / "register.sqlite3", quick_hasher)
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def _own_register(request, monkeypatch):
    """Every test that registers a batch (e.g. ``batch --record``) does so in a register of its own.

    It is created lazily where the test first uses it, in a folder of its own (so a test that looks
    at its working folder finds only its files); never the user's real register.
    """
    folder = request.getfixturevalue("tmp_path_factory").mktemp("own-register")
    monkeypatch.setenv("LDN_COMPOUND_REGISTER", str(folder / "register.sqlite3"))
