"""Hypothesis strategies for hostile tracing input: trace headers, attribute values of
every OpenTelemetry type, and whole finished spans (``ReadableSpan``) with every field
drawn, for the property tests of issue 4 §3."""

from __future__ import annotations

import sys
from typing import Any

from hypothesis import strategies as st
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

MAX_64 = (1 << 64) - 1
MAX_128 = (1 << 128) - 1

#: Every Unicode general category, surrogates (Cs) and unassigned (Cn) included.
CATEGORIES = [
    "Lu",
    "Ll",
    "Lt",
    "Lm",
    "Lo",
    "Mn",
    "Mc",
    "Me",
    "Nd",
    "Nl",
    "No",
    "Pc",
    "Pd",
    "Ps",
    "Pe",
    "Pi",
    "Pf",
    "Po",
    "Sm",
    "Sc",
    "Sk",
    "So",
    "Zs",
    "Zl",
    "Zp",
    "Cc",
    "Cf",
    "Cs",
    "Co",
    "Cn",
]

# Any code point, lone surrogates included: such a str cannot be encoded as UTF-8.
any_char = st.characters(codec=None, exclude_categories=())
any_text = st.text(any_char, max_size=40)
one_category_text = st.sampled_from(CATEGORIES).flatmap(
    lambda category: st.text(st.characters(categories=[category]), min_size=1, max_size=20)
)


def _repeat(chars: str, count: int) -> str:
    return (chars * (count // max(len(chars), 1) + 1))[:count]


# 60 KiB to 300 KiB: over the datagram on their own. Built by repetition, which is cheap
# for hypothesis to draw and shrink, and non-ASCII or surrogate some of the time.
huge_text = st.builds(
    _repeat, st.text(any_char, min_size=1, max_size=4), st.integers(60_000, 300_000)
)
texts = st.one_of(any_text, one_category_text, st.just(""))

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, sys.float_info.max]),
)
ints = st.one_of(
    st.integers(-(1 << 63), MAX_64),
    st.sampled_from([-(1 << 63) - 1, MAX_64 + 1, 1 << 200, -(1 << 200)]),
)
# Huge strings are one kind of scalar among five: frequent enough to split and cut
# documents in most runs, rare enough to keep the default profile fast.
scalars = st.one_of(texts, st.booleans(), ints, floats, huge_text)
# OTel allows homogeneous sequences; a hand-built dict can hold anything, None included.
sequences = st.one_of(
    st.lists(texts, max_size=4),
    st.lists(st.booleans(), max_size=4),
    st.lists(ints, max_size=4),
    st.lists(floats, max_size=4),
    st.lists(st.one_of(scalars, st.none()), max_size=4),
).flatmap(lambda items: st.sampled_from([tuple(items), list(items)]))
attribute_values = st.one_of(
    scalars, sequences, st.binary(max_size=20), st.none(), st.just({"nested": [1, "x"]})
)

#: Keys the translator reads by name: each routes a value into a block of the document.
KNOWN_KEYS = [
    "http.method",
    "http.url",
    "http.status_code",
    "http.target",
    "http.host",
    "http.scheme",
    "http.user_agent",
    "http.client_ip",
    "http.response_content_length",
    "http.request.method",
    "url.full",
    "url.path",
    "url.query",
    "url.scheme",
    "server.address",
    "server.port",
    "client.address",
    "network.peer.address",
    "net.peer.ip",
    "net.peer.name",
    "net.host.name",
    "net.host.port",
    "http.response.status_code",
    "http.response.body.size",
    "user_agent.original",
    "peer.service",
    "aws.service",
    "rpc.system",
    "rpc.service",
    "rpc.method",
    "aws.operation",
    "aws.region",
    "aws.request_id",
    "aws.requestId",
    "aws.queue_url",
    "aws.table_name",
    "aws.account_id",
    "db.system",
    "db.name",
    "db.user",
    "db.statement",
    "db.connection_string",
    "db.query.text",
    "enduser.id",
    "service.version",
    "xraysink.name",
    "xraysink.namespace",
    "aws.xray.annotations",
    "aws.xray.metadata.ns",
    "aws.span.kind",
    "aws.local.service",
    "aws.local.operation",
    "aws.remote.service",
    "aws.remote.operation",
    "aws.remote.target",
    "remoteTarget",
    "K8s.RemoteNamespace",
    "exception.type",
    "exception.message",
    "exception.stacktrace",
    "exception.escaped",
    "service.name",
    "cloud.platform",
]
keys = st.one_of(st.sampled_from(KNOWN_KEYS), any_text, one_category_text)

attributes = st.dictionaries(keys, attribute_values, max_size=6)
#: Attributes of events and links: fewer, to keep drawing whole traces quick.
few_attributes = st.dictionaries(keys, attribute_values, max_size=2)


def _merged(parts: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    """Drawn attributes with the known keys of ``parts[1]`` winning."""
    return {**parts[0], **parts[1]}


# What instrumentations write for the keys above, so that the blocks are really built.
plausible = st.fixed_dictionaries(
    {},
    optional={
        "http.request.method": st.sampled_from(["GET", "POST", "", "G\x00T"]),
        "http.response.status_code": st.one_of(
            st.integers(-1, 1000), st.sampled_from(["404", "5xx", ""])
        ),
        "url.full": st.one_of(st.just("http://h/p?q=1"), st.just("http://[::1"), texts),
        "rpc.system": st.just("aws-api"),
        "aws.service": texts,
        "db.system": st.sampled_from(["postgresql", "mysql", "redis"]),
        "db.statement": st.one_of(texts, huge_text),
        "aws.xray.annotations": st.one_of(st.lists(keys, max_size=4), texts),
        "aws.xray.metadata.ns": st.one_of(st.just('{"a": [1, 2]}'), st.just("{"), texts),
        "aws.span.kind": st.just("LOCAL_ROOT"),
        "aws.remote.service": texts,
        "client.address": st.sampled_from(["10.0.0.1", "::1", "not-an-ip"]),
        "http.client_ip": texts,
    },
)

trace_ids = st.one_of(
    st.sampled_from([0, 1, MAX_128, 1 << 64, MAX_64]),
    st.integers(0, MAX_128),
    # X-Ray format: the first 32 bits are the epoch seconds.
    st.tuples(st.integers(0, 0xFFFFFFFF), st.integers(0, (1 << 96) - 1)).map(
        lambda parts: parts[0] << 96 | parts[1]
    ),
    # Not an OTel trace id at all: negative or wider than 128 bits.
    st.sampled_from([-1, 1 << 128, 1 << 200]),
)
span_ids = st.one_of(
    st.sampled_from([0, 1, MAX_64]),
    st.integers(0, MAX_64),
    st.sampled_from([-1, 1 << 64, 1 << 100]),
)
#: Nanoseconds since the epoch; None, negative, far future and end before start too.
times = st.one_of(
    st.integers(1_600_000_000 * 10**9, 1_900_000_000 * 10**9),
    st.integers(-(1 << 63), 1 << 64),
    st.none(),
)


# Spans are drawn as plain data (``SpanSpec``) so that a falsifying example prints
# readably; ``build_span`` turns one into a real ``ReadableSpan``.
SpanSpec = dict[str, Any]

# A stack trace of garbage, or a real Python one cut anywhere and salted with garbage.
# Its line numbers stay within 64 bits: a KNOWN BUG in xraysink/translate/cause.py
# (``_frame``) drops the span for a larger one (see test_span_properties.py).
_REAL_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/app/main.py", line 12, in handler\n'
    "    return await call()\n"
    '  File "/app/db.py", line 4294967296, in call\n'
    "    raise ValueError(x)\n"
    "ValueError: bad\n\n"
    "During handling of the above exception, another exception occurred:\n\n"
    "Traceback (most recent call last):\n"
    '  File "", line -1, in \n'
    "KeyError: 'k'\n"
)
stacktraces = st.one_of(
    texts,
    st.tuples(st.integers(0, len(_REAL_TRACE)), any_text).map(
        lambda cut: _REAL_TRACE[: cut[0]] + cut[1] + _REAL_TRACE[cut[0] :]
    ),
    attribute_values,
)
exception_attributes = st.tuples(
    few_attributes,
    st.fixed_dictionaries(
        {"exception.stacktrace": stacktraces},
        optional={
            "exception.type": attribute_values,
            "exception.message": attribute_values,
            "exception.escaped": attribute_values,
        },
    ),
).map(_merged)
exception_events = st.tuples(st.just("exception"), exception_attributes, times)
# An RPC message event, whose size the translator reads as the content length.
message_events = st.tuples(
    st.just("message"),
    st.tuples(
        few_attributes,
        st.fixed_dictionaries(
            {"message.type": st.sampled_from(["RECEIVED", "SENT", ""])},
            optional={
                "messaging.message_payload_size_bytes": st.one_of(
                    st.integers(-(1 << 63), MAX_64),
                    st.sampled_from([-(1 << 63) - 1, MAX_64 + 1, 1 << 200]),
                    st.one_of(texts, floats, st.booleans(), st.none()),
                )
            },
        ),
    ).map(_merged),
    times,
)
#: ``(name, attributes, timestamp)``
events = st.lists(
    st.one_of(exception_events, message_events, st.tuples(texts, few_attributes, times)), max_size=3
)
#: ``(trace_id, span_id, is_remote, attributes)``
links = st.lists(st.tuples(trace_ids, span_ids, st.booleans(), few_attributes), max_size=2)
#: ``(status code, description)``
statuses = st.one_of(
    st.tuples(st.sampled_from([StatusCode.UNSET, StatusCode.OK]), st.none()),
    st.tuples(st.just(StatusCode.ERROR), st.one_of(st.none(), texts)),
)
#: Resource attributes.
resources = st.one_of(
    st.just({}),
    st.tuples(
        attributes,
        st.fixed_dictionaries(
            {},
            optional={
                "service.name": texts,
                "service.version": attribute_values,
                "cloud.platform": st.one_of(
                    st.sampled_from(
                        ["aws_ec2", "aws_ecs", "aws_eks", "aws_elastic_beanstalk", "aws_app_runner"]
                    ),
                    texts,
                ),
                "aws.ecs.launchtype": st.sampled_from(["ec2", "fargate", "x"]),
                "aws.log.group.names": attribute_values,
                "aws.log.group.arns": attribute_values,
                "host.id": attribute_values,
                "k8s.cluster.name": attribute_values,
            },
        ),
    ).map(_merged),
)
#: ``None`` or ``(trace_id, span_id, is_remote)``
parents = st.one_of(st.none(), st.tuples(trace_ids, span_ids, st.booleans()))


def span_context(trace_id: int, span_id: int, remote: bool = False) -> SpanContext:
    return SpanContext(trace_id, span_id, remote, TraceFlags(TraceFlags.SAMPLED))


def build_span(spec: SpanSpec) -> ReadableSpan:
    """The real finished span a ``SpanSpec`` describes."""
    parent = spec["parent"]
    code, description = spec["status"]
    return ReadableSpan(
        name=spec["name"],
        context=span_context(spec["trace_id"], spec["span_id"]),
        parent=span_context(*parent) if parent is not None else None,
        resource=Resource(spec["resource"]),
        attributes=dict(spec["attributes"]),
        events=tuple(Event(*event) for event in spec["events"]),
        links=tuple(
            Link(span_context(trace_id, span_id, remote), link_attributes)
            for trace_id, span_id, remote, link_attributes in spec["links"]
        ),
        kind=spec["kind"],
        status=Status(code, description),
        start_time=spec["start"],
        end_time=spec["end"],
    )


def span_specs(
    trace_id: st.SearchStrategy[int] = trace_ids,
    span_id: st.SearchStrategy[int] = span_ids,
    parent: st.SearchStrategy[tuple[int, int, bool] | None] = parents,
    resource: st.SearchStrategy[dict[str, Any]] = resources,
) -> st.SearchStrategy[SpanSpec]:
    """One finished span with every field drawn."""
    return st.fixed_dictionaries(
        {
            "name": st.one_of(texts, st.sampled_from(["", "GET /items/{id}"]), huge_text),
            "trace_id": trace_id,
            "span_id": span_id,
            "parent": parent,
            "kind": st.sampled_from(SpanKind),
            "status": statuses,
            "start": times,
            "end": times,
            "attributes": st.tuples(attributes, plausible).map(_merged),
            "events": events,
            "links": links,
            "resource": resource,
        }
    )


@st.composite
def traces(draw: st.DrawFn, max_spans: int = 5) -> list[tuple[SpanSpec, int | None]]:
    """A trace of 1..``max_spans`` spans with distinct X-Ray span ids, sharing a trace id and
    a resource: ``(spec, parent index)`` pairs in start order, each parent (when not
    None) before its child; a span without a parent index may have a remote parent."""
    trace_id = draw(trace_ids)
    # Distinct as X-Ray ids (64 bits), not only as ints: a KNOWN BUG in
    # xraysink/assemble.py (``nest``) loses spans of a trace whose ids repeat (see
    # test_span_properties.py); the OTel SDK never repeats one within a trace.
    ids = draw(
        st.lists(
            span_ids, min_size=1, max_size=max_spans, unique_by=lambda span_id: span_id & MAX_64
        )
    )
    resource = draw(resources)
    tree: list[tuple[SpanSpec, int | None]] = []
    for index, span_id in enumerate(ids):
        parent_index = draw(st.one_of(st.none(), st.integers(0, index - 1))) if index else None
        if parent_index is not None:
            parent = st.just((trace_id, tree[parent_index][0]["span_id"], False))
        else:
            parent = st.one_of(st.none(), st.tuples(st.just(trace_id), span_ids, st.just(True)))
        spec = draw(span_specs(st.just(trace_id), st.just(span_id), parent, st.just(resource)))
        tree.append((spec, parent_index))
    return tree
