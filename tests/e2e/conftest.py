"""One receiver per test module: the module's server sends to it for all its tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xraysink.receiver.server import Receiver


@pytest.fixture(scope="module")
def daemon() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver
