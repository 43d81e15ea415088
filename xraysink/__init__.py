"""AWS X-Ray for asyncio Python, with OpenTelemetry as the tracing engine."""

__version__: str = "2.0.0a1"
