"""nest(): children of a local root embedded into its document, orphans sent alone."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind

from xraysink.export.assemble import nest
from xraysink.translate import translate_span


class _Keep(SpanProcessor):
    def __init__(self) -> None:
        self.ended: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


def _ended_spans() -> dict[str, ReadableSpan]:
    provider = TracerProvider()
    keep = _Keep()
    provider.add_span_processor(keep)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER):
        with tracer.start_as_current_span("child"):
            with tracer.start_as_current_span("grandchild"):
                pass
        with tracer.start_as_current_span("sibling"):
            pass
    return {span.name: span for span in keep.ended}


def test_children_are_embedded_under_their_parents_without_standalone_fields() -> None:
    spans = _ended_spans()
    children = [translate_span(spans[name])[0] for name in ("grandchild", "child", "sibling")]
    documents = nest(translate_span(spans["root"]), children)
    assert len(documents) == 1
    root = documents[0]
    assert [child["name"] for child in root["subsegments"]] == ["child", "sibling"]
    grandchild = root["subsegments"][0]["subsegments"][0]
    assert grandchild["name"] == "grandchild"
    for embedded in (*root["subsegments"], grandchild):
        assert not {"type", "trace_id", "parent_id"} & embedded.keys()


def test_a_child_whose_parent_is_not_in_the_document_is_sent_alone() -> None:
    spans = _ended_spans()
    grandchild = translate_span(spans["grandchild"])[0]
    documents = nest(translate_span(spans["root"]), [grandchild])
    assert len(documents) == 2
    alone = documents[1]
    assert alone["name"] == "grandchild"
    assert alone["type"] == "subsegment"
    assert alone["parent_id"] == format(spans["child"].context.span_id, "016x")
    assert "subsegments" not in documents[0]
