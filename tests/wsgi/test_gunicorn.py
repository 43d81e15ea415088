"""Flask under a real gunicorn with 2 forked worker processes: every worker sends its
requests' segments, none is lost or sent twice, whether the app (and xraysink) was
loaded in the master before the fork (``--preload``) or in each worker."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from tests.servers import APPS, ROOT
from xraysink.receiver.server import Receiver

REQUESTS = 40
_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


@contextmanager
def gunicorn(receiver: Receiver, setup: str, preload: bool) -> Iterator[str]:
    """gunicorn serving ``flask_sdk:app`` with 2 sync workers on a free port of
    127.0.0.1; yields its base URL once both workers booted."""
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:0"]
    command += ["--preload"] if preload else []
    env = {
        **os.environ,
        "PYTHONPATH": f"{APPS}{os.pathsep}{ROOT}",
        "AWS_XRAY_DAEMON_ADDRESS": receiver.address,
        "APP_SETUP": setup,
    }
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [*command, "flask_sdk:app"], env=env, stdout=log, stderr=log, text=True
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                log.seek(0)
                text = log.read()
                match = _LISTENING.search(text)
                if match and text.count("Booting worker with pid") >= 2:
                    break
                assert process.poll() is None and time.monotonic() < deadline, text
                time.sleep(0.05)
            yield match.group(1)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.parametrize(
    ("setup", "preload"), [("recorder", True), ("xraysink", True), ("xraysink", False)]
)
def test_every_worker_sends_each_segment_once(
    receiver: Receiver, setup: str, preload: bool
) -> None:
    with gunicorn(receiver, setup, preload) as base, httpx.Client(base_url=base) as client:

        def get(order: int) -> int:
            # Slow enough that one worker cannot take every request.
            response = client.get(f"/orders/{order}", params={"sleep": "0.05"}, timeout=10)
            assert response.status_code == 200
            pid: int = response.json()["pid"]
            return pid

        with ThreadPoolExecutor(4) as pool:
            pids = list(pool.map(get, range(REQUESTS)))
        assert receiver.wait_for(
            lambda documents: sum("type" not in d for d in documents) >= REQUESTS, 10
        )
        receiver.wait_quiet(0.5)

    assert len(set(pids)) == 2, "both workers served requests"
    segments = [d for d in receiver.documents if "type" not in d]
    assert len(segments) == REQUESTS
    assert len({s["id"] for s in segments}) == REQUESTS
    assert len({s["trace_id"] for s in segments}) == REQUESTS
    lookups = sorted(sub["name"] for s in segments for sub in s.get("subsegments", ()))
    assert lookups.count("otel step") == REQUESTS
    assert sorted(n for n in lookups if n != "otel step") == sorted(
        f"lookup {order}" for order in range(REQUESTS)
    )
