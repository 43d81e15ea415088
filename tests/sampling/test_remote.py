"""XRayRemoteSampler against a real local HTTP server speaking the X-Ray sampling API."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import SpanContext, TraceFlags

from tests.sampling.api import SamplingAPI, rule, sampling_api
from tests.waiting import wait_until
from xraysink.emitters.udp import UDPDaemonEmitter
from xraysink.export.processor import XRaySpanProcessor
from xraysink.propagation.header import parse_trace_header
from xraysink.propagation.propagator import context_with_header
from xraysink.receiver import Receiver
from xraysink.sampling.remote import (
    RULE_NAME_ATTRIBUTE,
    XRayRemoteSampler,
    sampling_endpoint,
)
from xraysink.sampling.sampler import XRaySampler

RESOURCE = Resource({"service.name": "shop", "cloud.platform": "aws_ec2"})
RULES = "/GetSamplingRules"
TARGETS = "/SamplingTargets"
# Low 64 bits decide the fixed rate: LOW samples at any rate above 0, HIGH at none below 1.
LOW = 0x5759E988_00000000_0000000000000001
HIGH = 0x5759E988_FFFFFFFF_FFFFFFFFFFFFFFFF
ALL = {"FixedRate": 1.0}


@pytest.fixture
def samplers() -> Iterator[list[XRayRemoteSampler]]:
    made: list[XRayRemoteSampler] = []
    yield made
    for sampler in made:
        sampler.close(5)


@pytest.fixture
def make(samplers: list[XRayRemoteSampler]) -> Any:
    def build(api: SamplingAPI | str, **kwargs: Any) -> XRayRemoteSampler:
        endpoint = api if isinstance(api, str) else api.endpoint
        kwargs.setdefault("resource", RESOURCE)
        sampler = XRayRemoteSampler(endpoint=endpoint, **kwargs)
        samplers.append(sampler)
        return sampler

    return build


def loaded(sampler: XRayRemoteSampler, polls: int = 1) -> XRayRemoteSampler:
    wait_until(lambda: sampler.stats["rules_polls"] >= polls)
    return sampler


def decide(
    sampler: Any, attributes: dict[str, Any] | None = None, trace_id: int = HIGH, **kwargs: Any
) -> Any:
    return sampler.should_sample(kwargs.get("context"), trace_id, "span", attributes=attributes)


def rule_name(result: Any) -> str | None:
    if result.decision is not Decision.RECORD_AND_SAMPLE:
        return None
    return dict(result.attributes or {}).get(RULE_NAME_ATTRIBUTE)


def in_one_second(action: Any) -> Any:
    """Run ``action`` so that it starts and ends in the same wall-clock second."""
    while True:
        if time.time() % 1 > 0.8:
            time.sleep(0.25)
        second = int(time.time())
        outcome = action()
        if int(time.time()) == second:
            return outcome


def test_a_rule_on_the_path_decides_and_its_name_is_recorded(make: Any) -> None:
    rules = [rule("health", URLPath="/health"), rule("api", 2, URLPath="/api/*", **ALL)]
    with sampling_api(rules) as api:
        sampler = loaded(make(api))
        provider = TracerProvider(sampler=XRaySampler(sampler), resource=RESOURCE)
        tracer = provider.get_tracer("test")
        health = tracer.start_span("GET", attributes={"url.path": "/health"})
        api_call = tracer.start_span("GET", attributes={"url.path": "/api/items"})
        assert not health.is_recording()
        assert api_call.is_recording()
        assert api_call.attributes is not None
        assert api_call.attributes[RULE_NAME_ATTRIBUTE] == "api"
        assert api_call.attributes["url.path"] == "/api/items"
        with trace.use_span(api_call, end_on_exit=True):
            child = tracer.start_span("child")
            assert child.is_recording()
            assert child.attributes is not None
            assert RULE_NAME_ATTRIBUTE not in child.attributes
            child.end()
        health.end()


def test_rules_apply_by_priority_then_name(make: Any) -> None:
    rules = [
        rule("zeta", 5, URLPath="/a*", **ALL),
        rule("alpha", 5, URLPath="/a*", **ALL),
        rule("first", 1, URLPath="/ab", **ALL),
    ]
    with sampling_api(rules) as api:
        sampler = loaded(make(api))
        assert [r.name for r in sampler.rules] == ["first", "alpha", "zeta", "Default"]
        assert rule_name(decide(sampler, {"url.path": "/ab"})) == "first"
        assert rule_name(decide(sampler, {"url.path": "/ac"})) == "alpha"


@pytest.mark.parametrize(
    ("fields", "attributes", "matches"),
    [
        ({"Host": "*.Example.com"}, {"server.address": "shop.example.COM"}, True),
        ({"Host": "shop.example.com"}, {"http.host": "SHOP.example.com"}, True),
        ({"Host": "shop"}, {"net.host.name": "shop"}, True),
        ({"Host": "shop"}, {}, False),
        ({"HTTPMethod": "get"}, {"http.request.method": "GET"}, True),
        ({"HTTPMethod": "GET"}, {"http.method": "POST"}, False),
        ({"URLPath": "/item?"}, {"url.path": "/items"}, True),
        ({"URLPath": "/item?"}, {"url.path": "/item"}, False),
        ({"URLPath": "/items"}, {"http.target": "/items?page=2"}, True),
        ({"URLPath": "/items"}, {"url.full": "https://shop/items?page=2"}, True),
        ({"URLPath": "/items"}, {"http.url": "https://shop/items"}, True),
        ({"URLPath": "/"}, {}, True),
        ({"URLPath": "*"}, None, True),
        ({"Attributes": {"tenant": "gold*"}}, {"tenant": "Gold-7"}, True),
        ({"Attributes": {"tenant": "gold*"}}, {"tenant": "silver"}, False),
        ({"Attributes": {"tenant": "*", "tier": "1"}}, {"tenant": "x", "tier": 1}, True),
        ({"Attributes": {"tenant": "*"}}, {"other": "x"}, False),
    ],
)
def test_matching_on_the_span_start_attributes(
    make: Any, fields: dict[str, Any], attributes: dict[str, Any] | None, matches: bool
) -> None:
    with sampling_api([rule("r", **fields, **ALL)]) as api:
        sampler = loaded(make(api))
        expected = "r" if matches else None
        assert rule_name(decide(sampler, attributes, trace_id=HIGH)) in (expected, "Default")
        if matches:
            assert rule_name(decide(sampler, attributes)) == "r"
        else:
            assert rule_name(decide(sampler, attributes)) != "r"


@pytest.mark.parametrize(
    ("fields", "resource", "applies"),
    [
        ({"ServiceName": "SHOP"}, RESOURCE, True),
        ({"ServiceName": "cart"}, RESOURCE, False),
        ({"ServiceType": "AWS::EC2::Instance"}, RESOURCE, True),
        ({"ServiceType": "AWS::ECS::*"}, RESOURCE, False),
        ({"ServiceType": "AWS::ECS::Container"}, Resource({"cloud.platform": "aws_ecs"}), True),
        ({"ServiceType": "AWS::EC2::Instance"}, Resource({}), False),
        (
            {"ResourceARN": "arn:aws:ecs:*:container/shop-*"},
            Resource({"aws.ecs.container.arn": "arn:aws:ecs:eu-west-1:1:container/shop-1"}),
            True,
        ),
        ({"ResourceARN": "arn:aws:ecs:*"}, RESOURCE, False),
    ],
)
def test_service_name_type_and_arn_come_from_the_resource(
    make: Any, fields: dict[str, Any], resource: Resource, applies: bool
) -> None:
    with sampling_api([rule("r", **fields, **ALL)]) as api:
        sampler = loaded(make(api, resource=resource))
        assert ("r" in [r.name for r in sampler.rules]) is applies
        assert (rule_name(decide(sampler, {"url.path": "/"})) == "r") is applies


def test_a_lambda_arn_may_come_from_the_span(make: Any) -> None:
    arn = "arn:aws:lambda:eu-west-1:1:function:shop"
    resource = Resource({"cloud.platform": "aws_lambda"})
    with sampling_api([rule("fn", ResourceARN="*:function:shop", **ALL)]) as api:
        sampler = loaded(make(api, resource=resource))
        assert rule_name(decide(sampler, {"cloud.resource_id": arn})) == "fn"
        assert rule_name(decide(sampler, {"faas.id": arn + "-other"})) != "fn"


def test_one_borrowed_per_second_before_targets_then_the_fixed_rate(make: Any) -> None:
    with sampling_api([rule("r", FixedRate=0.5, ReservoirSize=10)]) as api:
        sampler = loaded(make(api))
        outcomes = in_one_second(lambda: [rule_name(decide(sampler)) for _ in range(3)])
        assert outcomes == ["r", None, None]
        assert rule_name(decide(sampler, trace_id=LOW)) == "r"
        active = sampler._rules.rules[0]  # type: ignore[union-attr]
        assert active.borrowed >= 1


def test_a_rule_without_reservoir_never_borrows(make: Any) -> None:
    with sampling_api([rule("r")]) as api:
        sampler = loaded(make(api))
        assert rule_name(decide(sampler)) is None
        assert decide(sampler).decision is Decision.DROP


def test_statistics_are_reported_and_targets_applied(make: Any) -> None:
    with sampling_api([rule("r", FixedRate=0.0, ReservoirSize=3)], interval=1) as api:
        sampler = loaded(make(api, target_interval=0.2))
        decide(sampler)  # borrowed
        decide(sampler, trace_id=LOW)  # dropped: rate 0
        wait_until(lambda: sampler.stats["targets_polls"] >= 1)
        reported = api.calls(TARGETS)[0]["SamplingStatisticsDocuments"]
        assert reported == [
            {
                "RuleName": "r",
                "ClientID": reported[0]["ClientID"],
                "RequestCount": 2,
                "SampledCount": 0,
                "BorrowCount": 1,
                "Timestamp": reported[0]["Timestamp"],
            }
        ]
        assert len(reported[0]["ClientID"]) == 24
        # The target: a quota of 3 a second from the rule's ReservoirSize, no borrowing.
        outcomes = in_one_second(lambda: [rule_name(decide(sampler)) for _ in range(5)])
        assert outcomes == ["r", "r", "r", None, None]
        wait_until(lambda: sampler.stats["statistics_sent"] >= 2)
        second = api.calls(TARGETS)[1]["SamplingStatisticsDocuments"][0]
        assert (second["RequestCount"], second["SampledCount"], second["BorrowCount"]) >= (5, 3, 0)


def test_a_target_fixed_rate_replaces_the_rules(make: Any) -> None:
    with sampling_api([rule("r")]) as api:
        api.targets = lambda docs: {
            "SamplingTargetDocuments": [
                {"RuleName": d["RuleName"], "FixedRate": 1.0, "Interval": 1} for d in docs
            ],
            "LastRuleModification": 0,
        }
        sampler = loaded(make(api, target_interval=0.1))
        assert rule_name(decide(sampler)) is None
        wait_until(lambda: sampler.stats["targets_polls"] >= 1)
        assert rule_name(decide(sampler)) == "r"
        assert sampler._rules.rules[0].interval == 1  # type: ignore[union-attr]


def test_only_new_traces_count(make: Any) -> None:
    with sampling_api([rule("r", **ALL)]) as api:
        sampler = loaded(make(api, target_interval=0.2))
        provider = TracerProvider(sampler=XRaySampler(sampler), resource=RESOURCE)
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("root"):
            for _ in range(5):
                tracer.start_span("child").end()
        wait_until(lambda: sampler.stats["targets_polls"] >= 1)
        counts = api.calls(TARGETS)[0]["SamplingStatisticsDocuments"][0]
        assert (counts["RequestCount"], counts["SampledCount"]) == (1, 1)


def test_at_most_25_statistics_documents_per_call(make: Any) -> None:
    rules = [rule(f"r{n:02}", n + 1, URLPath=f"/p{n}") for n in range(30)]
    with sampling_api(rules) as api:
        sampler = loaded(make(api, target_interval=0.2))
        for n in range(30):
            decide(sampler, {"url.path": f"/p{n}"})
        wait_until(lambda: sampler.stats["statistics_sent"] >= 30)
        sizes = [len(call["SamplingStatisticsDocuments"]) for call in api.calls(TARGETS)[:2]]
        assert sizes == [25, 5]
        reported = {
            doc["RuleName"]
            for call in api.calls(TARGETS)[:2]
            for doc in call["SamplingStatisticsDocuments"]
        }
        assert reported == {f"r{n:02}" for n in range(30)}


def test_rules_pages_are_followed_through_next_token(make: Any) -> None:
    rules = [rule(f"r{n}", n + 1, URLPath=f"/p{n}") for n in range(5)]
    with sampling_api(rules, page_size=2) as api:
        sampler = loaded(make(api))
        assert [r.name for r in sampler.rules] == ["r0", "r1", "r2", "r3", "r4", "Default"]
        assert [call.get("NextToken") for call in api.calls(RULES)] == [None, "2", "4"]


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (500, b'{"message": "internal"}', "rules_http_status"),
        (200, b"<html>not json", "rules_malformed"),
        (200, b'{"SamplingRuleRecords": 3}', "rules_malformed"),
        (
            200,
            b'{"SamplingRuleRecords": [{"SamplingRule": {"RuleName": 5}}]}',
            "rules_invalid_rule",
        ),
    ],
)
def test_a_failed_first_poll_leaves_the_xray_default(
    make: Any, caplog: pytest.LogCaptureFixture, status: int, body: bytes, kind: str
) -> None:
    with sampling_api([rule("r", **ALL)]) as api:
        api.fault(RULES, status, body, times=1000)
        with caplog.at_level(logging.DEBUG, logger="xraysink.sampling.remote"):
            sampler = make(api, polling_interval=0.05, jitter=0)
            wait_until(lambda: sampler.stats[kind] >= 3)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert [kind in r.getMessage() for r in warnings].count(True) == 1
        # The X-Ray default, one a second then 5 %: no rule name.
        outcomes = in_one_second(
            lambda: (
                [decide(sampler).decision for _ in range(2)]
                + [rule_name(decide(sampler, trace_id=LOW))]
            )
        )
        assert outcomes == [Decision.RECORD_AND_SAMPLE, Decision.DROP, None]
        assert decide(sampler, trace_id=LOW).decision is Decision.RECORD_AND_SAMPLE
        with api.lock:
            api.faults.clear()
        wait_until(lambda: sampler.stats["rules_polls"] >= 1)
        assert rule_name(decide(sampler)) == "r"


def test_a_refused_connection_is_counted_never_raised(make: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sampler = make(f"http://127.0.0.1:{port}", polling_interval=0.05, jitter=0)
    wait_until(lambda: sampler.stats["rules_connection"] >= 2)
    assert decide(sampler, trace_id=LOW).decision is Decision.RECORD_AND_SAMPLE


def test_targets_failures_lose_the_statistics_and_keep_the_rules(make: Any) -> None:
    with sampling_api([rule("r", **ALL)]) as api:
        api.fault(TARGETS, 500)
        api.fault(TARGETS, 200, b"]]")
        sampler = loaded(make(api, target_interval=0.1))
        decide(sampler)
        wait_until(lambda: sampler.stats["targets_http_status"] == 1)
        decide(sampler)
        wait_until(lambda: sampler.stats["targets_malformed"] == 1)
        assert sampler.stats["statistics_lost"] == 2
        assert rule_name(decide(sampler)) == "r"


def test_last_good_rules_are_kept_until_rules_ttl(make: Any) -> None:
    with sampling_api([rule("r", **ALL)]) as api:
        sampler = loaded(make(api, polling_interval=0.1, jitter=0, rules_ttl=1.0))
        api.fault(RULES, 500, times=1000)
        wait_until(lambda: sampler.stats["rules_http_status"] >= 2)
        assert rule_name(decide(sampler)) == "r"
        wait_until(lambda: sampler.stats["rules_expired"] == 1)
        assert rule_name(decide(sampler, trace_id=LOW)) is None
        with api.lock:
            api.faults.clear()
        wait_until(lambda: sampler.stats["rules_polls"] >= 2)
        assert rule_name(decide(sampler)) == "r"


def test_a_rule_change_reported_by_targets_polls_the_rules_at_once(make: Any) -> None:
    with sampling_api([rule("r", **ALL)]) as api:
        sampler = loaded(make(api, target_interval=0.1))
        api.rules[0]["FixedRate"] = 0.0
        api.modified_at = time.time() + 1
        decide(sampler)
        wait_until(lambda: sampler.stats["rules_polls"] >= 2)
        assert rule_name(decide(sampler)) is None


def test_the_callers_decision_wins_unless_untrusted(make: Any) -> None:
    with sampling_api([rule("r")]) as api:
        remote = loaded(make(api))
        for sampled, decision in (("1", Decision.RECORD_AND_SAMPLE), ("0", Decision.DROP)):
            header = parse_trace_header(
                f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled={sampled}"
            )
            context = context_with_header(header)
            assert XRaySampler(remote).should_sample(context, HIGH, "s").decision is decision
        header = parse_trace_header(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        )
        untrusted = XRaySampler(remote, trust_incoming_sampling=False)
        result = untrusted.should_sample(context_with_header(header), HIGH, "s")
        assert result.decision is Decision.DROP


def test_a_remote_parent_without_decision_is_a_new_trace(make: Any) -> None:
    with sampling_api([rule("r", **ALL)]) as api:
        remote = loaded(make(api))
        parent = SpanContext(HIGH, 0x53995C3F42CD8AD8, True, TraceFlags(0))
        context = trace.set_span_in_context(trace.NonRecordingSpan(parent), Context())
        assert rule_name(remote.should_sample(context, HIGH, "s")) == "r"


def test_the_rule_name_reaches_the_segment(make: Any, receiver: Receiver) -> None:
    with sampling_api([rule("checkout", URLPath="/checkout", **ALL)]) as api:
        sampler = loaded(make(api))
        provider = TracerProvider(sampler=XRaySampler(sampler), resource=RESOURCE)
        emitter = UDPDaemonEmitter(f"127.0.0.1:{receiver.port}")
        provider.add_span_processor(XRaySpanProcessor(emitter))
        tracer = provider.get_tracer("test")
        span = tracer.start_span(
            "POST /checkout", kind=trace.SpanKind.SERVER, attributes={"url.path": "/checkout"}
        )
        span.end()
        assert receiver.wait_for_count(1)
        document = receiver.documents[0]
        assert document["aws"]["xray"]["sampling_rule_name"] == "checkout"
        assert RULE_NAME_ATTRIBUTE not in document.get("metadata", {}).get("default", {})
        emitter.close()


@pytest.mark.parametrize(
    ("address", "env", "endpoint"),
    [
        (None, None, "http://127.0.0.1:2000"),
        (None, "10.1.2.3:3000", "http://10.1.2.3:3000"),
        (None, "udp:127.0.0.1:2000 tcp:xray.local:2001", "http://xray.local:2001"),
        ("tcp:h:5 udp:u:6", "10.1.2.3:3000", "http://h:5"),
    ],
)
def test_the_endpoint_is_the_daemon_address_tcp_part(
    monkeypatch: pytest.MonkeyPatch, address: str | None, env: str | None, endpoint: str
) -> None:
    if env is None:
        monkeypatch.delenv("AWS_XRAY_DAEMON_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", env)
    assert sampling_endpoint(address) == endpoint


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoint": "ftp://h:1"}, "invalid sampling endpoint"),
        ({"endpoint": "http://h:99999"}, "invalid sampling endpoint"),
        ({"polling_interval": 0}, "polling_interval"),
        ({"target_interval": -1}, "target_interval"),
    ],
)
def test_bad_arguments_raise_at_construction(kwargs: dict[str, Any], message: str) -> None:
    kwargs.setdefault("endpoint", "http://127.0.0.1:1")
    with pytest.raises(ValueError, match=message):
        XRayRemoteSampler(RESOURCE, start=False, **kwargs)


def test_a_malformed_daemon_address_raises() -> None:
    with pytest.raises(ValueError, match="invalid X-Ray daemon address"):
        sampling_endpoint("udp:127.0.0.1:2000")


# Forking a process that runs threads is the case under test (gunicorn's, uvicorn's).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_polls_on_its_own(make: Any) -> None:
    with sampling_api([rule("r", **ALL)]) as api:
        sampler = loaded(make(api, polling_interval=0.1, jitter=0))
        pid = os.fork()
        if pid == 0:  # the child: the parent's polling thread is not here
            status = 1
            try:
                polls = sampler.stats["rules_polls"]
                wait_until(lambda: sampler.stats["rules_polls"] >= polls + 2)
                status = 0 if rule_name(decide(sampler)) == "r" else 2
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
