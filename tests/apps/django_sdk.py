"""A one-file Django project with the X-Ray SDK's Django app and ``XRayMiddleware``;
``APP_SETUP`` picks the set-up:

- ``recorder``: ``xray_recorder.configure(context=AsyncContext())`` before Django's
  ``XRAY_RECORDER`` settings apply (xraysink 1.6.2);
- ``xraysink``: ``xraysink.configure(...)`` first (``SAMPLING: False`` lets its sampler
  decide);
- ``otel``: no X-Ray SDK at all, ``opentelemetry-instrumentation-django`` and
  ``-requests`` under ``xraysink.configure``.

``/orders/<n>``: a database query (the SDK names its subsegment after the database's
``HOST`` once the query ran), a template render (renamed to the template's name), an
OpenTelemetry span, an SDK subsegment renamed after it started, and a ``requests`` call
to ``?downstream=URL``; ``/fail`` raises; ``/missing`` answers 404.
"""

from __future__ import annotations

import os
import tempfile

import django
from django.conf import settings

SETUP = os.environ.get("APP_SETUP", "recorder")
if SETUP in ("xraysink", "otel"):
    import xraysink

    xraysink.configure("django-app")
if SETUP == "recorder":
    from aws_xray_sdk.core import xray_recorder

    from xraysink.context import AsyncContext

    xray_recorder.configure(context=AsyncContext())

sdk = SETUP != "otel"
settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="tests-only",
    INSTALLED_APPS=["aws_xray_sdk.ext.django"] if sdk else [],
    MIDDLEWARE=["aws_xray_sdk.ext.django.middleware.XRayMiddleware"] if sdk else [],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(tempfile.mkdtemp(), "orders.sqlite3"),
            "HOST": "orders-db",
        }
    },
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    ("django.template.loaders.locmem.Loader", {"order.html": "order {{ n }}"})
                ]
            },
        }
    ],
    XRAY_RECORDER={
        "AWS_XRAY_TRACING_NAME": "django-app",
        "AUTO_INSTRUMENT": True,
        "SAMPLING": False,
        "PATCH_MODULES": ["requests"],
        "AWS_XRAY_DAEMON_ADDRESS": os.environ["AWS_XRAY_DAEMON_ADDRESS"],
    },
)
if not sdk:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    DjangoInstrumentor().instrument()
    RequestsInstrumentor().instrument()
django.setup()

import requests  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponseNotFound, JsonResponse  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.urls import path  # noqa: E402
from opentelemetry import trace  # noqa: E402


def order(request: HttpRequest, n: int) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s", [n])
    page = render_to_string("order.html", {"n": n})
    with trace.get_tracer(__name__).start_as_current_span("otel step"):
        pass
    if sdk:
        from aws_xray_sdk.core import xray_recorder

        with xray_recorder.in_subsegment("lookup") as subsegment:
            subsegment.name = f"lookup {n}"
            subsegment.put_annotation("order", n)
    downstream = request.GET.get("downstream")
    if downstream:
        requests.get(downstream, timeout=5)
    return JsonResponse({"page": page, "pid": os.getpid()})


def fail(request: HttpRequest) -> JsonResponse:
    raise KeyError("no such order")


def missing(request: HttpRequest) -> HttpResponseNotFound:
    return HttpResponseNotFound("no such page")


urlpatterns = [
    path("orders/<int:n>", order),
    path("fail", fail),
    path("missing", missing),
]

application = get_wsgi_application()
