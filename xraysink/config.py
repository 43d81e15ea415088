"""Process-wide X-Ray settings (1.6.2 API)."""

from __future__ import annotations

from xraysink import pipeline


def set_xray_log_group(log_group: str) -> None:
    """Set the CloudWatch Logs log group of this process.

    Every segment sent afterwards (requests and tasks alike) carries
    ``aws.cloudwatch_logs: [{"log_group": log_group}]`` (X-Ray segment document
    spec), which links the trace to its logs in CloudWatch. May be called before
    or after configuration. Raises ``TypeError``/``ValueError`` for a non-string
    or empty name.
    """
    if not isinstance(log_group, str):
        raise TypeError(f"log_group must be a str, not {type(log_group).__name__}")
    if not log_group:
        raise ValueError("log_group must not be empty")
    pipeline.set_log_group(log_group)
