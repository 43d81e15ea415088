"""One after-fork registry: objects that must renew threads, sockets or locks in a
forked child (gunicorn and ``uvicorn --workers`` fork after the app is imported)."""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class ForkAware(Protocol):
    def _after_fork_in_child(self) -> None: ...


_live: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def renew_after_fork(item: ForkAware) -> None:
    """Call ``item._after_fork_in_child()`` in every child forked while ``item`` lives."""
    _live.add(item)


def _renew_all_in_child() -> None:
    for item in list(_live):
        item._after_fork_in_child()


os.register_at_fork(after_in_child=_renew_all_in_child)
