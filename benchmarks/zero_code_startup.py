"""``python -m benchmarks.zero_code_startup [--rounds N]``: what the zero-code set-up
adds to an app's start-up off AWS.

Each round runs every variant in a fresh process, interleaved; medians over rounds.
- ``configure``: the in-process time of xraysink's distro and configurator (``distro``)
  against ``xraysink.configure()`` alone (``configure``), with no AWS sign (no detector
  runs) and with the four detectors that answer from the environment asked by
  ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS`` (EC2's is left out: off EC2 it waits for
  169.254.169.254, which nothing here may reach).
- ``instrument``: wall time of ``opentelemetry-instrument python -c pass`` with
  xraysink's entry points registered against the same without them (the default distro,
  no configurator); every installed instrumentation loads in both.
Child processes get a closed local port as HTTP(S) proxy: nothing can leave the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.servers import ROOT
from tests.zero_code.local import INSTRUMENT, register_entry_points

ENV_ONLY_DETECTORS = "aws_ecs,aws_eks,aws_elastic_beanstalk,aws_lambda"
_TIMED = """
import time
start = time.perf_counter()
{body}
print(time.perf_counter() - start)
"""
_BODIES = {
    "configure": "import xraysink; xraysink.configure(daemon_address='127.0.0.1:9')",
    "distro": (
        "from xraysink.distro import XRaySinkConfigurator, XRaySinkDistro\n"
        "XRaySinkDistro().configure()\n"
        "XRaySinkConfigurator().configure(auto_instrumentation_version='0')"
    ),
}
_CLOSED = "http://127.0.0.1:9"


def _env(**extra: str) -> dict[str, str]:
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "AWS_", "ECS_", "XRAYSINK_"))
    }
    proxies = dict.fromkeys(("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"), _CLOSED)
    local = {"no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}
    return {**kept, **proxies, **local, "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:9", **extra}


def _in_process(body: str, env: dict[str, str]) -> float:
    code = _TIMED.format(body=body)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(result.stdout.split()[-1])


def _instrument(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([INSTRUMENT, sys.executable, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args(argv).rounds
    with tempfile.TemporaryDirectory() as folder:
        points = register_entry_points(Path(folder))
        plain = _env(PYTHONPATH=str(ROOT))
        asked = _env(PYTHONPATH=str(ROOT), OTEL_EXPERIMENTAL_RESOURCE_DETECTORS=ENV_ONLY_DETECTORS)
        registered = _env(PYTHONPATH=f"{points}{os.pathsep}{ROOT}")
        variants = {
            "configure(), no AWS sign": lambda: _in_process(_BODIES["configure"], plain),
            "distro + configurator, no AWS sign": lambda: _in_process(_BODIES["distro"], plain),
            "distro + configurator, 4 env-only AWS detectors asked": lambda: _in_process(
                _BODIES["distro"], asked
            ),
            "opentelemetry-instrument, default distro": lambda: _instrument(plain),
            "opentelemetry-instrument, xraysink": lambda: _instrument(registered),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, run in variants.items():
                times[name].append(run())
    print(f"| start-up, {rounds} rounds interleaved | median ms | min ms | max ms |")
    print("|---|---|---|---|")
    for name, values in times.items():
        low, mid, high = (1000 * f(values) for f in (min, statistics.median, max))
        print(f"| {name} | {mid:.1f} | {low:.1f} | {high:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
