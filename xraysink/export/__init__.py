"""Finished spans to documents: the span processor, waiting children, assembly, serialization."""
