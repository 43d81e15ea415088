"""The receiver through a real UDP socket on 127.0.0.1, fed with real datagrams."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.documents import TRACE_ID, datagram
from xraysink.receiver import Receiver


def segment(index: int = 0, **fields: Any) -> dict[str, Any]:
    now = time.time()
    return {
        "name": f"svc-{index}",
        "id": f"{index:016x}",
        "trace_id": TRACE_ID,
        "start_time": now,
        "end_time": now + 0.001,
        **fields,
    }


@pytest.fixture
def sender() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        yield sock


def send(sock: socket.socket, receiver: Receiver, *payloads: bytes) -> None:
    for payload in payloads:
        sock.sendto(payload, ("127.0.0.1", receiver.port))


def test_it_binds_a_free_port_and_reports_it(receiver: Receiver) -> None:
    assert receiver.port > 0
    assert receiver.address == f"127.0.0.1:{receiver.port}"


def test_a_valid_document_is_kept_with_no_errors(receiver: Receiver, sender: socket.socket) -> None:
    doc = segment(annotations={"user": "alice"})
    send(sender, receiver, datagram(doc))
    assert receiver.wait_for_count(1)
    assert receiver.documents == [doc]
    assert receiver.errors == []
    [record] = receiver.records
    assert record.valid
    assert record.seq == 0
    assert record.size == len(datagram(doc))
    assert record.sender == f"127.0.0.1:{sender.getsockname()[1]}"


def test_every_outcome_is_kept_in_arrival_order(receiver: Receiver, sender: socket.socket) -> None:
    good = segment(1)
    invalid = segment(2, name="bad!")
    send(sender, receiver, datagram(good), b"no header", datagram(invalid))
    assert receiver.wait_for_count(3)
    assert receiver.documents == [good, invalid]
    assert [record.valid for record in receiver.records] == [True, False, False]
    port = sender.getsockname()[1]
    assert receiver.errors == [
        f"datagram #1 from 127.0.0.1:{port} (9 bytes): missing header: "
        "no newline after the header line, got b'no header'",
        f"document #2 from 127.0.0.1:{port} (name 'bad!', id '0000000000000002'): "
        "name: characters not allowed: '!' (allowed: letters, digits, whitespace and "
        "_ . : / % & # = + \\ - @)",
    ]


def test_a_burst_of_2000_datagrams_is_received_whole(
    receiver: Receiver, sender: socket.socket
) -> None:
    payloads = [datagram(segment(i, metadata={"default": {"pad": "p" * 500}})) for i in range(2000)]
    send(sender, receiver, *payloads)
    assert receiver.wait_for_count(2000, timeout=30), (
        f"{receiver.count} of 2000 received, kernel buffer {receiver.receive_buffer} bytes"
    )
    assert receiver.errors == []
    assert sorted(doc["id"] for doc in receiver.documents) == [f"{i:016x}" for i in range(2000)]


def test_the_kernel_buffer_is_enlarged(receiver: Receiver) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as plain:
        default = plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    assert receiver.receive_buffer > default


def test_wait_for_sees_documents_as_they_arrive(receiver: Receiver, sender: socket.socket) -> None:
    assert not receiver.wait_for(lambda docs: len(docs) > 0, timeout=0.05)
    send(sender, receiver, datagram(segment(1)), datagram(segment(2, name="wanted")))
    assert receiver.wait_for(lambda docs: any(d["name"] == "wanted" for d in docs))
    assert [doc["name"] for doc in receiver.documents] == ["svc-1", "wanted"]


def test_wait_for_count_gives_up_after_its_timeout(receiver: Receiver) -> None:
    assert not receiver.wait_for_count(1, timeout=0.05)


def test_wait_quiet_returns_once_datagrams_stop(receiver: Receiver, sender: socket.socket) -> None:
    send(sender, receiver, *(datagram(segment(i)) for i in range(5)))
    assert receiver.wait_quiet(0.1, timeout=10)
    assert receiver.count == 5


def test_take_records_empties_the_store_but_not_the_count(
    receiver: Receiver, sender: socket.socket
) -> None:
    send(sender, receiver, datagram(segment(1)), datagram(segment(2)))
    assert receiver.wait_for_count(2)
    assert [record.seq for record in receiver.take_records()] == [0, 1]
    assert receiver.records == []
    assert receiver.count == 2
    send(sender, receiver, datagram(segment(3)))
    assert receiver.wait_for_count(3)
    assert [record.seq for record in receiver.records] == [2]


def test_documents_are_appended_to_a_jsonl_file(tmp_path: Path, sender: socket.socket) -> None:
    path = tmp_path / "received.jsonl"
    path.write_text('{"earlier":"line"}\n', encoding="utf-8")
    docs = [segment(1), segment(2, name="bad!")]
    with Receiver("127.0.0.1:0", jsonl=str(path)) as receiver:
        send(sender, receiver, datagram(docs[0]), b"garbage", datagram(docs[1]))
        assert receiver.wait_for_count(3)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"earlier": "line"}, *docs]


def test_close_keeps_what_already_arrived_and_frees_the_port(sender: socket.socket) -> None:
    receiver = Receiver("127.0.0.1:0")
    # Loopback delivers during sendto: these are queued before close(), which must read them.
    send(sender, receiver, *(datagram(segment(i)) for i in range(50)))
    receiver.close()
    receiver.close()
    assert receiver.count == 50
    assert "closed" in repr(receiver)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", receiver.port))


@pytest.mark.parametrize("address", ["", "127.0.0.1", "localhost:http", ":2000", "h:70000"])
def test_a_malformed_address_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        Receiver(address)
