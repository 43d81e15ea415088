"""A real uvicorn server sampled by centralized rules: ``/health`` never sampled."""

from __future__ import annotations

import time
import urllib.request

from tests.sampling.api import rule, sampling_api
from tests.servers import serve, uvicorn
from tests.waiting import wait_until
from xraysink.receiver import Receiver


def get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200


def test_health_is_never_sampled_and_orders_carry_their_rule(receiver: Receiver) -> None:
    rules = [
        rule("health", URLPath="/health"),
        rule("orders", 2, URLPath="/orders/*", HTTPMethod="GET", FixedRate=1.0),
    ]
    with sampling_api(rules) as api:
        address = f"udp:127.0.0.1:{receiver.port} tcp:127.0.0.1:{api.port}"
        env = {"AWS_XRAY_DAEMON_ADDRESS": address}
        with serve(uvicorn("sampled_fastapi:app"), env) as base:
            wait_until(lambda: api.calls("/GetSamplingRules"))
            time.sleep(0.3)  # the answer parsed and the rules in place
            for _ in range(3):
                get(base + "/health")
            get(base + "/orders/7")
            assert receiver.wait_for_count(1)
            time.sleep(0.3)
    # Without its rule, /health would have been sampled: Default borrows one a second.
    documents = receiver.documents
    assert [d["http"]["request"]["url"].rsplit("/", 2)[-2:] for d in documents] == [["orders", "7"]]
    assert documents[0]["aws"]["xray"]["sampling_rule_name"] == "orders"
