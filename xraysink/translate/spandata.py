"""Reading a finished span's fields in one go (``xraysink._internals.read_span``).

Each ``ReadableSpan`` property is a Python-level call, and ``attributes``/``events``/
``links`` also build a mapping proxy or a tuple through the SDK's lock-taking
``__len__``/``__iter__``: the public reads of one span cost about 2.5 µs, more than
a third of a translation.
"""

from __future__ import annotations

from xraysink._internals import read_span
from xraysink._types import SpanFields

__all__ = ["SpanFields", "read_span"]
