"""One benchmark scenario in this process: ``python -m benchmarks.scenario NAME ...``.

Sets up one tracing configuration around ``benchmarks.app``, sends the warm-up
requests, then measures ``time.process_time()`` (all threads of the process, the
exporters' background threads included) over the measured requests plus the
flush that sends whatever the pipeline still holds. Prints one JSON line.
The OpenTelemetry global TracerProvider can be set once per process, hence one
process per scenario run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.app import ChildFactory, build_app, drive
from benchmarks.documents import sdk_child_fields

SERVICE = "orders"
LOG_GROUP = "/ecs/orders"

Setup = tuple[Callable[..., Awaitable[None]], Callable[[], None]]


def _nothing() -> None:
    pass


def _otel_child() -> ChildFactory:
    from opentelemetry import trace

    tracer = trace.get_tracer("benchmarks")

    def child(name: str, attributes: dict[str, Any]) -> Any:
        return tracer.start_as_current_span(name, attributes=attributes)

    return child


def _sdk_child() -> ChildFactory:
    """A child as a 1.6.2 user wrote it: an X-Ray SDK subsegment through the global
    recorder, with an annotation and a metadata entry (whatever context the recorder
    was configured with: the SDK's own, or xraysink's bridge onto OpenTelemetry)."""
    from aws_xray_sdk.core import xray_recorder

    @contextmanager
    def child(name: str, attributes: dict[str, Any]) -> Iterator[None]:
        (annotation, value), (key, metadata) = sdk_child_fields(attributes)
        with xray_recorder.in_subsegment(name) as subsegment:
            subsegment.put_annotation(annotation, value)
            subsegment.put_metadata(key, metadata)
            yield

    return child


def bare(args: argparse.Namespace) -> Setup:
    """No tracing at all (FastAPI's own telemetry off)."""
    return build_app(fastapi_tracing=False), _nothing


def bare_hop(args: argparse.Namespace) -> Setup:
    """No tracing, plus the Starlette ``BaseHTTPMiddleware`` hop of the 1.6.2 call site."""
    from starlette.middleware.base import BaseHTTPMiddleware

    async def passthrough(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    app = build_app(fastapi_tracing=False)
    app.add_middleware(BaseHTTPMiddleware, dispatch=passthrough)
    return app, _nothing


def xray_sdk(args: argparse.Namespace) -> Setup:
    """aws_xray_sdk alone: a 1.6.2-style middleware opens the segment, the route
    opens 3 nested subsegments (an annotation and a metadata entry each), and the
    SDK's UDPEmitter sends the segment when it ends."""
    from aws_xray_sdk.core import xray_recorder
    from aws_xray_sdk.core.async_context import AsyncContext
    from aws_xray_sdk.core.models import http
    from aws_xray_sdk.core.utils import stacktrace  # noqa: F401  (imported by the SDK's middlewares)
    from aws_xray_sdk.ext.util import (
        calculate_sampling_decision,
        construct_xray_header,
        prepare_response_header,
    )
    from starlette.middleware.base import BaseHTTPMiddleware

    xray_recorder.configure(
        service=SERVICE,
        sampling=False,
        context=AsyncContext(),
        daemon_address=f"127.0.0.1:{args.daemon_port}",
        plugins=(),
    )

    async def middleware(request: Any, call_next: Any) -> Any:
        # What xraysink 1.6.2's xray_middleware did, on the X-Ray SDK.
        header = construct_xray_header(request.headers)
        name = xray_recorder.service or request.url.hostname
        decision = calculate_sampling_decision(
            trace_header=header,
            recorder=xray_recorder,
            sampling_req={
                "host": request.headers.get("host"),
                "method": request.method,
                "path": request.url.path,
                "service": name,
            },
        )
        segment = xray_recorder.begin_segment(
            name=name, traceid=header.root, parent_id=header.parent, sampling=decision
        )
        segment.save_origin_trace_header(header)
        segment.put_http_meta(http.URL, str(request.url))
        segment.put_http_meta(http.METHOD, request.method)
        segment.put_http_meta(http.USER_AGENT, request.headers.get("user-agent"))
        segment.put_http_meta(http.CLIENT_IP, request.client.host)
        try:
            response = await call_next(request)
            segment.put_http_meta(http.STATUS, response.status_code)
            response.headers["X-Amzn-Trace-Id"] = prepare_response_header(header, segment)
            return response
        finally:
            xray_recorder.end_segment()

    app = build_app(_sdk_child(), fastapi_tracing=False)
    app.add_middleware(BaseHTTPMiddleware, dispatch=middleware)
    return app, _nothing


def xraysink_162_pypi(args: argparse.Namespace) -> Setup:
    """xraysink 1.6.2 itself, from PyPI, on the aws-xray-sdk (its own virtual
    environment: ``benchmarks.baseline``): the 1.6.2 call sites, the route's 3 children
    as X-Ray SDK subsegments. 1.6.2's ``AsyncContext`` binds the event loop it finds
    when constructed, so it is configured here, inside the running loop (as on an
    app's startup); at import time, outside the loop, 1.6.2 records nothing. No
    OpenTelemetry provider is set, so FastAPI's own telemetry stays off, as for a
    1.6.2 user."""
    import xraysink

    if xraysink.__version__ != "1.6.2":
        raise RuntimeError(f"xraysink {xraysink.__version__} here, not 1.6.2")
    return _app_162(args, _sdk_child, plugins=()), _nothing


def otlp(args: argparse.Namespace) -> Setup:
    """The collector-sidecar set-up: OpenTelemetry SDK with the X-Ray id generator,
    BatchSpanProcessor and the OTLP/HTTP (protobuf) exporter to a local sink; spans
    from FastAPI's own telemetry and the OpenTelemetry API."""
    return _otlp(args, operation_spans=True)


def otlp_lean(args: argparse.Namespace) -> Setup:
    """``otlp`` without FastAPI's ``fastapi.*`` operation spans: the X-Ray SDK path's trace."""
    return _otlp(args, operation_spans=False)


def _otlp(args: argparse.Namespace, operation_spans: bool) -> Setup:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = _otel_provider()
    exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{args.otlp_port}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    app = build_app(_otel_child(), fastapi_tracing=True, operation_spans=operation_spans)
    return app, lambda: _flush(provider)


def otel_floor(args: argparse.Namespace) -> Setup:
    """The OTLP set-up's ``TracerProvider`` with no span processor at all, FastAPI's
    telemetry on, no ``fastapi.*`` spans: the X-Ray SDK path's 4 spans made and ended but
    exported nowhere. What any OpenTelemetry path pays before its export."""
    _otel_provider()
    app = build_app(_otel_child(), fastapi_tracing=True, operation_spans=False)
    return app, _nothing


def _otel_provider() -> Any:
    """The global ``TracerProvider`` of the OpenTelemetry scenarios that are not
    xraysink's: the X-Ray id generator, the SDK's default sampler, no span processor."""
    from opentelemetry import trace
    from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE, "aws.log.group.names": (LOG_GROUP,)}),
        id_generator=AwsXRayIdGenerator(),
    )
    trace.set_tracer_provider(provider)
    return provider


def _flush(provider: Any) -> None:
    provider.force_flush()


def _xraysink_162(args: argparse.Namespace, make_child: Callable[[], ChildFactory]) -> Setup:
    """xraysink with the unchanged 1.6.2 call sites: ``xray_recorder.configure(
    context=AsyncContext())`` (at set-up, in the loop, as ``xraysink_162_pypi``),
    ``set_xray_log_group`` and ``BaseHTTPMiddleware(dispatch=xray_middleware)``, in
    an app built as ``FastAPI()``, its telemetry settings left to FastAPI's defaults
    (xraysink turns FastAPI's tracing off under these call sites). ``make_child`` runs
    after the set-up, as in the other scenarios: a tracer taken before the provider
    exists is the API's proxy, one more call per span."""
    from opentelemetry import trace

    app = _app_162(args, make_child)
    return app, lambda: _flush(trace.get_tracer_provider())


def _app_162(
    args: argparse.Namespace, make_child: Callable[[], ChildFactory], **configure: Any
) -> Any:
    """The app of the 1.6.2 call sites (see ``_xraysink_162``), under xraysink 1.6.2
    and under this xraysink alike; ``configure``: more arguments of
    ``xray_recorder.configure``. It imports no OpenTelemetry, as a 1.6.2 user's app
    does not (``xraysink_162_pypi``)."""
    from aws_xray_sdk.core import xray_recorder
    from starlette.middleware.base import BaseHTTPMiddleware

    from xraysink.asgi.middleware import xray_middleware
    from xraysink.config import set_xray_log_group
    from xraysink.context import AsyncContext

    xray_recorder.configure(
        service=SERVICE,
        sampling=False,
        context=AsyncContext(),
        daemon_address=f"127.0.0.1:{args.daemon_port}",
        **configure,
    )
    set_xray_log_group(LOG_GROUP)
    app = build_app(make_child(), fastapi_tracing=None)
    app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)
    return app


def xraysink_162(args: argparse.Namespace) -> Setup:
    """1.6.2 call sites; children through the OpenTelemetry API: 4 spans per request."""
    return _xraysink_162(args, _otel_child)


def xraysink_162_sdk(args: argparse.Namespace) -> Setup:
    """1.6.2 call sites; children as X-Ray SDK subsegments (``in_subsegment``,
    ``put_annotation``, ``put_metadata``) that the recorder bridge turns into
    OpenTelemetry spans: the route code of ``xraysink_162_pypi``, 4 spans per request."""
    return _xraysink_162(args, _sdk_child)


def xraysink_otel(args: argparse.Namespace) -> Setup:
    """xraysink OpenTelemetry-first: ``xraysink.configure(...)``; FastAPI's own
    telemetry opens the SERVER span; children through the OpenTelemetry API."""
    return _xraysink_otel(args, operation_spans=True)


def xraysink_lean(args: argparse.Namespace) -> Setup:
    """``xraysink_otel`` with FastAPI's ``fastapi.*`` operation spans off
    (``FastAPI(telemetry={"operation_spans": False})``): 4 spans per request, not 7."""
    return _xraysink_otel(args, operation_spans=False)


def _xraysink_otel(args: argparse.Namespace, operation_spans: bool) -> Setup:
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    import xraysink

    # Every request sampled, as in the other scenarios (the X-Ray SDK's sampling=False):
    # the same work per request. benchmarks.sampling times the centralized sampler.
    provider = xraysink.configure(
        SERVICE,
        daemon_address=f"127.0.0.1:{args.daemon_port}",
        log_group=LOG_GROUP,
        sampler=ALWAYS_ON,
    )
    app = build_app(_otel_child(), fastapi_tracing=True, operation_spans=operation_spans)
    return app, lambda: _flush(provider)


SCENARIOS: dict[str, Callable[[argparse.Namespace], Setup]] = {
    "bare": bare,
    "bare_hop": bare_hop,
    "xray_sdk": xray_sdk,
    "xraysink_162_pypi": xraysink_162_pypi,
    "otlp": otlp,
    "otlp_lean": otlp_lean,
    "otel_floor": otel_floor,
    "xraysink_162": xraysink_162,
    "xraysink_162_sdk": xraysink_162_sdk,
    "xraysink_otel": xraysink_otel,
    "xraysink_lean": xraysink_lean,
}

#: Spans (OTLP) or X-Ray entities (UDP) each scenario's request sends to the sinks: 4 is
#: the X-Ray SDK path's trace (1 segment + 3 subsegments), 7 adds FastAPI's 3
#: ``fastapi.*`` operation spans (``otel_floor`` makes 4 and sends none).
ENTITIES = {
    "bare": 0,
    "bare_hop": 0,
    "xray_sdk": 4,
    "xraysink_162_pypi": 4,
    "otlp": 7,
    "otlp_lean": 4,
    "otel_floor": 0,
    "xraysink_162": 4,
    "xraysink_162_sdk": 4,
    "xraysink_otel": 7,
    "xraysink_lean": 4,
}
#: Scenarios whose children are X-Ray SDK subsegments with an annotation and metadata.
SDK_CHILDREN = frozenset({"xray_sdk", "xraysink_162_pypi", "xraysink_162_sdk"})


async def run(args: argparse.Namespace) -> dict[str, Any]:
    # Set up inside the running loop: the X-Ray SDK's AsyncContext binds the loop it finds.
    app, flush = SCENARIOS[args.scenario](args)
    ok = await drive(app, args.warmup)
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    ok += await drive(app, args.requests)
    flush()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "scenario": args.scenario,
        "requests": args.requests,
        "total_requests": args.warmup + args.requests,
        "ok": ok,
        "cpu_us": cpu / args.requests * 1e6,
        "wall_us": wall / args.requests * 1e6,
        # After the measurement: it imports the hot path, which some scenarios never use.
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--daemon-port", type=int, default=2000)
    parser.add_argument("--otlp-port", type=int, default=4318)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
