"""Framework spans (FastAPI's SERVER and ``fastapi.*`` operation spans): left out under
the 1.6.2 call sites, kept under ``xraysink.configure``, and ``XRAYSINK_FRAMEWORK_SPANS``
/ ``configure(framework_spans=...)`` choosing otherwise. Each app runs in a fresh
interpreter (one global TracerProvider) under Starlette's TestClient."""

from __future__ import annotations

import pytest

from tests.e2e.xray import by_name, segments, wait_for_trace
from tests.scripts import printed_trace_id, run_isolated
from xraysink.receiver.server import Receiver

RECORDER = """
from aws_xray_sdk.core import xray_recorder
from xraysink.context import AsyncContext
xray_recorder.configure(service="svc", sampling=False, context=AsyncContext(),
                        daemon_address="{address}")
"""
OTEL_FIRST = """
import xraysink
xraysink.configure(service="svc", daemon_address="{address}"{arguments})
from aws_xray_sdk.core import xray_recorder
"""
APP = """
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import trace
from starlette.middleware.base import BaseHTTPMiddleware
from xraysink.asgi.middleware import xray_middleware

app = FastAPI()
app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)

@app.get("/ok")
async def ok():
    xray_recorder.put_annotation("where", "handler")
    context = trace.get_current_span().get_span_context()
    return {{"trace_id": f"{{context.trace_id:032x}}"}}

with TestClient(app) as client:
    print(client.get("/ok", headers={headers}).json()["trace_id"])
"""
OPERATIONS = {"fastapi.dependencies", "fastapi.endpoint", "fastapi.serialization"}


def serve_one(
    receiver: Receiver,
    setup: str,
    env: dict[str, str] | None = None,
    arguments: str = "",
    headers: str = "{}",
) -> list[dict]:
    code = (setup + APP).format(address=receiver.address, arguments=arguments, headers=headers)
    result = run_isolated(code, **(env or {}))
    return wait_for_trace(receiver, printed_trace_id(result), 1)


def test_recorder_set_up_makes_no_framework_span(receiver: Receiver) -> None:
    entities = serve_one(receiver, RECORDER)
    (segment,) = entities
    assert segment["name"] == "svc"
    # put_annotation with no subsegment open lands on the request segment, as in 1.6.2.
    assert segment["annotations"] == {"where": "handler"}
    # The TestClient's peer is no IP literal: recorded as it is, as 1.6.2 did.
    assert segment["http"]["request"]["client_ip"] == "testclient"
    assert "x_forwarded_for" not in segment["http"]["request"]


def test_environment_turns_framework_spans_on_for_the_recorder(receiver: Receiver) -> None:
    entities = serve_one(receiver, RECORDER, {"XRAYSINK_FRAMEWORK_SPANS": "true"})
    (segment,) = segments(entities)
    assert {e["name"] for e in entities if e is not segment} == OPERATIONS
    (endpoint,) = by_name(entities, "fastapi.endpoint")
    assert endpoint["annotations"] == {"where": "handler"}


def test_configure_keeps_framework_spans(receiver: Receiver) -> None:
    entities = serve_one(receiver, OTEL_FIRST, arguments="")
    (segment,) = segments(entities)
    assert {e["name"] for e in entities if e is not segment} == OPERATIONS
    assert all(e["_parent"] == segment["id"] for e in entities if e is not segment)


@pytest.mark.parametrize(
    ("env", "arguments"),
    [({"XRAYSINK_FRAMEWORK_SPANS": "false"}, ""), ({}, ", framework_spans=False")],
    ids=["environment", "argument"],
)
def test_framework_spans_off_under_configure(
    receiver: Receiver, env: dict[str, str], arguments: str
) -> None:
    (segment,) = serve_one(receiver, OTEL_FIRST, env, arguments)
    assert segment["annotations"] == {"where": "handler"}


def test_a_bad_setting_is_refused_at_configure(receiver: Receiver) -> None:
    code = (OTEL_FIRST + "print('configured')").format(address=receiver.address, arguments="")
    result = run_isolated(code, XRAYSINK_FRAMEWORK_SPANS="sometimes")
    assert result.returncode != 0
    assert "XRAYSINK_FRAMEWORK_SPANS must be true or false" in result.stderr


def test_incoming_parent_is_kept_without_framework_spans(receiver: Receiver) -> None:
    root = "1-6b156d6b-4289149b2e6387b35da697f8"
    header = repr({"X-Amzn-Trace-Id": f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"})
    (segment,) = serve_one(receiver, RECORDER, headers=header)
    assert segment["trace_id"] == root
    assert segment["parent_id"] == "53995c3f42cd8ad8"


def test_recorder_turns_fastapis_own_tracing_off_unless_the_app_chose(
    receiver: Receiver,
) -> None:
    code = (
        RECORDER.format(address=receiver.address)
        + """
from fastapi import FastAPI
print(FastAPI()._telemetry["tracing"], FastAPI(telemetry={"metrics": False})._telemetry["metrics"],
      FastAPI(telemetry={"metrics": False})._telemetry["tracing"],
      FastAPI(telemetry={"tracing": True})._telemetry["tracing"])
"""
    )
    result = run_isolated(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "True"]


def test_an_app_that_keeps_fastapis_tracing_still_gets_the_1_6_2_shape(
    receiver: Receiver,
) -> None:
    # telemetry={"tracing": True}: FastAPI runs its telemetry, its tracer makes no span.
    setup = RECORDER + "import fastapi\n"
    code = (setup + APP).replace("app = FastAPI()", 'app = FastAPI(telemetry={{"tracing": True}})')
    result = run_isolated(code.format(address=receiver.address, headers="{}"))
    (segment,) = wait_for_trace(receiver, printed_trace_id(result), 1)
    assert segment["annotations"] == {"where": "handler"}
