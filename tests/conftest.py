"""Shared test set-up: hypothesis profiles (derandomised in CI so every run is the same)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=60)
settings.register_profile(
    "ci", deadline=None, max_examples=100, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


# --------------------------------------------------------------------------- the batch register, on both engines

import pytest  # noqa: E402

POSTGRES_URL = os.environ.get("LDN_TEST_POSTGRES_URL", "")


def _reset_postgres(url: str) -> None:
    """An empty PostgreSQL database for one test (everything in the public schema dropped)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def register_url(request, tmp_path):
    """The URL of an empty register: a SQLite file, and a PostgreSQL database when CI provides one."""
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


@pytest.fixture
def register(register_url, quick_hasher):
    """An open, empty register (no wait after a wrong PIN)."""
    import attrs

    from ldn_compound.register import open_register
    from ldn_compound.settings import default_settings

    settings = attrs.evolve(default_settings(), wrong_pin_delay=0.0)
    opened = open_register(register_url, settings=settings, pin_hasher=quick_hasher)
    yield opened
    opened.close()
