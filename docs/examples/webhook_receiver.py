#!/usr/bin/env python3
"""Receive Dinghuo webhooks: verify the signature, drop replays and duplicates, print each event.

Standard library only. Against a local Dinghuo, both the server (which checks the URL when it is
subscribed) and the worker (which calls it) must be allowed to use 127.0.0.1:

    export DINGHUO_WEBHOOKS_ALLOW_PRIVATE=1
    dinghuo serve --port 8102 & dinghuo worker &               # or in two other terminals
    export DINGHUO_URL=http://127.0.0.1:8102 DINGHUO_KEY=dh_live_…   # a key with the webhooks.manage scope
    python docs/examples/webhook_receiver.py --subscribe        # subscribes this receiver, then listens

or, with a subscription made in the back office (设置 → Webhooks):

    DINGHUO_WEBHOOK_SECRET=whsec_… python docs/examples/webhook_receiver.py --port 8765
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE = 300  # seconds a signature stays acceptable


class InvalidSignature(ValueError):
    pass


_seen_signatures: dict[tuple[int, str], float] = {}
_seen_lock = threading.Lock()


def verify_signature(header: str | None, body: bytes, secrets: list[str], tolerance: int = TOLERANCE) -> bool:
    """The check from src/dinghuo/notify/verify.py: authentic, fresh and not seen before."""
    if not header:
        raise InvalidSignature("malformed")
    timestamp, given = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            given.append(value.strip().lower())
    if timestamp is None or not given:
        raise InvalidSignature("malformed")
    now = time.time()
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature("stale")
    signed = f"{timestamp}.".encode() + body
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    match = next((g for g in given for e in expected if hmac.compare_digest(g, e)), None)
    if match is None:
        raise InvalidSignature("mismatch")
    with _seen_lock:
        for key, expires in list(_seen_signatures.items()):
            if expires < now:
                del _seen_signatures[key]
        if (timestamp, match) in _seen_signatures:
            raise InvalidSignature("replayed")
        _seen_signatures[(timestamp, match)] = timestamp + tolerance
    return True


class Receiver(BaseHTTPRequestHandler):
    secrets: list[str] = []
    seen_events: set[str] = set()
    received = 0
    stop_after = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            verify_signature(self.headers.get("Dinghuo-Signature"), body, self.secrets)
        except InvalidSignature as exc:
            print(f"REJECTED ({exc}) {self.headers.get('Dinghuo-Event-Id')}", flush=True)
            self._answer(400, b"bad signature")
            return
        event = json.loads(body)
        self._answer(200, b"ok")  # answer fast; do the work after (or queue it)
        if event["id"] in self.seen_events:  # at-least-once delivery: a retry may repeat an event
            print(f"duplicate {event['id']} ignored", flush=True)
            return
        type(self).seen_events.add(event["id"])
        type(self).received += 1
        data = event["data"]
        summary = ", ".join(f"{k}={v}" for k, v in data.items() if k in {"number", "status", "from", "to", "total",
                                                                           "shipment", "tracking_no", "available"})  # fmt: skip
        print(f"{event['created_at'][:19]} {event['type']:22} {event['aggregate']['type']}:{event['aggregate']['id']:>6}"
              f"  {summary}  (attempt {self.headers.get('Dinghuo-Attempt')})", flush=True)  # fmt: skip
        if self.stop_after and type(self).received >= self.stop_after:
            threading.Thread(target=self.server.shutdown, daemon=True).start()

    def _answer(self, status: int, text: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args) -> None:
        pass


def subscribe(base: str, key: str, url: str) -> tuple[int, str]:
    if not base.startswith(("http://", "https://")):
        raise SystemExit("DINGHUO_URL must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (http(s) only: checked at start)
        f"{base}/api/v1/webhooks",
        data=json.dumps({"url": url, "events": ["*"], "description": "webhook_receiver.py"}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            sub = json.load(response)
    except urllib.error.HTTPError as exc:
        error = json.loads(exc.read() or b"{}")
        hint = ""
        if error.get("code") == "webhook_url_invalid":
            hint = "\n(a local URL: start `dinghuo serve` and `dinghuo worker` with DINGHUO_WEBHOOKS_ALLOW_PRIVATE=1)"
        raise SystemExit(f"subscribing failed: {exc.code} {error.get('code')}: {error.get('message')}{hint}")
    return sub["id"], sub["secret"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--subscribe", action="store_true", help="subscribe this receiver through the API first")
    parser.add_argument("--exit-after", type=int, default=0, help="stop after this many events (for scripts)")
    args = parser.parse_args()
    secrets = [s for s in os.environ.get("DINGHUO_WEBHOOK_SECRET", "").split(",") if s]
    if args.subscribe:
        base = os.environ.get("DINGHUO_URL", "http://127.0.0.1:8102").rstrip("/")
        sub_id, secret = subscribe(base, os.environ["DINGHUO_KEY"], f"http://127.0.0.1:{args.port}/hooks")
        print(f"subscribed as webhook {sub_id}; its secret is {secret}", flush=True)
        secrets.append(secret)
    if not secrets:
        sys.exit("set DINGHUO_WEBHOOK_SECRET (comma-separated during a rotation) or use --subscribe")
    Receiver.secrets, Receiver.stop_after = secrets, args.exit_after
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Receiver)
    print(f"listening on http://127.0.0.1:{args.port}/hooks", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    print(f"{Receiver.received} events received", flush=True)


if __name__ == "__main__":
    main()
