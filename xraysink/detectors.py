"""Resource detectors by name, and the AWS ones an environment shows by itself.

A name is an ``opentelemetry_resource_detector`` entry point, as in
``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS``: ``aws_ec2``, ``aws_ecs``, ``aws_eks``,
``aws_elastic_beanstalk`` and ``aws_lambda`` come with ``opentelemetry-sdk-extension-aws``,
``host``, ``os`` and ``process`` with the SDK. The AWS detectors set ``cloud.platform``
and their platform's attributes, which give segments their ``origin`` and their
``aws.ec2``/``ecs``/``eks``/``elastic_beanstalk`` blocks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from importlib.metadata import entry_points
from typing import Any

from opentelemetry.sdk.resources import (
    OTELResourceDetector,
    Resource,
    ResourceDetector,
    get_aggregated_resources,
)

from xraysink import environment
from xraysink.environment import (
    AWS_LAMBDA_FUNCTION_NAME,
    ECS_CONTAINER_METADATA_URI,
    ECS_CONTAINER_METADATA_URI_V4,
)

KUBERNETES_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
"""The service account token Kubernetes mounts in every pod (read by ``aws_eks``)."""

KUBERNETES_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
"""The cluster's CA certificate, mounted beside ``KUBERNETES_TOKEN``."""

ELASTIC_BEANSTALK_CONFIG = (
    "C:\\Program Files\\Amazon\\XRay\\environment.conf"
    if os.name == "nt"
    else "/var/elasticbeanstalk/xray/environment.conf"
)
"""Written by Elastic Beanstalk when X-Ray is on for the environment (read by
``aws_elastic_beanstalk``)."""

_GROUP = "opentelemetry_resource_detector"


def present() -> list[str]:
    """The AWS detectors whose platform this environment shows without a network call:
    ``aws_ecs`` (``ECS_CONTAINER_METADATA_URI[_V4]``), ``aws_eks`` (a service account
    token and CA), ``aws_elastic_beanstalk`` (``ELASTIC_BEANSTALK_CONFIG``),
    ``aws_lambda`` (``AWS_LAMBDA_FUNCTION_NAME``). Never ``aws_ec2``: only the instance
    metadata service tells, and off EC2 asking it costs its 1-second timeout."""
    found = []
    if environment.get(ECS_CONTAINER_METADATA_URI_V4) or environment.get(
        ECS_CONTAINER_METADATA_URI
    ):
        found.append("aws_ecs")
    if os.path.exists(KUBERNETES_TOKEN) and os.path.exists(KUBERNETES_CA):
        found.append("aws_eks")
    if os.path.exists(ELASTIC_BEANSTALK_CONFIG):
        found.append("aws_elastic_beanstalk")
    if environment.get(AWS_LAMBDA_FUNCTION_NAME):
        found.append("aws_lambda")
    return found


def detect(detectors: Iterable[str | ResourceDetector]) -> Resource:
    """What ``detectors`` (entry-point names or ``ResourceDetector`` objects) find,
    merged in order (a later one wins). They run as ``Resource.create()`` runs the
    detectors of ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS``: side by side, a failing or
    slow (over 5 s) one skipped with a warning. Raises ``ValueError`` for a name no
    installed package registers, ``TypeError`` for anything else (a bare ``str`` too)."""
    if isinstance(detectors, str):
        raise TypeError(f"resource detectors are a list of names, not the str {detectors!r}")
    loaded: list[ResourceDetector] = []
    for detector in detectors:
        if isinstance(detector, ResourceDetector):
            loaded.append(detector)
        elif isinstance(detector, str):
            found = entry_points(group=_GROUP, name=detector)
            if not found:
                known = ", ".join(sorted(entry_points(group=_GROUP).names))
                raise ValueError(f"no resource detector named {detector!r} (installed: {known})")
            loaded.append(next(iter(found)).load()())
        else:
            raise TypeError(
                f"a resource detector is a name or a ResourceDetector, not {detector!r}"
            )
    return (
        get_aggregated_resources(loaded, Resource.get_empty()) if loaded else Resource.get_empty()
    )


def layered_resource(
    attributes: Mapping[str, Any],
    resource: Resource | None = None,
    detectors: Iterable[str | ResourceDetector] = (),
) -> Resource:
    """The Resource ``xraysink.configure()`` gives its provider, from lowest priority to
    highest: the SDK's defaults (``telemetry.sdk.*``, ``service.instance.id``,
    ``unknown_service``), the detectors of ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS``,
    ``detectors`` (see ``detect``), ``resource``, ``OTEL_RESOURCE_ATTRIBUTES`` and
    ``OTEL_SERVICE_NAME``, then ``attributes``. Raises as ``detect`` does."""
    given = detect(detectors)
    if resource is not None:
        given = given.merge(resource)
    created = Resource.create(dict(attributes))
    if not given.attributes:
        return created
    # Resource.create() puts the SDK's defaults over anything merged under it: the
    # given attributes go between those and what the environment and code name.
    return created.merge(given).merge(OTELResourceDetector().detect()).merge(Resource(attributes))
