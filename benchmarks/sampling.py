"""``python -m benchmarks.sampling [--rounds N] [--calls N]``: the cost of a root sampling
decision by X-Ray centralized rules, beside today's ``XRaySampler(ALWAYS_ON)``.

Rules come from a local ``SamplingServer`` (real HTTP on 127.0.0.1), as a daemon would
serve them: ``/health`` never sampled (priority 1), four rules on other paths, then the
rule matching the request (``/orders/*``, priority 6, rate 1: sampled, so the rule name
is added to the attributes), then ``Default``. The span is the typical SERVER span's start
attributes (``benchmarks.spans.SERVER_ATTRIBUTES``), no parent. Variants run interleaved,
``--calls`` decisions each per round (short rounds, so that a baseline and its variants
run under the same load); the table gives the median ns per decision over rounds and
the median of the per-round differences to the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Sampler
from opentelemetry.trace import SpanKind

from benchmarks.spans import SERVER_ATTRIBUTES
from xraysink.receiver.sampling import SamplingServer, parse_sampling_rules
from xraysink.sampling.remote import XRayRemoteSampler
from xraysink.sampling.sampler import XRaySampler

TRACE_ID = 0x5759E988BD862E3FE1BE46A994272793
RULES = [
    {"RuleName": "health", "Priority": 1, "FixedRate": 0.0, "ReservoirSize": 0,
     "URLPath": "/health"},
    *[
        {"RuleName": f"other-{n}", "Priority": 2 + n, "FixedRate": 0.1, "ReservoirSize": 1,
         "URLPath": f"/other-{n}/*"}
        for n in range(4)
    ],
    {"RuleName": "orders", "Priority": 6, "FixedRate": 1.0, "ReservoirSize": 0,
     "URLPath": "/orders/*", "HTTPMethod": "GET"},
]  # fmt: skip


def _per_call_ns(sampler: Sampler, attributes: dict[str, object], calls: int) -> float:
    decide = sampler.should_sample
    server = SpanKind.SERVER
    start = time.perf_counter_ns()
    for _ in range(calls):
        decide(None, TRACE_ID, "GET /orders/{order_id}", server, attributes)
    return (time.perf_counter_ns() - start) / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=61)
    parser.add_argument("--calls", type=int, default=5_000)
    options = parser.parse_args(argv)

    resource = Resource.create({"service.name": "orders"})
    with SamplingServer(parse_sampling_rules(RULES)) as server:
        remote = XRayRemoteSampler(resource, endpoint=server.endpoint)
        deadline = time.monotonic() + 10
        while not remote.stats["rules_polls"]:
            if time.monotonic() > deadline:
                raise SystemExit(f"no rules from {server.endpoint}: {dict(remote.stats)}")
            time.sleep(0.01)
        # Decisions go on with the rules held; no poll runs during the timing.
        remote.close(5)
    health = {**SERVER_ATTRIBUTES, "url.path": "/health"}
    variants: dict[str, Callable[[], float]] = {
        "XRaySampler(ALWAYS_ON) (baseline)": lambda: _per_call_ns(
            XRaySampler(ALWAYS_ON, True), SERVER_ATTRIBUTES, options.calls
        ),
        "XRaySampler(remote): /orders/* rule, 6th, sampled": lambda: _per_call_ns(
            XRaySampler(remote, True), SERVER_ATTRIBUTES, options.calls
        ),
        "XRaySampler(remote): /health rule, 1st, dropped": lambda: _per_call_ns(
            XRaySampler(remote, True), health, options.calls
        ),
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(options.rounds):
        for name, run in variants.items():
            results[name].append(run())
    baseline = results[next(iter(variants))]
    print(f"{options.rounds} rounds x {options.calls} root decisions, interleaved; medians\n")
    print("| variant | ns / decision | spread (min-max) | + ns over baseline |")
    print("|---|---|---|---|")
    for name, times in results.items():
        extra = statistics.median(t - b for t, b in zip(times, baseline, strict=True))
        print(
            f"| {name} | {statistics.median(times):,.0f} | {min(times):,.0f}-{max(times):,.0f} "
            f"| {extra:+,.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
