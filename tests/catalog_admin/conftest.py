import pytest

from dinghuo.accounts.roles import Role
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import all_tenants, tenant_context


@pytest.fixture
def admin_actor(world):
    return world.actor(Role.ADMIN)


@pytest.fixture
def in_alpha(world):
    """Run the test body inside tenant A's context."""
    with tenant_context(world.tenant):
        yield world


@pytest.fixture
def audit_count():
    def count(**filters) -> int:
        with all_tenants():
            return AuditEntry.unscoped.filter(**filters).count()

    return count
