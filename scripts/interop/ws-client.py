#!/usr/bin/env python3
"""A WebSocket client run against the project's echo server (WebSocketEchoInteropTests): Python's
`websockets` library exchanges text, binary, fragmented and ping messages and closes cleanly, and
raw sockets check the refusals and the close codes of protocol violations.

Usage: ws-interop-client.py PORT    (prints one line per check; exits 1 at the first failure)
"""
import os
import signal
import socket
import struct
import sys

import websockets
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

PORT = int(sys.argv[1])
URI = f"ws://127.0.0.1:{PORT}/echo"
TIMEOUT = 10

signal.alarm(120)  # nothing here may hang the test run


def check(condition, what):
    if not condition:
        print(f"FAIL {what}", flush=True)
        sys.exit(1)
    print(f"ok   {what}", flush=True)


def echo_exchange():
    with connect(URI, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        check(ws.response.status_code == 101, "handshake answered 101 (websockets checked Sec-WebSocket-Accept)")
        check(ws.response.headers.get("Sec-WebSocket-Extensions") is None, "no extension negotiated")
        for text in ["hello", "", "héllo ✓ 😀", "x" * 200_000]:
            ws.send(text)
            check(ws.recv(timeout=TIMEOUT) == text, f"text of {len(text.encode())} bytes echoed")
        for data in [bytes(range(256)), os.urandom(65536), b""]:
            ws.send(data)
            check(ws.recv(timeout=TIMEOUT) == data, f"binary of {len(data)} bytes echoed")
        ws.send(["frag", "ment", "ed ✓"])
        check(ws.recv(timeout=TIMEOUT) == "fragmented ✓", "fragmented text echoed whole")
        ws.send([b"\x00\x01", b"", b"\x02" * 70000])
        check(ws.recv(timeout=TIMEOUT) == b"\x00\x01" + b"\x02" * 70000, "fragmented binary echoed whole")
        pong = ws.ping(b"are you there")
        check(pong.wait(TIMEOUT), "ping answered with a pong")
        ws.send("after the ping")
        check(ws.recv(timeout=TIMEOUT) == "after the ping", "messages still flow after the ping")
        ws.close(1000, "done")
        check(ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000, "close 1000 echoed by the server")


def origins():
    try:
        with connect(URI, origin="http://evil.example", open_timeout=TIMEOUT):
            check(False, "another site's origin refused")
    except InvalidStatus as refusal:
        check(refusal.response.status_code == 403, "another site's origin refused with 403")
    with connect(URI, origin=f"http://127.0.0.1:{PORT}", open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        ws.send("same origin")
        check(ws.recv(timeout=TIMEOUT) == "same origin", "the same origin allowed")


def raw_handshake(version="13"):
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
    sock.sendall((f"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: {version}\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        if not chunk:
            break
        response += chunk
    head, _, rest = response.partition(b"\r\n\r\n")
    return sock, head.decode("latin-1"), rest


def read_all(sock, already):
    data = already
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk


def masked(opcode, payload, key=b"\x01\x02\x03\x04"):
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def refusals_and_violations():
    sock, head, _ = raw_handshake(version="8")
    check(head.startswith("HTTP/1.1 426") and "Sec-WebSocket-Version: 13" in head, "version 8 refused with 426 naming 13")
    sock.close()
    for name, frame, code in [
        ("text that is not UTF-8", masked(0x1, b"ok\xff"), 1007),
        ("an unmasked frame", bytes([0x81, 0x02]) + b"hi", 1002),
        ("a reserved opcode", masked(0x3, b""), 1002),
    ]:
        sock, head, rest = raw_handshake()
        check(head.startswith("HTTP/1.1 101") and "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head,
              "raw handshake accepted with the RFC's accept value")
        sock.sendall(frame)
        reply = read_all(sock, rest)
        check(len(reply) >= 4 and reply[0] == 0x88 and struct.unpack("!H", reply[2:4])[0] == code,
              f"{name} answered with close {code}, then the server closed the connection")
        sock.close()


print(f"websockets {websockets.__version__} against 127.0.0.1:{PORT}", flush=True)
echo_exchange()
origins()
refusals_and_violations()
print("all interop checks passed", flush=True)
