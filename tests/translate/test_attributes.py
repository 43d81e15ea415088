"""Annotations, metadata and the cleaning of odd values (never NaN, never a raise)."""

from __future__ import annotations

import enum
import json
import math
from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from tests.translate.helpers import RESOURCE, check, child, context, one, recorded, server
from xraysink.translate.attributes import metadata_only
from xraysink.translate.clean import clean_value

RESOURCE_METADATA = {"otel.resource." + key: value for key, value in RESOURCE.attributes.items()}


def test_annotations_from_indexed_attributes() -> None:
    entity = one(
        child({"order.id": 42, "tenant": "acme", "other": "x"}),
        indexed_attributes=frozenset({"order.id", "tenant", "absent"}),
    )
    assert entity["annotations"] == {"order.id": 42, "tenant": "acme"}
    assert entity["metadata"] == {"default": {"other": "x"}}


def test_annotations_listed_in_the_span_attribute() -> None:
    attributes = {"aws.xray.annotations": ("tenant", 5), "tenant": "acme", "other": 1.5}
    entity = one(child(attributes))
    assert entity["annotations"] == {"tenant": "acme"}
    assert entity["metadata"] == {"default": {"other": 1.5}}


def test_index_all_attributes() -> None:
    entity = one(child({"a": "x", "b": 2, "c": True, "d": 0.5}), index_all_attributes=True)
    assert entity["annotations"] == {"a": "x", "b": 2, "c": True, "d": 0.5}
    assert "metadata" not in entity


def test_annotation_keys_are_sanitised() -> None:
    entity = one(child({"http.route-name/v1": "r", "ключ": 1}), index_all_attributes=True)
    assert entity["annotations"] == {"http.route_name_v1": "r", "____": 1}


def test_values_that_cannot_be_annotations_go_to_metadata() -> None:
    entity = one(child({"tags": ("a", "b"), "n": 1}), index_all_attributes=True)
    assert entity["annotations"] == {"n": 1}
    assert entity["metadata"] == {"default": {"tags": ["a", "b"]}}


def test_at_most_50_annotations_the_rest_in_metadata() -> None:
    attributes = {f"key{index}": index for index in range(60)}
    entity = one(child(attributes), index_all_attributes=True)
    assert len(entity["annotations"]) == 50
    assert len(entity["metadata"]["default"]) == 10
    assert set(entity["annotations"]) | set(entity["metadata"]["default"]) == set(attributes)


def test_consumed_attribute_can_still_be_indexed() -> None:
    entity = one(
        server({"http.method": "GET", "http.status_code": 200}),
        indexed_attributes=frozenset({"http.method"}),
    )
    assert entity["http"]["request"]["method"] == "GET"
    assert entity["annotations"] == {"http.method": "GET"}


def test_index_all_with_resource_attributes_on_segments() -> None:
    entity = one(server({"a": 1}), index_all_attributes=True)
    assert entity["annotations"]["a"] == 1
    assert entity["annotations"]["otel.resource.service.name"] == "shop"
    assert "metadata" not in entity


def test_one_resource_attribute_indexed_by_its_metadata_key() -> None:
    entity = one(server(), indexed_attributes=frozenset({"otel.resource.service.name"}))
    assert entity["annotations"] == {"otel.resource.service.name": "shop"}
    assert "otel.resource.service.name" not in entity["metadata"]["default"]
    assert entity["metadata"]["default"]["otel.resource.telemetry.sdk.name"] == "opentelemetry"


def test_metadata_default_namespace() -> None:
    entity = one(child({"user.plan": "pro", "retries": 2, "ratio": 0.25, "ok": False}))
    assert entity["metadata"] == {
        "default": {"user.plan": "pro", "retries": 2, "ratio": 0.25, "ok": False}
    }


def test_metadata_namespace_from_a_json_object() -> None:
    attributes = {
        "aws.xray.metadata.billing": json.dumps({"plan": "pro", "seats": [1, 2]}),
        "aws.xray.metadata.Default": '{"merged": true}',
        "aws.xray.metadata.broken": "{not json",
        "aws.xray.metadata.list": "[1, 2]",
        "plain": "p",
    }
    entity = one(child(attributes))
    assert entity["metadata"] == {
        "billing": {"plan": "pro", "seats": [1, 2]},
        "default": {
            "merged": True,
            "aws.xray.metadata.broken": "{not json",
            "aws.xray.metadata.list": "[1, 2]",
            "plain": "p",
        },
    }


def test_resource_metadata_on_segments_only() -> None:
    assert one(server())["metadata"] == {"default": RESOURCE_METADATA}
    assert "metadata" not in one(child())


def test_resource_metadata_is_not_shared_between_segments() -> None:
    first = one(server({"a": 1}))
    second = one(server({"b": 2}))
    assert "b" not in first["metadata"]["default"]
    assert "a" not in second["metadata"]["default"]


def test_non_finite_floats_never_reach_the_document() -> None:
    attributes = {
        "nan": math.nan,
        "inf": math.inf,
        "ninf": -math.inf,
        "mixed": (1.5, math.nan, math.inf),
    }
    entity = one(child(attributes))
    assert entity["metadata"]["default"] == {
        "nan": "NaN",
        "inf": "Infinity",
        "ninf": "-Infinity",
        "mixed": [1.5, "NaN", "Infinity"],
    }
    annotated = one(child(attributes), index_all_attributes=True)
    assert annotated["annotations"] == {"nan": "NaN", "inf": "Infinity", "ninf": "-Infinity"}


def test_non_finite_values_in_links_resource_and_real_spans() -> None:
    resource = Resource({"service.name": "shop", "weird": math.nan})
    with recorded(resource) as (tracer, spans):
        with tracer.start_as_current_span(
            "root",
            kind=SpanKind.SERVER,
            attributes={"f": math.inf, "seq": [math.nan]},
            links=[Link(context(0x9), {"score": -math.inf})],
        ):
            pass
    entity = one(spans[0])
    assert entity["metadata"]["default"]["f"] == "Infinity"
    assert entity["metadata"]["default"]["seq"] == ["NaN"]
    assert entity["metadata"]["default"]["otel.resource.weird"] == "NaN"
    assert entity["links"][0]["attributes"] == {"score": "-Infinity"}


class Colour(enum.IntEnum):
    RED = 1


class Label(str):
    def __str__(self) -> str:
        return "not the value"


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")


def test_odd_values_are_made_json_safe() -> None:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    attributes = {
        "bytes": b"caf\xc3\xa9 \xff",
        "surrogate": "bad \ud800 text",
        "big": 1 << 70,
        "negative_big": -(1 << 70),
        "nested": {"a": {"b": (1, None, b"x")}, 3: "int key"},
        "none": None,
        "enum": Colour.RED,
        "label": Label("raw"),
        "set": {"only"},
        "object": Unprintable(),
        "cyclic": cyclic,
    }
    entity = one(child(attributes))
    default = entity["metadata"]["default"]
    assert default["bytes"] == "café \ufffd"
    assert default["surrogate"] == "bad ? text"
    assert default["big"] == str(1 << 70)
    assert default["negative_big"] == str(-(1 << 70))
    assert default["nested"] == {"a": {"b": [1, None, "x"]}, "3": "int key"}
    assert "none" not in default
    assert default["enum"] == 1
    assert default["label"] == "raw"
    assert default["set"] == ["only"]
    assert default["object"] == "<Unprintable>"
    assert isinstance(default["cyclic"], dict)


def test_surrogates_in_keys_names_and_span_names() -> None:
    attributes = {"k\udc80ey": "v", "peer.service": "svc\ud800"}
    entity = one(child(attributes, name="op\udfff", kind=SpanKind.CLIENT))
    assert entity["name"] == "svc"
    assert entity["metadata"]["default"]["k?ey"] == "v"


def test_surrogate_annotation_key_and_value() -> None:
    entity = one(child({"k\ud800": "v\ud800"}), index_all_attributes=True)
    assert entity["annotations"] == {"k_": "v?"}


def test_hand_built_span_with_public_containers() -> None:
    span = ReadableSpan(
        name="hand made",
        context=context(),
        parent=context(0x42),
        resource=RESOURCE,
        attributes=MappingProxyType({"a": 1}),
        events=[Event("exception", {"exception.type": "E", "exception.message": "m"})],
        links=[Link(context(0x7))],
        kind=SpanKind.INTERNAL,
        status=Status(StatusCode.ERROR),
        start_time=1,
        end_time=2,
    )
    entity = one(span)
    assert entity["metadata"] == {"default": {"a": 1}}
    assert entity["cause"]["exceptions"][0]["type"] == "E"
    assert entity["links"][0]["id"] == "0000000000000007"
    assert entity["fault"] is True


def test_span_without_context_or_times_or_resource() -> None:
    span = ReadableSpan(name="", context=None, resource=None, start_time=None, end_time=None)
    entity = one(span)
    assert entity["name"] == "span"
    assert entity["id"] == "0000000000000000"
    assert entity["end_time"] == entity["start_time"] > 0


def test_every_document_of_a_busy_span_is_valid() -> None:
    attributes: dict[str, Any] = {
        "http.method": "POST",
        "http.url": "https://x/\ud800",
        "http.status_code": 429,
        "db.system": "mysql",
        "db.name": "d",
        "rpc.system": "aws-api",
        "aws.remote.service": "AWS::S3",
        "aws.span.kind": "LOCAL_ROOT",
        "aws.local.service": "svc",
        "nan": math.nan,
    }
    from xraysink.translate import translate_span

    entities = translate_span(
        child(attributes, kind=SpanKind.PRODUCER, status=Status(StatusCode.ERROR, "x")),
        index_all_attributes=True,
    )
    assert len(entities) == 2
    for entity in entities:
        check(entity)


def test_namespaced_metadata_that_is_not_valid_utf8_stays_as_text() -> None:
    entity = one(child({"aws.xray.metadata.ns": '{"a": "\ud800"}'}))
    assert entity["metadata"] == {"default": {"aws.xray.metadata.ns": '{"a": "?"}'}}


def test_annotation_list_that_is_not_a_sequence_is_ignored() -> None:
    entity = one(child({"aws.xray.annotations": "tenant", "tenant": "acme"}))
    assert "annotations" not in entity
    assert entity["metadata"] == {"default": {"tenant": "acme"}}


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(
            st.text(max_size=8),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.binary(max_size=4),
            st.lists(st.integers(), max_size=3),
            st.none(),
        ),
        max_size=8,
    )
)
def test_metadata_only_fast_cases_equal_clean_value(attributes: dict[str, Any]) -> None:
    # metadata_only inlines clean_value's common cases (~25 ns per attribute): it must
    # give what clean_value gives for every value.
    leftovers = [(key, key) for key in attributes]
    expected = {
        key: cleaned
        for key, value in attributes.items()
        if (cleaned := clean_value(value)) is not None
    }
    metadata = metadata_only(attributes, leftovers, None)
    assert (metadata or {}).get("default", {}) == expected
