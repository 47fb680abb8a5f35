"""Writes for users and memberships."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.errors import (
    CannotDisableSelf,
    LastOwner,
    LoginThrottled,
    PasswordResetThrottled,
    RoleInvalid,
    UsernameTaken,
)
from dinghuo.accounts.models import LoginAttempt, Membership, User, UserSession
from dinghuo.accounts.permissions import require
from dinghuo.accounts.roles import DEALER_ROLES, STAFF_ROLES, Role
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import REQUIRED, ValidationError
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Dealer


def _new_user(*, username: str, password: str | None, display_name: str, email: str, phone: str) -> User:
    username = (username or "").strip()
    if not username:
        raise ValidationError(detail={"username": REQUIRED})
    try:
        User.username_validator(username)
    except DjangoValidationError as exc:
        raise ValidationError(detail={"username": [str(m) for m in exc.messages]})
    if len(username) > User._meta.get_field("username").max_length:
        raise ValidationError(detail={"username": _("Use at most 150 characters.")})
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(username=username, detail={"username": username})
    user = User(username=username, display_name=display_name.strip(), email=email.strip(), phone=phone.strip())
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationError(detail={"password": [str(m) for m in exc.messages]})
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.save()
    except IntegrityError:
        raise UsernameTaken(username=username, detail={"username": username})
    return user


def staff_create(
    *,
    actor: Actor,
    username: str,
    role: str,
    password: str | None = None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
) -> Membership:
    require(actor, "staff.manage")
    if role not in STAFF_ROLES:
        raise RoleInvalid(role=role, detail={"role": role})
    if role == Role.OWNER and not actor.is_system and actor.role != Role.OWNER:
        raise RoleInvalid(role=role, detail={"role": role})
    with transaction.atomic():
        user = _new_user(username=username, password=password, display_name=display_name, email=email, phone=phone)
        membership = Membership.objects.create(user=user, role=role)
        audit_write(
            actor=actor,
            events=[AuditEvent.of("membership.created", membership, after={"user": user.username, "role": role})],
        )
    return membership


def dealer_user_create(
    *,
    actor: Actor,
    dealer: Dealer,
    username: str,
    role: str,
    password: str | None = None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
) -> Membership:
    require(actor, "dealer_users.manage")
    if actor.is_dealer and actor.dealer_id != dealer.pk:
        raise RoleInvalid(role=role, detail={"dealer": dealer.pk})
    if role not in DEALER_ROLES:
        raise RoleInvalid(role=role, detail={"role": role})
    with transaction.atomic():
        user = _new_user(username=username, password=password, display_name=display_name, email=email, phone=phone)
        membership = Membership.objects.create(user=user, role=role, dealer=dealer)
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "membership.created", membership, after={"user": user.username, "role": role, "dealer": dealer.pk}
                )
            ],
        )
    return membership


def membership_set_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    require(actor, "dealer_users.manage" if membership.dealer_id else "staff.manage")
    allowed = DEALER_ROLES if membership.dealer_id else STAFF_ROLES
    if role not in allowed:
        raise RoleInvalid(role=role, detail={"role": role})
    if actor.is_dealer and membership.dealer_id != actor.dealer_id:
        raise RoleInvalid(role=role, detail={"membership": membership.pk})
    with transaction.atomic():
        before = membership.role
        if before == Role.OWNER and role != Role.OWNER:
            _keep_an_owner(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of("membership.role_changed", membership, before={"role": before}, after={"role": role})
            ],
        )
    return membership


def _keep_an_owner(leaving: Membership) -> None:
    others = Membership.objects.filter(role=Role.OWNER, is_active=True, user__is_active=True).exclude(pk=leaving.pk)
    if not others.exists():
        raise LastOwner()


def end_sessions(user: User) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    deleted, _by_model = Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return deleted


def user_disable(*, actor: Actor, membership: Membership, reason: str = "") -> None:
    """Disable a user of this tenant: the membership goes inactive and every session ends.

    A user whose only membership this was is deactivated as a whole (cannot sign in anywhere).
    """
    require(actor, "dealer_users.manage" if membership.dealer_id else "staff.manage")
    if actor.is_dealer and membership.dealer_id != actor.dealer_id:
        raise RoleInvalid(role=membership.role, detail={"membership": membership.pk})
    if membership.user_id == actor.user_id:
        raise CannotDisableSelf()
    with transaction.atomic():
        if membership.role == Role.OWNER:
            _keep_an_owner(membership)
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        user = membership.user
        if not Membership.unscoped.filter(user=user, is_active=True).exists():
            user.is_active = False
            user.save(update_fields=["is_active"])
        end_sessions(user)
        _revoke_keys(user)
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "membership.disabled",
                    membership,
                    before={"is_active": True},
                    after={"is_active": False},
                    reason=reason,
                )
            ],
        )


def _revoke_keys(user: User) -> None:
    """Disabling a user revokes its API keys (the API app registers the model)."""
    from django.apps import apps

    if apps.is_installed("dinghuo.api"):
        from dinghuo.api.services import api_keys_revoke_for_user

        api_keys_revoke_for_user(user=user)


def user_enable(*, actor: Actor, membership: Membership) -> None:
    require(actor, "dealer_users.manage" if membership.dealer_id else "staff.manage")
    with transaction.atomic():
        membership.is_active = True
        membership.save(update_fields=["is_active"])
        if not membership.user.is_active:
            membership.user.is_active = True
            membership.user.save(update_fields=["is_active"])
        audit_write(actor=actor, events=[AuditEvent.of("membership.enabled", membership, after={"is_active": True})])


# --- throttling: failed sign-ins and password-reset mails ------------------------------------------


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)


def _throttled(*, kind: str, key: str, ip: str | None) -> bool:
    """LIMIT recent attempts for one key (a username, an e-mail address), or 4×LIMIT from one address.

    The address limit is looser because many people of one dealer sign in from behind one NAT.
    """
    recent = LoginAttempt.objects.filter(kind=kind, at__gte=_window_start())
    limit = settings.LOGIN_THROTTLE_LIMIT
    by_key = recent.filter(username__iexact=key.strip()).count()
    by_ip = recent.filter(ip=ip).count() if ip else 0
    return by_key >= limit or by_ip >= 4 * limit


def _attempt_record(*, kind: str, key: str, ip: str | None) -> None:
    """Count one attempt, first dropping every row older than the window: throttling never reads them.

    One indexed range delete, and each time it removes only what aged out since the last attempt, so
    the table stays as small as the traffic of one window however long the site runs.
    """
    LoginAttempt.objects.filter(at__lt=_window_start()).delete()
    LoginAttempt.objects.create(kind=kind, username=key.strip()[:150], ip=ip or None)


def _minutes() -> int:
    return max(1, settings.LOGIN_THROTTLE_WINDOW // 60)


def login_check_throttle(*, username: str, ip: str | None) -> None:
    """Refuse after LIMIT recent failures for one username, or 4×LIMIT from one address."""
    if _throttled(kind=LoginAttempt.Kind.LOGIN, key=username, ip=ip):
        raise LoginThrottled(minutes=_minutes())


def login_record_failure(*, username: str, ip: str | None) -> None:
    _attempt_record(kind=LoginAttempt.Kind.LOGIN, key=username, ip=ip)


def login_record_success(*, user: User, username: str, session_key: str, ip: str | None, user_agent: str) -> None:
    LoginAttempt.objects.filter(kind=LoginAttempt.Kind.LOGIN, username__iexact=username.strip()).delete()
    UserSession.objects.create(user=user, session_key=session_key, ip=ip or None, user_agent=user_agent[:200])


def password_reset_throttle(*, email: str, ip: str | None) -> None:
    """Count a request for a reset mail, or refuse it after LIMIT recent ones for the address, 4×LIMIT from ip.

    Every request counts, whether or not an account has that address, so a refusal says nothing
    about who has an account; a refused request is not counted.
    """
    if _throttled(kind=LoginAttempt.Kind.PASSWORD_RESET, key=email, ip=ip):
        raise PasswordResetThrottled(minutes=_minutes())
    _attempt_record(kind=LoginAttempt.Kind.PASSWORD_RESET, key=email, ip=ip)
