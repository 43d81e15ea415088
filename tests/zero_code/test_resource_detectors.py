"""The AWS resource detectors of ``opentelemetry-sdk-extension-aws``, each pointed at
something on 127.0.0.1 or in a temporary folder, through the zero-code set-up,
``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS`` and ``configure(resource_detectors=...)``:
segments carry their ``origin`` and ``aws`` blocks."""

from __future__ import annotations

import json
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource, ResourceDetector

from tests.apps.downstream import Downstream, downstream
from tests.e2e.xray import segments, wait_for_trace
from tests.servers import APPS, ROOT
from tests.zero_code.local import Tripwire, child_env, run_instrumented, run_script
from xraysink import detectors
from xraysink.receiver.server import Receiver

ACCOUNT = "111122223333"
TASK_ARN = f"arn:aws:ecs:us-west-2:{ACCOUNT}:task/default/158d1c8083dd49d6b527399fd6414f5c"
CONTAINER_ARN = f"arn:aws:ecs:us-west-2:{ACCOUNT}:container/0206b271-b33f-47ab-86c6-a0ba208a70a9"
# Task metadata endpoint v4 (ECS developer guide), trimmed to what a container sees.
ECS_CONTAINER = {
    "DockerId": "ea32192c8553fbff06c9340478a2ff089b2bb5646fb718b4ee206641c9086d66",
    "Name": "curl",
    "DockerName": "ecs-curltest-24-curl-cca48e8dcadd97805600",
    "Image": f"{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/curltest:latest",
    "Labels": {
        "com.amazonaws.ecs.cluster": "default",
        "com.amazonaws.ecs.container-name": "curl",
        "com.amazonaws.ecs.task-arn": TASK_ARN,
        "com.amazonaws.ecs.task-definition-family": "curltest",
        "com.amazonaws.ecs.task-definition-version": "26",
    },
    "DesiredStatus": "RUNNING",
    "KnownStatus": "RUNNING",
    "Limits": {"CPU": 10, "Memory": 128},
    "Type": "NORMAL",
    "LogDriver": "awslogs",
    "LogOptions": {
        "awslogs-create-group": "true",
        "awslogs-group": "/ecs/metadata",
        "awslogs-region": "us-west-2",
        "awslogs-stream": "ecs/curl/158d1c8083dd49d6b527399fd6414f5c",
    },
    "ContainerARN": CONTAINER_ARN,
    "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.2.106"]}],
}
ECS_TASK = {
    "Cluster": "default",
    "TaskARN": TASK_ARN,
    "Family": "curltest",
    "ServiceName": "MyService",
    "Revision": "26",
    "DesiredStatus": "RUNNING",
    "KnownStatus": "RUNNING",
    "Limits": {"CPU": 0.25, "Memory": 512},
    "AvailabilityZone": "us-west-2d",
    "LaunchType": "FARGATE",
    "Containers": [ECS_CONTAINER],
}
# Instance identity document (EC2 user guide).
EC2_IDENTITY = {
    "accountId": ACCOUNT,
    "architecture": "x86_64",
    "availabilityZone": "us-west-2b",
    "imageId": "ami-5fb8c835",
    "instanceId": "i-1234567890abcdef0",
    "instanceType": "t2.micro",
    "pendingTime": "2016-11-19T16:32:11Z",
    "privateIp": "10.158.112.84",
    "region": "us-west-2",
    "version": "2017-09-30",
}
EC2_ROUTES = {
    ("PUT", "/latest/api/token"): "AQAEAGh0b2tlbg==",
    ("GET", "/latest/dynamic/instance-identity/document"): EC2_IDENTITY,
    ("GET", "/latest/meta-data/hostname"): "ip-10-158-112-84.us-west-2.compute.internal",
}
EKS_ROUTES = {
    ("GET", "/api/v1/namespaces/kube-system/configmaps/aws-auth"): {"kind": "ConfigMap"},
    ("GET", "/api/v1/namespaces/amazon-cloudwatch/configmaps/cluster-info"): {
        "kind": "ConfigMap",
        "data": {"cluster.name": "shop-cluster", "logs.region": "us-west-2"},
    },
}
# Written by Elastic Beanstalk with X-Ray on (X-Ray developer guide).
BEANSTALK_CONF = {"deployment_id": 23, "version_label": "app-v7", "environment_name": "shop-prod"}

# Each script configures xraysink, ends one SERVER span and prints its trace id.
SCRIPT = """
import xraysink
from opentelemetry import trace
{setup}
xraysink.configure(daemon_address="{address}", service="shop"{arguments})
with trace.get_tracer("t").start_as_current_span("op", kind=trace.SpanKind.SERVER) as span:
    pass
print(f"{{span.get_span_context().trace_id:032x}}")
"""


def segment_of(
    receiver: Receiver, tripwire: Tripwire, setup: str = "", arguments: str = "", **env: str
) -> dict[str, Any]:
    """The segment of ``SCRIPT`` run with ``setup`` before ``configure`` and ``arguments``
    added to it."""
    code = SCRIPT.format(setup=setup, address=receiver.address, arguments=arguments)
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **tripwire.env()}
    result = run_script(code, {**base, **env})
    assert result.returncode == 0, result.stderr
    digits = result.stdout.strip()
    (segment,) = segments(wait_for_trace(receiver, f"1-{digits[:8]}-{digits[8:]}", 1))
    return segment


@pytest.fixture
def ec2() -> Iterator[Downstream]:
    with downstream(EC2_ROUTES) as routes:
        yield routes


# The detector's host is a module constant: pointed here, it never sees 169.254.169.254.
EC2_SETUP = """
from opentelemetry.sdk.extension.aws.resource import ec2
ec2._AWS_METADATA_HOST = "{host}"
"""


@pytest.mark.parametrize("asked", ["argument", "environment"])
def test_ec2_when_asked(
    asked: str, ec2: Downstream, receiver: Receiver, tripwire: Tripwire
) -> None:
    setup = EC2_SETUP.format(host=ec2.url.removeprefix("http://"))
    if asked == "argument":
        segment = segment_of(receiver, tripwire, setup, ', resource_detectors=["aws_ec2"]')
    else:
        env = {"OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "aws_ec2"}
        segment = segment_of(receiver, tripwire, setup, **env)
    assert segment["name"] == "shop"
    assert segment["origin"] == "AWS::EC2::Instance"
    assert segment["aws"]["ec2"] == {
        "instance_id": "i-1234567890abcdef0",
        "availability_zone": "us-west-2b",
        "instance_size": "t2.micro",
    }
    assert segment["aws"]["account_id"] == ACCOUNT
    token = EC2_ROUTES[("PUT", "/latest/api/token")]
    assert [(method, path) for method, path, _ in ec2.requests] == list(EC2_ROUTES)
    assert ec2.requests[1][2]["x-aws-ec2-metadata-token"] == token


@pytest.fixture
def ecs() -> Iterator[Downstream]:
    routes = {("GET", "/v4/abc"): ECS_CONTAINER, ("GET", "/v4/abc/task"): ECS_TASK}
    with downstream({**routes, ("GET", "/ok"): {"ok": True}}) as served:
        yield served


ECS_BLOCK = {
    "container": socket.gethostname(),
    "container_arn": CONTAINER_ARN,
    "cluster_arn": f"arn:aws:ecs:us-west-2:{ACCOUNT}:cluster/default",
    "task_arn": TASK_ARN,
    "task_family": "curltest",
    "launch_type": "fargate",
}


def test_ecs_under_zero_code(
    ecs: Downstream, receiver: Receiver, entry_points: Path, tripwire: Tripwire
) -> None:
    """The metadata URI alone turns the ECS detector on."""
    env = child_env(
        entry_points,
        tripwire,
        AWS_XRAY_DAEMON_ADDRESS=receiver.address,
        ECS_CONTAINER_METADATA_URI_V4=ecs.url + "/v4/abc",
    )
    result = run_instrumented([str(APPS / "zero_code_call.py"), ecs.url + "/ok"], env)
    assert result.stdout.strip() == "200", result.stderr
    receiver.wait_for_count(1)
    (segment,) = receiver.documents
    assert segment["origin"] == "AWS::ECS::Fargate"
    block = segment["aws"]["ecs"]
    block.pop("container_id", None)  # from /proc/self/cgroup, when it names one
    assert block == ECS_BLOCK
    assert segment["aws"]["cloudwatch_logs"] == [
        {
            "log_group": "/ecs/metadata",
            "arn": f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:/ecs/metadata",
        }
    ]


def test_ecs_without_the_v4_endpoint_is_a_container(receiver: Receiver, tripwire: Tripwire) -> None:
    segment = segment_of(
        receiver,
        tripwire,
        arguments=', resource_detectors=["aws_ecs"]',
        ECS_CONTAINER_METADATA_URI="http://127.0.0.1:9/v3",
    )
    assert segment["origin"] == "AWS::ECS::Container"
    assert segment["aws"]["ecs"]["container"] == socket.gethostname()


def test_eks(receiver: Receiver, tripwire: Tripwire, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("eyJhbGciOi.test")
    (tmp_path / "ca.crt").write_text("")
    with downstream(EKS_ROUTES) as kubernetes:
        # The API server's address is fixed in the detector: its request goes here.
        setup = f"""
        from urllib.request import Request, urlopen
        from opentelemetry.sdk.extension.aws.resource import eks
        eks._TOKEN_PATH = "{tmp_path / "token"}"
        eks._CERT_PATH = "{tmp_path / "ca.crt"}"
        def _local(method, path, cred_value):
            request = Request("{kubernetes.url}" + path, headers={{"Authorization": cred_value}})
            with urlopen(request, timeout=5) as response:
                return response.read().decode()
        eks._aws_http_request = _local
        """
        segment = segment_of(
            receiver, tripwire, textwrap.dedent(setup), ', resource_detectors=["aws_eks"]'
        )
        seen = kubernetes.requests
    assert segment["origin"] == "AWS::EKS::Container"
    assert segment["aws"]["eks"]["cluster_name"] == "shop-cluster"
    assert [path for _, path, _ in seen] == [path for _, path in EKS_ROUTES]
    assert {headers["authorization"] for _, _, headers in seen} == {"Bearer eyJhbGciOi.test"}


def test_elastic_beanstalk(receiver: Receiver, tripwire: Tripwire, tmp_path: Path) -> None:
    conf = tmp_path / "environment.conf"
    conf.write_text(json.dumps(BEANSTALK_CONF))
    # The detector's path is fixed inside detect(): the module's open/exists read ours.
    setup = f"""
    import os, types
    from opentelemetry.sdk.extension.aws.resource import beanstalk
    fixed = "{detectors.ELASTIC_BEANSTALK_CONFIG}"
    def _ours(path):
        return "{conf}" if path == fixed else path
    beanstalk.open = lambda path, *args, **kwargs: open(_ours(path), *args, **kwargs)
    beanstalk.os = types.SimpleNamespace(
        name=os.name, path=types.SimpleNamespace(exists=lambda path: os.path.exists(_ours(path)))
    )
    """
    segment = segment_of(
        receiver, tripwire, textwrap.dedent(setup), ', resource_detectors=["aws_elastic_beanstalk"]'
    )
    assert segment["origin"] == "AWS::ElasticBeanstalk::Environment"
    assert segment["aws"]["elastic_beanstalk"] == {
        "environment_name": "shop-prod",
        "version_label": "app-v7",
        "deployment_id": 23,
    }


LAMBDA_ENV = {
    "AWS_REGION": "eu-west-1",
    "AWS_LAMBDA_FUNCTION_NAME": "shop-orders",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/06/[$LATEST]abcdef",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
}


def test_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    # In Lambda the function's segment is Lambda's own and xraysink sends subsegments of
    # it (tests/aws_lambda), which carry no resource block: the detector's Resource is
    # checked as configure() gets it.
    for name, value in LAMBDA_ENV.items():
        monkeypatch.setenv(name, value)
    attributes = detectors.detect(["aws_lambda"]).attributes
    assert attributes["cloud.platform"] == "aws_lambda"
    assert attributes["faas.name"] == "shop-orders"
    assert attributes["faas.max_memory"] == 256


@pytest.fixture
def aws_like(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every platform's sign, from variables and files in ``tmp_path``."""
    for name in ("token", "ca.crt", "environment.conf"):
        (tmp_path / name).write_text("")
    monkeypatch.setattr(detectors, "KUBERNETES_TOKEN", str(tmp_path / "token"))
    monkeypatch.setattr(detectors, "KUBERNETES_CA", str(tmp_path / "ca.crt"))
    monkeypatch.setattr(detectors, "ELASTIC_BEANSTALK_CONFIG", str(tmp_path / "environment.conf"))
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", "http://127.0.0.1:9/v4/abc")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "shop-orders")


@pytest.mark.usefixtures("aws_like")
def test_present_names_each_platform_the_environment_shows() -> None:
    assert detectors.present() == ["aws_ecs", "aws_eks", "aws_elastic_beanstalk", "aws_lambda"]


def test_present_names_nothing_off_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    for constant in ("KUBERNETES_TOKEN", "KUBERNETES_CA", "ELASTIC_BEANSTALK_CONFIG"):
        monkeypatch.setattr(detectors, constant, str(tmp_path / "absent"))
    assert detectors.present() == []


def test_zero_code_off_aws_asks_no_detector(
    receiver: Receiver, entry_points: Path, tripwire: Tripwire
) -> None:
    """No platform sign: no detector runs (EC2's is never chosen unasked), the segment
    has no origin, and the tripwire saw nothing leave."""
    with downstream({("GET", "/ok"): {"ok": True}}) as target:
        env = child_env(entry_points, tripwire, AWS_XRAY_DAEMON_ADDRESS=receiver.address)
        result = run_instrumented([str(APPS / "zero_code_call.py"), target.url + "/ok"], env)
    assert result.stdout.strip() == "200", result.stderr
    receiver.wait_for_count(1)
    (segment,) = receiver.documents
    assert "origin" not in segment
    assert set(segment["aws"]) == {"xray"}


class _Fixed(ResourceDetector):
    def __init__(self, attributes: dict[str, Any]) -> None:
        super().__init__()
        self.attributes = attributes

    def detect(self) -> Resource:
        return Resource(self.attributes)


def test_layers_from_sdk_defaults_to_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=env")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", raising=False)
    detected = _Fixed({"service.instance.id": "23", "team": "detector", "host.id": "i-1"})
    given = Resource({"service.name": "given", "host.id": "i-2"})
    layered = detectors.layered_resource(
        {"aws.log.group.names": ("/shop",)}, given, [detected]
    ).attributes
    assert layered["service.instance.id"] == "23"  # over the SDK's uuid
    assert layered["service.name"] == "given"  # over the SDK's unknown_service
    assert layered["host.id"] == "i-2"  # the given resource over the detectors
    assert layered["team"] == "env"  # OTEL_RESOURCE_ATTRIBUTES over both
    assert layered["aws.log.group.names"] == ("/shop",)
    assert layered["telemetry.sdk.name"] == "opentelemetry"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    assert detectors.layered_resource({}, given).attributes["service.name"] == "from-env"
    assert detectors.layered_resource({"service.name": "code"}, given).attributes[
        "service.name"
    ] == ("code")


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match=r"no resource detector named 'aws_ec3' \(installed: "):
        detectors.detect(["aws_ec3"])
    with pytest.raises(TypeError, match="not the str 'aws_ec2'"):
        detectors.detect("aws_ec2")
