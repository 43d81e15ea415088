"""Builders of X-Ray documents and daemon datagrams shared by the tests."""

from __future__ import annotations

import json
from typing import Any

from xraysink.emitters.protocol import PROTOCOL_HEADER

#: The daemon protocol header line, newline included.
HEADER = PROTOCOL_HEADER
TRACE_ID = "1-5f0a1b2c-0123456789abcdef01234567"
#: Epoch seconds the built documents' times count from.
BASE = 1_700_000_000.0


def datagram(doc: dict[str, Any]) -> bytes:
    """One daemon datagram holding ``doc``."""
    return HEADER + json.dumps(doc).encode()


def entity(name: str, ident: str, start: float, end: float, **fields: Any) -> dict[str, Any]:
    """An entity named ``name`` whose id is ``ident`` repeated to 16 characters, from
    ``BASE + start`` to ``BASE + end`` seconds; ``fields`` are added as they are."""
    return {
        "name": name,
        "id": ident * 16,
        "start_time": BASE + start,
        "end_time": BASE + end,
        **fields,
    }
