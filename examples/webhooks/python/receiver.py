#!/usr/bin/env python3
"""A wxgate webhook receiver: Python, standard library only.

    WXGATE_WEBHOOK_SECRET=whsec_... python3 receiver.py      # listens on 127.0.0.1:9100

Point a `call` webhook at http://127.0.0.1:9100/call and a `notify` webhook at
http://127.0.0.1:9100/notify (README, "Webhooks"). For every delivery it

1. verifies the Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
   `webhook-signature`) over the raw body, refusing timestamps more than 5 minutes off, so a
   captured delivery cannot be replayed later. With the `standardwebhooks` package installed
   (`pip install standardwebhooks`) it verifies with that; otherwise with the same algorithm
   written out below;
2. drops duplicates by `X-Wxgate-Event-Id` (notify delivery is at-least-once): a repeated
   notify is acknowledged and skipped, a repeated call gets the answer it got the first time;
3. answers a call for a text message with `{"reply": {"text": "You said: ..."}}`, and a
   subscribe with a welcome; anything else with `{}` (no reply: the next rule is tried).

Environment: WXGATE_WEBHOOK_SECRET (required), HOST (127.0.0.1), PORT (9100), and EVENTS_LOG:
a file to which every new event is appended as one JSON line (`{"path", "event_id", "body"}`).
The secret is never printed.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:  # the reference implementation, when installed
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError
except ImportError:  # the standard library is enough
    Webhook = None

TOLERANCE_S = 5 * 60
MAX_BODY = 1 << 20
SEEN_MAX = 100_000


def key_of(secret):
    """The HMAC key: base64 after `whsec_`, else the secret's UTF-8 bytes (contract section 6)."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):] + "==")
    return secret.encode()


def verify(secret, body, headers):
    """True when the delivery is signed with `secret` and fresh."""
    wanted = {k: headers.get(k, "") for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    if Webhook is not None:
        try:
            # A str secret is read as whsec_/base64, bytes as the key itself.
            hook = Webhook(secret if secret.startswith("whsec_") else secret.encode())
            hook.verify(body, wanted, json_parse=False)
            return True
        except (WebhookVerificationError, ValueError):
            return False
    msg_id, ts, signatures = wanted["webhook-id"], wanted["webhook-timestamp"], wanted["webhook-signature"]
    if not (msg_id and ts.isdigit() and signatures):
        return False
    if abs(time.time() - int(ts)) > TOLERANCE_S:
        return False
    mac = hmac.new(key_of(secret), f"{msg_id}.{ts}.".encode() + body, hashlib.sha256)
    expected = base64.b64encode(mac.digest()).decode()
    return any(
        s.startswith("v1,") and hmac.compare_digest(s[3:], expected) for s in signatures.split(" ")
    )


def answer_call(event):
    """The reply for a call: any reply kind of the config's `reply` works here."""
    if event.get("msg_type") == "text":
        return {"reply": {"text": "You said: " + event.get("fields", {}).get("Content", "")}}
    if (event.get("event") or "").lower() == "subscribe":
        return {"reply": {"text": "Welcome!"}}
    return {}


class Seen:
    """Event ids already handled, per path, with the answer given (bounded, oldest dropped).

    In memory for the example; a real receiver keeps them where it keeps the effect (the same
    database transaction), so that a crash cannot separate the two."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = OrderedDict()

    def get(self, key):
        with self.lock:
            return self.answers.get(key)

    def put(self, key, answer):
        with self.lock:
            self.answers[key] = answer
            while len(self.answers) > SEEN_MAX:
                self.answers.popitem(last=False)


class Handler(BaseHTTPRequestHandler):
    server_version = "wxgate-example-receiver"

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if path not in ("/call", "/notify"):
            return self.send(404, {"error": "unknown path"})
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self.send(413, {"error": "too large"})
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not verify(self.server.secret, body, headers):
            return self.send(401, {"error": "bad signature"})
        event_id = headers.get("x-wxgate-event-id") or headers.get("webhook-id", "")
        earlier = self.server.seen.get((path, event_id))
        if earlier is not None:
            return self.send(200, earlier)  # a duplicate: same answer, no second effect
        event = json.loads(body)
        answer = answer_call(event) if path == "/call" else {}
        self.server.record(path, event_id, event)
        self.server.seen.put((path, event_id), answer)
        self.send(200, answer)

    def send(self, status, value):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):  # one short line per request, on stderr
        sys.stderr.write((fmt % args) + "\n")


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, secret, events_log):
        super().__init__(address, Handler)
        self.secret = secret
        self.seen = Seen()
        self.events_log = events_log
        self.log_lock = threading.Lock()

    def record(self, path, event_id, event):
        """The effect of an event: here, a line in EVENTS_LOG."""
        if not self.events_log:
            return
        line = json.dumps({"path": path, "event_id": event_id, "body": event}, ensure_ascii=False)
        with self.log_lock, open(self.events_log, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def main():
    secret = os.environ.get("WXGATE_WEBHOOK_SECRET", "")
    if not secret:
        sys.exit("receiver.py: set WXGATE_WEBHOOK_SECRET to the webhook's secret")
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "9100"))
    server = Receiver((host, port), secret, os.environ.get("EVENTS_LOG"))
    how = "standardwebhooks" if Webhook is not None else "the standard library"
    print(f"listening on http://{host}:{server.server_address[1]} (verifying with {how})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
