import pytest

from dinghuo.core.errors import TenantContextMissing
from dinghuo.core.tenancy import all_tenants, tenant_context
from dinghuo.dealers.models import Dealer, DealerTier


def test_query_outside_a_tenant_context_is_refused(world):
    # given a tenant-scoped model with rows
    # when it is queried without a tenant context
    # then the query refuses to run
    with pytest.raises(TenantContextMissing):
        list(Dealer.objects.all())


def test_queries_see_only_the_current_tenant(world, world_b):
    # given two tenants with dealers
    # when each tenant's context queries dealers
    with tenant_context(world.tenant):
        a_codes = set(Dealer.objects.values_list("code", flat=True))
    with tenant_context(world_b.tenant):
        b_codes = set(Dealer.objects.values_list("code", flat=True))
        b_ids = set(Dealer.objects.values_list("pk", flat=True))
    # then each sees only its own rows
    assert a_codes == {world.dealer.code, world.other_dealer.code}
    assert b_codes == {world_b.dealer.code, world_b.other_dealer.code}
    with tenant_context(world.tenant):
        assert not Dealer.objects.filter(pk__in=b_ids).exists()
        assert Dealer.objects.filter(pk__in=b_ids).update(name="hacked") == 0
        assert Dealer.objects.filter(pk__in=b_ids).delete()[0] == 0


def test_a_queryset_built_outside_a_context_filters_by_the_context_it_runs_in(world, world_b):
    # given a queryset built at "import time" (no context), like a form field's choices
    qs = DealerTier.objects.all()
    # when it is evaluated in each tenant's context
    with tenant_context(world.tenant):
        a = set(qs.all().values_list("tenant_id", flat=True))
    with tenant_context(world_b.tenant):
        b = set(qs.all().values_list("tenant_id", flat=True))
    # then it sees the tenant of the context it runs in
    assert a == {world.tenant.pk}
    assert b == {world_b.tenant.pk}


def test_related_managers_are_scoped_too(world, world_b):
    with tenant_context(world.tenant):
        assert world.dealer.addresses.count() == 1
    with pytest.raises(TenantContextMissing):
        world.dealer.addresses.count()


def test_saving_sets_the_tenant_and_refuses_a_foreign_row(world, world_b):
    with tenant_context(world.tenant):
        tier = DealerTier.objects.create(code="vip", name="VIP")
        assert tier.tenant_id == world.tenant.pk
        foreign = DealerTier.unscoped.filter(tenant=world_b.tenant).first()
        foreign.name = "changed from A"
        with pytest.raises(TenantContextMissing):
            foreign.save()
    with pytest.raises(TenantContextMissing):
        DealerTier(code="x", name="x").save()


def test_all_tenants_is_explicit(world, world_b):
    with all_tenants():
        assert Dealer.objects.count() == 4
