"""Which new traces are recorded: the caller's decision, else a root policy (X-Ray
centralized or local sampling rules, or any OpenTelemetry sampler)."""
