"""Signing and verifying Dinghuo webhooks. Standard library only: copy this file into a receiver.

Every delivery carries::

    Dinghuo-Signature: t=1767225600,v1=5257a869…[,v1=<signature with the previous secret>]

where ``v1`` is the hex HMAC-SHA256, keyed with the subscription's secret, of
``"<t>." + <the raw request body>``. While a secret is being rotated, the previous secret signs
too (a second ``v1``), so a receiver that still has the old secret keeps accepting deliveries.

A receiver calls ``verify_signature(header, raw_body, [secret])`` before trusting the body. It
raises ``InvalidSignature`` (``reason``: malformed, stale, mismatch or replayed) when the header
is missing or garbled, the timestamp is more than ``tolerance`` seconds away from now, no
signature matches (the body or header was tampered with, or the secret is wrong), or the same
signature was already accepted within the tolerance window (a replay). Accepted signatures are
remembered in memory per process; with several receiver processes pass a ``replay_cache`` backed
by shared storage (or deduplicate on the event id, which every delivery of one event shares).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterable

HEADER = "Dinghuo-Signature"
SCHEME = "v1"


class InvalidSignature(ValueError):
    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


def compute(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secrets: Iterable[str], timestamp: int | None = None) -> str:
    """``t=<unix>,v1=<hex>[,v1=<hex>]``: one signature per secret (current first)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return ",".join([f"t={t}", *(f"{SCHEME}={compute(s, t, body)}" for s in secrets if s)])


def parse_header(header: str | None) -> tuple[int, list[str]]:
    if not header or len(header) > 2000:
        raise InvalidSignature("malformed", "no signature header")
    timestamp, signatures = None, []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise InvalidSignature("malformed", "signature header is not key=value pairs")
        if name == "t":
            if not value.isdigit() or len(value) > 12:
                raise InvalidSignature("malformed", "bad timestamp")
            timestamp = int(value)
        elif name == SCHEME:
            signatures.append(value.strip().lower())
    if timestamp is None or not signatures:
        raise InvalidSignature("malformed", "signature header lacks t or v1")
    return timestamp, signatures


class ReplayCache:
    """Signatures accepted within the tolerance window, in memory (thread-safe)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, str], float] = {}
        self._lock = threading.Lock()

    def add(self, key: tuple[int, str], expires_at: float, now: float) -> bool:
        """Remember ``key`` until ``expires_at``; False if it was already there (a replay)."""
        with self._lock:
            if len(self._seen) > 1000:
                self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
            if self._seen.get(key, 0) > now:
                return False
            self._seen[key] = expires_at
            return True


_SEEN = ReplayCache()


def verify_signature(
    header: str | None,
    body: bytes | str,
    secrets: Iterable[str],
    tolerance: int = 300,
    *,
    now: float | None = None,
    replay_cache: ReplayCache | None = _SEEN,
) -> bool:
    """True for an authentic, fresh, first-seen delivery; raise InvalidSignature otherwise."""
    if isinstance(body, str):
        body = body.encode()
    timestamp, given = parse_header(header)
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature("stale", "timestamp outside the tolerance window")
    expected = [compute(s, timestamp, body) for s in secrets if s]
    matched = next((g for g in given for e in expected if hmac.compare_digest(g, e)), None)
    if matched is None:
        raise InvalidSignature("mismatch", "no signature matches")
    if replay_cache is not None and not replay_cache.add((timestamp, matched), timestamp + tolerance, now):
        raise InvalidSignature("replayed", "this delivery was already accepted")
    return True
