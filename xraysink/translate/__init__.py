"""OpenTelemetry spans to X-Ray segment documents.

``translate_span`` is the entry point; the sibling modules each build one block of
the document, following the OpenTelemetry collector's awsxrayexporter translator.
"""

from xraysink.translate.span import translate_span

__all__ = ["translate_span"]
