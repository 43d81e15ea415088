"""Zero-code set-up (opentelemetry-instrument) and AWS resource detectors."""
