"""XRayLocalSampler: the X-Ray SDK's local rule format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision

from tests.sampling.test_remote import HIGH, LOW, in_one_second
from xraysink.sampling.local import XRayLocalSampler
from xraysink.sampling.remote import RULE_NAME_ATTRIBUTE
from xraysink.sampling.sampler import XRaySampler

RULES = {
    "version": 2,
    "rules": [
        {"description": "health", "host": "*", "http_method": "*", "url_path": "/health",
         "fixed_target": 0, "rate": 0.0},
        {"host": "*", "http_method": "POST", "url_path": "/api/*", "fixed_target": 2,
         "rate": 0.0},
        {"host": "*", "http_method": "*", "url_path": "/api/*", "fixed_target": 0, "rate": 1.0},
    ],
    "default": {"fixed_target": 1, "rate": 0.0},
}  # fmt: skip


def decisions(sampler: XRayLocalSampler, attributes: dict[str, Any], n: int) -> list[bool]:
    return [
        sampler.should_sample(None, HIGH, "s", attributes=attributes).decision
        is Decision.RECORD_AND_SAMPLE
        for _ in range(n)
    ]


def test_rules_apply_in_order_with_a_fixed_target_per_second() -> None:
    sampler = XRayLocalSampler(RULES)
    post = {"http.request.method": "POST", "url.path": "/api/orders"}
    assert in_one_second(lambda: decisions(sampler, post, 4)) == [True, True, False, False]
    assert decisions(sampler, {"http.method": "GET", "http.target": "/api/x?y=1"}, 3) == [True] * 3
    assert decisions(sampler, {"url.path": "/health"}, 2) == [False, False]
    default = in_one_second(lambda: decisions(sampler, {"url.path": "/other"}, 3))
    assert default == [True, False, False]


def test_local_decisions_record_no_rule_name() -> None:
    result = XRayLocalSampler(RULES).should_sample(None, HIGH, "s", attributes={"url.path": "/api"})
    assert result.decision is Decision.RECORD_AND_SAMPLE
    assert RULE_NAME_ATTRIBUTE not in (result.attributes or {})


def test_the_default_is_one_a_second_then_five_percent() -> None:
    sampler = XRayLocalSampler()
    outcomes = in_one_second(lambda: decisions(sampler, {}, 3))
    assert outcomes == [True, False, False]
    low = sampler.should_sample(None, LOW, "s").decision
    assert low is Decision.RECORD_AND_SAMPLE


def test_rules_from_a_file_and_version_1(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    rule = {"service_name": "*", "http_method": "*", "url_path": "/x", "fixed_target": 0,
            "rate": 1.0}  # fmt: skip
    path.write_text(json.dumps({"version": 1, "rules": [rule], "default": RULES["default"]}))
    sampler = XRayLocalSampler(path)
    assert decisions(sampler, {"url.path": "/x"}, 3) == [True] * 3


def test_a_local_parent_is_followed_under_the_provider() -> None:
    provider = TracerProvider(sampler=XRaySampler(XRayLocalSampler(RULES)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root", attributes={"url.path": "/health"}) as root:
        assert not root.is_recording()
        assert not tracer.start_span("child").is_recording()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"version": 3, "default": {"fixed_target": 1, "rate": 0.1}}, "version must be 1 or 2"),
        ({"version": 2}, "a default rule is required"),
        ({"version": 2, "default": {"fixed_target": 1, "rate": 0.1, "url_path": "/"}}, "takes no"),
        ({"version": 2, "default": {"fixed_target": -1, "rate": 0.1}}, "fixed_target"),
        ({"version": 2, "default": {"fixed_target": 1, "rate": 1.5}}, "rate"),
        (
            {"version": 2, "rules": [{"host": "*", "url_path": "/", "fixed_target": 1,
                                      "rate": 0.1}],
             "default": {"fixed_target": 1, "rate": 0.1}},
            "rule 0: host, http_method and url_path",
        ),
        ({"version": 2, "rules": "x", "default": {"fixed_target": 1, "rate": 0.1}}, "list"),
    ],
)  # fmt: skip
def test_bad_rules_raise_a_clear_error(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        XRayLocalSampler(document)


def test_a_file_that_is_not_json_raises(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text("{nope")
    with pytest.raises(ValueError, match=r"rules\.json"):
        XRayLocalSampler(path)
