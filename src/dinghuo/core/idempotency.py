"""Idempotency-Key handling inside the transaction that does the work (invariant 7).

    with transaction.atomic():
        replay = idempotency_claim(key)      # 409 if a twin request is running, 422 if reused with another body
        if replay: return replay             # the resource the first request created
        … do the work …
        idempotency_record(key, resource=("order", order.pk), status=201)

The record is written in the same transaction as the work, so a request whose connection dies
leaves nothing behind and its retry simply runs. On PostgreSQL a concurrent twin is detected
without waiting by a transaction-scoped advisory lock on the key (``pg_try_advisory_xact_lock``),
and the check for a finished twin is made in the same statement after the lock is held. SQLite
serialises writers, so the twin simply runs after and finds the record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dinghuo.core.audit import jsonable
from dinghuo.core.errors import Conflict, DomainError
from dinghuo.core.models import IdempotencyRecord
from dinghuo.core.tenancy import current_tenant_id


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    message_template = _("This Idempotency-Key was already used with a different request.")


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    message_template = _("A request with this Idempotency-Key is still being processed; retry shortly.")


class IdempotencyKeyInvalid(DomainError):
    code = "idempotency_key_invalid"
    status = 400
    message_template = _("The Idempotency-Key must be 1 to 100 printable characters.")


@dataclass(frozen=True)
class IdempotencyKey:
    scope: str  # who: "user:42", "key:7"
    key: str
    request_hash: str

    @classmethod
    def of(cls, *, scope: str, key: str, body: Any) -> IdempotencyKey:
        key = (key or "").strip()
        if not key or len(key) > 100 or not key.isprintable():
            raise IdempotencyKeyInvalid(detail={"Idempotency-Key": key[:100]})
        blob = json.dumps(jsonable(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return cls(scope=scope, key=key, request_hash=hashlib.sha256(blob.encode()).hexdigest())

    @property
    def lock_id(self) -> int:
        digest = hashlib.sha256(f"{current_tenant_id()}:{self.scope}:{self.key}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True)
class Replay:
    resource_type: str
    resource_id: str
    status: int
    body: Any


def idempotency_claim(key: IdempotencyKey) -> Replay | None:
    """Inside the work's transaction: None to go ahead, a Replay of the earlier result, or raise."""
    if not connection.in_atomic_block:
        raise RuntimeError("idempotency_claim must run inside the transaction that does the work")
    table = IdempotencyRecord._meta.db_table
    now = timezone.now()
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT pg_try_advisory_xact_lock(%s), r.request_hash, r.resource_type, r.resource_id, r.response_status, "
            f"r.response_body, r.expires_at FROM (SELECT 1) AS one LEFT JOIN {table} r ON r.tenant_id = %s "
            "AND r.scope = %s AND r.key = %s"
        )
        params = [key.lock_id, current_tenant_id(), key.scope, key.key]
    else:
        sql = (
            f"SELECT 1, r.request_hash, r.resource_type, r.resource_id, r.response_status, r.response_body, r.expires_at "
            f"FROM (SELECT 1) AS one LEFT JOIN {table} r ON r.tenant_id = %s AND r.scope = %s AND r.key = %s"
        )
        params = [current_tenant_id(), key.scope, key.key]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        locked, request_hash, rtype, rid, status, body, expires_at = cursor.fetchone()
    if not locked:
        raise IdempotencyInProgress(detail={"Idempotency-Key": key.key})
    if request_hash is None:
        return None
    if isinstance(expires_at, str):
        expires_at = dt.datetime.fromisoformat(expires_at)
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at, dt.UTC)
    if expires_at is not None and expires_at <= now:
        # Kept past its time: the key is free again.
        IdempotencyRecord.objects.filter(scope=key.scope, key=key.key).delete()
        return None
    if request_hash != key.request_hash:
        raise IdempotencyKeyReused(detail={"Idempotency-Key": key.key})
    if isinstance(body, str):
        body = json.loads(body)
    return Replay(resource_type=rtype, resource_id=rid, status=status or 200, body=body)


def idempotency_record(
    key: IdempotencyKey, *, resource: tuple[str, Any], status: int = 201, body: Any = None
) -> IdempotencyRecord:
    """The unsaved record; the caller inserts it with its other rows (or calls .save())."""
    now = timezone.now()
    return IdempotencyRecord(
        scope=key.scope,
        key=key.key,
        request_hash=key.request_hash,
        state=IdempotencyRecord.State.DONE,
        response_status=status,
        response_body=jsonable(body),
        resource_type=resource[0],
        resource_id=str(resource[1]),
        expires_at=now + dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS),
    )


def purge_expired() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
