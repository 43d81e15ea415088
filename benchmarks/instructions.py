"""Instructions per span, counted by valgrind's callgrind: figures that do not move
with the machine's load (a shared machine makes wall and CPU times noisy).

``python -m benchmarks.instructions`` runs this module under callgrind once per
workload with ``--iterations`` repeats and once with none, and prints the
difference per repeat: translate of a typical HTTP SERVER span and of a child
span, serialize of the SERVER span's document, and one request's 4 spans (SERVER +
3 nested children) and 7 spans (+ FastAPI's 3 ``fastapi.*`` operation spans) through
``XRaySpanProcessor`` (on_start + on_end, with the UDP send itself left out: the
kernel's work is not counted by callgrind anyway). Needs ``valgrind``; takes about
a minute. ``PYTHONHASHSEED=0`` keeps string hashing, and so the counts, repeatable.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable

WORKLOADS = (
    "translate_server",
    "translate_child",
    "serialize_server",
    "request_4_spans",
    "request_7_spans",
)


def _workloads() -> dict[str, Callable[[], object]]:
    from benchmarks.spans import replay, request_spans, typical_server_span
    from xraysink import XRaySpanProcessor
    from xraysink.emitter import UDPDaemonEmitter
    from xraysink.serialize import encode_documents
    from xraysink.translate import translate_span

    server = typical_server_span()
    events = request_spans()
    child = next(span for kind, span in events if kind == "end" and span.name == "load order")
    document = translate_span(server)[0]
    emitter = UDPDaemonEmitter("127.0.0.1:9")
    emitter.send = lambda document: None  # type: ignore[method-assign]
    processor = XRaySpanProcessor(emitter)

    lean = request_spans(operation_spans=False)
    return {
        "translate_server": lambda: translate_span(server),
        "translate_child": lambda: translate_span(child),
        "serialize_server": lambda: encode_documents(document),
        "request_4_spans": lambda: replay(processor, lean),
        "request_7_spans": lambda: replay(processor, events),
    }


def _count(workload: str, iterations: int) -> int:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--run",
            workload,
            f"--iterations={iterations}",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
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
    for workload in WORKLOADS:
        per_call = (_count(workload, iterations) - base) / iterations
        lines.append(f"| {workload} | {per_call:,.0f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", help="(internal) the workload to repeat")
    parser.add_argument("--iterations", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.run is None:
        print("\n".join(table(args.iterations)))
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
