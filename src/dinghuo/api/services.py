"""API keys: create (the secret is returned once), revoke, authenticate, note their use."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.accounts.models import Membership, User
from dinghuo.accounts.permissions import require
from dinghuo.accounts.roles import Role
from dinghuo.api.errors import ApiKeyInvalid, ApiKeyNotFound, ApiKeyRevoked, ScopeInvalid
from dinghuo.api.models import ApiKey
from dinghuo.api.scopes import SCOPES, scopes_for_role
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import REQUIRED, PermissionDenied, ValidationError
from dinghuo.core.prepared import prepared
from dinghuo.core.tenancy import Actor, current_tenant_id

KEY_PREFIX = "dh_live_"
LAST_USED_EVERY = dt.timedelta(seconds=60)  # last_used_at is written at most this often per key


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once; only its hash is stored


def visible_keys(actor: Actor):
    """Keys the actor may manage: a tenant's admins see every key, a dealer admin its dealer's."""
    require(actor, "api_keys.manage")
    qs = ApiKey.objects.select_related("membership", "user", "dealer", "created_by")
    if actor.is_dealer:
        qs = qs.filter(dealer_id=actor.dealer_id)
    return qs


def api_key_create(
    *,
    actor: Actor,
    name: str,
    membership: Membership,
    scopes: list[str],
    expires_at: dt.datetime | None = None,
    rate_limit: int | None = None,
) -> NewKey:
    """A key acting as ``membership`` within ``scopes``; returns the only copy of its secret.

    Dealer admins make keys for users of their own dealer; staff admins for any active user of
    the tenant, but only an owner may make a key that acts as an owner.
    """
    require(actor, "api_keys.manage")
    name = (name or "").strip()
    if not name:
        raise ValidationError(detail={"name": REQUIRED})
    if membership.tenant_id != actor.tenant_id or not membership.is_active or not membership.user.is_active:
        raise PermissionDenied(detail={"membership": membership.pk})
    if actor.is_dealer and membership.dealer_id != actor.dealer_id:
        raise PermissionDenied(detail={"membership": membership.pk})
    if membership.role == Role.OWNER and not actor.is_system and actor.role != Role.OWNER:
        raise PermissionDenied(detail={"membership": membership.pk})
    wanted = sorted(set(scopes or []))
    if not wanted:
        raise ValidationError(detail={"scopes": REQUIRED})
    allowed = set(scopes_for_role(membership.role))
    bad = [s for s in wanted if s not in SCOPES or s not in allowed]
    if bad:
        raise ScopeInvalid(scopes=", ".join(bad), detail={"scopes": bad})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(detail={"expires_at": _("Choose a time in the future.")})
    if rate_limit is not None and not 1 <= rate_limit <= 100_000:
        raise ValidationError(detail={"rate_limit": _("Between 1 and 100000 requests per minute.")})
    secret = f"{KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name[:80],
            prefix=secret[: len(KEY_PREFIX) + 8],
            secret_hash=_digest(secret),
            membership=membership,
            user_id=membership.user_id,
            dealer_id=membership.dealer_id,
            scopes=wanted,
            expires_at=expires_at,
            rate_limit=rate_limit,
            created_by_id=actor.user_id,
        )
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "api_key.created",
                    key,
                    after={
                        "prefix": key.prefix,
                        "membership": membership.pk,
                        "role": membership.role,
                        "scopes": wanted,
                    },
                )
            ],
        )
    return NewKey(key=key, secret=secret)


def api_key_revoke(*, actor: Actor, key_id: int, reason: str = "") -> ApiKey:
    key = visible_keys(actor).filter(pk=key_id).first()
    if key is None:
        raise ApiKeyNotFound()
    with transaction.atomic():
        changed = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason.strip()[:200]
        )
        if changed:
            audit_write(actor=actor, events=[AuditEvent.of("api_key.revoked", key, reason=reason)])
    key.refresh_from_db()
    return key


def api_keys_revoke_for_user(*, user: User) -> int:
    """Revoke every key acting through a membership that is no longer active, or of a disabled user.

    Called by ``accounts.services.user_disable`` inside its transaction, after the membership (and
    perhaps the user) was deactivated.
    """
    qs = ApiKey.unscoped.filter(user=user, revoked_at__isnull=True)
    if user.is_active:
        qs = qs.filter(membership__is_active=False)
    keys = list(qs.only("id", "tenant_id", "name", "prefix"))
    if not keys:
        return 0
    ApiKey.unscoped.filter(pk__in=[k.pk for k in keys], revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason="user disabled"
    )
    here = [k for k in keys if k.tenant_id == current_tenant_id()]
    if here:
        audit_write(
            actor=Actor.system(current_tenant_id(), "accounts"),
            events=[AuditEvent.of("api_key.revoked", k, reason="user disabled") for k in here],
        )
    return len(keys)


@prepared
def _key_by_hash(secret_hash: str) -> QuerySet:
    """Every API request's first read (unscoped: the key says which tenant it is for)."""
    return ApiKey.unscoped.select_related("membership", "membership__user", "membership__tenant").filter(
        secret_hash=secret_hash
    )[:1]


def api_key_authenticate(*, secret: str, now: dt.datetime | None = None) -> tuple[ApiKey, Actor]:
    """The key a secret belongs to and the Actor it acts as (one query); 401 errors otherwise."""
    secret = (secret or "").strip()
    if not secret.startswith(KEY_PREFIX) or len(secret) > 120:
        raise ApiKeyInvalid()
    key = _key_by_hash.first(secret_hash=_digest(secret))
    if key is None:
        raise ApiKeyInvalid()
    now = now or timezone.now()
    m = key.membership
    if (
        key.revoked_at is not None
        or (key.expires_at is not None and key.expires_at <= now)
        or not m.is_active
        or not m.user.is_active
        or not m.tenant.is_active
    ):
        raise ApiKeyRevoked(detail={"key": key.prefix})
    actor = dataclasses.replace(
        Actor.for_membership(m, via="api"),
        api_key_id=key.pk,
        scopes=frozenset(key.scopes),
        label=f"{m.user.get_full_name()} · {key.name}"[:120],
    )
    return key, actor


def api_key_touch(*, key: ApiKey, now: dt.datetime | None = None) -> bool:
    """Note the key's use, at most once a minute (a write per request would cost every request)."""
    now = now or timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_EVERY:
        return False
    return bool(
        ApiKey.unscoped.filter(pk=key.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY))
        .update(last_used_at=now)
    )
