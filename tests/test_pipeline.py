"""``xraysink.configure``: each scenario in a fresh interpreter, because OpenTelemetry
allows one global TracerProvider per process."""

from __future__ import annotations

from tests.e2e.xray import wait_for_trace
from tests.scripts import printed_trace_id, run_isolated
from xraysink.cli.demo import SAMPLING_RULES
from xraysink.receiver.sampling import SamplingServer, parse_sampling_rules
from xraysink.receiver.server import Receiver


def test_configure_is_idempotent_and_sends(receiver: Receiver) -> None:
    result = run_isolated(
        f"""
        import xraysink
        from opentelemetry import trace
        first = xraysink.configure("svc", daemon_address="{receiver.address}")
        second = xraysink.configure("svc", daemon_address="{receiver.address}")
        assert first is second is trace.get_tracer_provider()
        assert len(first._active_span_processor._span_processors) == 1
        with trace.get_tracer("t").start_as_current_span("op", kind=trace.SpanKind.SERVER) as span:
            pass
        print(f"{{span.get_span_context().trace_id:032x}}")
        """
    )
    (segment,) = wait_for_trace(receiver, printed_trace_id(result), 1)
    assert segment["name"] == "svc"
    digits = result.stdout.strip()
    # AwsXRayIdGenerator: the first 8 hex digits are the epoch seconds of the trace.
    assert abs(int(digits[:8], 16) - segment["start_time"]) < 60


def test_configure_adds_to_an_existing_provider(receiver: Receiver) -> None:
    result = run_isolated(
        f"""
        import xraysink
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        mine = TracerProvider()
        trace.set_tracer_provider(mine)
        assert xraysink.configure(daemon_address="{receiver.address}") is mine
        with trace.get_tracer("t").start_as_current_span("mine") as span:
            pass
        print(f"{{span.get_span_context().trace_id:032x}}")
        """
    )
    (entity,) = wait_for_trace(receiver, printed_trace_id(result), 1)
    assert entity["name"] == "mine"


def test_malformed_daemon_address_fails_at_configuration() -> None:
    result = run_isolated(
        """
        import xraysink
        try:
            xraysink.configure(daemon_address="nohost")
        except ValueError as exc:
            print(exc)
        """
    )
    assert "invalid X-Ray daemon address 'nohost'" in result.stdout


def test_otel_first_import_does_not_load_the_x_ray_sdk() -> None:
    result = run_isolated(
        """
        import sys
        import xraysink
        xraysink.configure("svc")
        import xraysink.asgi.middleware, xraysink.tasks
        print("aws_xray_sdk.core" in sys.modules)
        """
    )
    assert result.stdout.strip() == "False", result.stderr


def test_log_group_set_before_configuration(receiver: Receiver) -> None:
    result = run_isolated(
        f"""
        import xraysink
        from opentelemetry import trace
        from xraysink.config import set_xray_log_group
        set_xray_log_group("/set/before")
        xraysink.configure("svc", daemon_address="{receiver.address}")
        with trace.get_tracer("t").start_as_current_span("op") as span:
            pass
        print(f"{{span.get_span_context().trace_id:032x}}")
        """
    )
    (segment,) = wait_for_trace(receiver, printed_trace_id(result), 1)
    assert segment["aws"]["cloudwatch_logs"] == [{"log_group": "/set/before"}]


def test_cancelled_request_and_task_from_a_thread_keep_the_trace(receiver: Receiver) -> None:
    result = run_isolated(
        f"""
        import asyncio
        import xraysink
        from opentelemetry import trace
        from starlette.requests import Request
        from xraysink.asgi.middleware import xray_middleware
        from xraysink.tasks import xray_task_async

        provider = xraysink.configure("svc", daemon_address="{receiver.address}")
        processor = provider._active_span_processor._span_processors[0]

        @xray_task_async()
        async def job():
            return trace.get_current_span().get_span_context().trace_id

        async def cancelled(request):
            raise asyncio.CancelledError()

        async def from_thread(request):
            trace_id = trace.get_current_span().get_span_context().trace_id
            found = await asyncio.to_thread(lambda: asyncio.run(job()))
            assert found == trace_id, (found, trace_id)
            raise asyncio.CancelledError()

        async def main():
            scope = {{"type": "http", "method": "GET", "path": "/", "query_string": b"",
                      "headers": [(b"host", b"example.com")], "scheme": "http",
                      "server": ("example.com", 80)}}
            for handler in (cancelled, from_thread):
                try:
                    await xray_middleware(Request(scope), handler)
                except asyncio.CancelledError:
                    pass

        asyncio.run(main())
        print(len(processor._root_of), len(processor._waiting), processor.stats["documents"])
        """
    )
    assert result.returncode == 0, result.stderr
    # Nothing left waiting; both requests and the task's segment were sent.
    assert result.stdout.split() == ["0", "0", "3"]


def test_default_sampler_is_x_ray_centralized_sampling(receiver: Receiver) -> None:
    # A stand-in for the daemon's sampling API (the X-Ray daemon and the CloudWatch agent
    # proxy it on TCP), with the demo's rules: health checks never sampled, the rest always.
    with SamplingServer(parse_sampling_rules(SAMPLING_RULES), "127.0.0.1", 0) as rules:
        # The X-Ray SDKs' two-address form: documents over UDP, the sampling API on TCP.
        daemon = f"udp:127.0.0.1:{receiver.port} tcp:127.0.0.1:{rules.port}"
        result = run_isolated(
            f"""
            import time, xraysink
            from opentelemetry import trace
            from opentelemetry.trace import SpanKind
            SERVER = SpanKind.SERVER
            provider = xraysink.configure(service="shop", daemon_address="{daemon}")
            sampler = provider.sampler.root
            deadline = time.monotonic() + 10
            while not sampler.stats["rules_polls"] and time.monotonic() < deadline:
                time.sleep(0.05)
            tracer = trace.get_tracer("t")
            for path in ("/health", "/orders/7", "/health"):
                attributes = {{"http.request.method": "GET", "url.path": path}}
                with tracer.start_as_current_span(path, attributes=attributes, kind=SERVER):
                    pass
            print(type(sampler).__name__)
            """,
            OTEL_TRACES_SAMPLER="",
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["XRayRemoteSampler"]
    assert receiver.wait_for(lambda docs: len(docs) >= 1, 10.0)
    receiver.wait_quiet(0.3, 5.0)
    (segment,) = receiver.documents  # the two health checks were not sampled
    assert segment["aws"]["xray"]["sampling_rule_name"] == "Default"
