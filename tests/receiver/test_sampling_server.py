"""``xraysink listen --sampling-rules``: the sampling API answered over real TCP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource

from tests.cli.listener import Listener
from tests.servers import ROOT
from tests.waiting import wait_until
from xraysink.receiver.sampling import parse_sampling_rules
from xraysink.sampling.remote import RULE_NAME_ATTRIBUTE, XRayRemoteSampler

CHECKOUT = {
    "RuleName": "checkout",
    "Priority": 10,
    "FixedRate": 0.25,
    "ReservoirSize": 4,
    "ServiceName": "shop",
    "URLPath": "/checkout*",
}


@contextmanager
def listening(rules_file: Path) -> Iterator[tuple[Listener, str]]:
    """``xraysink listen --sampling-rules rules_file`` and its sampling endpoint."""
    listener = Listener("--sampling-rules", str(rules_file))
    try:
        endpoint = f"http://127.0.0.1:{listener.port}"
        assert listener.next_line() == f"sampling rules on {endpoint}"
        yield listener, endpoint
    finally:
        listener.kill()


def post(endpoint: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        endpoint + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


@pytest.mark.parametrize(
    "document",
    [{"SamplingRuleRecords": [{"SamplingRule": CHECKOUT}]}, [CHECKOUT]],
    ids=["GetSamplingRules answer", "list of rules"],
)
def test_listen_answers_rules_and_targets_over_tcp(tmp_path: Path, document: Any) -> None:
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(json.dumps(document))
    with listening(rules_file) as (listener, endpoint):
        records = post(endpoint, "/GetSamplingRules", {})["SamplingRuleRecords"]
        rules = [record["SamplingRule"] for record in records]
        assert [rule["RuleName"] for rule in rules] == ["checkout", "Default"]
        assert rules[0]["Host"] == "*" and rules[0]["Version"] == 1
        assert rules[1]["FixedRate"] == 0.05 and rules[1]["ReservoirSize"] == 1
        statistics = {"ClientID": "c" * 24, "RequestCount": 3, "SampledCount": 1,
                      "BorrowCount": 1, "Timestamp": int(time.time())}  # fmt: skip
        answer = post(
            endpoint,
            "/SamplingTargets",
            {
                "SamplingStatisticsDocuments": [
                    {"RuleName": "checkout", **statistics},
                    {"RuleName": "gone", **statistics},
                ]
            },
        )
        [target] = answer["SamplingTargetDocuments"]
        assert (target["RuleName"], target["FixedRate"], target["ReservoirQuota"]) == (
            "checkout",
            0.25,
            4,
        )
        assert target["ReservoirQuotaTTL"] > time.time()
        assert target["Interval"] == 10
        assert answer["UnprocessedStatistics"][0]["RuleName"] == "gone"
        assert answer["LastRuleModification"] <= time.time()

        sampler = XRayRemoteSampler(Resource({"service.name": "shop"}), endpoint=endpoint)
        try:
            wait_until(lambda: sampler.stats["rules_polls"])
            result = sampler.should_sample(None, 1, "s", attributes={"url.path": "/checkout/1"})
            assert dict(result.attributes or {})[RULE_NAME_ATTRIBUTE] == "checkout"
        finally:
            sampler.close(5)
        listener.stop()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "rules.json"),
        ('{"rules": []}', "SamplingRuleRecords"),
        ('[{"RuleName": "a", "Priority": 1, "ReservoirSize": 1}]', "FixedRate"),
    ],
)
def test_a_bad_rules_file_exits_1(tmp_path: Path, content: str, message: str) -> None:
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(content)
    done = subprocess.run(
        [sys.executable, "-m", "xraysink.cli", "listen", "--address", "127.0.0.1:0",
         "--sampling-rules", str(rules_file)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    assert done.returncode == 1
    assert "--sampling-rules" in done.stderr and message in done.stderr


def test_rule_names_must_be_unique_and_default_is_kept() -> None:
    with pytest.raises(ValueError, match="unique"):
        parse_sampling_rules([CHECKOUT, CHECKOUT])
    own_default = {**CHECKOUT, "RuleName": "Default", "FixedRate": 0.5}
    assert parse_sampling_rules([own_default])[0]["FixedRate"] == 0.5
    assert len(parse_sampling_rules([own_default])) == 1
