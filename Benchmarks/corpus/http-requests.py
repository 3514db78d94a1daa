#!/usr/bin/env python3
"""Pipelined HTTP/1.1 request stream for the parser benchmark (scripts/bench/http.sh), read by
both http-bench and the http-parser peer.

    python3 Benchmarks/corpus/http-requests.py OUT [REQUESTS=200000]

With a fixed seed, so every run writes the same bytes, the requests are what the services see:
60% POST /orders with a small JSON order and curl's headers, 25% GET /metrics?sku=&order_id=
with a browser's dozen headers, 15% POST /orders with the same kind of body sent chunked, in
two pieces.
"""
from weighted_stream import write_stream

BROWSER_HEADERS = b"".join(
    line + b"\r\n"
    for line in (
        b"Host: localhost:8081",
        b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        b"Accept-Language: en-GB,en;q=0.7",
        b"Accept-Encoding: gzip, deflate, br, zstd",
        b"Referer: http://localhost:8081/",
        b"Connection: keep-alive",
        b"Upgrade-Insecure-Requests: 1",
        b"Sec-Fetch-Dest: document",
        b"Sec-Fetch-Mode: navigate",
        b"Cookie: session=5d41402abc4b2a76b9719d911017c592; theme=light",
    )
)


def order_body(number, rng):
    sku = b"sku-%d" % rng.randint(1, 500)
    return sku, b'{"id":"order-%d","sku":"%s","qty":%d}' % (number, sku, rng.randint(1, 9))


def post_order(number, rng):
    _, body = order_body(number, rng)
    return (
        b"POST /orders HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )


def get_metrics(number, rng):
    sku, _ = order_body(number, rng)
    return b"GET /metrics?sku=%s&order_id=order-%d HTTP/1.1\r\n%s\r\n" % (sku, number, BROWSER_HEADERS)


def post_chunked_order(number, rng):
    _, body = order_body(number, rng)
    cut = rng.randint(1, len(body) - 1)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in (body[:cut], body[cut:]))
    return (
        b"POST /orders HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n%s0\r\n\r\n" % chunks
    )


# (weight in percent, request maker)
MIX = ((60, post_order), (25, get_metrics), (15, post_chunked_order))


if __name__ == "__main__":
    write_stream("http-requests.py OUT [REQUESTS]", MIX)
