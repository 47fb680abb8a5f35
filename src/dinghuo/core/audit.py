"""The append-only, hash-chained audit log.

Every change of order, stock, credit or price calls ``audit_write`` inside the transaction that
makes the change. Rows of one tenant form ``AUDIT_STREAMS`` independent chains: each row stores
the previous row's hash and its own hash over its contents, and ``AuditChainHead`` holds each
chain's last link. A writer picks a chain, locks its head, appends its rows and moves the head —
three statements, whatever the number of events. ``audit_verify`` walks every chain and names the
first row that was edited (hash mismatch), deleted (sequence gap, or a head ahead of its chain) or
inserted out of band.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from dinghuo.core.models import AuditChainHead, AuditEntry
from dinghuo.core.tenancy import Actor, TenantContextMissing, current_actor, current_tenant_id

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    action: str
    obj_type: str
    obj_id: Any
    obj_repr: str = ""
    before: dict | None = None
    after: dict | None = None
    reason: str = ""

    @classmethod
    def of(cls, action: str, obj: models.Model, **kwargs: Any) -> AuditEvent:
        return cls(action=action, obj_type=obj._meta.label_lower, obj_id=obj.pk, obj_repr=str(obj)[:200], **kwargs)


def jsonable(value: Any) -> Any:
    """What we store is exactly what we hash: plain JSON, Decimals and times as strings."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most of an order's values
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError("audit values must not be float")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def snapshot(obj: models.Model, fields: Sequence[str]) -> dict:
    return jsonable({f: getattr(obj, f"{f}_id" if _is_fk(obj, f) else f) for f in fields})


def _is_fk(obj: models.Model, name: str) -> bool:
    try:
        field = obj._meta.get_field(name)
    except Exception:
        return False
    return bool(getattr(field, "many_to_one", False))


def _digest(row: AuditEntry) -> str:
    payload = {
        "tenant": row.tenant_id,
        "stream": row.stream,
        "seq": row.seq,
        "prev": row.prev_hash,
        "at": row.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor": row.actor_label,
        "via": row.via,
        "action": row.action,
        "type": row.object_type,
        "id": row.object_id,
        "repr": row.object_repr,
        "before": row.before,
        "after": row.after,
        "reason": row.reason,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def ensure_chain_heads(tenant_id: int) -> None:
    existing = set(AuditChainHead.unscoped.filter(tenant_id=tenant_id).values_list("stream", flat=True))
    AuditChainHead.unscoped.bulk_create(
        [AuditChainHead(tenant_id=tenant_id, stream=s) for s in range(settings.AUDIT_STREAMS) if s not in existing],
        ignore_conflicts=True,
    )


def audit_write(*, events: Sequence[AuditEvent], actor: Actor | None = None) -> None:
    """Append ``events`` to the current tenant's log, in the caller's transaction."""
    if not events:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("audit_write must run inside the transaction that makes the change")
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextMissing("audit_write needs a tenant context")
    actor = actor or current_actor() or Actor.system(tenant_id)
    from dinghuo.core.locks import lock_audit_head

    head = lock_audit_head(tenant_id=tenant_id, stream=random.randrange(settings.AUDIT_STREAMS))
    now = timezone.now()
    prev, seq = head.hash, head.seq
    rows = []
    for event in events:
        seq += 1
        row = AuditEntry(
            tenant_id=tenant_id,
            stream=head.stream,
            seq=seq,
            created_at=now,
            actor_id=actor.user_id,
            actor_label=(actor.label or actor.role)[:120],
            via=actor.via,
            action=event.action,
            object_type=event.obj_type,
            object_id=str(event.obj_id),
            object_repr=event.obj_repr[:200],
            before=jsonable(event.before),
            after=jsonable(event.after),
            reason=(event.reason or "")[:500],
            prev_hash=prev,
        )
        row.hash = prev = _digest(row)
        rows.append(row)
    # Rows and the moved head in one statement on PostgreSQL (two elsewhere).
    from dinghuo.core.bulkwrite import insert_all

    head_table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    insert_all([rows], then=(f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = %s", [seq, prev, head.pk]))


@dataclass(frozen=True)
class Break:
    tenant_id: int
    stream: int
    seq: int
    entry_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"tenant {self.tenant_id} chain {self.stream} position {self.seq}"
        if self.entry_id:
            where += f" (audit entry #{self.entry_id})"
        return f"{where}: {self.problem}"


def _walk(tenant_id: int, stream: int) -> Iterator[AuditEntry]:
    yield from (
        AuditEntry.unscoped.filter(tenant_id=tenant_id, stream=stream).order_by("seq").iterator(chunk_size=2000)
    )


def audit_verify(tenant_id: int) -> tuple[int, Break | None]:
    """Walk every chain of a tenant; return (rows checked, first break or None)."""
    heads = {h.stream: h for h in AuditChainHead.unscoped.filter(tenant_id=tenant_id)}
    streams = sorted(
        set(heads) | set(AuditEntry.unscoped.filter(tenant_id=tenant_id).values_list("stream", flat=True).distinct())
    )
    checked = 0
    for stream in streams:
        prev, expected = GENESIS, 1
        for row in _walk(tenant_id, stream):
            checked += 1
            if row.seq != expected:
                missing = f"{expected}" if row.seq == expected + 1 else f"{expected}–{row.seq - 1}"
                return checked, Break(tenant_id, stream, expected, None, f"row(s) {missing} deleted")
            if row.prev_hash != prev:
                return checked, Break(tenant_id, stream, row.seq, row.pk, "link to the previous row broken")
            if _digest(row) != row.hash:
                return checked, Break(tenant_id, stream, row.seq, row.pk, "contents edited (hash mismatch)")
            prev, expected = row.hash, expected + 1
        head = heads.get(stream)
        last = expected - 1
        if head is None:
            return checked, Break(tenant_id, stream, last, None, "chain head missing")
        if head.seq != last or head.hash != prev:
            return checked, Break(
                tenant_id,
                stream,
                head.seq,
                None,
                f"chain ends at {last} but its head says {head.seq}: last row(s) deleted",
            )
    return checked, None
