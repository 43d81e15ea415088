"""The cause block: exception events, Python tracebacks with chains, status-only errors."""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.translate.helpers import child, one, recorded, server
from xraysink.translate.cause import MAX_FRAMES, parse_traceback

_HEX16 = re.compile(r"[0-9a-f]{16}")


def _inner() -> None:
    raise KeyError("missing")


def _middle() -> None:
    _inner()


def _record(body: Any, kind: SpanKind = SpanKind.INTERNAL) -> ReadableSpan:
    """Run ``body`` inside a real span, record what it raises, return the ended span."""
    with recorded() as (tracer, spans):
        with tracer.start_as_current_span("work", kind=kind) as span:
            try:
                body()
            except Exception as error:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, str(error)))
    return spans[0]


def _line_of(function: Any, text: str) -> int:
    """The line number of the first source line of ``function`` containing ``text``."""
    lines, first = inspect.getsourcelines(function)
    return first + next(index for index, line in enumerate(lines) if text in line)


def test_single_exception_with_frames_innermost_first() -> None:
    entity = one(_record(_middle))
    assert entity["fault"] is True
    (exception,) = entity["cause"]["exceptions"]
    assert _HEX16.fullmatch(exception["id"])
    assert exception["type"] == "KeyError"
    assert exception["message"] == "'missing'"
    assert exception["remote"] is False
    labels = [frame["label"] for frame in exception["stack"]]
    assert labels == ["_inner", "_middle", "_record"]
    assert exception["stack"][0] == {
        "path": __file__,
        "line": _line_of(_inner, "raise KeyError"),
        "label": "_inner",
    }


def test_raise_from_gives_linked_exceptions_outermost_first() -> None:
    def outer() -> None:
        try:
            _middle()
        except KeyError as error:
            raise RuntimeError("lookup failed") from error

    outermost, cause = one(_record(outer))["cause"]["exceptions"]
    assert outermost["type"] == "RuntimeError"
    assert outermost["message"] == "lookup failed"
    assert outermost["cause"] == cause["id"]
    assert outermost["stack"][0]["label"] == "outer"
    assert cause["type"] == "KeyError"
    assert cause["message"] == "'missing'"
    assert [frame["label"] for frame in cause["stack"]] == ["_inner", "_middle", "outer"]
    assert "cause" not in cause


def test_during_handling_gives_linked_exceptions() -> None:
    def handler() -> None:
        try:
            _middle()
        except KeyError:
            {}["also missing"]

    outermost, context = one(_record(handler))["cause"]["exceptions"]
    assert outermost["type"] == "KeyError"
    assert outermost["message"] == "'also missing'"
    assert outermost["cause"] == context["id"]
    assert context["message"] == "'missing'"


def test_three_level_chain_with_an_unraised_cause() -> None:
    def chain() -> None:
        try:
            try:
                raise ValueError("first")
            except ValueError:
                raise TypeError("second") from OSError("never raised")
        except TypeError as error:
            raise LookupError("third") from error

    third, second, never = one(_record(chain))["cause"]["exceptions"]
    assert (third["type"], second["type"], never["type"]) == ("LookupError", "TypeError", "OSError")
    assert third["cause"] == second["id"]
    assert second["cause"] == never["id"]
    assert never["message"] == "never raised"
    assert "stack" not in never
    assert len({third["id"], second["id"], never["id"]}) == 3


def test_client_span_exceptions_are_remote() -> None:
    entity = one(_record(_middle, kind=SpanKind.CLIENT))
    assert entity["cause"]["exceptions"][0]["remote"] is True


def test_module_qualified_cause_type_from_the_text() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/app/db.py", line 3, in get\n'
        "    run()\n"
        "app.errors.NotFound: row 7\n"
        "\n"
        "The above exception was the direct cause of the following exception:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "/app/api.py", line 9, in handle\n'
        "    get()\n"
        "app.errors.ApiError: bad\n"
    )
    event = Event(
        "exception",
        {"exception.type": "ApiError", "exception.message": "bad", "exception.stacktrace": text},
    )
    outer, inner = one(child(events=[event]))["cause"]["exceptions"]
    assert outer["type"] == "ApiError"
    assert outer["stack"] == [{"path": "/app/api.py", "line": 9, "label": "handle"}]
    assert inner["type"] == "app.errors.NotFound"
    assert inner["message"] == "row 7"


def test_caret_lines_and_multiline_messages() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/srv/a, b.py", line 12, in <module>\n'
        "    total = price / count\n"
        "            ~~~~~~^~~~~~~\n"
        '  File "/srv/lib.py", line 40, in divide\n'
        "    return a / b\n"
        "           ^^^^^\n"
        "  [Previous line repeated 2 more times]\n"
        "ZeroDivisionError: first line\n"
        "    second line\n"
        "third line\n"
    )
    event = Event(
        "exception", {"exception.type": "ZeroDivisionError", "exception.stacktrace": text}
    )
    (exception,) = one(child(events=[event]))["cause"]["exceptions"]
    assert exception["stack"] == [
        {"path": "/srv/lib.py", "line": 40, "label": "divide"},
        {"path": "/srv/a, b.py", "line": 12, "label": "<module>"},
    ]
    assert exception["message"] == "first line\n    second line\nthird line"


def test_real_caret_traceback_parses() -> None:
    def divide() -> None:
        values = {"count": 0}
        print(1 + 10 / values["count"])

    (exception,) = one(_record(divide))["cause"]["exceptions"]
    assert exception["type"] == "ZeroDivisionError"
    assert exception["stack"][0]["label"] == "divide"
    assert exception["stack"][0]["line"] == _line_of(divide, "print(1 + 10")


def test_syntax_error_frame_without_label() -> None:
    def compile_bad() -> None:
        compile("x = (", "<generated>", "exec")

    (exception,) = one(_record(compile_bad))["cause"]["exceptions"]
    assert exception["type"] == "SyntaxError"
    assert exception["stack"][0] == {"path": "<generated>", "line": 1, "label": ""}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception groups are Python 3.11+")
def test_exception_group_degrades_to_one_exception() -> None:
    def group() -> None:
        raise ExceptionGroup("several", [ValueError("a"), TypeError("b")])  # noqa: F821

    (exception,) = one(_record(group))["cause"]["exceptions"]
    assert exception["type"] == "ExceptionGroup"
    assert exception["message"] == "several (2 sub-exceptions)"
    assert "stack" not in exception


def test_frames_are_capped_keeping_the_innermost() -> None:
    frames = "".join(
        f'  File "/m{index}.py", line {index}, in f{index}\n    f()\n' for index in range(100)
    )
    text = "Traceback (most recent call last):\n" + frames + "RecursionError: deep\n"
    event = Event("exception", {"exception.type": "RecursionError", "exception.stacktrace": text})
    (exception,) = one(child(events=[event]))["cause"]["exceptions"]
    assert len(exception["stack"]) == MAX_FRAMES
    assert exception["truncated"] == 100 - MAX_FRAMES
    assert exception["stack"][0]["label"] == "f99"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a traceback at all",
        "Traceback (most recent call last):\n",
        '  File "x.py", line\n',
        '  File "x.py"\nBoom',
        '  File "x.py", line ², in f\nValueError: v',
        "The above exception was the direct cause of the following exception:\n",
        "\n\n\n",
        'Traceback (most recent call last):\r\n  File "w.py", line 3, in g\r\nOSError: crlf\r\n',
        "\ud800 surrogate \udfff",
    ],
)
def test_malformed_stack_text_never_raises(text: str) -> None:
    event = Event(
        "exception",
        {"exception.type": "ValueError", "exception.message": "m", "exception.stacktrace": text},
    )
    exceptions = one(child(events=[event]))["cause"]["exceptions"]
    assert exceptions[0]["type"] == "ValueError"
    assert exceptions[0]["message"] == "m"


def test_exception_event_with_odd_attribute_types() -> None:
    event = Event(
        "exception",
        {"exception.type": 7, "exception.message": b"\xffbytes", "exception.stacktrace": 3.5},
    )
    (exception,) = one(child(events=[event]))["cause"]["exceptions"]
    assert exception["message"] == "\ufffdbytes"
    assert "type" not in exception


_TRACEBACK_ALPHABET = [*" \n\r\"',:^~File line in Traceback()ab1", "\ud800"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_TRACEBACK_ALPHABET)))
def test_parser_never_raises_on_arbitrary_text(text: str) -> None:
    for kind, message, frames in parse_traceback(text):
        assert isinstance(kind, str)
        assert isinstance(message, str)
        for frame in frames:
            assert set(frame) == {"path", "line", "label"}
            assert isinstance(frame["line"], int)


def test_status_only_error_uses_the_description() -> None:
    entity = one(child(status=Status(StatusCode.ERROR, "upstream timed out")))
    assert entity["fault"] is True
    (exception,) = entity["cause"]["exceptions"]
    assert exception["message"] == "upstream timed out"
    assert _HEX16.fullmatch(exception["id"])
    assert "type" not in exception


def test_status_only_error_falls_back_to_http_status_text() -> None:
    attributes = {"http.status_code": 503, "http.status_text": "Service Unavailable"}
    entity = one(server(attributes, status=Status(StatusCode.ERROR)))
    assert entity["cause"]["exceptions"][0]["message"] == "Service Unavailable"
    assert "metadata" not in entity or "http.status_text" not in entity["metadata"]["default"]


def test_status_only_error_without_description_has_no_cause() -> None:
    entity = one(child(status=Status(StatusCode.ERROR)))
    assert entity["fault"] is True
    assert "cause" not in entity


def test_http_status_text_stays_in_metadata_without_an_error() -> None:
    entity = one(server({"http.status_code": 200, "http.status_text": "OK"}))
    assert entity["metadata"]["default"]["http.status_text"] == "OK"


def test_exception_event_on_an_unset_status_gives_a_cause_without_fault() -> None:
    event = Event("exception", {"exception.type": "Warning", "exception.message": "handled"})
    entity = one(child(events=[event]))
    assert entity["cause"]["exceptions"][0]["type"] == "Warning"
    assert "fault" not in entity


def test_aws_sdk_http_failure_events() -> None:
    event = Event(
        "HTTP request failure",
        {"http.response.status_code": 500, "aws.http.error_message": "InternalError"},
        timestamp=1_700_000_000_250_000_000,
    )
    attributes = {"rpc.system": "aws-api", "rpc.service": "S3"}
    entity = one(child(attributes, kind=SpanKind.CLIENT, events=[event]))
    (exception,) = entity["cause"]["exceptions"]
    assert exception["type"] == "aws.http.error.event"
    assert exception["remote"] is True
    assert exception["message"] == "500@1700000000.250000@InternalError"
