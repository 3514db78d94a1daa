#!/usr/bin/env python3
"""Writes Tests/Vectors/ws.jsonl (streams of client frames as hex) and Tests/Vectors/ws.expected.jsonl
(what `conformance ws` must print for each) from the readable table below.

Usage: scripts/conformance/make-ws-vectors.py   (run from the repository root)
Frames are built and masked here, independently of the Swift encoder, and the expected results are
written by hand from RFC 6455 and the decoder's documented limits (1 MiB per frame and per message),
never captured from the decoder's output.
"""
import hashlib
import json

KEY = bytes.fromhex("37fa213d")  # the masking key of RFC 6455 §5.7
OPCODES = {"continuation": 0x0, "text": 0x1, "binary": 0x2, "close": 0x8, "ping": 0x9, "pong": 0xA}
LIMIT = 1 << 20


def mask(payload, key=KEY):
    return bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def frame(opcode, payload=b"", fin=True, masked=True, key=KEY, first=None):
    """A client frame with the shortest length form; `first` overrides the first byte."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([first if first is not None else (0x80 if fin else 0) | OPCODES[opcode]])
    bit = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    return head + (key + mask(payload, key) if masked else payload)


def header(first, length_bytes, key=KEY):
    """Just a header: the first byte, the length bytes as given (mask bit included), the key."""
    return bytes([first]) + bytes(length_bytes) + key


def close_payload(code, reason=b""):
    return code.to_bytes(2, "big") + reason


def hexpayload(payload):
    if isinstance(payload, str):
        payload = payload.encode()
    if len(payload) > 1024:
        return {"length": len(payload), "sha1": hashlib.sha1(payload).hexdigest()}
    return payload.hex()


def f(opcode, payload=b"", fin=True):
    return {"fin": fin, "opcode": opcode, "payload": hexpayload(payload)}


def text(t):
    return {"text": t}


def binary(payload):
    return {"binary": hexpayload(payload)}


def control(opcode, payload=b""):
    return {opcode: hexpayload(payload)}


def close(code=None, reason=""):
    return {"close": {"reason": reason} if code is None else {"code": code, "reason": reason}}


def ok(frames, messages, end="complete"):
    return {"frames": frames, "messages": messages, "end": end}


def err(code, close_code, offset, frames=(), messages=()):
    return {"frames": list(frames), "messages": list(messages), "end": "error",
            "error": {"code": code, "close_code": close_code, "offset": offset}}


HELLO = b"Hello"
BIN256 = bytes((i * 7 + 3) % 256 for i in range(256))
BIN64K = bytes((i * 7 + 3) % 256 for i in range(65536))
TEXT_A = frame("text", "a")  # 7 bytes

VECTORS = [
    # RFC 6455 §5.7, as a client must send them (masked), and as printed there (unmasked).
    ("rfc-masked-text", bytes.fromhex("818537fa213d7f9f4d5158"), ok([f("text", HELLO)], [text("Hello")])),
    ("rfc-unmasked-text", bytes.fromhex("810548656c6c6f"), err("unmaskedFrame", 1002, 1)),
    ("rfc-fragmented-text", frame("text", "Hel", fin=False) + frame("continuation", "lo"),
     ok([f("text", "Hel", fin=False), f("continuation", "lo")], [text("Hello")])),
    ("rfc-fragmented-text-unmasked", bytes.fromhex("010348656c80026c6f"), err("unmaskedFrame", 1002, 1)),
    ("rfc-ping", frame("ping", HELLO), ok([f("ping", HELLO)], [control("ping", HELLO)])),
    ("rfc-unmasked-ping", bytes.fromhex("890548656c6c6f"), err("unmaskedFrame", 1002, 1)),
    ("rfc-masked-pong", bytes.fromhex("8a8537fa213d7f9f4d5158"), ok([f("pong", HELLO)], [control("pong", HELLO)])),
    ("rfc-256-byte-binary", frame("binary", BIN256), ok([f("binary", BIN256)], [binary(BIN256)])),
    ("rfc-64k-binary", frame("binary", BIN64K), ok([f("binary", BIN64K)], [binary(BIN64K)])),

    # Valid streams.
    ("length-125", frame("binary", BIN256[:125]), ok([f("binary", BIN256[:125])], [binary(BIN256[:125])])),
    ("length-126-16-bit", frame("binary", BIN256[:126]), ok([f("binary", BIN256[:126])], [binary(BIN256[:126])])),
    ("empty-messages", frame("text") + frame("binary") + frame("ping") + frame("pong"),
     ok([f("text"), f("binary"), f("ping"), f("pong")], [text(""), binary(b""), control("ping"), control("pong")])),
    ("control-frames-between-fragments",
     frame("binary", b"\x01\x02", fin=False) + frame("ping", "a") + frame("continuation", b"\x03", fin=False)
     + frame("pong") + frame("continuation", b""),
     ok([f("binary", b"\x01\x02", fin=False), f("ping", "a"), f("continuation", b"\x03", fin=False), f("pong"), f("continuation")],
        [control("ping", "a"), control("pong"), binary(b"\x01\x02\x03")])),
    ("text-split-inside-a-character",
     frame("text", b"A\xe2", fin=False) + frame("continuation", b"\x82", fin=False) + frame("continuation", b"\xacB"),
     ok([f("text", b"A\xe2", fin=False), f("continuation", b"\x82", fin=False), f("continuation", b"\xacB")], [text("A€B")])),
    ("four-byte-characters", frame("text", "😀 ok"), ok([f("text", "😀 ok")], [text("😀 ok")])),
    ("zero-masking-key", frame("text", "hi", key=b"\0\0\0\0"), ok([f("text", "hi")], [text("hi")])),
    ("close-empty", frame("close"), ok([f("close")], [close()])),
    ("close-1000", frame("close", close_payload(1000)), ok([f("close", close_payload(1000))], [close(1000)])),
    ("close-1001-reason", frame("close", close_payload(1001, "bye ✓".encode())),
     ok([f("close", close_payload(1001, "bye ✓".encode()))], [close(1001, "bye ✓")])),
    ("close-3000", frame("close", close_payload(3000)), ok([f("close", close_payload(3000))], [close(3000)])),
    ("close-4999", frame("close", close_payload(4999)), ok([f("close", close_payload(4999))], [close(4999)])),
    ("close-1014", frame("close", close_payload(1014)), ok([f("close", close_payload(1014))], [close(1014)])),

    # Incomplete streams.
    ("incomplete-header", b"\x81", ok([], [], end="incomplete")),
    ("incomplete-key", bytes.fromhex("8185 37fa"), ok([], [], end="incomplete")),
    ("incomplete-payload", frame("text", HELLO)[:-1], ok([], [], end="incomplete")),
    ("incomplete-message", frame("text", "Hel", fin=False), ok([f("text", "Hel", fin=False)], [], end="incomplete")),

    # Frame syntax errors, each at its offending byte.
    ("rsv1", bytes([0xC1]) + frame("text", HELLO)[1:], err("reservedBits", 1002, 0)),
    ("rsv2", bytes([0xA1]) + frame("text", HELLO)[1:], err("reservedBits", 1002, 0)),
    ("rsv3-after-a-frame", TEXT_A + bytes([0x91]) + frame("text", HELLO)[1:],
     err("reservedBits", 1002, 7, [f("text", "a")], [text("a")])),
    ("reserved-opcode-3", frame("text", HELLO, first=0x83), err("reservedOpcode", 1002, 0)),
    ("reserved-opcode-b", TEXT_A + frame("text", HELLO, first=0x8B), err("reservedOpcode", 1002, 7, [f("text", "a")], [text("a")])),
    ("fragmented-ping", frame("ping", "x", first=0x09), err("fragmentedControlFrame", 1002, 0)),
    ("fragmented-close", frame("close", first=0x08), err("fragmentedControlFrame", 1002, 0)),
    ("ping-126-bytes", frame("ping", bytes(126)), err("controlFrameTooLong", 1002, 1)),
    ("close-64-bit-length", header(0x88, [0xFF, 0, 0, 0, 0, 0, 0, 0, 126]), err("controlFrameTooLong", 1002, 1)),
    ("non-minimal-16-bit", header(0x82, [0xFE, 0x00, 0x7D]) + mask(bytes(125)), err("nonMinimalLength", 1002, 2)),
    ("non-minimal-64-bit", header(0x82, [0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]), err("nonMinimalLength", 1002, 2)),
    ("64-bit-length-high-bit", header(0x82, [0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0]), err("invalidLength", 1002, 2)),
    ("frame-over-1-mib", header(0x82, [0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0x01]), err("frameTooLarge", 1009, 2)),
    ("message-over-1-mib", frame("binary", b"\x00", fin=False) + header(0x80, [0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0]),
     err("messageTooLarge", 1009, 7 + 2, [f("binary", b"\x00", fin=False)])),

    # Fragmentation errors.
    ("continuation-without-message", frame("continuation", "x"), err("unexpectedContinuation", 1002, 0)),
    ("continuation-after-final", frame("text", "a", fin=False) + frame("continuation", "b") + frame("continuation", "c"),
     err("unexpectedContinuation", 1002, 14, [f("text", "a", fin=False), f("continuation", "b")], [text("ab")])),
    ("new-message-inside-fragmented", frame("text", "a", fin=False) + frame("ping") + frame("binary", "b"),
     err("expectedContinuation", 1002, 13, [f("text", "a", fin=False), f("ping")], [control("ping")])),

    # Text that is not UTF-8 fails at the first byte that cannot belong to valid text (1007).
    ("utf8-invalid-byte", frame("text", b"H\xffello"), err("invalidUTF8", 1007, 6 + 1)),
    ("utf8-overlong", frame("text", b"\xc0\x80"), err("invalidUTF8", 1007, 6)),
    ("utf8-surrogate", frame("text", b"a\xed\xa0\x80"), err("invalidUTF8", 1007, 6 + 2)),
    ("utf8-above-10ffff", frame("text", b"\xf4\x90\x80\x80"), err("invalidUTF8", 1007, 6 + 1)),
    ("utf8-fails-before-the-frame-ends", frame("text", b"ok\xff" + b"x" * 200)[:11], err("invalidUTF8", 1007, 8 + 2)),
    ("utf8-invalid-across-fragments", frame("text", b"A\xe2\x82", fin=False) + frame("continuation", b"A"),
     err("invalidUTF8", 1007, 9 + 6, [f("text", b"A\xe2\x82", fin=False)])),
    ("utf8-cut-at-message-end", frame("text", b"A\xe2\x82", fin=False) + frame("continuation"),
     err("invalidUTF8", 1007, 9 + 6, [f("text", b"A\xe2\x82", fin=False)])),
    ("binary-is-not-checked", frame("binary", b"\xff\xc0"), ok([f("binary", b"\xff\xc0")], [binary(b"\xff\xc0")])),

    # Close payloads.
    ("close-one-byte", frame("close", b"\x03"), err("invalidClosePayload", 1002, 6)),
    ("close-1005", frame("close", close_payload(1005)), err("invalidCloseCode", 1002, 6)),
    ("close-1006", frame("close", close_payload(1006)), err("invalidCloseCode", 1002, 6)),
    ("close-1015", frame("close", close_payload(1015)), err("invalidCloseCode", 1002, 6)),
    ("close-1004", frame("close", close_payload(1004)), err("invalidCloseCode", 1002, 6)),
    ("close-999", frame("close", close_payload(999)), err("invalidCloseCode", 1002, 6)),
    ("close-2999", frame("close", close_payload(2999)), err("invalidCloseCode", 1002, 6)),
    ("close-5000", frame("close", close_payload(5000)), err("invalidCloseCode", 1002, 6)),
    ("close-reason-not-utf8", frame("close", close_payload(1000, b"a\xff")), err("invalidCloseReason", 1007, 6 + 3)),
]


def main():
    ids = [v[0] for v in VECTORS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    with open("Tests/Vectors/ws.jsonl", "w") as vectors, open("Tests/Vectors/ws.expected.jsonl", "w") as expected:
        for vid, data, result in VECTORS:
            vectors.write(json.dumps({"id": vid, "hex": data.hex()}) + "\n")
            expected.write(json.dumps(dict(result, id=vid), sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
