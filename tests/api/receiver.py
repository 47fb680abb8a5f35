"""A webhook receiver for tests: a threading HTTP server on 127.0.0.1 that records (and verifies) what it gets."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, *, status: int = 200) -> None:
        self.status = status  # or a callable(body dict, headers) -> int
        self.received: list[dict] = []
        self.hold = threading.Event()  # set: the next request blocks until released
        self.released = threading.Event()
        self.holding = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.hold.is_set():
                    receiver.hold.clear()
                    receiver.holding.set()
                    receiver.released.wait(30)
                    self.connection.close()  # the worker is gone by now; answer nothing
                    return
                doc = json.loads(body)
                with receiver._lock:
                    receiver.received.append(
                        {"body": doc, "raw": body, "headers": dict(self.headers), "at": time.monotonic()}
                    )
                status = receiver.status(doc, self.headers) if callable(receiver.status) else receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def event_ids(self) -> list[int]:
        with self._lock:
            return [int(r["body"]["id"].removeprefix("evt_")) for r in self.received]
