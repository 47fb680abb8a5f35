"""Load driver: places orders through the real HTTP API, as a separate process.

A small asyncio HTTP/1.1 client with keep-alive connections (no third-party client, so the driver
costs as little CPU as possible on a machine it shares with the server and the database).

- closed loop: N clients, each sending its next order as soon as the previous one answered;
- open loop: orders arrive at a fixed rate whatever the latency (a latency spike is not hidden by
  the clients slowing down — coordinated omission avoided by timing from the scheduled send time).

Prints orders/s, p50/p95/p99 latency and errors by status.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Result:
    sent: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    statuses: Counter = field(default_factory=Counter)
    duration: float = 0.0

    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] * 1000

    def summary(self) -> dict:
        return {
            "orders_per_s": self.ok() / self.duration if self.duration else 0.0,
            "sent": self.sent,
            "ok": self.ok(),
            "p50_ms": self.pct(50),
            "p95_ms": self.pct(95),
            "p99_ms": self.pct(99),
            "mean_ms": statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan"),
            "statuses": dict(sorted(self.statuses.items())),
            "errors_5xx": sum(n for s, n in self.statuses.items() if s >= 500),
        }


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError
                status = int(status_line.split()[1])
                length, close = 0, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value.strip())
                    elif name.lower() == "connection" and value.strip().lower() == "close":
                        close = True
                data = await self.reader.readexactly(length) if length else b""
                if close:
                    self.close()
                return status, data
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                self.close()
                if attempt:
                    raise
        raise ConnectionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class OrderMaker:
    """Builds order bodies: `lines` lines of random SKUs, or always including one hot SKU."""

    dealers: list[int]
    skus: list[int]
    lines: int = 10
    hot_sku: int | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def body(self) -> bytes:
        picks = self.rng.sample(self.skus, self.lines)
        if self.hot_sku is not None:
            picks[0] = self.hot_sku
        lines = [{"sku_id": s, "qty": "1", "unit": "箱"} for s in picks]
        return json.dumps({"dealer_id": self.rng.choice(self.dealers), "lines": lines}).encode()


async def _send(conn: Connection, url_path: str, maker: OrderMaker, token: str, result: Result, started: float) -> None:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": f"bench-{random.getrandbits(64):x}",
    }
    result.sent += 1
    try:
        status, _data = await conn.request("POST", url_path, maker.body(), headers)
    except Exception:
        result.statuses[-1] += 1
        return
    result.statuses[status] += 1
    if 200 <= status < 300:
        result.latencies.append(time.perf_counter() - started)


async def closed_loop(url: str, token: str, maker: OrderMaker, *, clients: int, seconds: float) -> Result:
    parts = urlsplit(url)
    result = Result()
    deadline = time.perf_counter() + seconds

    async def client():
        conn = Connection(parts.hostname, parts.port or 80)
        while time.perf_counter() < deadline:
            await _send(conn, parts.path, maker, token, result, time.perf_counter())
        conn.close()

    begin = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.duration = time.perf_counter() - begin
    return result


async def open_loop(
    url: str, token: str, maker: OrderMaker, *, rate: float, seconds: float, max_conns: int = 64
) -> Result:
    parts = urlsplit(url)
    result = Result()
    idle: list[Connection] = [Connection(parts.hostname, parts.port or 80) for _ in range(max_conns)]
    slots = asyncio.Semaphore(max_conns)
    tasks = []

    async def one(scheduled: float):
        async with slots:
            conn = idle.pop()
            try:
                await _send(conn, parts.path, maker, token, result, scheduled)
            finally:
                idle.append(conn)

    begin = time.perf_counter()
    n = int(rate * seconds)
    for i in range(n):
        scheduled = begin + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    result.duration = time.perf_counter() - begin
    for conn in idle:
        conn.close()
    return result


def run_closed(url: str, token: str, maker: OrderMaker, *, clients: int, seconds: float) -> dict:
    return asyncio.run(closed_loop(url, token, maker, clients=clients, seconds=seconds)).summary()


def run_open(url: str, token: str, maker: OrderMaker, *, rate: float, seconds: float) -> dict:
    return asyncio.run(open_loop(url, token, maker, rate=rate, seconds=seconds)).summary()
