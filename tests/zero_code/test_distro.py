"""``opentelemetry-instrument`` with xraysink's distro and configurator: apps with no
tracing code send valid segments to a real UDP receiver; a malformed variable is named
on stderr and the app still runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.apps.downstream import downstream
from tests.e2e.xray import by_name, new_root, root_of, segments, wait_for_trace
from tests.servers import APPS, serve, serve_all
from tests.zero_code.local import INSTRUMENT, Tripwire, child_env, run_instrumented
from xraysink.receiver.server import Receiver
from xraysink.receiver.validate import validate_document

SELECTED = {"OTEL_PYTHON_DISTRO": "xraysink", "OTEL_PYTHON_CONFIGURATOR": "xraysink"}
PARENT = "53995c3f42cd8ad8"


@pytest.fixture(scope="module")
def urls(daemon: Receiver, entry_points: Path, tripwire: Tripwire) -> Iterator[dict[str, str]]:
    """The FastAPI app with both variables set, the Flask app with neither (xraysink's
    are the only distro and configurator installed: opentelemetry-instrument takes them)."""
    address = {"AWS_XRAY_DAEMON_ADDRESS": daemon.address}
    fastapi = child_env(
        entry_points,
        tripwire,
        **SELECTED,
        **address,
        OTEL_SERVICE_NAME="zero-fastapi",
        OTEL_RESOURCE_ATTRIBUTES="aws.log.group.names=/zero/fastapi,deployment.environment=test",
    )
    flask = child_env(entry_points, tripwire, **address, OTEL_SERVICE_NAME="zero-flask")
    managers = {
        name: serve([INSTRUMENT, sys.executable, str(APPS / f"zero_code_{name}.py")], env)
        for name, env in (("fastapi", fastapi), ("flask", flask))
    }
    with serve_all(managers) as started:
        yield started


def test_fastapi_request_is_one_valid_segment(urls: dict[str, str], daemon: Receiver) -> None:
    root = new_root()
    # A load balancer's header: Root without Parent.
    response = httpx.get(
        urls["fastapi"] + "/hello?x=1", headers={"X-Amzn-Trace-Id": f"Root={root}"}
    )
    assert response.status_code == 200
    assert root_of(response) == root
    entities = wait_for_trace(daemon, root, 1)
    (segment,) = segments(entities)
    assert segment["name"] == "zero-fastapi"
    assert "parent_id" not in segment
    assert segment["http"]["request"]["method"] == "GET"
    assert segment["http"]["request"]["url"] == urls["fastapi"] + "/hello?x=1"
    assert segment["http"]["response"]["status"] == 200
    assert segment["aws"]["xray"]["auto_instrumentation"] is True
    assert segment["aws"]["cloudwatch_logs"] == [{"log_group": "/zero/fastapi"}]
    assert segment["metadata"]["default"]["otel.resource.deployment.environment"] == "test"


def test_w3c_traceparent_alone_is_continued(urls: dict[str, str], daemon: Receiver) -> None:
    digits = new_root().replace("-", "")[1:]
    traceparent = f"00-{digits}-{PARENT}-01"
    response = httpx.get(urls["fastapi"] + "/hello", headers={"traceparent": traceparent})
    assert response.status_code == 200
    root = f"1-{digits[:8]}-{digits[8:]}"
    (segment,) = segments(wait_for_trace(daemon, root, 1))
    assert segment["parent_id"] == PARENT


def test_flask_call_to_fastapi_is_one_trace(urls: dict[str, str], daemon: Receiver) -> None:
    response = httpx.get(urls["flask"] + "/chain", params={"url": urls["fastapi"] + "/headers"})
    assert response.status_code == 200
    assert response.json()["status"] == 200
    sent: dict[str, Any] = response.json()["answer"]
    root = root_of(response)
    # Both default propagators wrote the same trace: X-Ray's header and W3C traceparent.
    assert f"Root={root}" in sent["x-amzn-trace-id"]
    assert sent["traceparent"].split("-")[1] == root[2:].replace("-", "")

    def both_services(entities: list[dict[str, Any]]) -> bool:
        return {"zero-flask", "zero-fastapi"} <= {entity["name"] for entity in segments(entities)}

    entities = wait_for_trace(daemon, root, 3, until=both_services)
    (flask,) = by_name(segments(entities), "zero-flask")
    (fastapi,) = by_name(segments(entities), "zero-fastapi")
    (call,) = [entity for entity in entities if entity["id"] == fastapi["parent_id"]]
    assert call["_parent"] == flask["id"]
    assert call["namespace"] == "remote"
    assert call["http"]["request"]["url"] == urls["fastapi"] + "/headers"
    assert flask["http"]["response"]["status"] == 200


@pytest.fixture
def target() -> Iterator[str]:
    with downstream({("GET", "/ok"): {"ok": True}}) as routes:
        yield routes.url + "/ok"


def call(
    target: str, entry_points: Path, tripwire: Tripwire, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the no-tracing-code script under opentelemetry-instrument; it GETs ``target``."""
    result = run_instrumented(
        [str(APPS / "zero_code_call.py"), target], child_env(entry_points, tripwire, **env)
    )
    assert result.stdout.strip() == "200", result.stderr
    return result


def documents(receiver: Receiver) -> list[dict[str, Any]]:
    """What arrived once the receiver is quiet, each checked valid."""
    receiver.wait_quiet(0.3)
    for document in receiver.documents:
        assert validate_document(document) == [], document
    return receiver.documents


def test_the_call_script_is_traced_and_start_up_is_clean(
    target: str, entry_points: Path, tripwire: Tripwire, receiver: Receiver
) -> None:
    """Every installed instrumentation (botocore, sqlalchemy, django, aws-lambda, ...)
    loads without a complaint."""
    result = call(
        target, entry_points, tripwire, OTEL_SERVICE_NAME="caller", **_to(receiver), **SELECTED
    )
    assert result.stderr == ""
    (document,) = documents(receiver)
    assert document["name"] == "127.0.0.1"
    assert document["http"]["request"]["url"] == target


INSTRUMENTED = """
from importlib.metadata import entry_points
for point in entry_points(group="opentelemetry_instrumentor"):
    if point.load()().is_instrumented_by_opentelemetry:
        print(point.name)
"""


def test_every_installed_instrumentation_is_loaded(entry_points: Path, tripwire: Tripwire) -> None:
    env = child_env(entry_points, tripwire, AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:9")
    result = run_instrumented(["-c", INSTRUMENTED], env)
    assert result.stderr == ""
    loaded = set(result.stdout.split())
    assert {"botocore", "sqlalchemy", "requests", "django", "flask", "fastapi"} <= loaded


MALFORMED = {
    "OTEL_SDK_DISABLED": "yes",
    "AWS_XRAY_SDK_ENABLED": "perhaps",
    "OTEL_RESOURCE_ATTRIBUTES": "broken,deployment.environment=test",
    "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "aws_bogus",
    "XRAYSINK_EXPORTER": "kafka",
    "OTEL_TRACES_SAMPLER": "bogus",
    "XRAYSINK_TRUST_INCOMING_SAMPLING": "maybe",
}


def test_each_malformed_variable_is_named_and_tracing_goes_on(
    target: str, entry_points: Path, tripwire: Tripwire, receiver: Receiver
) -> None:
    result = call(target, entry_points, tripwire, **MALFORMED, **_to(receiver))
    ours = [line for line in result.stderr.splitlines() if line.startswith("xraysink: ")]
    for variable in MALFORMED:
        assert [line for line in ours if variable in line], (variable, result.stderr)
    (document,) = documents(receiver)
    assert document["metadata"]["default"]["otel.resource.deployment.environment"] == "test"


def test_a_malformed_sampler_argument_leaves_the_default_sampler(
    target: str, entry_points: Path, tripwire: Tripwire, receiver: Receiver
) -> None:
    env = {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"}
    result = call(target, entry_points, tripwire, **env, **_to(receiver))
    assert "xraysink: OTEL_TRACES_SAMPLER_ARG='half'" in result.stderr
    assert len(documents(receiver)) == 1


def test_a_malformed_daemon_address_leaves_the_app_untraced(
    target: str, entry_points: Path, tripwire: Tripwire
) -> None:
    result = call(target, entry_points, tripwire, AWS_XRAY_DAEMON_ADDRESS="nohost")
    assert "xraysink: AWS_XRAY_DAEMON_ADDRESS: invalid X-Ray daemon address 'nohost'" in (
        result.stderr
    )


@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_SDK_DISABLED": "true"},
        {"AWS_XRAY_SDK_ENABLED": "false"},
        {"OTEL_TRACES_SAMPLER": "always_off"},
    ],
)
def test_switched_off_or_sampled_out_sends_nothing(
    env: dict[str, str], target: str, entry_points: Path, tripwire: Tripwire, receiver: Receiver
) -> None:
    result = call(target, entry_points, tripwire, **env, **_to(receiver))
    assert result.stderr == ""
    assert documents(receiver) == []


@pytest.mark.xfail(
    strict=True,
    reason="opentelemetry-instrument itself imports opentelemetry.propagate, which raises "
    "for an unknown OTEL_PROPAGATORS name before any distro runs",
)
def test_an_unknown_propagator_name_still_starts_the_app(
    target: str, entry_points: Path, tripwire: Tripwire
) -> None:
    call(target, entry_points, tripwire, OTEL_PROPAGATORS="xray,bogus")


def _to(receiver: Receiver) -> dict[str, str]:
    return {"AWS_XRAY_DAEMON_ADDRESS": receiver.address}
