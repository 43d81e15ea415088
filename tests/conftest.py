"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xraysink.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started X-Ray daemon stand-in on 127.0.0.1 and a free UDP port, closed after
    the test; send datagrams to ``("127.0.0.1", receiver.port)``."""
    with Receiver("127.0.0.1:0") as started:
        yield started
