"""The price engine's base prices: precedence, volume tiers, units, windows, validation, query bound."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dinghuo.core.tenancy import tenant_context
from dinghuo.pricing import errors
from dinghuo.pricing.engine import CartItem, StandardPricing, price_cart
from dinghuo.pricing.models import PriceList, Promotion
from dinghuo.tenancy.models import Tenant
from tests.pricing.factories import make_price_list, make_promotion, make_sku

D = Decimal
ORDER = ["contract", "group", "city", "province", "tier", "list"]
PRICES = {"contract": "5.00", "group": "6.00", "city": "7.00", "province": "8.00", "tier": "9.00", "list": "9.50"}


def _lists_for(shop, sku, kinds):
    for kind in kinds:
        target = {
            "contract": {"kind": PriceList.Kind.CONTRACT, "dealer": shop.dealer},
            "group": {"kind": PriceList.Kind.GROUP, "price_group": shop.group},
            "city": {"kind": PriceList.Kind.REGION, "region_code": "440300"},
            "province": {"kind": PriceList.Kind.REGION, "region_code": "440000"},
            "tier": {"kind": PriceList.Kind.TIER, "tier": shop.tier},
            "list": {"kind": PriceList.Kind.LIST},
        }[kind]
        make_price_list(shop.tenant, prices={sku: PRICES[kind]}, code=f"PL-{kind}", **target)


def _quote(shop, *items, at=None):
    with tenant_context(shop.tenant):
        return price_cart(dealer=shop.dealer, items=list(items), at=at)


def test_without_any_price_list_the_sku_list_price_applies(shop):
    # given a SKU at 12.00 and no price list
    sku = make_sku(shop.tenant, list_price="12.00")
    # when it is priced
    cart = _quote(shop, CartItem(sku.pk, D(3)))
    # then the list price applies and the explanation says so
    line = cart.lines[0]
    assert (line.unit_price, line.amount, cart.total) == (D("12.00"), D("36.00"), D("36.00"))
    assert line.explanation["price"]["source"] == "sku_list_price"
    assert line.explanation["price"]["price_list"] is None


@pytest.mark.parametrize("top", range(len(ORDER)))
def test_each_precedence_rule(shop, top):
    # given lists of every kind from `top` down the default precedence, each with its own price
    sku = make_sku(shop.tenant, list_price="20.00")
    _lists_for(shop, sku, ORDER[top:])
    # when the dealer prices the SKU
    line = _quote(shop, CartItem(sku.pk, D(1))).lines[0]
    # then the highest-ranked list gives the price, and the others are explained as outranked
    assert line.unit_price == D(PRICES[ORDER[top]])
    assert line.explanation["price"]["source"] == ORDER[top]
    assert line.explanation["price"]["price_list"]["code"] == f"PL-{ORDER[top]}"
    assert [o["code"] for o in line.explanation["price"]["outranked"]] == [f"PL-{k}" for k in ORDER[top + 1 :]]


def test_a_tenant_can_reorder_the_precedence(shop):
    # given every kind of list, and a tenant that puts tier and list prices before contracts
    sku = make_sku(shop.tenant)
    _lists_for(shop, sku, ORDER)
    Tenant.objects.filter(pk=shop.tenant.pk).update(settings={"price_precedence": ["tier", "list", "contract"]})
    # when the dealer prices the SKU
    line = _quote(shop, CartItem(sku.pk, D(1))).lines[0]
    # then the tier list wins, the list price list comes next, then the rest in default order
    assert line.unit_price == D("9.00") and line.explanation["price"]["source"] == "tier"
    assert [o["source"] for o in line.explanation["price"]["outranked"]] == [
        "list",
        "contract",
        "group",
        "city",
        "province",
    ]


def test_lists_for_other_dealers_groups_tiers_and_regions_do_not_apply(shop):
    # given lists for another dealer, another region and another tier
    sku = make_sku(shop.tenant, list_price="20.00")
    other = shop.world.other_dealer
    make_price_list(shop.tenant, PriceList.Kind.CONTRACT, {sku: "1.00"}, dealer=other)
    make_price_list(shop.tenant, PriceList.Kind.REGION, {sku: "2.00"}, region_code="330000")
    make_price_list(shop.tenant, PriceList.Kind.REGION, {sku: "2.50"}, region_code="440100")  # 广州
    make_price_list(shop.tenant, PriceList.Kind.TIER, {sku: "3.00"}, tier=other.tier)
    # when the dealer prices it
    line = _quote(shop, CartItem(sku.pk, D(1))).lines[0]
    # then none of them applies
    assert line.unit_price == D("20.00") and line.explanation["price"]["outranked"] == []


def test_expired_future_and_inactive_lists_are_ignored(shop):
    # given a contract list that ended, one that starts tomorrow, an inactive one, and a current list price list
    now = timezone.now()
    sku = make_sku(shop.tenant, list_price="20.00")
    day = dt.timedelta(days=1)
    make_price_list(
        shop.tenant,
        PriceList.Kind.CONTRACT,
        {sku: "1.00"},
        dealer=shop.dealer,
        valid_from=now - 3 * day,
        valid_to=now - day,
    )
    make_price_list(shop.tenant, PriceList.Kind.GROUP, {sku: "2.00"}, price_group=shop.group, valid_from=now + day)
    make_price_list(shop.tenant, PriceList.Kind.TIER, {sku: "3.00"}, tier=shop.tier, is_active=False)
    make_price_list(shop.tenant, PriceList.Kind.LIST, {sku: "15.00"}, valid_from=now - day, valid_to=now + day)
    # when it is priced now
    line = _quote(shop, CartItem(sku.pk, D(1)), at=now).lines[0]
    # then only the current list applies
    assert line.unit_price == D("15.00") and line.explanation["price"]["source"] == "list"
    # and a list's start is inclusive, its end exclusive
    assert _quote(shop, CartItem(sku.pk, D(1)), at=now - 3 * day).lines[0].unit_price == D("1.00")
    at_end = _quote(shop, CartItem(sku.pk, D(1)), at=now - day).lines[0]
    assert at_end.unit_price == D("15.00") and at_end.explanation["price"]["outranked"] == []


@pytest.mark.parametrize(
    ("qty", "price"),
    [("1", "10.00"), ("11", "10.00"), ("12", "9.50"), ("47", "9.50"), ("48", "9.00"), ("1000", "9.00")],
)
def test_volume_tier_edges(shop, qty, price):
    # given tiers from 1, 12 and 48 base units
    sku = make_sku(shop.tenant)
    make_price_list(shop.tenant, prices={sku: [("1", "10.00"), ("12", "9.50"), ("48", "9.00")]})
    # when a quantity is priced
    line = _quote(shop, CartItem(sku.pk, D(qty))).lines[0]
    # then a quantity exactly at an edge gets that tier, one below does not
    assert line.unit_price == D(price)
    assert line.explanation["price"]["tier"]["price"] == price


def test_pack_units_count_base_units_for_tiers_and_price_per_pack(shop):
    # given a SKU of 瓶 with 箱 of 24, tiered at 48 瓶
    sku = make_sku(shop.tenant, units=[("箱", 24, True)])
    make_price_list(shop.tenant, prices={sku: [("1", "2.50"), ("48", "2.00")]})
    # when 2 箱 are ordered (48 瓶)
    line = _quote(shop, CartItem(sku.pk, D(2), "箱")).lines[0]
    # then the 48 tier applies and the 箱 costs 24 × 2.00
    assert (line.unit, line.unit_factor, line.qty_base) == ("箱", D(24), D(48))
    assert (line.unit_price, line.amount) == (D("48.00"), D("96.00"))
    assert line.list_price == D("240.00")
    assert line.explanation["price"]["next_tier"] is None


def test_tiers_sum_the_sku_over_all_its_lines_in_any_unit(shop):
    # given tiers at 48 瓶
    sku = make_sku(shop.tenant, units=[("箱", 24)])
    make_price_list(shop.tenant, prices={sku: [("1", "2.50"), ("48", "2.00")]})
    # when 1 箱 and 24 瓶 are ordered on two lines (48 瓶 together), and 1 箱 + 23 瓶 on another cart
    together = _quote(shop, CartItem(sku.pk, D(1), "箱"), CartItem(sku.pk, D(24), "瓶"))
    short = _quote(shop, CartItem(sku.pk, D(1), "箱"), CartItem(sku.pk, D(23), "瓶"))
    # then both lines of the first cart get the tier; the second cart misses it by one and says so
    assert [line.unit_price for line in together.lines] == [D("48.00"), D("2.00")]
    assert [line.unit_price for line in short.lines] == [D("60.00"), D("2.50")]
    assert short.lines[1].explanation["price"]["next_tier"] == {"min_qty": "48", "price": "2.00", "missing": "1"}


def test_default_unit_is_used_when_none_is_given(shop):
    # given a SKU whose default order unit is 箱 of 12, and one without a default unit
    boxed = make_sku(shop.tenant, list_price="3.00", units=[("箱", 12, True)])
    loose = make_sku(shop.tenant, list_price="3.00", units=[("箱", 12, False)])
    # when they are ordered without a unit
    cart = _quote(shop, CartItem(boxed.pk, D(1)), CartItem(loose.pk, D(1)))
    # then the default unit, else the base unit, is used
    assert [(line.unit, line.qty_base, line.unit_price) for line in cart.lines] == [
        ("箱", D(12), D("36.00")),
        ("瓶", D(1), D("3.00")),
    ]


def test_fractional_quantities_are_allowed_in_units_that_are_not_whole(shop):
    # given a SKU sold by the kg, not whole
    sku = make_sku(shop.tenant, base_unit="kg", list_price="8.00", units=[("袋", "2.5", True, False)])
    # when 1.5 袋 are ordered
    line = _quote(shop, CartItem(sku.pk, D("1.5"), "袋")).lines[0]
    # then 3.75 kg are priced at 20.00 a bag
    assert (line.qty_base, line.unit_price, line.amount) == (D("3.750"), D("20.00"), D("30.00"))


def test_inactive_and_discontinued_skus_are_priced_like_any_other(shop):
    # given an inactive SKU of a discontinued product with a list price list
    sku = make_sku(shop.tenant, is_active=False, status="discontinued")
    make_price_list(shop.tenant, prices={sku: "7.00"})
    # when it is priced
    line = _quote(shop, CartItem(sku.pk, D(2))).lines[0]
    # then it gets its price; the order rules decide whether it may be ordered, with the loaded product
    assert line.amount == D("14.00") and line.sku.product.status == "discontinued"


def test_bad_lines_are_refused_naming_the_line(shop, world_b):
    sku = make_sku(shop.tenant, units=[("箱", 24), ("袋", "2.5", False, False)])
    foreign = make_sku(world_b.tenant)
    cases = [
        ([CartItem(sku.pk, D("0.001"), "袋")], errors.QuantityInvalid, None),  # 0.0025 base units
        ([], errors.CartEmpty, None),
        ([CartItem(sku.pk, D(1)), CartItem(999_999_999, D(1))], errors.SkuUnknown, {"line": 1, "sku": "999999999"}),
        ([CartItem(foreign.pk, D(1))], errors.SkuUnknown, {"line": 0, "sku": str(foreign.pk)}),
        ([CartItem(sku.pk, D(1), "托")], errors.UnitUnknown, {"line": 0, "sku": sku.pk, "unit": "托"}),
        ([CartItem(sku.pk, D(0))], errors.QuantityInvalid, {"line": 0, "sku": sku.pk, "qty": "0"}),
        ([CartItem(sku.pk, D(-2))], errors.QuantityInvalid, {"line": 0, "sku": sku.pk, "qty": "-2"}),
        ([CartItem(sku.pk, D("NaN"))], errors.QuantityInvalid, None),
        ([CartItem(sku.pk, 1.5)], errors.QuantityInvalid, None),
        ([CartItem(sku.pk, D("0.0001"))], errors.QuantityInvalid, None),
        ([CartItem(sku.pk, D("1E+40"))], errors.QuantityTooLarge, None),
        ([CartItem(sku.pk, D("1.5"), "箱")], errors.QuantityNotWhole, {"line": 0, "sku": sku.pk, "qty": "1.5"}),
    ]
    for items, error, detail in cases:
        # when the cart is priced, then it is refused with the typed error naming the line
        with pytest.raises(error) as info:
            _quote(shop, *items)
        if detail is not None:
            assert info.value.detail == detail, (items, info.value.detail)
        assert info.value.message  # translated text with the line number


def test_price_cart_never_writes_and_runs_five_queries_for_fifty_lines(shop, django_assert_max_num_queries):
    # given 50 SKUs with list prices, tiers and units, and promotions of every kind
    skus = [make_sku(shop.tenant, units=[("箱", 24)]) for _ in range(25)]
    make_price_list(shop.tenant, prices={s: [("1", "3.00"), ("48", "2.50")] for s in skus})
    make_price_list(shop.tenant, PriceList.Kind.CONTRACT, dict.fromkeys(skus[:10], "2.80"), dealer=shop.dealer)
    gift = make_sku(shop.tenant)
    make_promotion(shop.tenant, Promotion.Kind.THRESHOLD, {"threshold": "100", "off": "10", "repeat": True})
    make_promotion(shop.tenant, Promotion.Kind.PERCENT, {"percent": "5"}, scope={"skus": [skus[0].pk]})
    make_promotion(shop.tenant, Promotion.Kind.GIFT, {"buy_qty": "24", "gift_sku": gift.pk, "gift_qty": "1"})
    make_promotion(shop.tenant, Promotion.Kind.FLASH, {"sku": skus[1].pk, "price": "1.00"}, total_cap=D(10))
    items = [CartItem(s.pk, D(2), "箱") for s in skus] + [CartItem(s.pk, D(5)) for s in skus]
    # when a 50-line cart is priced
    with tenant_context(shop.tenant), CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(5):
        cart = price_cart(dealer=shop.dealer, items=items)
    # then it took at most 5 queries, none of them a write, and priced every line
    assert len(cart.lines) == 51 and cart.lines[-1].is_gift
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in ctx.captured_queries)


class HalfPricePolicy(StandardPricing):
    """A tenant's own policy: everything at half the price the standard policy finds."""

    def set_base_price(self, line, price):
        super().set_base_price(line, price)
        line.unit_price = (line.unit_price / 2).quantize(D("0.01"))
        line.gross = (line.qty * line.unit_price).quantize(D("0.01"))


def test_a_tenant_can_swap_the_pricing_policy(shop, settings):
    # given a tenant whose settings name its own (allow-listed) policy
    settings.DINGHUO_PRICING_POLICIES = ["tests.pricing.test_engine_prices.HalfPricePolicy"]
    sku = make_sku(shop.tenant, list_price="10.00")
    Tenant.objects.filter(pk=shop.tenant.pk).update(
        settings={"pricing_policy": "tests.pricing.test_engine_prices.HalfPricePolicy"}
    )
    # when a cart is priced
    line = _quote(shop, CartItem(sku.pk, D(3))).lines[0]
    # then the tenant's policy priced it
    assert (line.unit_price, line.amount) == (D("5.00"), D("15.00"))


def test_a_policy_not_allow_listed_is_refused(shop):
    # given a tenant naming a dotted path the operator did not allow
    from django.core.exceptions import ImproperlyConfigured

    sku = make_sku(shop.tenant)
    Tenant.objects.filter(pk=shop.tenant.pk).update(settings={"pricing_policy": "os.system"})
    # when a cart is priced, then it is refused instead of importing it
    with pytest.raises(ImproperlyConfigured):
        _quote(shop, CartItem(sku.pk, D(1)))
