"""The ``aws`` block and ``origin`` of an X-Ray entity.

Follows the collector's awsxrayexporter aws.go (makeAws) and segment.go
(determineAwsOrigin). The resource-derived part (``ec2``, ``ecs``, ``eks``,
``elastic_beanstalk``, ``xray``, ``cloudwatch_logs``, the resource's account) is
computed once per Resource by ``xraysink.translate.resource``; the span-derived part
(``operation``, ``region``, ``request_id``, ``queue_url``, ``table_name(s)``,
``account_id``) is computed per span.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from xraysink.translate.clean import clean_value

# Span attributes the collector always consumes into the aws block (awsxray.go names).
AWS_SPAN_KEYS = frozenset(
    {
        "aws.operation",
        "rpc.method",
        "aws.account_id",
        "aws.region",
        "aws.request_id",
        "aws.requestId",
        "aws.queue_url",
        "aws.queue.url",
        "aws.table_name",
        "aws.table.name",
    }
)

# Span-derived fields, which the Application Signals service segment drops (segment.go).
SPAN_FIELDS = (
    "operation",
    "account_id",
    "region",
    "request_id",
    "queue_url",
    "table_name",
    "table_names",
)

_ORIGINS = {
    "aws_app_runner": "AWS::AppRunner::Service",
    "aws_eks": "AWS::EKS::Container",
    "aws_elastic_beanstalk": "AWS::ElasticBeanstalk::Environment",
    "aws_ec2": "AWS::EC2::Instance",
}
_ECS_ORIGINS = {"ec2": "AWS::ECS::EC2", "fargate": "AWS::ECS::Fargate"}


def _text(value: Any) -> str:
    cleaned = clean_value(value)
    return cleaned if type(cleaned) is str else ""


def _compact(block: dict[str, Any]) -> dict[str, Any]:
    # The collector's awsxray.String drops empty strings from the document.
    return {key: value for key, value in block.items() if value != ""}


def origin(resource: Mapping[str, Any]) -> str | None:
    """Return the X-Ray ``origin`` for a resource's attributes, or ``None``.

    From ``cloud.platform`` (and ``aws.ecs.launchtype`` for ECS), only when
    ``cloud.provider`` is absent or ``aws`` (collector segment.go determineAwsOrigin).
    """
    provider = resource.get("cloud.provider")
    if provider is not None and provider != "aws":
        return None
    platform = resource.get("cloud.platform")
    if platform == "aws_ecs":
        return _ECS_ORIGINS.get(_text(resource.get("aws.ecs.launchtype")), "AWS::ECS::Container")
    return _ORIGINS.get(platform) if type(platform) is str else None


def _log_groups(value: Any) -> list[str]:
    # OTEL_RESOURCE_ATTRIBUTES can only carry strings: several groups are '&'-separated.
    if type(value) is str:
        return [clean_value(item) for item in value.split("&") if item]
    if isinstance(value, (tuple, list)):
        return [text for text in (_text(item) for item in value) if text]
    return []


def _cloudwatch_logs(resource: Mapping[str, Any]) -> list[dict[str, str]]:
    arns = _log_groups(resource.get("aws.log.group.arns"))
    if arns:
        # CloudWatch Logs ARN: arn:partition:logs:region:account:log-group:NAME[:*]
        return [
            {"log_group": parts[6] if len(parts) >= 7 else arn, "arn": arn}
            for arn, parts in ((arn, arn.split(":")) for arn in arns)
        ]
    return [{"log_group": name} for name in _log_groups(resource.get("aws.log.group.names"))]


def resource_aws(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Return the resource-derived part of a segment's ``aws`` block.

    Shape: ``{"xray": {"sdk", "sdk_version", "auto_instrumentation"}, "account_id",
    "ec2": {...}, "ecs": {...}, "elastic_beanstalk": {...}, "eks": {...},
    "cloudwatch_logs": [{"log_group"[, "arn"]}]}``, empty parts omitted; ``{}`` when
    ``cloud.provider`` names another cloud. Collector aws.go makeAws, except that
    empty strings are omitted inside ``ec2``/``elastic_beanstalk``/``eks`` too rather
    than written as JSON null.
    """
    provider = resource.get("cloud.provider")
    if provider is not None and provider != "aws":
        return {}
    get = resource.get
    platform = get("cloud.platform")
    zone = _text(get("cloud.availability_zone"))
    container_id = _text(get("container.id"))
    block: dict[str, Any] = {}

    sdk_name = _text(get("telemetry.sdk.name"))
    language = _text(get("telemetry.sdk.language"))
    xray: dict[str, Any] = {}
    sdk = sdk_name + " for " + language if sdk_name and language else sdk_name
    if sdk:
        xray["sdk"] = sdk
    version = _text(get("telemetry.sdk.version"))
    if version:
        xray["sdk_version"] = version
    xray["auto_instrumentation"] = bool(
        _text(get("telemetry.auto.version")) or _text(get("telemetry.distro.version"))
    )
    block["xray"] = xray

    account = _text(get("cloud.account.id"))
    if account:
        block["account_id"] = account

    host_id = _text(get("host.id"))
    if platform == "aws_ec2" or host_id:
        ec2 = _compact(
            {
                "instance_id": host_id,
                "availability_zone": zone,
                "instance_size": _text(get("host.type")),
                "ami_id": _text(get("host.image.id")),
            }
        )
        if ec2:
            block["ec2"] = ec2
    if platform == "aws_ecs":
        ecs = _compact(
            {
                "container": _text(get("container.name")),
                "container_id": container_id,
                "availability_zone": zone,
                "container_arn": _text(get("aws.ecs.container.arn")),
                "cluster_arn": _text(get("aws.ecs.cluster.arn")),
                "task_arn": _text(get("aws.ecs.task.arn")),
                "task_family": _text(get("aws.ecs.task.family")),
                "launch_type": _text(get("aws.ecs.launchtype")),
            }
        )
        if ecs:
            block["ecs"] = ecs
    instance = get("service.instance.id")
    # opentelemetry-sdk-extension-aws's Beanstalk detector keeps the number the file holds.
    deployment = str(instance) if type(instance) is int else _text(instance)
    if platform == "aws_elastic_beanstalk" and deployment:
        beanstalk: dict[str, Any] = _compact(
            {
                "environment_name": _text(get("service.namespace")),
                "version_label": _text(get("service.version")),
            }
        )
        # The collector writes 0 when the instance id is not a number.
        beanstalk["deployment_id"] = int(deployment) if deployment.isdigit() else 0
        block["elastic_beanstalk"] = beanstalk
    cluster = _text(get("k8s.cluster.name"))
    if platform == "aws_eks" or cluster:
        eks = _compact(
            {
                "cluster_name": cluster,
                "pod": _text(get("k8s.pod.name")),
                "container_id": container_id,
            }
        )
        if eks:
            block["eks"] = eks
    logs = _cloudwatch_logs(resource)
    if logs:
        block["cloudwatch_logs"] = logs
    return block


def span_aws(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Return the span-derived fields of the ``aws`` block (possibly ``{}``).

    Collector aws.go: ``aws.operation`` over
    ``rpc.method``; ``messaging.url`` over ``aws.queue_url``; a one-element
    ``aws.dynamodb.table_names`` gives ``table_name``, a longer one ``table_names``.
    """
    block: dict[str, Any] = {}
    get = attributes.get
    operation = get("aws.operation") or get("rpc.method")
    if operation:
        block["operation"] = _text(operation)
    for field, first, second in (
        ("account_id", "aws.account_id", None),
        ("region", "aws.region", None),
        ("request_id", "aws.request_id", "aws.requestId"),
        ("queue_url", "aws.queue_url", "aws.queue.url"),
        ("table_name", "aws.table_name", "aws.table.name"),
    ):
        value = get(first)
        if value is None and second is not None:
            value = get(second)
        if value is not None:
            text = _text(value)
            if text:
                block[field] = text
    queue = attributes.get("messaging.url")
    if queue is not None:
        text = _text(queue)
        if text:
            block["queue_url"] = text
    tables = attributes.get("aws.dynamodb.table_names")
    if type(tables) is str:
        block["table_name"] = _text(tables)
    elif isinstance(tables, (tuple, list)) and tables:
        names = [_text(table) for table in tables]
        if len(names) == 1:
            block["table_name"] = names[0]
        else:
            block.pop("table_name", None)
            block["table_names"] = names
    return {key: value for key, value in block.items() if value != ""}


def drop_aws_fields(entity: dict[str, Any], fields: Iterable[str]) -> None:
    """Remove ``fields`` from ``entity``'s ``aws`` block, and the block when it is left
    empty."""
    aws = entity.get("aws")
    if aws is not None:
        for field in fields:
            aws.pop(field, None)
        if not aws:
            del entity["aws"]
