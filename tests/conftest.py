"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

import xraysink
from xraysink.receiver import Receiver


def pytest_sessionstart(session: pytest.Session) -> None:
    # A compiled module built in place (make's .venv, setup.py) shadows its .py file:
    # after an edit the tests would run the old code.
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    stale = [
        str(source)
        for compiled in Path(xraysink.__file__).parent.rglob("*" + suffix)
        if (source := compiled.with_name(compiled.name.removesuffix(suffix) + ".py")).exists()
        and source.stat().st_mtime > compiled.stat().st_mtime
    ]
    if stale:
        pytest.exit(
            "compiled modules older than their source (run `make test`, which rebuilds "
            "them): " + ", ".join(sorted(stale)),
            returncode=4,
        )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started X-Ray daemon stand-in on 127.0.0.1 and a free UDP port, closed after
    the test; send datagrams to ``("127.0.0.1", receiver.port)``."""
    with Receiver("127.0.0.1:0") as started:
        yield started
