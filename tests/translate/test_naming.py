"""The name chain on its own (collector segment.go), sanitised from every source."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind

from xraysink.translate.naming import FALLBACK_NAME, make_name
from xraysink.translate.shape import shape_of


def name(attributes: dict[str, Any], kind: SpanKind = SpanKind.INTERNAL, **options: Any) -> str:
    present = shape_of(attributes).present
    span_name = options.get("span_name", "op")
    return make_name(attributes, present, kind, span_name, options.get("service"), False)[0]


def test_xraysink_name_outranks_every_attribute() -> None:
    assert name({"xraysink.name": "my<task>!", "peer.service": "peer"}) == "mytask"


def test_database_name_keeps_the_host_case() -> None:
    attributes = {"db.name": "orders", "db.connection_string": "postgresql://DB.Example:5432"}
    assert name(attributes, SpanKind.CLIENT) == "orders@DB.Example"


def test_server_spans_take_the_service_name() -> None:
    assert name({"http.request.method": "GET"}, SpanKind.SERVER, service="shop") == "shop"


def test_client_spans_are_named_after_the_host_they_call() -> None:
    assert name({"url.full": "https://api.example.com/v1"}, SpanKind.CLIENT) == "api.example.com"
    assert name({"server.address": "stock.internal"}, SpanKind.CLIENT) == "stock.internal"


def test_an_aws_service_name_is_flagged() -> None:
    present = shape_of({"aws.service": "S3"}).present
    assert make_name({"aws.service": "S3"}, present, SpanKind.CLIENT, "op", None, False) == (
        "S3",
        True,
    )


def test_an_empty_source_falls_through_to_the_span_name_then_the_fallback() -> None:
    assert name({"peer.service": "<>"}, span_name="GET /x") == "GET /x"
    assert name({}, span_name="!!!") == FALLBACK_NAME
