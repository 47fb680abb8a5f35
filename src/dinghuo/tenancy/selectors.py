from typing import Any

from dinghuo.tenancy.models import Tenant

# Per-tenant policy defaults; a tenant's ``settings`` JSON overrides any of them.
DEFAULTS: dict[str, Any] = {
    "currency": "CNY",
    "overdue_grace_days": 7,
    "min_order_amount": "0.00",
}


def tenant_setting(tenant: Tenant, key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(f"unknown tenant setting {key!r}")
    return (tenant.settings or {}).get(key, DEFAULTS[key])


def tenant_by_code(code: str) -> Tenant | None:
    return Tenant.objects.filter(code=code.strip().lower()).first()
