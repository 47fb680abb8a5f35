"""Outbound webhook POSTs that cannot be pointed at the inside of the network (SSRF).

The host is resolved once and EVERY address it resolves to must be public (not private,
loopback, link-local, reserved, multicast, unspecified or shared address space; IPv4-mapped IPv6
addresses are checked as IPv4); the connection then goes to that checked address (so a DNS answer
that changes between the check and the connect cannot redirect it), with the URL's host name kept
for the Host header and TLS verification. Redirects are not followed (a 3xx is a failed attempt).
``DINGHUO_WEBHOOKS_ALLOW_PRIVATE=1`` (or settings.WEBHOOKS_ALLOW_PRIVATE) lifts the address check
for development and tests. Standard library only.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_RESPONSE = 64 * 1024


class UnsafeDestination(Exception):
    pass


@dataclass(frozen=True)
class PostResult:
    status: int | None
    ms: int
    error: str = ""
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def allow_private() -> bool:
    configured = getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", None)
    if configured is not None:
        return bool(configured)
    return os.environ.get("DINGHUO_WEBHOOKS_ALLOW_PRIVATE", "").strip().lower() in {"1", "true", "yes", "on"}


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in (ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if inner is not None and not is_public(str(inner)):
                return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a usable webhook URL, without touching the network."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise UnsafeDestination("only http and https URLs")
    if not parts.hostname:
        raise UnsafeDestination("no host")
    if parts.username or parts.password:
        raise UnsafeDestination("credentials in the URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeDestination("bad port")
    host = parts.hostname
    if not allow_private():
        literal = None
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
                raise UnsafeDestination("a local host name")
        if literal is not None and not is_public(str(literal)):
            raise UnsafeDestination(f"a private address ({host})")
    return parts.scheme, host, port


def resolve(host: str, port: int) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeDestination(f"cannot resolve {host}: {exc.strerror or exc}")
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeDestination(f"cannot resolve {host}")
    if not allow_private():
        bad = [a for a in addresses if not is_public(a)]
        if bad:
            raise UnsafeDestination(f"{host} resolves to a private address ({bad[0]})")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 10.0) -> PostResult:
    """POST ``body``; never raises for network trouble (the error is in the result)."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port = check_url(url)
        address = resolve(host, port)
    except UnsafeDestination as exc:
        return PostResult(status=None, ms=elapsed(), error=f"refused: {exc}"[:300])
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    conn = cls(host, port, address, timeout)
    try:
        conn.request("POST", target, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = conn.getresponse()
        excerpt = response.read(MAX_RESPONSE)[:300].decode("utf-8", "replace")
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        kind = "timeout" if isinstance(exc, TimeoutError | socket.timeout) else type(exc).__name__
        return PostResult(status=None, ms=elapsed(), error=f"{kind}: {exc}"[:300])
    finally:
        conn.close()
    error = ""
    if 300 <= status < 400:
        error = "redirects are not followed"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    return PostResult(status=status, ms=elapsed(), error=error, excerpt=excerpt)
