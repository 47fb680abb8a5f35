"""Idempotency-Key for every POST of the API (invariant 7), on top of core/idempotency.py.

The key is scoped to the caller (``key:<api key id>`` or ``user:<user id>``) and bound to the
request: method, path and body. Inside the transaction that does the work:

- first time: the work runs and its response (status and body) is stored with it;
- same key, same request: the stored response is replayed, nothing runs again;
- same key, another request: 422 ``idempotency_key_reused``;
- same key while the first is still running: 409 ``idempotency_in_progress`` (retry later).

Records are kept ``IDEMPOTENCY_TTL_HOURS`` (default 24 h); a request that fails stores nothing,
so its retry runs.

A twin that commits in the instant between our check and our own record (PostgreSQL takes the
statement's snapshot before the advisory lock is granted) makes our record's insert hit the unique
constraint: the work is rolled back and the request runs once more, now replaying the twin's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Status

from dinghuo.core.audit import jsonable
from dinghuo.core.idempotency import IdempotencyKey, idempotency_claim, idempotency_record
from dinghuo.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def key_for(request: HttpRequest, body: Any, given: str | None = None) -> IdempotencyKey | None:
    raw = given if given is not None else request.headers.get(HEADER)
    if raw is None:
        return None
    actor = request.actor
    scope = f"key:{actor.api_key_id}" if actor.api_key_id else f"user:{actor.user_id}"
    return IdempotencyKey.of(
        scope=scope, key=raw, body={"method": request.method, "path": request.path, "body": jsonable(body)}
    )


def run(
    request: HttpRequest,
    *,
    body: Any,
    work: Callable[[], tuple[int, Any, tuple[str, Any]]],
    given: str | None = None,
) -> Status:
    """Run ``work`` → (status, response body, (resource type, id)) at most once per key."""
    key = key_for(request, body, given)
    if key is None:
        status, out, _resource = work()
        return Status(status, jsonable(out))
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                replay = idempotency_claim(key)
                if replay is not None:
                    return Status(replay.status, replay.body)
                status, out, resource = work()
                out = jsonable(out)
                idempotency_record(key, resource=resource, status=status, body=out).save()
        except IntegrityError:
            if attempt == 2 or not recorded(key):
                raise
            continue  # a twin finished meanwhile: its answer is replayed
        return Status(status, out)
    raise AssertionError("unreachable")


def recorded(key: IdempotencyKey | None) -> bool:
    """Whether a request with this key has finished (committed its record), e.g. a twin's."""
    return key is not None and IdempotencyRecord.objects.filter(scope=key.scope, key=key.key).exists()


def store_body(key: IdempotencyKey, body: Any) -> None:
    """Replace the stored body of a key recorded in this transaction (order placement records its own)."""
    IdempotencyRecord.objects.filter(scope=key.scope, key=key.key).update(response_body=jsonable(body))


def stored(key: IdempotencyKey) -> tuple[int, Any] | None:
    row = IdempotencyRecord.objects.filter(scope=key.scope, key=key.key).values_list("response_status", "response_body")
    found = row.first()
    return (found[0] or 200, found[1]) if found else None
