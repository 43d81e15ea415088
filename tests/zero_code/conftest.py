"""Fixtures of the zero-code tests: xraysink's entry points registered for child
processes, and the tripwire that fails a test whose child tried to leave this machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.zero_code.local import Tripwire, register_entry_points


@pytest.fixture(scope="session")
def entry_points(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return register_entry_points(tmp_path_factory.mktemp("entry_points"))


@pytest.fixture(scope="session")
def tripwire() -> Iterator[Tripwire]:
    wire = Tripwire()
    yield wire
    wire.close()


@pytest.fixture(autouse=True)
def nothing_left_this_machine(tripwire: Tripwire) -> Iterator[None]:
    before = tripwire.connections
    yield
    assert tripwire.connections == before, "a child process tried to reach another machine"
