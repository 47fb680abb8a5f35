"""Row locks owned by core. Every select_for_update of an app lives in that app's locks.py."""

from django.db.models import QuerySet

from dinghuo.core.models import AuditChainHead
from dinghuo.core.prepared import prepared


@prepared
def _audit_head(tenant_id: int, stream: int) -> QuerySet:
    return AuditChainHead.unscoped.select_for_update().filter(tenant_id=tenant_id, stream=stream)[:1]


def lock_audit_head(*, tenant_id: int, stream: int) -> AuditChainHead:
    head = _audit_head.first(tenant_id=tenant_id, stream=stream)
    if head is None:
        from dinghuo.core.audit import ensure_chain_heads

        ensure_chain_heads(tenant_id)
        head = AuditChainHead.unscoped.select_for_update().get(tenant_id=tenant_id, stream=stream)
    return head
