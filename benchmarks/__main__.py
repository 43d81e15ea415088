"""``make bench`` / ``python -m benchmarks [--quick] [--rounds N] [--requests N]
[--scenarios A,B] [--instructions]``.

Prints markdown tables: CPU per traced request for every scenario (rounds
interleaved, each scenario run in a fresh process per round, medians over rounds;
overheads and ratios taken within a round), the export path alone, and import +
configure time. The machine's load shows in the spread columns. The first run
creates xraysink 1.6.2's own virtual environment (``benchmarks.baseline``, from
PyPI, about 15 s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

import xraysink
from benchmarks.baseline import scenario_python
from benchmarks.documents import child_problems
from benchmarks.scenario import ENTITIES, SCENARIOS, SDK_CHILDREN
from benchmarks.sinks import SAMPLED_DATAGRAMS, OtlpSink, UdpSink

ORDER = (
    "bare",
    "bare_hop",
    "xray_sdk",
    "xraysink_162_pypi",
    "otlp",
    "otlp_lean",
    "otel_floor",
    "xraysink_162",
    "xraysink_162_sdk",
    "xraysink_otel",
    "xraysink_lean",
)
#: Always run: every table row's overheads and ratios are taken against them.
BASELINES = ("bare", "xray_sdk", "xraysink_162_pypi", "otlp", "otlp_lean")
LABELS = {
    "bare": "bare app, no tracing",
    "bare_hop": "bare app + BaseHTTPMiddleware hop",
    "xray_sdk": "X-Ray SDK native (UDPEmitter)",
    "xraysink_162_pypi": "xraysink 1.6.2 itself (PyPI, own venv), SDK subsegments",
    "otlp": "OTel SDK + Batch + OTLP/HTTP",
    "otlp_lean": "OTel SDK + Batch + OTLP/HTTP, no fastapi.* spans",
    "otel_floor": "OTel SDK, no span processor (4 spans made, none exported)",
    "xraysink_162": "xraysink, 1.6.2 call sites, OTel children",
    "xraysink_162_sdk": "xraysink, 1.6.2 call sites, X-Ray SDK subsegments",
    "xraysink_otel": "xraysink, OTel-first",
    "xraysink_lean": "xraysink, OTel-first, no fastapi.* operation spans",
}
#: What each scenario's trace is, by its expected span/entity count (``ENTITIES``).
TRACES = {0: "none", 4: "4: as X-Ray SDK", 7: "7: + 3 fastapi.*"}
IMPORTS = {
    "python -c pass": "pass",
    "import aws_xray_sdk.core": "import aws_xray_sdk.core",
    "import xraysink; xraysink.configure(...)": (
        "import xraysink; xraysink.configure('orders', daemon_address='127.0.0.1:2000')"
    ),
}


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_XRAY")}
    env.pop("OTEL_PROPAGATORS", None)
    return env


def run_scenario(name: str, requests: int, warmup: int) -> dict[str, Any]:
    """One fresh process serving ``requests`` requests of scenario ``name``
    (``xraysink_162_pypi`` under xraysink 1.6.2's own environment)."""
    python, updates = scenario_python(name)
    udp, otlp = UdpSink(), OtlpSink()
    try:
        done = subprocess.run(
            [
                *python,
                "-m",
                "benchmarks.scenario",
                name,
                f"--requests={requests}",
                f"--warmup={warmup}",
                f"--daemon-port={udp.port}",
                f"--otlp-port={otlp.port}",
            ],
            capture_output=True,
            text=True,
            env={**_env(), **updates},
            check=False,
        )
    finally:
        received, posted = udp.stop(), otlp.stop()
    if done.returncode != 0:
        raise RuntimeError(f"scenario {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    total = result["total_requests"]
    result["datagrams"] = received["datagrams"] / total
    result["udp_bytes"] = received["bytes"] / total
    result["problems"] = received["problems"]
    result["posts"] = posted["requests"] / total
    result["post_bytes"] = posted["bytes"] / total
    # Entities per request from the sampled datagrams, scaled by datagrams per request;
    # OTLP spans counted in every post.
    sampled = received["sampled"]
    result["entities"] = (
        received["sampled_entities"] / sampled * result["datagrams"] if sampled else 0.0
    ) + posted["spans"] / total
    if received["first"] is not None:
        result["problems"] += child_problems(received["first"], recorded=name in SDK_CHILDREN)
    for problem in result["problems"]:
        print(f"{name}: {problem}", file=sys.stderr)
    return result


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _spread(values: list[float]) -> str:
    return f"{min(values):.0f}..{max(values):.0f}" if values else ""


def request_table(
    rounds: int, requests: int, warmup: int, only: tuple[str, ...] = ORDER
) -> list[str]:
    """The per-request table: the scenarios of ``only`` and the baselines."""
    rows = tuple(name for name in ORDER if name in only or name in BASELINES)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in rows}
    for index in range(rounds):
        # Rotate the order so no scenario always runs first (or after the same one).
        order = rows[index % len(rows) :] + rows[: index % len(rows)]
        for name in order:
            runs[name].append(run_scenario(name, requests, warmup))
        print(f"round {index + 1}/{rounds} done", file=sys.stderr, flush=True)
    bare = [run["cpu_us"] for run in runs["bare"]]
    sdk_overhead = [run["cpu_us"] - base for run, base in zip(runs["xray_sdk"], bare, strict=True)]
    old_overhead = [
        run["cpu_us"] - base for run, base in zip(runs["xraysink_162_pypi"], bare, strict=True)
    ]
    # The OTLP path making the same trace (same span count) as each scenario.
    otlp_overhead = {
        ENTITIES[name]: [run["cpu_us"] - base for run, base in zip(runs[name], bare, strict=True)]
        for name in ("otlp", "otlp_lean")
    }
    lines = [
        f"Per request: {rounds} rounds x {requests} requests (+{warmup} warm-up) per scenario, "
        "medians over rounds; overhead and ratio computed within each round.",
        "",
        "Trace: 4 = 1 segment + 3 nested subsegments, the X-Ray SDK path's trace; "
        "7 = those + FastAPI's 3 fastapi.* operation spans. "
        f"Spans/entities per request: entities in the first {SAMPLED_DATAGRAMS} datagrams "
        "(segments + embedded subsegments) x datagrams per request, or OTLP spans in every post.",
        "",
        "| scenario | trace | CPU µs/request | spread | overhead over bare µs | "
        "overhead / xraysink 1.6.2 overhead (spread) | "
        "overhead / X-Ray SDK overhead | overhead / OTLP overhead, same trace | "
        "spans/entities per request | datagrams/request | "
        "UDP bytes/request | OTLP posts/request | OTLP bytes/request | ok |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in rows:
        cpu = [run["cpu_us"] for run in runs[name]]
        overhead = [value - base for value, base in zip(cpu, bare, strict=True)]
        ratio = [value / sdk for value, sdk in zip(overhead, sdk_overhead, strict=True) if sdk > 0]
        to_old = [value / old for value, old in zip(overhead, old_overhead, strict=True) if old > 0]
        entities = ENTITIES[name]
        same = otlp_overhead.get(entities, [0.0] * len(overhead))
        to_otlp = [value / base for value, base in zip(overhead, same, strict=True) if base > 0]
        last = runs[name][-1]
        ok = all(
            run["ok"] == run["total_requests"]
            and not run["problems"]
            and round(run["entities"], 2) == entities
            for run in runs[name]
        )
        lines.append(
            f"| {LABELS[name]} | {TRACES[entities]} | {_median(cpu):.0f} | "
            f"{_spread(cpu)} | {_median(overhead):.0f} | "
            f"{_median(to_old):.2f} ({min(to_old):.2f}..{max(to_old):.2f}) | "
            f"{_median(ratio):.2f} | "
            f"{f'{_median(to_otlp):.2f}' if to_otlp else '-'} | "
            f"{last['entities']:.2f} | {last['datagrams']:.2f} | "
            f"{last['udp_bytes']:.0f} | {last['posts']:.3f} | {last['post_bytes']:.0f} | "
            f"{'yes' if ok else 'NO'} |"
        )
    return lines


def export_table(quick: bool) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.export_path", *(["--quick"] if quick else [])],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    lines = [
        "Export path per typical HTTP SERVER span (median of repeats, µs):",
        "",
        "| on_end (translate + serialize + send) | translate | serialize | raw sendto | "
        "document bytes | datagrams received / sent |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {result['on_end_us']:.1f} | {result['translate_us']:.1f} | "
        f"{result['serialize_us']:.1f} | {result['sendto_us']:.1f} | "
        f"{result['document_bytes']:.0f} | {result['datagrams_received']:.0f} / "
        f"{result['datagrams_sent']:.0f} |",
        "",
        "Export path per request's trace: every span through on_start + on_end, children "
        "embedded in the root's document, real UDP send (median of repeats, µs):",
        "",
        "| trace | spans | µs/request | µs/span | translate + serialize + send, µs/span | "
        "document bytes | entities/datagram | datagrams received / sent / requests replayed "
        "(both measurements) | spans ended | dropped | unembedded |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, trace in (("request_4_spans", 4), ("request_7_spans", 7)):
        row = result[key]
        lines.append(
            f"| {TRACES[trace]} | {row['spans']:.0f} | {row['request_us']:.1f} | "
            f"{row['span_us']:.1f} | {row['export_span_us']:.1f} | {row['document_bytes']:.0f} | "
            f"{row['entities_per_datagram']:.2f} | {row['datagrams_received']:.0f} / "
            f"{row['datagrams_sent'] + row['export_datagrams_sent']:.0f} / "
            f"{2 * row['requests_replayed']:.0f} | "
            f"{row['spans_ended']:.0f} | {row['dropped']:.0f} | {row['unembedded']:.0f} |"
        )
    against, live = result["against_sdk"], result["processor"]
    lines += [
        "",
        "The baseline, in the same run: xraysink's translate + serialize + send of the 4-span "
        "trace and the X-Ray SDK's serialize + send (`UDPEmitter.send_entity`) of the "
        "4-entity trace its recorder makes for the same request, alternating repeat by "
        "repeat (medians of repeats, µs):",
        "",
        "| xraysink, µs/span | X-Ray SDK, µs/entity | ratio (median of the repeats' ratios) | "
        "SDK entities/datagram | datagrams received / sent |",
        "|---:|---:|---:|---:|---:|",
        f"| {against['span_us']:.1f} | {against['sdk_entity_us']:.1f} | "
        f"{against['ratio']:.2f} | {against['sdk_entities_per_datagram']:.2f} | "
        f"{against['datagrams_received']:.0f} / {against['datagrams_sent']:.0f} |",
        "",
        "The span processor's whole cost per span: live 4-span request trees with "
        "XRaySpanProcessor attached (on_start + on_end + translate + serialize + send, "
        "flushed) minus the same trees without it, against the X-Ray SDK's serialize + "
        "send per entity, the three alternating in each repeat (medians of repeats, µs):",
        "",
        "| processor, µs/span (spread) | tree without it, µs/request | X-Ray SDK, µs/entity | "
        "ratio (spread) | datagrams received / sent | dropped |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {live['span_us']:.1f} ({live['span_us_min']:.1f}..{live['span_us_max']:.1f}) | "
        f"{live['tree_without_us']:.1f} | {live['sdk_entity_us']:.1f} | "
        f"{live['ratio']:.2f} ({live['ratio_min']:.2f}..{live['ratio_max']:.2f}) | "
        f"{live['datagrams_received']:.0f} / {live['datagrams_sent']:.0f} | "
        f"{live['dropped']:.0f} |",
    ]
    return lines


def import_table(runs: int) -> list[str]:
    # An installed wheel comes with bytecode (pip compiles it); a checkout may hold
    # stale or none, and PYTHONDONTWRITEBYTECODE keeps it so: compile as pip would.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", os.path.dirname(xraysink.__file__)],
        check=True,
    )
    times: dict[str, list[float]] = {label: [] for label in IMPORTS}
    for _ in range(runs):
        for label, code in IMPORTS.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=_env(), check=True)
            times[label].append(time.perf_counter() - start)
    base = _median(times["python -c pass"])
    sdk = _median(times["import aws_xray_sdk.core"]) - base
    lines = [
        f"Import (+ configure), fresh interpreter, wall ms, median of {runs} interleaved runs:",
        "",
        "| command | ms | ms over `python -c pass` | ratio to `import aws_xray_sdk.core` |",
        "|---|---:|---:|---:|",
    ]
    for label, values in times.items():
        net = _median(values) - base
        lines.append(
            f"| `{label}` | {_median(values) * 1e3:.0f} | {net * 1e3:.0f} | "
            f"{net / sdk if sdk > 0 else float('nan'):.2f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument(
        "--scenarios",
        help="comma-separated scenarios of the request table (its baselines always run); "
        "only that table is printed",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions per span and per request with callgrind "
        "(about 15 more minutes)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 5)
    requests = args.requests or (300 if args.quick else 1000)
    warmup = args.warmup or (100 if args.quick else 200)
    assert set(ORDER) == set(SCENARIOS) == set(ENTITIES)
    print(
        f"# xraysink benchmarks — {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print()
    if args.scenarios:
        only = tuple(args.scenarios.split(","))
        unknown = set(only) - set(ORDER)
        if unknown:
            parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
        print("\n".join(request_table(rounds, requests, warmup, only)))
        return 0
    print("\n".join(request_table(rounds, requests, warmup)))
    print()
    print("\n".join(export_table(args.quick)))
    print()
    print("\n".join(import_table(5 if args.quick else 9)))
    if args.instructions:
        from benchmarks.instructions import scenario_table, table

        print()
        print("\n".join(table(300 if args.quick else 1000)))
        print()
        print("\n".join(scenario_table()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
