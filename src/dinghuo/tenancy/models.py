from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

TENANT_CODE = RegexValidator(
    r"^[a-z][a-z0-9-]{1,30}$",
    _("Use 2–31 lowercase letters, digits or hyphens, starting with a letter."),
)


class Tenant(models.Model):
    """A brand owner running its ordering platform on this deployment."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    code = models.CharField(_("code"), max_length=31, unique=True, validators=[TENANT_CODE])
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    is_demo = models.BooleanField(_("demo data"), default=False)
    # Per-tenant policy knobs (rule outcomes, grace periods …); read through tenancy.selectors.
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # The seller's tax details printed on invoices (销售方信息), edited by the tenant admin
    # (finance/policy.py: seller_details_update) and snapshotted onto each invoice when it is issued.
    legal_name = models.CharField(_("legal name for invoices"), max_length=120, blank=True)
    tax_id = models.CharField(_("taxpayer id (unified social credit code)"), max_length=30, blank=True)
    registered_address = models.CharField(_("registered address"), max_length=160, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=120, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE
