"""Instructions per span, counted by valgrind's callgrind: figures that do not move
with the machine's load (a shared machine makes wall and CPU times noisy).

``python -m benchmarks.instructions`` runs this module under callgrind once per
workload with ``--iterations`` repeats and once with none, and prints the
difference per repeat: translate of a typical HTTP SERVER span and of a child
span, serialize of the SERVER span's document, and one request's 4 spans (SERVER +
3 nested children) and 7 spans (+ FastAPI's 3 ``fastapi.*`` operation spans) through
``XRaySpanProcessor`` (on_start + on_end, with the UDP send itself left out: the
kernel's work is not counted by callgrind anyway); then the export path alone for the
4 spans (``export_path.export_trace``: translate + nest + serialize, the send left
out) and its baseline, the X-Ray SDK's ``UDPEmitter.send_entity`` of the same
request's 4-entity trace with the send left out (serialize + the protocol header).
Needs ``valgrind``; takes about five minutes. ``PYTHONHASHSEED=0`` keeps string
hashing, and so the counts, repeatable.

``--scenarios`` adds whole requests: each scenario of ``COUNTED_SCENARIOS`` (the ones with
the X-Ray SDK path's trace, and their baselines) runs under callgrind with
``SCENARIO_REQUESTS`` and 3 times as many requests, sending to real sinks, and the
difference per request gives its instructions per request, every thread of the
process counted (the OTLP exporter's too). Overhead ratios from these counts do not
move with the machine's load, unlike the CPU times of ``python -m benchmarks``;
they do not count what costs time without instructions (cache misses, the kernel's
side of a send). About 10 more minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable

#: Scenarios whose requests are counted with ``--scenarios``: the baselines and every
#: scenario that makes the X-Ray SDK path's trace (1 segment + 3 subsegments).
COUNTED_SCENARIOS = (
    "bare",
    "bare_hop",
    "xray_sdk",
    "xraysink_162_pypi",
    "otlp_lean",
    "otel_floor",
    "xraysink_lean",
    "xraysink_162",
    "xraysink_162_sdk",
)
SCENARIO_REQUESTS = 100

WORKLOADS = (
    "translate_server",
    "translate_child",
    "serialize_server",
    "request_4_spans",
    "request_7_spans",
    "export_4_spans",
    "sdk_serialize_4_entities",
)


def _workloads() -> dict[str, Callable[[], object]]:
    from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

    from benchmarks.export_path import export_trace, sdk_trace
    from benchmarks.spans import replay, request_spans, typical_server_span
    from xraysink import XRaySpanProcessor
    from xraysink.emitters.udp import UDPDaemonEmitter
    from xraysink.export.serialize import encode_documents
    from xraysink.translate import translate_span

    server = typical_server_span()
    events = request_spans()
    child = next(span for kind, span in events if kind == "end" and span.name == "load order")
    document = translate_span(server)[0]
    emitter = UDPDaemonEmitter("127.0.0.1:9")
    emitter.send = lambda document: None  # type: ignore[method-assign]
    processor = XRaySpanProcessor(emitter)

    lean = request_spans(operation_spans=False)
    ended = [span for kind, span in lean if kind == "end"]
    segment = sdk_trace()
    sdk_emitter = UDPEmitter("127.0.0.1:9")
    sdk_emitter._send_data = lambda data: None
    return {
        "translate_server": lambda: translate_span(server),
        "translate_child": lambda: translate_span(child),
        "serialize_server": lambda: encode_documents(document),
        "request_4_spans": lambda: replay(processor, lean),
        "request_7_spans": lambda: replay(processor, events),
        "export_4_spans": lambda: export_trace(ended, emitter),
        "sdk_serialize_4_entities": lambda: sdk_emitter.send_entity(segment),
    }


def _count(workload: str, iterations: int) -> int:
    return _callgrind(
        ["-m", "benchmarks.instructions", "--run", workload, f"--iterations={iterations}"]
    )


def _callgrind(
    arguments: list[str], python: list[str] | None = None, env: dict[str, str] | None = None
) -> int:
    """Instructions of ``python ARGUMENTS`` under callgrind, every thread counted;
    ``python``: the interpreter and its options (default: this one), ``env``: updates
    to the environment."""
    env = {**os.environ, "PYTHONHASHSEED": "0", **(env or {})}
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            *(python or [sys.executable]),
            *arguments,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError("callgrind printed no count:\n" + done.stderr[-2000:])
    return int(found.group(1))


def table(iterations: int) -> list[str]:
    if shutil.which("valgrind") is None:
        return ["(valgrind not installed: instruction counts skipped)"]
    base = _count("none", 0)
    lines = [
        f"Instructions per call (callgrind, {iterations} repeats minus none):",
        "",
        "| workload | instructions |",
        "|---|---:|",
    ]
    per_call: dict[str, float] = {}
    for workload in WORKLOADS:
        per_call[workload] = (_count(workload, iterations) - base) / iterations
        lines.append(f"| {workload} | {per_call[workload]:,.0f} |")
    ours, sdk = per_call["export_4_spans"], per_call["sdk_serialize_4_entities"]
    lines += [
        "",
        f"Export path without the send, per span of the 4-span trace: {ours / 4:,.0f} "
        f"instructions; the X-Ray SDK's serialize of the same trace, per entity: "
        f"{sdk / 4:,.0f}; ratio {ours / sdk:.2f}.",
    ]
    return lines


def _scenario_requests(name: str, requests: int) -> int:
    from benchmarks.baseline import scenario_python
    from benchmarks.sinks import OtlpSink, UdpSink

    python, env = scenario_python(name)
    udp, otlp = UdpSink(), OtlpSink()
    try:
        return _callgrind(
            [
                "-m",
                "benchmarks.scenario",
                name,
                f"--requests={requests}",
                f"--warmup={SCENARIO_REQUESTS}",
                f"--daemon-port={udp.port}",
                f"--otlp-port={otlp.port}",
            ],
            python,
            env,
        )
    finally:
        udp.stop()
        otlp.stop()


def _per_request(name: str) -> float:
    more = _scenario_requests(name, 3 * SCENARIO_REQUESTS)
    return (more - _scenario_requests(name, SCENARIO_REQUESTS)) / (2 * SCENARIO_REQUESTS)


def scenario_table() -> list[str]:
    """Instructions per request of each of ``COUNTED_SCENARIOS``, and the overhead ratios."""
    if shutil.which("valgrind") is None:
        return ["(valgrind not installed: instruction counts skipped)"]
    per_request = {name: _per_request(name) for name in COUNTED_SCENARIOS}
    bare = per_request["bare"]
    sdk = per_request["xray_sdk"] - bare
    old = per_request["xraysink_162_pypi"] - bare
    otlp = per_request["otlp_lean"] - bare
    lines = [
        "Instructions per request, the X-Ray SDK path's trace (callgrind, "
        f"{3 * SCENARIO_REQUESTS} requests minus {SCENARIO_REQUESTS}, every thread):",
        "",
        "| scenario | instructions/request | overhead over bare | overhead / xraysink 1.6.2 "
        "overhead | overhead / X-Ray SDK overhead | overhead / OTLP overhead |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, count in per_request.items():
        overhead = count - bare
        lines.append(
            f"| {name} | {count:,.0f} | {overhead:,.0f} | {overhead / old:.2f} | "
            f"{overhead / sdk:.2f} | "
            f"{overhead / otlp:.2f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", help="(internal) the workload to repeat")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument(
        "--scenarios", action="store_true", help="also count whole requests per scenario"
    )
    args = parser.parse_args(argv)
    if args.run is None:
        print("\n".join(table(args.iterations)))
        if args.scenarios:
            print()
            print("\n".join(scenario_table()))
        return 0
    workloads = _workloads()
    if args.run != "none":
        work = workloads[args.run]
        work()
        for _ in range(args.iterations):
            work()
    return 0


if __name__ == "__main__":
    sys.exit(main())
