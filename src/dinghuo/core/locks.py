"""Row locks owned by core. Every select_for_update of an app lives in that app's locks.py."""

from dinghuo.core.models import AuditChainHead


def lock_audit_head(*, tenant_id: int, stream: int) -> AuditChainHead:
    try:
        return AuditChainHead.unscoped.select_for_update().get(tenant_id=tenant_id, stream=stream)
    except AuditChainHead.DoesNotExist:
        from dinghuo.core.audit import ensure_chain_heads

        ensure_chain_heads(tenant_id)
        return AuditChainHead.unscoped.select_for_update().get(tenant_id=tenant_id, stream=stream)
