"""Sampling: X-Ray centralized and local sampling rules as OpenTelemetry samplers."""
