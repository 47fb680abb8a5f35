"""Online payment providers: the interface (base.py), Alipay (alipay.py) and the sandbox (sandbox.py)."""

from __future__ import annotations

from django.conf import settings

from dinghuo.finance.errors import ProviderUnavailable
from dinghuo.finance.providers.base import Checkout, CheckoutRequest, Notice, PaymentProviderAdapter

__all__ = ["Checkout", "CheckoutRequest", "Notice", "PaymentProviderAdapter", "available", "provider_for"]


def sandbox_allowed(tenant_id: int) -> bool:
    """The sandbox pays without money: never in production, except for demo tenants."""
    from dinghuo.tenancy.models import Tenant

    if settings.DINGHUO_ENV != "production":
        return True
    return Tenant.objects.filter(pk=tenant_id, is_demo=True).exists()


def available(tenant_id: int) -> list[PaymentProviderAdapter]:
    from dinghuo.finance.models import PaymentProvider

    out: list[PaymentProviderAdapter] = [
        provider_for(row.code, tenant_id) for row in PaymentProvider.objects.filter(enabled=True).order_by("code")
    ]
    if sandbox_allowed(tenant_id):
        from dinghuo.finance.providers.sandbox import SandboxProvider

        out.append(SandboxProvider())
    return out


def provider_for(code: str, tenant_id: int) -> PaymentProviderAdapter:
    """The adapter for ``code`` as the current tenant configured it; ProviderUnavailable otherwise."""
    from django.utils.translation import gettext as _

    if code == "sandbox":
        if not sandbox_allowed(tenant_id):
            raise ProviderUnavailable(reason=_("the sandbox is not available here"))
        from dinghuo.finance.providers.sandbox import SandboxProvider

        return SandboxProvider()
    if code == "alipay":
        from dinghuo.finance.models import PaymentProvider
        from dinghuo.finance.providers.alipay import AlipayClient, AlipayProvider

        row = PaymentProvider.objects.filter(code="alipay", enabled=True).first()
        if row is not None:
            return AlipayProvider(
                AlipayClient(
                    app_id=row.app_id,
                    app_private_key=row.app_private_key,
                    alipay_public_key=row.provider_public_key,
                    gateway=row.gateway,
                    seller_id=row.seller_id,
                )
            )
    raise ProviderUnavailable(reason=_("%(provider)s is not set up") % {"provider": code})
