"""``uvicorn --workers 2`` (issue 4 §1): each worker process sends from its own socket
and no request's document is lost or sent twice. Marked ``soak`` because starting two
spawned workers takes several seconds on a busy machine; run by ``make soak``."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.xray import root_of
from tests.reliability.test_delivery_faults import APP, arrived_once
from tests.servers import daemon_env, serve, uvicorn
from xraysink.receiver.server import Receiver

pytestmark = pytest.mark.soak


def test_uvicorn_workers_each_send_from_their_own_socket(receiver: Receiver) -> None:
    command = [*uvicorn(APP), "--workers", "2"]
    with serve(command, daemon_env(receiver.port)) as url:
        pids: set[int] = set()
        trace_ids: list[str] = []
        deadline = time.monotonic() + 20
        while (len(pids) < 2 or len(trace_ids) < 100) and time.monotonic() < deadline:
            # A new connection per request lets the kernel hand it to either worker.
            try:
                response = httpx.get(url + "/work")
            except httpx.ConnectError:
                # The workers listen once they have started; the parent only binds.
                time.sleep(0.05)
                continue
            assert response.status_code == 200
            pids.add(response.json()["pid"])
            trace_ids.append(root_of(response))
        assert len(pids) == 2
        arrived_once(receiver, trace_ids)
        assert receiver.wait_quiet(0.2)
    assert len(receiver.documents) == len(trace_ids)
    assert len({record.sender for record in receiver.records}) == 2
