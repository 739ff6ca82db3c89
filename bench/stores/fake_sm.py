#!/usr/bin/env python3
"""A tiny Secrets Manager (GetSecretValue, and an empty ListSecrets) for dsops's benchmark and fault
tests: a fixed delay per request, throttling on demand, and a record of the
access key id each request was signed with. Standard library only.

Usage:
  python3 fake_sm.py [--port 0] [--delay-ms N] [--throttle-first N]
                     [--throttle-always] [--hang]

Prints one line "READY http://127.0.0.1:PORT" on stdout once listening.

Wire (awsJson1.1, as the AWS SDKs speak it): POST / with
"X-Amz-Target: secretsmanager.GetSecretValue" and a JSON body
{"SecretId": ID, ...}. The answer's SecretString is "value-of-ID"; an ID
starting with "missing/" answers ResourceNotFoundException. Throttled
requests answer HTTP 400 ThrottlingException, as the service does.

Control: GET /_control/requests -> {"count": N, "throttled": N,
"akids": [access key ids in order], "regions": [...], "tokens": [bool: had
an X-Amz-Security-Token], "ids": [SecretId asked, or null]}.
"""

import argparse
import http.server
import json
import re
import sys
import threading
import time

LOCK = threading.Lock()
STATE = {"count": 0, "throttled": 0, "akids": [], "regions": [], "tokens": [], "ids": []}
CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj, error_type=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/_control/requests"):
            with LOCK:
                return self.reply(200, STATE)
        self.reply(404, {"message": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        opts = self.server.opts
        if opts.hang:
            time.sleep(3600)
            return
        m = CREDENTIAL.search(self.headers.get("Authorization") or "")
        try:
            asked = json.loads(raw or b"{}").get("SecretId")
        except (ValueError, AttributeError):
            asked = None
        with LOCK:
            STATE["count"] += 1
            n = STATE["count"]
            STATE["akids"].append(m.group(1) if m else None)
            STATE["regions"].append(m.group(2) if m else None)
            STATE["tokens"].append(bool(self.headers.get("X-Amz-Security-Token")))
            STATE["ids"].append(asked)
            throttle = opts.throttle_always or n <= opts.throttle_first
            if throttle:
                STATE["throttled"] += 1
        if opts.delay_ms:
            time.sleep(opts.delay_ms / 1000.0)
        if throttle:
            return self.reply(400, {"__type": "ThrottlingException", "message": "Rate exceeded"},
                              "ThrottlingException")
        target = self.headers.get("X-Amz-Target") or ""
        if target == "secretsmanager.ListSecrets":
            return self.reply(200, {"SecretList": []})
        if target != "secretsmanager.GetSecretValue":
            return self.reply(400, {"__type": "InvalidRequestException",
                                    "message": "only GetSecretValue is served here"})
        try:
            secret_id = json.loads(raw or b"{}")["SecretId"]
        except (ValueError, KeyError):
            return self.reply(400, {"__type": "InvalidParameterException",
                                    "message": "SecretId is required"})
        if secret_id.startswith("missing/"):
            return self.reply(400, {"__type": "ResourceNotFoundException",
                                    "message": "Secrets Manager can't find the specified secret."})
        self.reply(200, {
            "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + secret_id,
            "Name": secret_id,
            "SecretString": "value-of-" + secret_id,
            "VersionId": "00000000-0000-0000-0000-000000000001",
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": 1700000000.0,
        })


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--throttle-first", type=int, default=0)
    p.add_argument("--throttle-always", action="store_true")
    p.add_argument("--hang", action="store_true")
    opts = p.parse_args()
    srv = Server(("127.0.0.1", opts.port), Handler)
    srv.opts = opts
    print(f"READY http://127.0.0.1:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
