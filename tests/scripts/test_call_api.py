"""``examples/scripts/call_api.py`` (X-Ray SDK call sites) and ``call_api_otel.py``
(OpenTelemetry only) run as a user runs them, against a FastAPI service traced by
xraysink under uvicorn: the script's segment, its call's subsegment and the service's
segment form one trace, the service parented on the call."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.xray import by_name, descends_from, segments, wait_for_trace
from tests.servers import ROOT, daemon_env, serve, uvicorn
from xraysink.receiver.server import Receiver

SCRIPTS = ROOT / "examples" / "scripts"


@pytest.fixture(scope="module")
def service(daemon: Receiver) -> Iterator[str]:
    with serve(uvicorn("otel_first_fastapi:app"), daemon_env(daemon.port)) as base:
        yield base


@pytest.mark.parametrize("script", ["call_api.py", "call_api_otel.py"])
def test_script_and_service_form_one_trace(daemon: Receiver, service: str, script: str) -> None:
    url = f"{service}/orders/42"
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / script), "-u", url],
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "AWS_XRAY_DAEMON_ADDRESS": daemon.address,
            "AWS_EC2_METADATA_DISABLED": "true",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(
        rf"200 {re.escape(url)} trace_id=(1-[0-9a-f]{{8}}-[0-9a-f]{{24}})\n", result.stdout
    )
    assert match, result.stdout
    trace_id = match.group(1)

    entities = wait_for_trace(daemon, trace_id, 3, until=lambda found: len(segments(found)) == 2)
    (script_segment,) = by_name(segments(entities), "call-api")
    assert "parent_id" not in script_segment
    (service_segment,) = by_name(segments(entities), "otel-first")
    calls = [e for e in entities if e.get("namespace") == "remote" and e["_trace"] == trace_id]
    assert calls, entities
    # The call that carried the trace header is the service segment's parent, and it
    # descends from the script's segment.
    (carrier,) = [call for call in calls if call["id"] == service_segment["parent_id"]]
    assert carrier["http"]["request"]["url"] == url
    assert carrier["http"]["response"]["status"] == 200
    assert descends_from(entities, carrier, script_segment)
