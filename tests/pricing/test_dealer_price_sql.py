"""Search's dealer price in SQL (``annotate_dealer_price``) agrees with the price engine: the same
list wins under every precedence, windows, other dealers' lists and volume tiers. On PostgreSQL it is
one SQL text of its own, so this is what keeps the two from drifting apart."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dinghuo.catalog.models import Sku
from dinghuo.core.tenancy import all_tenants, tenant_context
from dinghuo.pricing.engine import CartItem, price_cart
from dinghuo.pricing.models import PriceList
from dinghuo.pricing.prices import DealerKey, annotate_dealer_price
from dinghuo.tenancy.models import Tenant
from tests.pricing.factories import make_price_list, make_sku
from tests.pricing.test_engine_prices import ORDER, _lists_for

D = Decimal


def _both(shop, sku, at=None):
    """(the price search shows, the price the engine charges for one base unit)."""
    at = at or timezone.now()
    tenant = Tenant.objects.get(pk=shop.tenant.pk)
    with tenant_context(tenant):
        key = DealerKey.of(shop.dealer, tenant.settings)
        shown = annotate_dealer_price(Sku.objects.filter(pk=sku.pk), key, at).values_list("dealer_price", flat=True)
        charged = price_cart(dealer=shop.dealer, items=[CartItem(sku.pk, D(1))], at=at).lines[0].unit_price
        return D(shown[0]).quantize(D("0.01")), charged


@pytest.mark.parametrize("top", range(len(ORDER)))
def test_the_highest_ranked_list_gives_the_price_search_shows(shop, top):
    # given lists of every kind from `top` down the default precedence
    sku = make_sku(shop.tenant, list_price="20.00")
    _lists_for(shop, sku, ORDER[top:])
    # when search prices it for the dealer, then it shows what the engine charges
    shown, charged = _both(shop, sku)
    assert shown == charged != D("20.00")


def test_a_reordered_precedence_is_followed(shop):
    # given every kind of list, and a tenant that ranks tier and list prices above contracts
    sku = make_sku(shop.tenant)
    _lists_for(shop, sku, ORDER)
    Tenant.objects.filter(pk=shop.tenant.pk).update(settings={"price_precedence": ["tier", "list", "contract"]})
    # then search shows the tier price, as the engine charges
    assert _both(shop, sku) == (D("9.00"), D("9.00"))
    # and with the city and province first, the city's
    Tenant.objects.filter(pk=shop.tenant.pk).update(settings={"price_precedence": ["province", "city"]})
    assert _both(shop, sku) == (D("8.00"), D("8.00"))


def test_other_dealers_regions_tiers_and_windows_do_not_apply(shop):
    # given lists for another dealer, region and tier, an expired and an inactive one for this dealer
    now = timezone.now()
    sku = make_sku(shop.tenant, list_price="20.00")
    other = shop.world.other_dealer
    make_price_list(shop.tenant, PriceList.Kind.CONTRACT, {sku: "1.00"}, dealer=other)
    make_price_list(shop.tenant, PriceList.Kind.REGION, {sku: "2.00"}, region_code="330000")
    make_price_list(shop.tenant, PriceList.Kind.TIER, {sku: "3.00"}, tier=other.tier)
    make_price_list(
        shop.tenant, PriceList.Kind.CONTRACT, {sku: "4.00"}, dealer=shop.dealer, valid_to=now - dt.timedelta(days=1)
    )
    make_price_list(shop.tenant, PriceList.Kind.GROUP, {sku: "5.00"}, price_group=shop.group, is_active=False)
    # then search shows the SKU's own list price, as the engine charges
    assert _both(shop, sku, at=now) == (D("20.00"), D("20.00"))
    # and before the contract ended, the contract's price
    assert _both(shop, sku, at=now - dt.timedelta(days=2)) == (D("4.00"), D("4.00"))


def test_the_smallest_volume_tier_is_shown(shop):
    # given a list with tiers from 1, 12 and 48 base units
    sku = make_sku(shop.tenant)
    make_price_list(shop.tenant, prices={sku: [("48", "9.00"), ("1", "10.00"), ("12", "9.50")]})
    # then search shows the price of one base unit
    assert _both(shop, sku) == (D("10.00"), D("10.00"))


def test_the_price_needs_a_tenant_context_or_reads_every_tenant(shop):
    sku = make_sku(shop.tenant)
    make_price_list(shop.tenant, prices={sku: "7.00"})
    key = DealerKey.of(shop.dealer)
    with all_tenants():
        prices = annotate_dealer_price(Sku.objects.filter(pk=sku.pk), key, timezone.now())
        assert [D(p).quantize(D("0.01")) for p in prices.values_list("dealer_price", flat=True)] == [D("7.00")]
