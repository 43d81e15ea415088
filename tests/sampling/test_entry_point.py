"""OTEL_TRACES_SAMPLER=xray through the OpenTelemetry SDK's own loader, and the X-Ray
SDK's httplib patch leaving the sampler's calls alone; each in a fresh interpreter."""

from __future__ import annotations

import os

from tests.sampling.api import rule, sampling_api
from tests.scripts import run_python
from tests.servers import ROOT


def _run(code: str, env: dict[str, str]) -> str:
    # The entry point comes from the installed package's metadata (make installs it).
    done = run_python(code, {**os.environ, "PYTHONPATH": str(ROOT), **env})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_otel_traces_sampler_xray_builds_the_remote_sampler() -> None:
    with sampling_api([rule("r", URLPath="/r", FixedRate=1.0)]) as api:
        code = (
            "import time\n"
            "from opentelemetry.sdk._configuration import _get_sampler, _import_sampler\n"
            "sampler = _import_sampler(_get_sampler())\n"
            "root = sampler.root\n"
            "while not root.stats['rules_polls']: time.sleep(0.01)\n"
            "print(type(sampler).__name__, type(root).__name__, root.endpoint)\n"
            "print([r.name for r in root.rules])\n"
            "print(root._polling_interval)\n"
        )
        out = _run(
            code,
            {
                "OTEL_TRACES_SAMPLER": "xray",
                "OTEL_TRACES_SAMPLER_ARG": f"endpoint={api.endpoint},polling_interval=120",
                "OTEL_SERVICE_NAME": "shop",
            },
        )
    assert out.splitlines() == [
        f"XRaySampler XRayRemoteSampler {api.endpoint}",
        "['r', 'Default']",
        "120.0",
    ]


def test_a_bad_sampler_argument_leaves_the_sdk_default() -> None:
    code = (
        "from opentelemetry.sdk._configuration import _import_sampler\n"
        "print(_import_sampler('xray'))\n"
    )
    out = _run(
        code,
        {"OTEL_TRACES_SAMPLER_ARG": "endpoint=http://127.0.0.1:1,interval=5"},
    )
    assert out.strip() == "None"


def test_the_xray_sdk_httplib_patch_ignores_the_sampler() -> None:
    # With context_missing=RUNTIME_ERROR, a traced call outside a segment would raise.
    with sampling_api([rule("r")]) as api:
        code = (
            "import time\n"
            "from aws_xray_sdk.core import patch, xray_recorder\n"
            "xray_recorder.configure(context_missing='RUNTIME_ERROR')\n"
            "patch(['httplib'])\n"
            "from xraysink.sampling.remote import XRayRemoteSampler\n"
            f"s = XRayRemoteSampler(endpoint={api.endpoint!r}, target_interval=0.1)\n"
            "deadline = time.monotonic() + 20\n"
            "while not s.stats['rules_polls'] and time.monotonic() < deadline:\n"
            "    time.sleep(0.01)\n"
            "s.should_sample(None, 1, 'x')\n"
            "while not s.stats['targets_polls'] and time.monotonic() < deadline:\n"
            "    time.sleep(0.01)\n"
            "print(dict(s.stats))\n"
        )
        out = _run(code, {"AWS_XRAY_SDK_ENABLED": "true"})
    stats = eval(out)
    assert stats["rules_polls"] == 1
    assert stats["targets_polls"] == 1
    assert set(stats) == {"rules_polls", "targets_polls", "statistics_sent"}
