#!/usr/bin/env python3
"""RESP2 reply stream for the decoder benchmark (scripts/bench/resp.sh), read by both
`resp-bench decode` and the hiredis reader peer.

    python3 Benchmarks/corpus/resp-replies.py OUT [REPLIES=200000]

The replies are drawn, with a fixed seed so every run writes the same bytes, from a mix shaped
like a client's traffic: 35% bulk strings of 1-128 bytes, 25% integers up to +-2^40, 20% simple
strings (OK, QUEUED), 10% arrays of 1-16 bulk strings, 5% null bulk strings, 5% errors.
"""
from weighted_stream import write_stream

KEY_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789:-_"


def bulk_string(rng):
    text = bytes(rng.choices(KEY_BYTES, k=rng.randint(1, 128)))
    return b"$%d\r\n%s\r\n" % (len(text), text)


def bulk(_number, rng):
    return bulk_string(rng)


def integer(_number, rng):
    return b":%d\r\n" % rng.randint(-(1 << 40), 1 << 40)


def simple(_number, rng):
    return rng.choice((b"+OK\r\n", b"+QUEUED\r\n"))


def array(_number, rng):
    count = rng.randint(1, 16)
    return b"*%d\r\n" % count + b"".join(bulk_string(rng) for _ in range(count))


def null(_number, rng):
    return b"$-1\r\n"


def error(_number, rng):
    return b"-ERR wrong number of arguments for 'get' command\r\n"


# (weight in percent, reply maker)
MIX = ((35, bulk), (25, integer), (20, simple), (10, array), (5, null), (5, error))


if __name__ == "__main__":
    write_stream("resp-replies.py OUT [REPLIES]", MIX)
