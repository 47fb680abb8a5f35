"""API keys (stored only as a hash) and the rate-limit counters."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dinghuo.core.tenancy import TenantModel


class ApiKey(TenantModel):
    """A secret that lets a program act as one membership of the tenant, narrowed to ``scopes``.

    A staff membership makes a tenant key (staff scope: back-office data as that role may see it);
    a dealer membership makes a dealer key (its dealer's orders, prices and balances only). The
    secret (``dh_live_<8 hex>_<43 chars>``) is shown once; only its SHA-256 is kept, with the
    visible ``prefix`` to tell keys apart. Revoked keys stay for the record; disabling the user
    revokes them.
    """

    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("key prefix"), max_length=24, unique=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("acts as")
    )
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_keys")
    dealer = models.ForeignKey("dealers.Dealer", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    scopes = models.JSONField(_("scopes"), default=list)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True, help_text=_("Empty: the deployment's default.")
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "dealer"], name="api_key_dealer")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RateCounter(TenantModel):
    """Requests of one caller (``key:<id>`` or ``user:<id>``) in one fixed window.

    Counted with one ``INSERT … ON CONFLICT DO UPDATE … WHERE hits < limit RETURNING hits``, so
    every process and server agrees on the count without a lock or a read-modify-write.
    """

    bucket = models.CharField(max_length=40)
    window_start = models.BigIntegerField()  # unix seconds
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "window_start"], name="rate_counter_window")]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.window_start}: {self.hits}"
