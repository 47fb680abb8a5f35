from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.roles import DEALER_ROLES, Role
from dinghuo.core.tenancy import TenantModel


class User(AbstractUser):
    """A person who signs in. What they may do in a tenant comes from their Membership."""

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        return self.display_name or super().get_full_name() or self.username

    def __str__(self) -> str:
        return self.get_full_name()


class Membership(TenantModel):
    """A user's place in a tenant: a staff role, or a dealer role tied to one dealer."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    dealer = models.ForeignKey(
        "dealers.Dealer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("dealer"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_one_per_tenant"),
            models.CheckConstraint(
                condition=(Q(role__in=sorted(r.value for r in DEALER_ROLES)) & Q(dealer__isnull=False))
                | (~Q(role__in=sorted(r.value for r in DEALER_ROLES)) & Q(dealer__isnull=True)),
                name="membership_dealer_iff_dealer_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    @property
    def is_dealer_user(self) -> bool:
        return self.dealer_id is not None


class UserSession(models.Model):
    """Sessions opened by our login view, so that disabling a user can end every one of them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:8]}…"


class LoginAttempt(models.Model):
    """What is throttled, counted per key and per client address within the window.

    A failed sign-in (key: the username) or a password-reset request (key: the e-mail address).
    """

    class Kind(models.TextChoices):
        LOGIN = "login", "sign-in failed"
        PASSWORD_RESET = "password_reset", "password reset requested"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LOGIN)
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username}@{self.ip}"
