"""xraysink in AWS Lambda, simulated here: each scenario a fresh runtime process (a cold
start) with the runtime's environment, invoked several times in a row with a new
``_X_AMZN_TRACE_ID`` each time and frozen between invocations, its documents received at
a real UDP socket standing for ``AWS_XRAY_DAEMON_ADDRESS``. Everything is checked while
the environment is frozen: what was not sent before the handler returned is not there."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.apps.downstream import Downstream, downstream
from tests.aws_lambda.runtime import FUNCTION, LambdaRuntime, trace_header
from tests.e2e.xray import by_name, entities_of, new_root, wait_for_trace
from xraysink.receiver.server import Receiver


def new_parent() -> str:
    return os.urandom(8).hex()


@pytest.fixture
def called() -> Iterator[Downstream]:
    """A real HTTP server on 127.0.0.1 that answers 200 and keeps each request's headers."""
    with downstream() as started:
        yield started


def only_subsegment_documents(receiver: Receiver) -> None:
    """The function never sends a segment: Lambda records the function's."""
    assert receiver.documents, "nothing arrived"
    for document in receiver.documents:
        assert document.get("type") == "subsegment", document


def test_sdk_call_sites_send_subsegments_of_each_invocation(
    receiver: Receiver, called: Downstream
) -> None:
    url = f"{called.url}/orders"
    invocations = [(new_root(), new_parent(), sampled) for sampled in (1, 0, 1)]
    with LambdaRuntime("lambda_sdk.handler", receiver) as runtime:
        for number, (root, parent, sampled) in enumerate(invocations):
            header = trace_header(root, parent, sampled)
            outcome = runtime.invoke({"url": url}, header, f"req-{number}")
            # current_segment() is the SDK's facade of the function's segment.
            assert outcome == {"result": {"status": 200, "facade": [root, parent]}}
            if not sampled:
                continue
            entities = wait_for_trace(receiver, root, 2)
            (work,) = by_name(entities, "work")
            assert work["type"] == "subsegment" and work["parent_id"] == parent
            assert work["annotations"] == {"request_id": f"req-{number}"}
            (call,) = by_name(entities, "127.0.0.1")
            assert call["_parent"] == work["id"] and call["namespace"] == "remote"
            assert call["http"]["request"]["url"] == url
            assert call["http"]["response"]["status"] == 200
            # The patched call carried this invocation's trace to the downstream service.
            sent = called.requests[-1][2]["x-amzn-trace-id"]
            assert f"Root={root}" in sent and f"Parent={call['id']}" in sent

    unsampled_root = invocations[1][0]
    assert entities_of(receiver.documents, unsampled_root) == []
    only_subsegment_documents(receiver)
    assert len(receiver.documents) == 2


def test_nothing_leaks_into_the_next_invocation(receiver: Receiver) -> None:
    first, second = (new_root(), new_parent()), (new_root(), new_parent())
    with LambdaRuntime("lambda_sdk.leaky_handler", receiver) as runtime:
        runtime.invoke({}, trace_header(*first, 1), "req-1")
        # The first invocation left its subsegment open: the second starts clean.
        runtime.invoke({}, trace_header(*second, 1), "req-2", handler="quiet_handler")
        (quiet,) = wait_for_trace(receiver, second[0], 1)
        assert quiet["name"] == "quiet" and quiet["parent_id"] == second[1]
    assert entities_of(receiver.documents, first[0]) == []


def test_sdk_flask_middleware_takes_its_lambda_branch(receiver: Receiver) -> None:
    root, parent = new_root(), new_parent()
    # The API Gateway's own trace header names the gateway's segment, not the function's.
    event = {"path": "/hello", "headers": {"X-Amzn-Trace-Id": trace_header(root, "1" * 16, 1)}}
    with LambdaRuntime("lambda_sdk.flask_handler", receiver) as runtime:
        outcome = runtime.invoke(event, trace_header(root, parent, 1), "req-1")
        assert outcome == {"result": {"status": 200, "lambda_branch": True}}
        entities = wait_for_trace(receiver, root, 2)
    (request,) = by_name(entities, "fn-flask")
    assert request["type"] == "subsegment" and request["parent_id"] == parent
    assert request["http"]["request"]["url"] == "http://localhost/hello"
    assert request["http"]["request"]["method"] == "GET"
    assert request["http"]["response"] == {"status": 200, "content_length": 5}
    (render,) = by_name(entities, "render")
    assert render["_parent"] == request["id"]
    only_subsegment_documents(receiver)


def test_sdk_error_is_the_subsegments_cause(receiver: Receiver) -> None:
    root, parent = new_root(), new_parent()
    with LambdaRuntime("lambda_sdk.failing_handler", receiver) as runtime:
        outcome = runtime.invoke({}, trace_header(root, parent, 1), "req-1")
        assert outcome == {"error": "ValueError", "message": "bad input"}
        (doomed,) = wait_for_trace(receiver, root, 1)
    assert doomed["name"] == "doomed" and doomed["parent_id"] == parent and doomed["fault"]
    (exception,) = doomed["cause"]["exceptions"]
    assert exception["type"] == "ValueError" and exception["message"] == "bad input"


@pytest.mark.parametrize("propagators", [None, "xray-lambda"])
def test_otel_lambda_instrumentation(receiver: Receiver, propagators: str | None) -> None:
    env = {"OTEL_PROPAGATORS": propagators} if propagators else {}
    invocations = [(new_root(), new_parent(), sampled) for sampled in (1, 0, 1)]
    with LambdaRuntime("lambda_otel.handler", receiver, **env) as runtime:
        for number, (root, parent, sampled) in enumerate(invocations):
            event = {
                "requestContext": {"stage": "prod"},
                "httpMethod": "GET",
                "path": "/orders",
                "headers": {"X-Amzn-Trace-Id": trace_header(root, "2" * 16, 1)},
            }
            outcome = runtime.invoke(event, trace_header(root, parent, sampled), f"req-{number}")
            assert outcome == {"result": {"statusCode": 200}}
            if not sampled:
                continue
            entities = wait_for_trace(receiver, root, 2)
            (function,) = by_name(entities, FUNCTION)
            # The instrumentation's SERVER span is a subsegment of the function's segment.
            assert function["type"] == "subsegment" and function["parent_id"] == parent
            assert function["metadata"]["default"]["faas.invocation_id"] == f"req-{number}"
            assert function["http"]["response"]["status"] == 200
            assert "origin" not in function and "xray" not in function.get("aws", {})
            (query,) = by_name(entities, "query")
            assert query["_parent"] == function["id"]
    assert entities_of(receiver.documents, invocations[1][0]) == []
    only_subsegment_documents(receiver)


def test_traced_decorator(receiver: Receiver) -> None:
    invocations = [(new_root(), new_parent(), sampled) for sampled in (1, 0, 1)]
    with LambdaRuntime("lambda_traced.handler", receiver) as runtime:
        for number, (root, parent, sampled) in enumerate(invocations):
            event = {"rows": number, "fail": number == 2}
            outcome = runtime.invoke(event, trace_header(root, parent, sampled), f"req-{number}")
            if number == 2:
                assert outcome == {"error": "RuntimeError", "message": "downstream refused"}
            else:
                assert outcome == {"result": {"ok": True}}
            if not sampled:
                continue
            entities = wait_for_trace(receiver, root, 2)
            (handler,) = by_name(entities, "lambda_traced.handler")
            assert handler["type"] == "subsegment" and handler["parent_id"] == parent
            metadata = handler["metadata"]["default"]
            assert metadata["faas.invocation_id"] == f"req-{number}"
            assert metadata["cloud.resource_id"].endswith(f":function:{FUNCTION}")
            (query,) = by_name(entities, "query")
            assert query["_parent"] == handler["id"]
            assert query["metadata"]["default"]["rows"] == number
    failed = by_name(entities_of(receiver.documents, invocations[2][0]), "lambda_traced.handler")
    assert failed[0]["fault"] is True
    assert failed[0]["cause"]["exceptions"][0]["type"] == "RuntimeError"
    assert entities_of(receiver.documents, invocations[1][0]) == []
    only_subsegment_documents(receiver)


def test_recorder_set_up_with_async_context(receiver: Receiver) -> None:
    invocations = [(new_root(), new_parent(), sampled) for sampled in (0, 1)]
    with LambdaRuntime("lambda_recorder.handler", receiver) as runtime:
        for number, (root, parent, sampled) in enumerate(invocations):
            outcome = runtime.invoke({"n": number}, trace_header(root, parent, sampled), "r")
            assert outcome == {"result": {"context": "LambdaAsyncContext"}}
        root, parent, _ = invocations[1]
        entities = {e["name"]: e for e in wait_for_trace(receiver, root, 2)}
    work = entities["work"]
    assert work["name"] == "work" and work["parent_id"] == parent
    assert entities["inner"]["_parent"] == work["id"]
    assert work["metadata"]["default"]["event"] == {"n": 1}
    assert entities_of(receiver.documents, invocations[0][0]) == []
    only_subsegment_documents(receiver)


def test_sdk_django_middleware_takes_its_lambda_branch(receiver: Receiver) -> None:
    root, parent = new_root(), new_parent()
    with LambdaRuntime("lambda_django.handler", receiver, APP_SETUP="xraysink") as runtime:
        outcome = runtime.invoke({"path": "/orders/7"}, trace_header(root, parent, 1), "r")
        assert outcome == {"result": {"status": 200, "lambda_branch": True}}
        entities = wait_for_trace(receiver, root, 5)
    (request,) = by_name(entities, "django-app")
    assert request["type"] == "subsegment" and request["parent_id"] == parent
    assert request["http"]["request"]["url"] == "http://localhost/orders/7"
    assert request["http"]["response"]["status"] == 200
    # The SDK's Lambda branch also records the request as annotations, searchable.
    assert request["annotations"]["url"] == "http://localhost/orders/7"
    for name in ("orders-db", "order.html", "lookup 7", "otel step"):
        (child,) = by_name(entities, name)
        assert child["_parent"] == request["id"]
    only_subsegment_documents(receiver)
