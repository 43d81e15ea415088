"""The X-Ray daemon's UDP protocol: one header line, then one JSON document.

Shared by the UDP emitter and the local receiver (``xraysink.receiver``). Facts from
the X-Ray daemon (``aws/aws-xray-daemon``): it reads into a 64 KiB buffer, and a
UDP/IPv4 payload is at most 65,507 bytes.
"""

from __future__ import annotations

from typing import Final

#: The header every X-Ray SDK sends, with its trailing newline.
PROTOCOL_HEADER: Final = b'{"format":"json","version":1}\n'
#: Largest UDP payload over IPv4 (65,535 - 8 UDP - 20 IP header bytes).
MAX_DATAGRAM_BYTES: Final = 65_507
#: Largest JSON document that fits one datagram behind the protocol header.
MAX_DOCUMENT_BYTES: Final = MAX_DATAGRAM_BYTES - len(PROTOCOL_HEADER)
