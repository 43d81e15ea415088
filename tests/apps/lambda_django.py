"""A Lambda function serving the Django project of ``django_sdk`` (set up with
``APP_SETUP=xraysink``) through WSGI, as serverless WSGI adapters do: the SDK's Django
``XRayMiddleware`` takes its Lambda branch."""

from __future__ import annotations

from typing import Any

import django_sdk
from werkzeug.test import Client


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_xray_sdk.ext.django.middleware import XRayMiddleware

    response = Client(django_sdk.application).get(event["path"])
    lambda_branch = XRayMiddleware(lambda request: None).in_lambda_ctx
    return {"status": response.status_code, "lambda_branch": lambda_branch}
