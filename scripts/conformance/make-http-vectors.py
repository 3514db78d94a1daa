#!/usr/bin/env python3
"""Writes Tests/Vectors/http.jsonl (request streams as hex) and Tests/Vectors/http.expected.jsonl
(what `conformance http` must print for each) from the readable table below.

Usage: scripts/conformance/make-http-vectors.py   (run from the repository root)
Expected results are written by hand here, from RFC 9112 and the parser's documented rules,
never captured from the parser's output. In a rejected stream "‸" marks the offending byte: the
first byte after which the stream can no longer become valid, where the parser must fail (the
marker is not part of the stream; its position is the expected error offset).
"""
import json

H = "Host: a\r\n"

def req(method, target, headers, body=b"", trailers=(), keep_alive=True, version="1.1"):
    return {"method": method, "target": target, "version": version, "headers": [list(h) for h in headers],
            "body": body.hex(), "trailers": [list(t) for t in trailers], "keep_alive": keep_alive}

def ok(*requests, end="complete"):
    return {"requests": list(requests), "end": end}

def err(status, message, *requests):
    """A rejection; its offset comes from the "‸" in the vector's text."""
    return {"requests": list(requests), "end": "error", "status": status, "message": message}

MARK = "\u2038"

GET_A = req("GET", "/a", [("Host", "a")])

VECTORS = [
    # Accepted requests.
    ("get", "GET /a HTTP/1.1\r\nHost: a\r\n\r\n", ok(GET_A)),
    ("get-ows-trimmed", "GET /a HTTP/1.1\r\nHost:\t a \t\r\nX-Empty:\r\n\r\n",
     ok(req("GET", "/a", [("Host", "a"), ("X-Empty", "")]))),
    ("post-content-length", "POST /orders HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
     ok(req("POST", "/orders", [("Host", "a"), ("Content-Length", "5")], b"hello"))),
    ("content-length-ows", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:   2  \r\n\r\nhi",
     ok(req("POST", "/", [("Host", "a"), ("Content-Length", "2")], b"hi"))),
    # OWS around a field value is not part of it (RFC 9110 §5.5): this is 5, unlike cl-plus below.
    ("content-length-two-spaces", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  5\r\n\r\nhello",
     ok(req("POST", "/", [("Host", "a"), ("Content-Length", "5")], b"hello"))),
    ("content-length-leading-zeros", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\nhello",
     ok(req("POST", "/", [("Host", "a"), ("Content-Length", "005")], b"hello"))),
    ("chunked-extensions-trailers",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "5;a=b;c=\"q\\\"d\"\r\nhello\r\n6;e\r\n world\r\n0\r\nChecksum:  x1 \r\n\r\n",
     ok(req("POST", "/", [("Host", "a"), ("Transfer-Encoding", "chunked")], b"hello world", [("Checksum", "x1")]))),
    ("chunked-uppercase-hex", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
     ok(req("POST", "/", [("Host", "a"), ("Transfer-Encoding", "CHUNKED")], b"0123456789"))),
    ("pipelined",
     "GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
     "GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
     ok(GET_A, req("POST", "/b", [("Host", "a"), ("Content-Length", "1")], b"x"),
        req("GET", "/c", [("Host", "a"), ("Connection", "close")], keep_alive=False))),
    ("http10-default-close", "GET / HTTP/1.0\r\n\r\n", ok(req("GET", "/", [], keep_alive=False, version="1.0"))),
    ("http10-keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
     ok(req("GET", "/", [("Connection", "Keep-Alive")], version="1.0"))),
    ("connection-list-close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, Close\r\n\r\n",
     ok(req("GET", "/", [("Host", "a"), ("Connection", "upgrade, Close")], keep_alive=False))),
    ("expect-continue", "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz",
     ok(req("PUT", "/x", [("Host", "a"), ("Expect", "100-continue"), ("Content-Length", "1")], b"z"))),
    ("absolute-form", "GET http://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n", ok(req("GET", "http://a/b?c", [("Host", "a")]))),
    ("options-star", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", ok(req("OPTIONS", "*", [("Host", "a")]))),
    ("leading-empty-line", "\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\n", ok(GET_A)),
    ("extension-method", "PURGE /a HTTP/1.1\r\nHost: a\r\n\r\n", ok(req("PURGE", "/a", [("Host", "a")]))),
    ("incomplete-head", "GET /a HTTP/1.1\r\nHost: a\r\n", ok(end="incomplete")),
    ("incomplete-body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc", ok(end="incomplete")),
    ("incomplete-after-request", "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET", ok(GET_A, end="incomplete")),
    ("empty", "", ok()),

    # Line and field syntax.
    ("bare-lf-request-line", "GET /a HTTP/1.1‸\nHost: a\r\n\r\n", err(400, "line not terminated by CRLF")),
    ("bare-lf-header", "GET /a HTTP/1.1\r\nHost: a‸\n\r\n", err(400, "line not terminated by CRLF")),
    ("bare-lf-end-of-head", "GET /a HTTP/1.1\r\nHost: a\r\n‸\n", err(400, "line not terminated by CRLF")),
    ("ws-before-colon", "GET / HTTP/1.1\r\nHost‸ : a\r\n\r\n", err(400, "whitespace before colon in header")),
    ("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n‸ 2\r\n\r\n", err(400, "obsolete line folding")),
    ("nul-in-value", "GET / HTTP/1.1\r\nHost: a‸\x00\r\n\r\n", err(400, "invalid character in header value")),
    ("cr-in-value", "GET / HTTP/1.1\r\nHost: a\r‸b\r\n\r\n", err(400, "CR not followed by LF")),
    ("name-not-token", "GET / HTTP/1.1\r\nHost: a\r\nX‸@Y: 1\r\n\r\n", err(400, "invalid header name")),
    ("tab-after-method", "GET‸\t/a HTTP/1.1\r\nHost: a\r\n\r\n", err(400, "invalid method")),
    ("tab-after-target", "GET /a‸\tHTTP/1.1\r\nHost: a\r\n\r\n", err(400, "invalid request target")),
    ("method-not-token", "GE‸<T / HTTP/1.1\r\nHost: a\r\n\r\n", err(400, "invalid method")),
    ("space-in-target", "GET /a ‸b HTTP/1.1\r\nHost: a\r\n\r\n", err(400, "malformed HTTP version")),
    ("star-for-get", "GET ‸* HTTP/1.1\r\nHost: a\r\n\r\n", err(400, "invalid request target")),
    ("connect", "CONNECT ‸a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", err(501, "CONNECT not supported")),
    ("version-2", "GET / HTTP/‸2.0\r\nHost: a\r\n\r\n", err(505, "HTTP version not supported")),
    ("version-1-2", "GET / HTTP/1.‸2\r\nHost: a\r\n\r\n", err(505, "HTTP version not supported")),
    ("version-malformed", "GET / HTTP/1.1‸.1\r\nHost: a\r\n\r\n", err(400, "malformed HTTP version")),
    ("version-lowercase", "GET / ‸http/1.1\r\nHost: a\r\n\r\n", err(400, "malformed HTTP version")),
    ("missing-host", "GET / HTTP/1.1\r\n\r‸\n", err(400, "missing Host")),
    ("two-hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost‸: b\r\n\r\n", err(400, "more than one Host")),
    ("expect-unknown", "GET / HTTP/1.1\r\nHost: a\r\nExpect: ‸200-ok\r\n\r\n", err(417, "unsupported expectation")),

    # Request smuggling: every framing ambiguity is refused.
    ("cl-te", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding‸: chunked\r\n\r\n0\r\n\r\n",
     err(400, "both Content-Length and Transfer-Encoding")),
    ("te-cl", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length‸: 4\r\n\r\n0\r\n\r\n",
     err(400, "both Content-Length and Transfer-Encoding")),
    ("cl-plus", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ‸+5\r\n\r\nhello", err(400, "invalid Content-Length")),
    ("cl-list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5‸,5\r\n\r\nhello", err(400, "invalid Content-Length")),
    ("cl-inner-space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 ‸0\r\n\r\n", err(400, "invalid Content-Length")),
    ("cl-hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0‸x5\r\n\r\n", err(400, "invalid Content-Length")),
    # Past the 8 MiB body limit at the eighth digit, long before the value would overflow.
    ("cl-overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1844674‸4073709551621\r\n\r\n",
     err(413, "body too large")),
    ("cl-duplicate-equal", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length‸: 1\r\n\r\nx",
     err(400, "duplicate Content-Length")),
    ("cl-duplicate-different", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length‸: 2\r\n\r\nxy",
     err(400, "duplicate Content-Length")),
    ("te-ws-before-colon", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding‸ : chunked\r\nContent-Length: 1\r\n\r\nx",
     err(400, "whitespace before colon in header")),
    ("te-vertical-tab", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:‸\x0bchunked\r\n\r\n0\r\n\r\n",
     err(400, "invalid character in header value")),
    ("te-chunked-not-last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, ‸identity\r\n\r\n",
     err(400, "chunked is not the final transfer coding")),
    ("te-split-not-last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: ‸gzip\r\n\r\n",
     err(400, "chunked is not the final transfer coding")),
    ("te-chunked-twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, ‸chunked\r\n\r\n",
     err(400, "chunked is not the final transfer coding")),
    ("te-lookalike", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r‸\n",
     err(400, "chunked is not the final transfer coding")),
    # Not chunked-final: the body length cannot be determined, so 400, not 501 (RFC 9112 §6.3).
    ("te-gzip-alone", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r‸\n",
     err(400, "chunked is not the final transfer coding")),
    ("te-gzip-chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r‸\n",
     err(501, "transfer coding not implemented")),
    ("te-quoted", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ‸\"chunked\"\r\n\r\n",
     err(400, "malformed Transfer-Encoding")),
    ("te-http10", "POST / HTTP/1.0\r\nTransfer-Encoding‸: chunked\r\n\r\n0\r\n\r\n",
     err(400, "Transfer-Encoding in an HTTP/1.0 request")),
    # Past the body limit at the sixth hexadecimal digit, long before the size would overflow.
    ("chunk-size-overflow", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFF‸FFFFFFFFFFFF1\r\n",
     err(413, "body too large")),
    ("chunk-size-0x", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0‸x5\r\nhello\r\n0\r\n\r\n",
     err(400, "invalid chunk size")),
    ("chunk-size-negative", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n‸-1\r\n",
     err(400, "invalid chunk size")),
    ("chunk-size-bare-lf", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1‸\nx\r\n0\r\n\r\n",
     err(400, "line not terminated by CRLF")),
    ("chunk-data-bare-lf", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx‸\n0\r\n\r\n",
     err(400, "chunk data not followed by CRLF")),
    ("chunk-data-overrun", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab‸c\r\n0\r\n\r\n",
     err(400, "chunk data not followed by CRLF")),
    ("chunk-ext-bad", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"b‸\r\nx\r\n0\r\n\r\n",
     err(400, "invalid chunk extension")),
    # Whitespace in chunk lines is rejected as in llhttp's strict mode.
    ("chunk-size-trailing-space", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1‸ \r\nx\r\n0\r\n\r\n",
     err(400, "invalid chunk size")),
    ("chunk-size-leading-space", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n‸ 1\r\nx\r\n0\r\n\r\n",
     err(400, "invalid chunk size")),
    ("chunk-size-space-before-ext", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1‸ ;a\r\nx\r\n0\r\n\r\n",
     err(400, "invalid chunk size")),
    ("chunk-ext-space-after-semicolon", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;‸ a=b\r\nx\r\n0\r\n\r\n",
     err(400, "invalid chunk extension")),
    ("chunk-ext-space-before-equals", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a‸ =b\r\nx\r\n0\r\n\r\n",
     err(400, "invalid chunk extension")),
    ("chunk-ext-space-after-equals", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=‸ b\r\nx\r\n0\r\n\r\n",
     err(400, "invalid chunk extension")),
    ("trailer-obs-fold", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\n‸\t2\r\n\r\n",
     err(400, "obsolete line folding")),
    ("error-after-good-request", "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nHost‸: b\r\n\r\n",
     err(400, "more than one Host", GET_A)),

    # Limits (defaults: 8 KiB request line, 16 KiB headers, 100 fields, 8 MiB body).
    # A limit fails at its first byte beyond it.
    ("uri-too-long", "GET /" + "a" * 8187 + MARK + "a" * 813 + " HTTP/1.1\r\nHost: a\r\n\r\n", err(414, "request line too long")),
    ("headers-too-large", "GET / HTTP/1.1\r\nHost: a\r\nX: " + "v" * 16356 + MARK + "v" * 644 + "\r\n\r\n",
     err(431, "header section too large")),
    ("too-many-headers", "GET / HTTP/1.1\r\nHost: a\r\n" + "".join("X%d: 1\r\n" % i for i in range(99)) + MARK + "X99: 1\r\n\r\n",
     err(431, "too many header fields")),
    ("body-too-large", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 838860‸9\r\n\r\n", err(413, "body too large")),
    ("chunked-too-large", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n80000‸1\r\n",
     err(413, "body too large")),

    # Rejected at the offending byte: each stream stops right after it, so a parser that waits for
    # the line end to judge the line reports nothing.
    ("version-unsupported-no-line-end", "GET / HTTP/‸5.6", err(505, "HTTP version not supported")),
    ("version-bad-byte-no-line-end", "GET / HTTP/1‸!", err(400, "malformed HTTP version")),
    ("space-before-first-header", "GET / HTTP/1.1\r\n‸ Host: a", err(400, "obsolete line folding")),
    ("cr-without-lf-after-headers", "GET / HTTP/1.1\r\nHost: a\r\n\r‸X", err(400, "CR not followed by LF")),
    ("cr-without-lf-request-line", "GET / HTTP/1.1\r‸X", err(400, "CR not followed by LF")),
    ("cr-without-lf-leading-line", "\r‸GET", err(400, "CR not followed by LF")),
    ("method-then-line-end", "GET‸\r\n", err(400, "malformed request line")),
    ("target-then-line-end", "GET /a‸\r\n", err(400, "malformed request line")),
    ("scheme-bad-byte", "GET h‸_", err(400, "invalid request target")),
    ("header-name-then-space", "GET / HTTP/1.1\r\nHost‸ ", err(400, "whitespace before colon in header")),
    ("header-name-then-line-end", "GET / HTTP/1.1\r\nHost‸\r", err(400, "invalid header name")),
    ("second-host-at-its-colon", "GET / HTTP/1.1\r\nHost: a\r\nHost‸:", err(400, "more than one Host")),
    ("cl-bad-digit-no-line-end", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1‸x", err(400, "invalid Content-Length")),
    ("cl-over-limit-no-line-end", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999‸9", err(413, "body too large")),
    ("te-after-cl-at-its-colon", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding‸:",
     err(400, "both Content-Length and Transfer-Encoding")),
    ("coding-after-chunked-no-line-end", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,‸g",
     err(400, "chunked is not the final transfer coding")),
    ("expect-mismatch-no-line-end", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-cont‸x", err(417, "unsupported expectation")),
    ("chunk-size-bad-byte-no-line-end", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5‸z",
     err(400, "invalid chunk size")),
    ("chunk-ext-cr-without-lf", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a\r‸b",
     err(400, "CR not followed by LF")),
    ("trailers-cr-without-lf", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r‸X",
     err(400, "CR not followed by LF")),
]

def main():
    ids = [v[0] for v in VECTORS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    with open("Tests/Vectors/http.jsonl", "w") as vectors, open("Tests/Vectors/http.expected.jsonl", "w") as expected:
        for vid, text, result in VECTORS:
            assert (result["end"] == "error") == (text.count(MARK) == 1), f"{vid}: a rejected stream has one marker, others none"
            if MARK in text:
                result = dict(result, offset=len(text[:text.index(MARK)].encode("latin-1")))
                text = text.replace(MARK, "")
            vectors.write(json.dumps({"id": vid, "hex": text.encode("latin-1").hex()}) + "\n")
            expected.write(json.dumps(dict(result, id=vid), sort_keys=True) + "\n")

if __name__ == "__main__":
    main()
