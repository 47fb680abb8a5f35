"""A prepared query gives what its queryset gives, in the tenant it runs in, in one statement."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dinghuo.core.errors import TenantContextMissing
from dinghuo.core.prepared import prepared
from dinghuo.core.tenancy import all_tenants, tenant_context
from dinghuo.dealers.models import Address, Dealer


@prepared
def _dealer(dealer_id: int) -> QuerySet:
    return Dealer.objects.select_related("tier").filter(pk=dealer_id)[:1]


@prepared
def _dealers_named(ids: list[int], code: str) -> QuerySet:
    return Dealer.objects.filter(pk__any=ids).exclude(code=code).order_by("code").values_list("code", flat=True)


@prepared
def _addresses(dealer_id: int) -> QuerySet:
    return Address.objects.filter(dealer_id=dealer_id).values("dealer_id", "city_code", "detail").order_by("id")


def test_rows_are_what_the_queryset_gives(world):
    with tenant_context(world.tenant):
        expected = Dealer.objects.select_related("tier").get(pk=world.dealer.pk)
        with CaptureQueriesContext(connection) as q:
            got = _dealer.first(dealer_id=world.dealer.pk)
            again = _dealer.first(dealer_id=world.other_dealer.pk)
        assert len(q.captured_queries) == 2  # the related tier came in the same statement
        assert (got.pk, got.code, got.name, got.tier.code) == (
            expected.pk,
            expected.code,
            expected.name,
            expected.tier.code,
        )
        assert again.pk == world.other_dealer.pk
        assert _dealer.first(dealer_id=0) is None
        ids = [world.dealer.pk, world.other_dealer.pk]
        assert _dealers_named.list(ids=ids, code=world.dealer.code) == [world.other_dealer.code]
        assert _dealers_named.list(ids=ids, code="") == sorted([world.dealer.code, world.other_dealer.code])
        assert _dealers_named.list(ids=[], code="") == []
        assert _addresses.list(dealer_id=world.dealer.pk) == list(
            Address.objects.filter(dealer_id=world.dealer.pk).values("dealer_id", "city_code", "detail").order_by("id")
        )


def test_a_query_compiled_in_one_tenant_reads_only_the_tenant_it_runs_in(world, world_b):
    with tenant_context(world.tenant):
        assert _dealer.first(dealer_id=world.dealer.pk).pk == world.dealer.pk
    with tenant_context(world_b.tenant):
        assert _dealer.first(dealer_id=world.dealer.pk) is None  # another tenant's id
        assert _dealer.first(dealer_id=world_b.dealer.pk).pk == world_b.dealer.pk
        assert _dealers_named.list(ids=[world.dealer.pk, world_b.dealer.pk], code="") == [world_b.dealer.code]
    with tenant_context(world.tenant):
        assert _dealer.first(dealer_id=world_b.dealer.pk) is None


def test_outside_a_tenant_it_refuses_and_across_tenants_it_reads_all(world, world_b):
    with pytest.raises(TenantContextMissing):
        _dealer.first(dealer_id=world.dealer.pk)
    with all_tenants():
        assert _dealers_named.list(ids=[world.dealer.pk, world_b.dealer.pk], code="") == sorted(
            [world.dealer.code, world_b.dealer.code]
        )


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_value_the_function_computes_itself_is_refused_not_frozen(world):
    @prepared
    def recent(dealer_id: int) -> QuerySet:
        return Dealer.objects.filter(pk=dealer_id, created_at__lte=timezone.now())

    with tenant_context(world.tenant), pytest.raises(ImproperlyConfigured, match="neither a constant"):
        recent.list(dealer_id=world.dealer.pk)


def test_arguments_must_have_a_type_it_can_stand_in_for():
    @prepared
    def by_price(price: float) -> QuerySet:
        return Dealer.objects.all()

    with pytest.raises(ImproperlyConfigured, match="must be int, str"):
        by_price._attempt("default", 0)
