"""The export path alone, per typical HTTP SERVER span: ``XRaySpanProcessor.on_end``
with a real UDP socket (translate + serialize + send), and translate and serialize
on their own. Prints JSON: microseconds per span (median of the repeats) and the
document size. Run: ``python -m benchmarks.export_path [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from collections.abc import Callable

from benchmarks.sinks import UdpSink
from benchmarks.spans import typical_server_span
from xraysink import XRaySpanProcessor
from xraysink.emitter import UDPDaemonEmitter
from xraysink.serialize import encode_documents
from xraysink.translate import translate_span


def per_call_us(func: Callable[[], object], number: int, repeat: int) -> float:
    """Median over ``repeat`` runs of ``number`` calls, in µs per call."""
    runs = timeit.repeat(func, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e6


def measure(number: int, repeat: int) -> dict[str, float]:
    span = typical_server_span()
    sink = UdpSink()
    emitter = UDPDaemonEmitter(f"127.0.0.1:{sink.port}")
    processor = XRaySpanProcessor(emitter)
    entity = translate_span(span)[0]
    document = encode_documents(entity)[0]
    sendto = emitter._socket.sendto
    datagram = b'{"format":"json","version":1}\n' + document
    address = emitter.address
    results = {
        "on_end_us": per_call_us(lambda: processor.on_end(span), number, repeat),
        "translate_us": per_call_us(lambda: translate_span(span), number, repeat),
        "serialize_us": per_call_us(lambda: encode_documents(entity), number, repeat),
        "sendto_us": per_call_us(lambda: sendto(datagram, address), number, repeat),
        "document_bytes": float(len(document)),
    }
    emitter.close()
    received = sink.stop()
    results["datagrams_received"] = float(received["datagrams"])
    results["datagrams_sent"] = float(processor.stats["documents"] + number * repeat)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--show", action="store_true", help="print the document too")
    args = parser.parse_args(argv)
    number, repeat = (1000, 5) if args.quick else (2000, 9)
    if args.show:
        print(encode_documents(translate_span(typical_server_span())[0])[0].decode())
    json.dump(measure(number, repeat), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
