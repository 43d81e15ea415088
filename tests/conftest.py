"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from xraysink.receiver import Receiver

# configure()'s default sampler is X-Ray centralized sampling (1 trace a second plus 5%
# until rules arrive): the suite's apps and scripts, in-process and in subprocesses,
# sample every trace as a user would ask with this variable. Tests of the default
# unset it.
os.environ.setdefault("OTEL_TRACES_SAMPLER", "always_on")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started X-Ray daemon stand-in on 127.0.0.1 and a free UDP port, closed after
    the test; send datagrams to ``("127.0.0.1", receiver.port)``."""
    with Receiver("127.0.0.1:0") as started:
        yield started


@pytest.fixture(scope="module")
def daemon() -> Iterator[Receiver]:
    """A receiver like ``receiver`` for a whole test module: a module's long-running
    servers send to it for all its tests."""
    with Receiver("127.0.0.1:0") as started:
        yield started
