"""The aws block (resource and span parts), origin, and the sql block."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import SpanKind

from tests.translate.helpers import RESOURCE, child, one, server

XRAY_SDK = {
    "sdk": "opentelemetry for python",
    "sdk_version": "1.45.2",
    "auto_instrumentation": False,
}


def _resource(**attributes: object) -> Resource:
    return Resource({**RESOURCE.attributes, **attributes})  # type: ignore[dict-item]


def test_xray_sdk_block_on_segments() -> None:
    assert one(server())["aws"] == {"xray": XRAY_SDK}


def test_sampling_rule_name_goes_to_the_segments_xray_block() -> None:
    # X-Ray SDK Segment.set_rule_name: aws.xray.sampling_rule_name, not metadata.
    segment = one(server({"aws.xray.sampling_rule_name": "checkout"}))
    assert segment["aws"]["xray"] == {**XRAY_SDK, "sampling_rule_name": "checkout"}
    assert "aws.xray.sampling_rule_name" not in segment["metadata"]["default"]
    # The resource's xray block, shared by every segment, is left as it was.
    assert one(server())["aws"] == {"xray": XRAY_SDK}


def test_sampling_rule_name_on_a_subsegment_stays_in_metadata() -> None:
    subsegment = one(child({"aws.xray.sampling_rule_name": "checkout"}))
    assert "aws" not in subsegment
    assert subsegment["metadata"]["default"] == {"aws.xray.sampling_rule_name": "checkout"}


def test_auto_instrumentation_from_telemetry_auto_version() -> None:
    resource = _resource(**{"telemetry.auto.version": "0.66b2"})
    assert one(server(resource=resource))["aws"]["xray"]["auto_instrumentation"] is True


def test_sdk_name_without_language() -> None:
    resource = Resource({"telemetry.sdk.name": "custom"})
    assert one(server(resource=resource))["aws"]["xray"] == {
        "sdk": "custom",
        "auto_instrumentation": False,
    }


def test_subsegments_carry_no_resource_aws_block() -> None:
    assert "aws" not in one(child(resource=_resource(**{"cloud.platform": "aws_ec2"})))


def test_ec2() -> None:
    resource = _resource(
        **{
            "cloud.provider": "aws",
            "cloud.platform": "aws_ec2",
            "cloud.account.id": "123456789012",
            "cloud.availability_zone": "eu-west-1a",
            "host.id": "i-0abc",
            "host.type": "t3.micro",
            "host.image.id": "ami-123",
        }
    )
    entity = one(server(resource=resource))
    assert entity["origin"] == "AWS::EC2::Instance"
    assert entity["aws"] == {
        "xray": XRAY_SDK,
        "account_id": "123456789012",
        "ec2": {
            "instance_id": "i-0abc",
            "availability_zone": "eu-west-1a",
            "instance_size": "t3.micro",
            "ami_id": "ami-123",
        },
    }


def test_ecs_fargate() -> None:
    resource = _resource(
        **{
            "cloud.provider": "aws",
            "cloud.platform": "aws_ecs",
            "aws.ecs.launchtype": "fargate",
            "container.name": "web",
            "container.id": "c0ffee",
            "aws.ecs.cluster.arn": "arn:aws:ecs:eu-west-1:1:cluster/main",
            "aws.ecs.task.arn": "arn:aws:ecs:eu-west-1:1:task/main/abc",
            "aws.ecs.task.family": "web",
            "aws.ecs.container.arn": "arn:aws:ecs:eu-west-1:1:container/x",
            "cloud.availability_zone": "eu-west-1b",
        }
    )
    entity = one(server(resource=resource))
    assert entity["origin"] == "AWS::ECS::Fargate"
    assert entity["aws"]["ecs"] == {
        "container": "web",
        "container_id": "c0ffee",
        "availability_zone": "eu-west-1b",
        "container_arn": "arn:aws:ecs:eu-west-1:1:container/x",
        "cluster_arn": "arn:aws:ecs:eu-west-1:1:cluster/main",
        "task_arn": "arn:aws:ecs:eu-west-1:1:task/main/abc",
        "task_family": "web",
        "launch_type": "fargate",
    }


@pytest.mark.parametrize(
    ("launch_type", "origin"),
    [("ec2", "AWS::ECS::EC2"), (None, "AWS::ECS::Container"), ("other", "AWS::ECS::Container")],
)
def test_ecs_origins(launch_type: str | None, origin: str) -> None:
    attributes = {"cloud.platform": "aws_ecs"}
    if launch_type is not None:
        attributes["aws.ecs.launchtype"] = launch_type
    assert one(server(resource=_resource(**attributes)))["origin"] == origin


def test_eks() -> None:
    resource = _resource(
        **{
            "cloud.platform": "aws_eks",
            "k8s.cluster.name": "prod",
            "k8s.pod.name": "web-7d9",
            "container.id": "c0ffee",
        }
    )
    entity = one(server(resource=resource))
    assert entity["origin"] == "AWS::EKS::Container"
    assert entity["aws"]["eks"] == {
        "cluster_name": "prod",
        "pod": "web-7d9",
        "container_id": "c0ffee",
    }


def test_elastic_beanstalk() -> None:
    resource = _resource(
        **{
            "cloud.platform": "aws_elastic_beanstalk",
            "service.namespace": "prod-env",
            "service.instance.id": "42",
            "service.version": "v3",
        }
    )
    entity = one(server(resource=resource))
    assert entity["origin"] == "AWS::ElasticBeanstalk::Environment"
    assert entity["aws"]["elastic_beanstalk"] == {
        "environment_name": "prod-env",
        "version_label": "v3",
        "deployment_id": 42,
    }


def test_app_runner_origin() -> None:
    resource = _resource(**{"cloud.platform": "aws_app_runner"})
    assert one(server(resource=resource))["origin"] == "AWS::AppRunner::Service"


def test_another_cloud_has_no_origin_and_no_resource_aws_block() -> None:
    resource = _resource(**{"cloud.provider": "gcp", "cloud.platform": "gcp_compute_engine"})
    entity = one(server({"aws.region": "eu-west-1"}, resource=resource))
    assert "origin" not in entity
    assert entity["aws"] == {"region": "eu-west-1"}


def test_no_origin_without_platform() -> None:
    assert "origin" not in one(server())


def test_origin_only_on_segments() -> None:
    assert "origin" not in one(child(resource=_resource(**{"cloud.platform": "aws_ec2"})))


def test_cloudwatch_logs_from_names() -> None:
    resource = _resource(**{"aws.log.group.names": ("/app/web", "/app/worker")})
    assert one(server(resource=resource))["aws"]["cloudwatch_logs"] == [
        {"log_group": "/app/web"},
        {"log_group": "/app/worker"},
    ]


def test_cloudwatch_logs_from_ampersand_separated_names() -> None:
    resource = _resource(**{"aws.log.group.names": "/a&/b&"})
    assert one(server(resource=resource))["aws"]["cloudwatch_logs"] == [
        {"log_group": "/a"},
        {"log_group": "/b"},
    ]


def test_cloudwatch_logs_from_arns_win_over_names() -> None:
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/app/web:*"
    resource = _resource(**{"aws.log.group.arns": (arn,), "aws.log.group.names": ("/ignored",)})
    assert one(server(resource=resource))["aws"]["cloudwatch_logs"] == [
        {"log_group": "/app/web", "arn": arn}
    ]


def test_span_aws_fields_and_their_consumption() -> None:
    attributes = {
        "rpc.system": "aws-api",
        "rpc.service": "SQS",
        "rpc.method": "SendMessage",
        "aws.region": "eu-west-1",
        "aws.request_id": "req-1",
        "aws.queue_url": "https://sqs.eu-west-1.amazonaws.com/1/q",
        "aws.account_id": "123456789012",
        "retry_attempts": 0,
    }
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert entity["aws"] == {
        "operation": "SendMessage",
        "account_id": "123456789012",
        "region": "eu-west-1",
        "request_id": "req-1",
        "queue_url": "https://sqs.eu-west-1.amazonaws.com/1/q",
    }
    assert entity["metadata"]["default"] == {
        "rpc.system": "aws-api",
        "rpc.service": "SQS",
        "retry_attempts": 0,
    }


def test_alternative_aws_attribute_names() -> None:
    attributes = {
        "aws.operation": "GetItem",
        "rpc.method": "ignored",
        "aws.requestId": "r2",
        "aws.queue.url": "q2",
        "aws.table.name": "t2",
    }
    assert one(child(attributes, kind=SpanKind.CLIENT))["aws"] == {
        "operation": "GetItem",
        "request_id": "r2",
        "queue_url": "q2",
        "table_name": "t2",
    }


def test_messaging_url_and_dynamodb_table_names() -> None:
    attributes = {
        "aws.queue_url": "old",
        "messaging.url": "https://queue",
        "aws.table_name": "old",
        "aws.dynamodb.table_names": ("orders",),
    }
    aws = one(child(attributes, kind=SpanKind.CLIENT))["aws"]
    assert aws == {"queue_url": "https://queue", "table_name": "orders"}


def test_several_dynamodb_table_names() -> None:
    attributes = {"aws.table_name": "old", "aws.dynamodb.table_names": ("a", "b")}
    assert one(child(attributes, kind=SpanKind.CLIENT))["aws"] == {"table_names": ["a", "b"]}


def test_segment_aws_block_merges_resource_and_span_parts() -> None:
    resource = _resource(**{"cloud.account.id": "111"})
    entity = one(server({"aws.account_id": "222", "aws.region": "us-east-1"}, resource=resource))
    assert entity["aws"] == {"xray": XRAY_SDK, "account_id": "222", "region": "us-east-1"}


# SQL (collector sql.go).


def test_sql_block() -> None:
    attributes = {
        "db.system": "postgresql",
        "db.name": "orders",
        "db.user": "app",
        "db.statement": "SELECT * FROM orders WHERE id = %s",
        "db.connection_string": "postgresql://db.internal:5432",
        "net.peer.name": "db.internal",
    }
    entity = one(child(attributes, kind=SpanKind.CLIENT, name="SELECT orders"))
    assert entity["sql"] == {
        "url": "SELECT orders",
        "connection_string": "postgresql://db.internal:5432/orders",
        "database_type": "postgresql",
        "user": "app",
        "sanitized_query": "SELECT * FROM orders WHERE id = %s",
    }
    assert entity["name"] == "orders@db.internal"
    assert entity["metadata"]["default"] == {"net.peer.name": "db.internal"}


def test_sql_block_defaults_to_localhost() -> None:
    sql = one(child({"db.system": "sqlite", "db.name": "app.db"}))["sql"]
    assert sql["connection_string"] == "localhost/app.db"


def test_non_sql_database_keeps_db_attributes_in_metadata() -> None:
    attributes = {"db.system": "redis", "db.statement": "GET k"}
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert "sql" not in entity
    assert entity["metadata"]["default"] == attributes
