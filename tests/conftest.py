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
