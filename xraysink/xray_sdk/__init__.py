"""The X-Ray SDK's recorder API on OpenTelemetry spans; the only package importing aws_xray_sdk."""
