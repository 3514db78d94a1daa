#!/usr/bin/env python3
"""An OTLP/HTTP JSON trace receiver for the tests: it checks each export against the official
schema and records what it got.

POST <prefix>/v1/traces takes an ExportTraceServiceRequest in the OTLP/JSON encoding. The body
is parsed with protobuf's strict JSON parser (google.protobuf.json_format.Parse, unknown fields
refused) into the message class of the opentelemetry-proto package, after checking the rules
the OTLP/JSON encoding adds to the proto3 mapping: trace and span ids are hex strings (turned
into base64 for the parser, which expects bytes so), enums are integers, 64-bit integers are
decimal strings. A valid export is answered 200 with an empty ExportTraceServiceResponse, an
invalid one 400; scripted answers (429/503 with Retry-After, delays) come first when a test
has queued them.

Each test uses its own path prefix (its namespace), so tests running at once do not mix:
  POST /control/script?ns=NS   body {"responses": [{"status": 503, "retry_after": "1", "delay": 0.5}]}
  GET  /control/requests?ns=NS answers {"requests": [...]}: per export its status, whether it was
                               valid (and why not), its headers, the client's port, the time it
                               arrived (`time`, monotonic seconds; `wallTime`, seconds since the epoch), and the parsed
                               request with ids in hex
  POST /control/reset?ns=NS
The namespace of an export is its path without the trailing /v1/traces ("/a/b/v1/traces" is "/a/b").

Usage: otlp-receiver.py PORT
"""
import base64
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")

lock = threading.Lock()
records = {}   # namespace -> list of request records
scripts = {}   # namespace -> list of scripted responses


class Invalid(Exception):
    pass


def check_string_integer(value, where):
    if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]+", value):
        raise Invalid(f"{where} must be a 64-bit integer written as a decimal string, got {value!r}")


def check_any_value(value, where):
    if not isinstance(value, dict) or len(value) != 1:
        raise Invalid(f"{where} must be an AnyValue with exactly one field, got {value!r}")
    (kind, inner), = value.items()
    if kind == "intValue":
        check_string_integer(inner, where + ".intValue")
    elif kind == "arrayValue":
        for index, element in enumerate(inner.get("values", [])):
            check_any_value(element, f"{where}.arrayValue.values[{index}]")


def check_attributes(holder, where):
    for index, attribute in enumerate(holder.get("attributes", [])):
        check_any_value(attribute.get("value"), f"{where}.attributes[{index}]")


def convert_id(holder, field, pattern, where, optional=False):
    """Checks an id is lowercase hex of the right length and rewrites it as base64 for the parser."""
    if field not in holder:
        if optional:
            return
        raise Invalid(f"{where}.{field} is missing")
    value = holder[field]
    if optional and value == "":
        return
    if not isinstance(value, str) or not pattern.match(value):
        raise Invalid(f"{where}.{field} must be lowercase hex of {len(pattern.pattern) - 2} characters, got {value!r}")
    holder[field] = base64.b64encode(bytes.fromhex(value)).decode()


def validate(body):
    """Parses the body strictly; returns the ExportTraceServiceRequest or raises Invalid."""
    try:
        document = json.loads(body)
    except ValueError as error:
        raise Invalid(f"not JSON: {error}")
    for r, resource_spans in enumerate(document.get("resourceSpans", [])):
        check_attributes(resource_spans.get("resource", {}), f"resourceSpans[{r}].resource")
        for s, scope_spans in enumerate(resource_spans.get("scopeSpans", [])):
            for p, span in enumerate(scope_spans.get("spans", [])):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{p}]"
                convert_id(span, "traceId", HEX32, where)
                convert_id(span, "spanId", HEX16, where)
                convert_id(span, "parentSpanId", HEX16, where, optional=True)
                for field in ("startTimeUnixNano", "endTimeUnixNano"):
                    check_string_integer(span.get(field), f"{where}.{field}")
                if not isinstance(span.get("kind", 0), int):
                    raise Invalid(f"{where}.kind must be an integer enum, got {span.get('kind')!r}")
                if not isinstance(span.get("status", {}).get("code", 0), int):
                    raise Invalid(f"{where}.status.code must be an integer enum")
                check_attributes(span, where)
                for e, event in enumerate(span.get("events", [])):
                    check_string_integer(event.get("timeUnixNano"), f"{where}.events[{e}].timeUnixNano")
                    check_attributes(event, f"{where}.events[{e}]")
                for k, link in enumerate(span.get("links", [])):
                    convert_id(link, "traceId", HEX32, f"{where}.links[{k}]")
                    convert_id(link, "spanId", HEX16, f"{where}.links[{k}]")
                    check_attributes(link, f"{where}.links[{k}]")
    try:
        return json_format.Parse(json.dumps(document), ExportTraceServiceRequest(), ignore_unknown_fields=False)
    except json_format.ParseError as error:
        raise Invalid(f"rejected by the protobuf JSON parser: {error}")


def any_value(value):
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return {"string": value.string_value}
    if kind == "int_value":
        return {"int": value.int_value}
    if kind == "double_value":
        return {"double": value.double_value}
    if kind == "bool_value":
        return {"bool": value.bool_value}
    if kind == "array_value":
        return {"array": [any_value(element) for element in value.array_value.values]}
    return {kind: str(value)}


def attributes(items):
    return {item.key: any_value(item.value) for item in items}


def summary(request):
    """The parsed request in plain JSON for the tests: ids as hex, values tagged with their type."""
    out = []
    for resource_spans in request.resource_spans:
        scopes = []
        for scope_spans in resource_spans.scope_spans:
            spans = []
            for span in scope_spans.spans:
                spans.append({
                    "traceId": span.trace_id.hex(), "spanId": span.span_id.hex(),
                    "parentSpanId": span.parent_span_id.hex(), "traceState": span.trace_state,
                    "flags": span.flags, "name": span.name, "kind": span.kind,
                    "startTimeUnixNano": str(span.start_time_unix_nano), "endTimeUnixNano": str(span.end_time_unix_nano),
                    "attributes": attributes(span.attributes), "droppedAttributesCount": span.dropped_attributes_count,
                    "events": [{"name": event.name, "timeUnixNano": str(event.time_unix_nano), "attributes": attributes(event.attributes)}
                               for event in span.events],
                    "links": [{"traceId": link.trace_id.hex(), "spanId": link.span_id.hex(), "traceState": link.trace_state,
                               "flags": link.flags, "attributes": attributes(link.attributes)} for link in span.links],
                    "status": {"code": span.status.code, "message": span.status.message},
                })
            scopes.append({"scope": {"name": scope_spans.scope.name, "version": scope_spans.scope.version}, "spans": spans})
        out.append({"resource": attributes(resource_spans.resource.attributes), "scopeSpans": scopes})
    return {"resourceSpans": out}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, so the client's connection reuse is exercised

    def log_message(self, format, *args):
        pass

    def answer(self, status, body=b"", content_type="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length)

    def namespace(self):
        return parse_qs(urlsplit(self.path).query).get("ns", [""])[0]

    def do_GET(self):
        if urlsplit(self.path).path == "/control/requests":
            with lock:
                body = json.dumps({"requests": records.get(self.namespace(), [])}).encode()
            return self.answer(200, body)
        if urlsplit(self.path).path == "/health":
            return self.answer(200, b"{}")
        self.answer(404, b"{}")

    def do_POST(self):
        path = urlsplit(self.path).path
        body = self.read_body()
        if path == "/control/script":
            with lock:
                scripts.setdefault(self.namespace(), []).extend(json.loads(body)["responses"])
            return self.answer(200, b"{}")
        if path == "/control/reset":
            with lock:
                records.pop(self.namespace(), None)
                scripts.pop(self.namespace(), None)
            return self.answer(200, b"{}")
        if not path.endswith("/v1/traces"):
            return self.answer(404, b"{}")
        namespace = path[: -len("/v1/traces")]
        record = {
            "time": time.monotonic(), "wallTime": time.time(), "clientPort": self.client_address[1],
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "contentType": self.headers.get("Content-Type", ""), "valid": False, "error": None, "request": None,
        }
        try:
            if record["contentType"] != "application/json":
                raise Invalid(f"Content-Type is {record['contentType']!r}, not application/json")
            record["request"] = summary(validate(body))
            record["valid"] = True
        except Invalid as error:
            record["error"] = str(error)
        with lock:
            queued = scripts.get(namespace, [])
            scripted = queued.pop(0) if queued else None
        status = 200 if record["valid"] else 400
        extra = []
        if scripted:
            status = scripted.get("status", status)
            if "retry_after" in scripted:
                extra.append(("Retry-After", scripted["retry_after"]))
        record["status"] = status
        with lock:
            records.setdefault(namespace, []).append(record)
        if scripted and scripted.get("delay"):
            time.sleep(scripted["delay"])
        try:
            self.answer(status, b"{}" if status == 200 else json.dumps({"error": record["error"] or "scripted"}).encode(), extra=extra)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Receiver(ThreadingHTTPServer):
    # The whole test suite connects at once; the default backlog of 5 dropped connections.
    request_queue_size = 256


def main():
    port = int(sys.argv[1])
    server = Receiver(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"otlp-receiver listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
