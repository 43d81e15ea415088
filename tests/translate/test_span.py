"""Ids, times, segment/subsegment, names, namespace, links and the Application Signals split."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import Link, SpanKind

from tests.translate.helpers import (
    PARENT_ID,
    RESOURCE,
    check,
    child,
    context,
    one,
    recorded,
    server,
    span,
)
from xraysink.translate import translate_span


def test_ids_and_times_of_a_root_span() -> None:
    entity = one(span())
    assert entity["id"] == "53995c3f42cd8ad8"
    assert entity["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert entity["start_time"] == 1_700_000_000.1234567
    assert entity["end_time"] == 1_700_000_000.6234567
    assert "parent_id" not in entity
    assert "type" not in entity


def test_end_before_start_is_clamped_to_start() -> None:
    entity = one(span(start=2_000_000_000_000_000_000, end=1_000_000_000_000_000_000))
    assert entity["start_time"] == entity["end_time"] == 2_000_000_000.0


def test_unended_span_ends_at_its_start() -> None:
    entity = one(span(end=None))
    assert entity["end_time"] == entity["start_time"]


def test_child_span_is_a_subsegment_with_parent_id() -> None:
    entity = one(child())
    assert entity["type"] == "subsegment"
    assert entity["parent_id"] == "1122334455667788"


def test_server_span_with_remote_parent_is_a_segment_with_parent_id() -> None:
    entity = one(server(parent=context(PARENT_ID, remote=True)))
    assert "type" not in entity
    assert entity["parent_id"] == "1122334455667788"


def test_client_span_with_remote_parent_is_a_subsegment() -> None:
    entity = one(span(kind=SpanKind.CLIENT, parent=context(PARENT_ID, remote=True)))
    assert entity["type"] == "subsegment"


def test_spans_from_a_real_tracer_provider() -> None:
    with recorded() as (tracer, spans):
        with tracer.start_as_current_span("GET /", kind=SpanKind.SERVER) as root:
            with tracer.start_as_current_span("work"):
                pass
    work, request = spans
    segment = one(request)
    subsegment = one(work)
    assert segment["id"] == format(root.get_span_context().span_id, "016x")
    assert subsegment["parent_id"] == segment["id"]
    assert subsegment["trace_id"] == segment["trace_id"]
    assert subsegment["type"] == "subsegment"
    assert "type" not in segment
    assert segment["start_time"] <= subsegment["start_time"] <= subsegment["end_time"]


# Name chain (collector segment.go), highest priority first.


def test_name_override_beats_everything_and_is_sanitised() -> None:
    attributes = {"xraysink.name": "my<task>!", "peer.service": "peer", "aws.service": "S3"}
    assert one(server(attributes))["name"] == "mytask"


def test_name_from_aws_local_service_on_server_spans() -> None:
    attributes = {"aws.local.service": "local-svc", "peer.service": "peer"}
    assert one(server(attributes))["name"] == "local-svc"


def test_name_from_aws_remote_service_on_client_spans() -> None:
    attributes = {"aws.remote.service": "AWS::DynamoDB", "rpc.system": "aws-api"}
    entity = one(span(kind=SpanKind.CLIENT, attributes=attributes, parent=context(PARENT_ID)))
    assert entity["name"] == "DynamoDB"
    assert entity["namespace"] == "aws"


def test_name_from_peer_service() -> None:
    attributes = {"peer.service": "inventory", "aws.service": "S3", "http.host": "h"}
    assert one(child(attributes, kind=SpanKind.CLIENT))["name"] == "inventory"


def test_name_from_aws_service_sets_the_aws_namespace() -> None:
    entity = one(child({"aws.service": "SQS", "http.host": "h"}))
    assert entity["name"] == "SQS"
    assert entity["namespace"] == "aws"


def test_name_from_db_name_at_host() -> None:
    attributes = {"db.name": "orders", "db.connection_string": "jdbc:mysql://db.example.com:3306"}
    assert one(child(attributes))["name"] == "orders@db.example.com"


@pytest.mark.parametrize(
    ("connection_string", "host"),
    [
        ("jdbc:postgresql://Orders-DB.Example.COM:5432/orders", "Orders-DB.Example.COM"),
        ("postgresql://App:secret@Replica.Internal/orders", "Replica.Internal"),
        ("postgresql://[2001:DB8::1]:5432/orders", "2001:DB8::1"),
    ],
)
def test_db_name_at_host_keeps_the_hosts_case(connection_string: str, host: str) -> None:
    # The collector's url.Parse(...).Hostname() keeps the case as written.
    attributes = {"db.name": "orders", "db.connection_string": connection_string}
    assert one(child(attributes))["name"] == "orders@" + host


def test_name_from_db_name_without_a_parsable_host() -> None:
    attributes = {"db.name": "orders", "db.connection_string": "Server=x;Database=y"}
    assert one(child(attributes))["name"] == "orders"


def test_server_span_name_from_resource_service_name() -> None:
    assert one(server({"http.host": "example.com"}))["name"] == "shop"


def test_client_span_does_not_use_resource_service_name() -> None:
    entity = one(child({"http.host": "api.example.com"}, kind=SpanKind.CLIENT))
    assert entity["name"] == "api.example.com"


def test_name_from_rpc_service() -> None:
    assert one(child({"rpc.service": "Greeter", "http.host": "h"}))["name"] == "Greeter"


def test_name_from_http_host() -> None:
    assert one(child({"http.host": "h.example", "net.peer.name": "p"}))["name"] == "h.example"


def test_name_from_net_peer_name() -> None:
    assert one(child({"net.peer.name": "peer.example"}))["name"] == "peer.example"


def test_stable_client_span_named_after_server_address() -> None:
    attributes = {"server.address": "api.example.com", "http.request.method": "GET"}
    entity = one(child(attributes, kind=SpanKind.CLIENT, name="GET"))
    assert entity["name"] == "api.example.com"


def test_name_falls_back_to_the_span_name() -> None:
    assert one(child(name="compute totals"))["name"] == "compute totals"


def test_name_skips_a_source_with_nothing_usable() -> None:
    assert one(child({"peer.service": "<>!"}, name="fallback"))["name"] == "fallback"


def test_empty_or_unusable_span_name_becomes_span() -> None:
    assert one(child(name=""))["name"] == "span"
    assert one(child(name="!!!<>"))["name"] == "span"


def test_name_is_sanitised_and_cut_to_200_characters() -> None:
    entity = one(child(name="GET /items/{id}?x=1 | \u00e9t\u00e9\tok\ud800" + "a" * 300))
    assert entity["name"].startswith("GET /items/idx=1  \u00e9t\u00e9 ok")
    assert len(entity["name"]) == 200


def test_server_name_from_service_name_is_sanitised() -> None:
    resource = Resource({"service.name": "shop (eu)"})
    assert one(server(resource=resource))["name"] == "shop eu"


# Namespace.


def test_namespace_remote_for_client_spans_and_none_for_internal() -> None:
    assert one(child(kind=SpanKind.CLIENT))["namespace"] == "remote"
    assert "namespace" not in one(child())


def test_namespace_aws_for_aws_sdk_calls() -> None:
    attributes = {"rpc.system": "aws-api", "rpc.service": "S3", "rpc.method": "ListBuckets"}
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert entity["namespace"] == "aws"
    assert entity["name"] == "S3"
    assert entity["aws"]["operation"] == "ListBuckets"


def test_producer_with_remote_service_is_remote() -> None:
    entity = one(child({"aws.remote.service": "orders-queue"}, kind=SpanKind.PRODUCER))
    assert entity["namespace"] == "remote"
    assert entity["name"] == "orders-queue"


def test_segments_carry_no_computed_namespace() -> None:
    assert "namespace" not in one(span(kind=SpanKind.CLIENT))


def test_namespace_override() -> None:
    attributes = {"xraysink.namespace": "local", "peer.service": "p"}
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert entity["namespace"] == "local"
    assert entity["metadata"] == {"default": {"peer.service": "p"}}


def test_invalid_namespace_override_is_ignored() -> None:
    entity = one(child({"xraysink.namespace": "elsewhere"}, kind=SpanKind.CLIENT))
    assert entity["namespace"] == "remote"


def test_override_attributes_never_reach_metadata_or_annotations() -> None:
    attributes = {"xraysink.name": "n", "xraysink.namespace": "local", "other": 1}
    entity = one(child(attributes), index_all_attributes=True)
    assert entity["annotations"] == {"other": 1}
    assert "metadata" not in entity


# Segment-only fields.


def test_user_on_segments_and_metadata_on_subsegments() -> None:
    segment = one(server({"enduser.id": "alice"}))
    assert segment["user"] == "alice"
    assert "enduser.id" not in segment.get("metadata", {}).get("default", {})
    subsegment = one(child({"enduser.id": "alice"}))
    assert "user" not in subsegment
    assert subsegment["metadata"]["default"]["enduser.id"] == "alice"


def test_service_version_from_resource_on_segments_only() -> None:
    resource = Resource({"service.name": "shop", "service.version": "1.2.3"})
    assert one(server(resource=resource))["service"] == {"version": "1.2.3"}
    assert "service" not in one(child(resource=resource))


def test_service_version_falls_back_to_container_image_tag() -> None:
    resource = Resource({"container.image.tag": "v7"})
    assert one(server(resource=resource))["service"] == {"version": "v7"}


def test_links() -> None:
    linked = context(0xAAAABBBBCCCCDDDD, trace_id=0x5759E988000000000000000000000001)
    entity = one(child(links=[Link(linked, {"kind": "batch"}), Link(context(0x1))]))
    assert entity["links"] == [
        {
            "trace_id": "1-5759e988-000000000000000000000001",
            "id": "aaaabbbbccccdddd",
            "attributes": {"kind": "batch"},
        },
        {"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "0000000000000001"},
    ]


def test_links_from_a_real_tracer() -> None:
    with recorded() as (tracer, spans):
        with tracer.start_as_current_span("a") as first:
            pass
        with tracer.start_as_current_span("b", links=[Link(first.get_span_context())]):
            pass
    entity = one(spans[1])
    assert entity["links"][0]["id"] == format(first.get_span_context().span_id, "016x")


# Application Signals (collector segment.go MakeSegmentsFromSpan).


def test_local_root_server_span_is_a_segment_named_after_the_local_service() -> None:
    attributes = {"aws.span.kind": "LOCAL_ROOT", "aws.local.service": "checkout"}
    entity = one(server(attributes, parent=context(PARENT_ID, remote=True)))
    assert entity["name"] == "checkout"
    assert "type" not in entity


def test_local_root_internal_span_with_a_parent_is_a_segment() -> None:
    attributes = {"aws.span.kind": "LOCAL_ROOT", "aws.local.service": "worker"}
    entity = one(child(attributes))
    assert entity["name"] == "worker"
    assert "type" not in entity
    assert "namespace" not in entity
    assert entity["parent_id"] == "1122334455667788"


def test_local_root_client_span_splits_into_service_segment_and_dependency() -> None:
    attributes = {
        "aws.span.kind": "LOCAL_ROOT",
        "aws.local.service": "checkout",
        "aws.remote.service": "payments",
        "aws.remote.operation": "POST /pay",
        "http.method": "POST",
        "http.url": "https://payments.example/pay",
        "http.status_code": 201,
        "aws.region": "eu-west-1",
        "custom": "x",
    }
    link = Link(context(0xABCDEF))
    dependency, service = translate_span(
        span(
            "POST",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            parent=context(PARENT_ID, remote=True),
            links=[link],
        )
    )
    check(dependency)
    check(service)
    assert dependency["id"] == "53995c3f42cd8ad8"
    assert dependency["type"] == "subsegment"
    assert dependency["name"] == "payments"
    assert dependency["namespace"] == "remote"
    assert dependency["parent_id"] == service["id"]
    assert dependency["http"]["request"]["url"] == "https://payments.example/pay"
    assert dependency["aws"]["region"] == "eu-west-1"
    assert dependency["links"][0]["id"] == "0000000000abcdef"
    assert dependency["metadata"]["default"]["custom"] == "x"

    assert service["id"] != dependency["id"]
    assert service["parent_id"] == "1122334455667788"
    assert service["name"] == "checkout"
    assert service["trace_id"] == dependency["trace_id"]
    assert "type" not in service
    assert "namespace" not in service
    assert "http" not in service
    assert "links" not in service
    assert "region" not in service["aws"]
    assert set(service["metadata"]["default"]) == {
        "otel.resource." + key for key in RESOURCE.attributes
    }


def test_local_root_consumer_keeps_links_on_the_service_segment() -> None:
    attributes = {"aws.span.kind": "LOCAL_ROOT", "aws.local.service": "worker"}
    dependency, service = translate_span(
        span(kind=SpanKind.CONSUMER, attributes=attributes, links=[Link(context(0x5))])
    )
    assert "links" not in dependency
    assert service["links"][0]["id"] == "0000000000000005"
    assert "parent_id" not in service
    assert dependency["parent_id"] == service["id"]


def test_client_span_with_only_a_url_is_named_after_its_host() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from xraysink.translate import translate_span

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    attributes = {"http.method": "GET", "http.url": "http://inventory.internal:8080/stock"}
    with provider.get_tracer("t").start_as_current_span(
        "GET", kind=SpanKind.CLIENT, attributes=attributes
    ):
        pass
    (entity,) = translate_span(exporter.get_finished_spans()[0])
    assert entity["name"] == "inventory.internal"
