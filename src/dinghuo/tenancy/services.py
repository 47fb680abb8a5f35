from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from dinghuo.core.audit import AuditEvent, audit_write, ensure_chain_heads
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.tenancy.errors import TenantCodeInvalid, TenantCodeTaken
from dinghuo.tenancy.models import TENANT_CODE, Tenant


def tenant_create(*, code: str, name: str, is_demo: bool = False, settings: dict | None = None) -> Tenant:
    """Create a tenant with its audit chains. Staff are added with accounts.services.staff_create."""
    code = (code or "").strip().lower()
    try:
        TENANT_CODE(code)
    except DjangoValidationError:
        raise TenantCodeInvalid(code=code, detail={"code": code})
    if not (name or "").strip():
        from dinghuo.core.errors import REQUIRED, ValidationError

        raise ValidationError(detail={"name": REQUIRED})
    try:
        with transaction.atomic():
            if Tenant.objects.filter(code=code).exists():
                raise TenantCodeTaken(code=code, detail={"code": code})
            tenant = Tenant.objects.create(code=code, name=name.strip(), is_demo=is_demo, settings=settings or {})
            ensure_chain_heads(tenant.pk)
            with tenant_context(tenant, Actor.system(tenant.pk)):
                audit_write(events=[AuditEvent.of("tenant.created", tenant, after={"code": code, "name": tenant.name})])
    except IntegrityError:
        # Two creators raced for one code: the database's unique index decided.
        raise TenantCodeTaken(code=code, detail={"code": code})
    return tenant
