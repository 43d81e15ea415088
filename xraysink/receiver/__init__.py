"""A local stand-in for the X-Ray daemon: receive, check and draw segment documents.

``Receiver`` listens on UDP like the daemon and keeps each datagram's outcome;
``parse_datagram`` reads the daemon protocol; ``validate_document`` checks what X-Ray
accepts; ``build_traces``/``render_trace`` link and draw traces; ``render_batch`` draws a
whole batch of received datagrams.
"""

from xraysink.receiver.protocol import DatagramError, parse_datagram
from xraysink.receiver.record import Received
from xraysink.receiver.report import render_batch, render_problems
from xraysink.receiver.server import Receiver
from xraysink.receiver.tree import Node, Trace, build_traces, entities_per_trace, render_trace
from xraysink.receiver.validate import validate_document

__all__ = [
    "DatagramError",
    "Node",
    "Received",
    "Receiver",
    "Trace",
    "build_traces",
    "entities_per_trace",
    "parse_datagram",
    "render_batch",
    "render_problems",
    "render_trace",
    "validate_document",
]
