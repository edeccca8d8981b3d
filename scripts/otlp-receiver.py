#!/usr/bin/env python3
"""A loopback OTLP/HTTP trace receiver for the tests (SPEC §14): decodes each export with the OpenTelemetry project's
own protobuf definitions (PyPI opentelemetry-proto) and appends every span to a JSON-lines file. Prints its port on
the first line of standard output. Usage: otlp-receiver.py SPANS.jsonl, or otlp-receiver.py --discard (the
benchmark's collector: it answers without decoding or keeping anything); add --until-stdin-closes to exit when the
process that started it closes its standard input or dies, so a test that fails half-way leaves no receiver behind."""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

OUT = None if sys.argv[1] == "--discard" else sys.argv[1]


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if OUT and self.path == "/v1/traces" and self.headers.get("Content-Type") == "application/x-protobuf":
            lines = []
            for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
                service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}.get("service.name")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        lines.append(json.dumps({
                            "service": service, "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(), "name": span.name, "kind": span.kind,
                            "attributes": {a.key: (a.value.string_value or a.value.int_value) for a in span.attributes},
                        }))
            with open(OUT, "a") as spans:
                spans.write("".join(line + "\n" for line in lines))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


if "--until-stdin-closes" in sys.argv[2:]:
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
server.serve_forever()
