"""Shared fixtures: the state backends (SQLite always; PostgreSQL when AETHER_TEST_POSTGRES
names a test database, else those cases are skipped with the reason)."""

from __future__ import annotations

import pytest

from state_backends import SKIP_REASON, make_state_db, postgres_base_url

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def state_db(request, tmp_path):
    """A fresh, empty state database of each backend (a ``StateDb``)."""
    if request.param == "postgres" and postgres_base_url() is None:
        pytest.skip(SKIP_REASON)
    db = make_state_db(request.param, tmp_path)
    yield db
    db.cleanup()


@pytest.fixture
def postgres_db(tmp_path):
    """A fresh PostgreSQL schema (a ``StateDb``); skipped without AETHER_TEST_POSTGRES."""
    if postgres_base_url() is None:
        pytest.skip(SKIP_REASON)
    db = make_state_db("postgres", tmp_path)
    yield db
    db.cleanup()
