"""Promotions in the price engine: each kind, targeting, stacking, exclusive groups, gifts, flash caps."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dinghuo.core.tenancy import tenant_context
from dinghuo.pricing.engine import CartItem, FlashClaim, price_cart
from dinghuo.pricing.models import PriceList, Promotion, PromotionUsage
from tests.pricing.factories import make_brand, make_category, make_price_list, make_promotion, make_sku

D = Decimal
K = Promotion.Kind


def _quote(shop, *items, at=None):
    with tenant_context(shop.tenant):
        return price_cart(dealer=shop.dealer, items=list(items), at=at)


def _not_applied(line, promotion):
    return [n for n in line.explanation["not_applied"] if n["id"] == promotion.pk]


def _sums_hold(cart):
    assert sum(line.amount for line in cart.lines) == cart.total
    assert cart.subtotal - cart.discount == cart.total
    assert sum(line.tax for line in cart.lines) == cart.tax


# --- threshold 满减 ---------------------------------------------------------------------------------


def test_threshold_not_reached_is_explained_with_the_figures(shop):
    # given 满500减50 and a cart of 420.00
    sku = make_sku(shop.tenant, list_price="42.00")
    promo = make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "500", "off": "50"})
    # when it is priced
    cart = _quote(shop, CartItem(sku.pk, D(10)))
    # then nothing is taken off and the line says why
    assert cart.discount == D("0.00") and cart.promotions == []
    [reason] = _not_applied(cart.lines[0], promo)
    assert reason["reason_code"] == "threshold_not_reached"
    assert "500.00" in reason["reason"] and "420.00" in reason["reason"]


def test_threshold_applies_once_or_repeating(shop):
    # given 满500减50 once, and the same repeating, on two SKUs
    a, b = make_sku(shop.tenant, list_price="100.00"), make_sku(shop.tenant, list_price="100.00")
    once = make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "500", "off": "50"}, scope={"skus": [a.pk]})
    make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "500", "off": "50", "repeat": True}, scope={"skus": [b.pk]})
    # when 1,200.00 of each is ordered
    cart = _quote(shop, CartItem(a.pk, D(12)), CartItem(b.pk, D(12)))
    # then the first takes 50 off, the repeating one 2 × 50
    assert [line.discount for line in cart.lines] == [D("50.00"), D("100.00")]
    assert cart.total == D("2250.00")
    assert cart.lines[0].explanation["promotions"] == [
        {"id": once.pk, "code": once.code, "name": once.name, "kind": "threshold", "amount": "50.00"}
    ]
    _sums_hold(cart)


def test_a_cart_discount_is_allocated_pro_rata_with_the_remainder_on_the_largest_line(shop):
    # given 满100减10 over three lines of 33.33, 33.33 and 66.67 (133.33 in all)
    skus = [make_sku(shop.tenant, list_price=p) for p in ("33.33", "33.33", "66.67")]
    make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "100", "off": "10"})
    # when it is priced
    cart = _quote(shop, *[CartItem(s.pk, D(1)) for s in skus])
    # then the shares add up to 10.00 exactly, the largest line taking what rounding left
    shares = [line.discount for line in cart.lines]
    assert sum(shares) == D("10.00")
    assert shares == [D("2.50"), D("2.50"), D("5.00")]
    _sums_hold(cart)


def test_scope_by_category_subtree_brand_and_sku(shop):
    # given a category 饮料 › 水, a brand, and 8折 on 饮料 (so 水 too), 9折 on the brand
    drinks = make_category(shop.tenant, "饮料")
    water = make_category(shop.tenant, "水", parent=drinks)
    snacks = make_category(shop.tenant, "零食")
    brand = make_brand(shop.tenant)
    in_child = make_sku(shop.tenant, list_price="10.00", category=water)
    branded = make_sku(shop.tenant, list_price="10.00", category=snacks, brand=brand)
    other = make_sku(shop.tenant, list_price="10.00", category=snacks)
    make_promotion(shop.tenant, K.PERCENT, {"percent": "20"}, scope={"categories": [drinks.pk]})
    make_promotion(shop.tenant, K.PERCENT, {"percent": "10"}, scope={"brands": [brand.pk], "skus": [other.pk]})
    # when one of each is priced
    cart = _quote(shop, CartItem(in_child.pk, D(1)), CartItem(branded.pk, D(1)), CartItem(other.pk, D(1)))
    # then the subtree, the brand and the listed SKU are each in their promotion's scope
    assert [line.discount for line in cart.lines] == [D("2.00"), D("1.00"), D("1.00")]


def test_a_discount_never_makes_a_line_negative(shop):
    # given 满10减100
    sku = make_sku(shop.tenant, list_price="30.00")
    make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "10", "off": "100"})
    # when 30.00 is ordered
    cart = _quote(shop, CartItem(sku.pk, D(1)))
    # then the line goes to zero, not below
    assert (cart.lines[0].discount, cart.lines[0].amount, cart.total, cart.tax) == (D("30.00"), 0, 0, 0)


# --- percent ----------------------------------------------------------------------------------------


def test_percent_off_only_the_lines_in_scope(shop):
    # given 8 % off one SKU
    a, b = make_sku(shop.tenant, list_price="12.50"), make_sku(shop.tenant, list_price="12.50")
    promo = make_promotion(shop.tenant, K.PERCENT, {"percent": "8"}, scope={"skus": [a.pk]})
    # when both are ordered
    cart = _quote(shop, CartItem(a.pk, D(3)), CartItem(b.pk, D(3)))
    # then only the first gets 8 % of 37.50 = 3.00
    assert [line.discount for line in cart.lines] == [D("3.00"), D("0.00")]
    assert cart.promotions[0]["id"] == promo.pk and cart.promotions[0]["amount"] == "3.00"
    assert cart.promotions[0]["lines"] == [0]


# --- gifts ------------------------------------------------------------------------------------------


def test_buy_n_get_m_of_a_gift_sku_repeating_in_its_default_unit(shop):
    # given 买10箱送1 of a gift SKU whose default unit is 盒 of 6
    sku = make_sku(shop.tenant, list_price="2.00", units=[("箱", 24, True)])
    gift = make_sku(shop.tenant, list_price="1.50", units=[("盒", 6, True)], product_name="纸巾", name="小包")
    promo = make_promotion(
        shop.tenant,
        K.GIFT,
        {"buy_qty": "10", "buy_unit": "箱", "gift_sku": gift.pk, "gift_qty": "1", "repeat": True},
        scope={"skus": [sku.pk]},
    )
    # when 25 箱 are ordered
    cart = _quote(shop, CartItem(sku.pk, D(25), "箱"))
    # then 2 盒 of the gift are appended at zero price, still with their base quantity for stock
    assert len(cart.lines) == 2
    gift_line = cart.lines[1]
    assert (gift_line.sku_id, gift_line.is_gift, gift_line.promotion_id) == (gift.pk, True, promo.pk)
    assert (gift_line.unit, gift_line.qty, gift_line.qty_base) == ("盒", D(2), D(12))
    assert (gift_line.unit_price, gift_line.amount, gift_line.tax, gift_line.discount) == (0, 0, 0, 0)
    assert gift_line.explanation["gift"]["value_at_list_price"] == "18.00"
    assert gift_line.name == "纸巾 小包"
    assert cart.promotions[0]["gifts"] == [
        {"line": 1, "sku_id": gift.pk, "sku_code": gift.code, "qty": "2", "unit": "盒", "value": "18.00"}
    ]
    assert cart.total == cart.subtotal == D("1200.00")


def test_buy_n_get_one_of_the_same_sku_counts_each_sku_on_its_own(shop):
    # given 买10送1 (搭赠, same SKU) on two SKUs, once
    a, b = make_sku(shop.tenant), make_sku(shop.tenant)
    promo = make_promotion(shop.tenant, K.GIFT, {"buy_qty": "10", "gift_qty": "1"}, scope={"skus": [a.pk, b.pk]})
    # when 15 of a and 9 of b are ordered
    cart = _quote(shop, CartItem(a.pk, D(15)), CartItem(b.pk, D(9)))
    # then a earns one of itself, b earns nothing
    assert [(line.sku_id, line.qty, line.is_gift) for line in cart.lines] == [
        (a.pk, D(15), False),
        (b.pk, D(9), False),
        (a.pk, D(1), True),
    ]
    assert cart.promotions[0]["lines"] == [0]
    assert _not_applied(cart.lines[1], promo) == []  # the promotion did apply to the cart


def test_gift_quantity_not_reached_is_explained(shop):
    sku = make_sku(shop.tenant, units=[("箱", 24)])
    gift = make_sku(shop.tenant)
    promo = make_promotion(
        shop.tenant, K.GIFT, {"buy_qty": "10", "buy_unit": "箱", "gift_sku": gift.pk, "gift_qty": "1"}
    )
    # when 9 箱 are ordered
    cart = _quote(shop, CartItem(sku.pk, D(9), "箱"))
    # then no gift, and the reason names the quantities
    assert len(cart.lines) == 1
    [reason] = _not_applied(cart.lines[0], promo)
    assert reason["reason_code"] == "quantity_not_reached" and "10" in reason["reason"] and "9" in reason["reason"]


def test_spend_x_get_a_gift(shop):
    # given 满1000赠2 and a cart of 1,000.00 exactly
    sku = make_sku(shop.tenant, list_price="100.00")
    gift = make_sku(shop.tenant, list_price="5.00")
    make_promotion(shop.tenant, K.GIFT, {"threshold": "1000", "gift_sku": gift.pk, "gift_qty": "2"})
    # when it is priced
    cart = _quote(shop, CartItem(sku.pk, D(10)))
    # then two gifts are added and the cart still costs 1,000.00
    assert [(line.sku_id, line.qty, line.is_gift) for line in cart.lines][1] == (gift.pk, D(2), True)
    assert cart.total == D("1000.00")


def test_an_inactive_gift_sku_is_not_given(shop):
    sku = make_sku(shop.tenant, list_price="100.00")
    gift = make_sku(shop.tenant, is_active=False)
    promo = make_promotion(shop.tenant, K.GIFT, {"threshold": "100", "gift_sku": gift.pk, "gift_qty": "1"})
    cart = _quote(shop, CartItem(sku.pk, D(1)))
    assert len(cart.lines) == 1
    assert _not_applied(cart.lines[0], promo)[0]["reason_code"] == "gift_unavailable"


# --- flash sales ------------------------------------------------------------------------------------


def test_flash_price_applies_to_what_is_left_and_the_rest_is_priced_normally(shop):
    # given a flash sale at 6.00 capped at 50 in all (42 sold) and 20 per dealer
    sku = make_sku(shop.tenant, list_price="10.00", units=[("箱", 6)])
    promo = make_promotion(
        shop.tenant, K.FLASH, {"sku": sku.pk, "price": "6.00"}, total_cap=D(50), per_dealer_cap=D(20)
    )
    Promotion.unscoped.filter(pk=promo.pk).update(sold_qty=D(42))
    # when the dealer orders 2 箱 (12) and 3 more on a second line
    cart = _quote(shop, CartItem(sku.pk, D(2), "箱"), CartItem(sku.pk, D(3)))
    # then only 8 get the flash price (on the first line), the rest the normal price, and it is explained
    first, second = cart.lines
    assert (first.discount, first.amount, first.promotion_id) == (D("32.00"), D("88.00"), promo.pk)
    assert (second.discount, second.amount, second.promotion_id) == (D("0.00"), D("30.00"), None)
    assert first.explanation["flash"]["qty_base_at_flash_price"] == "8"
    assert first.explanation["flash"]["qty_base_at_normal_price"] == "4"
    assert "8" in first.explanation["flash"]["reason"]
    assert cart.flash_claims == [FlashClaim(promo.pk, sku.pk, D(8), D(20), D(50))]


def test_flash_per_dealer_usage_limits_what_the_dealer_gets(shop):
    # given a flash sale with 5 per dealer, of which the dealer already took 3
    sku = make_sku(shop.tenant, list_price="10.00")
    promo = make_promotion(shop.tenant, K.FLASH, {"sku": sku.pk, "price": "6.00"}, per_dealer_cap=D(5))
    with tenant_context(shop.tenant):
        PromotionUsage.objects.create(promotion=promo, dealer=shop.dealer, qty=D(3), cap=D(5))
    # when 4 are ordered
    cart = _quote(shop, CartItem(sku.pk, D(4)))
    # then 2 are at the flash price
    assert cart.lines[0].discount == D("8.00")
    assert cart.flash_claims[0].qty_base == D(2)
    # and once the dealer's 5 are used, the line says the limit is reached
    with tenant_context(shop.tenant):
        PromotionUsage.objects.filter(promotion=promo).update(qty=D(5))
    cart = _quote(shop, CartItem(sku.pk, D(4)))
    assert cart.flash_claims == [] and _not_applied(cart.lines[0], promo)[0]["reason_code"] == "dealer_limit"


def test_a_sold_out_flash_sale_is_explained(shop):
    sku = make_sku(shop.tenant, list_price="10.00")
    promo = make_promotion(shop.tenant, K.FLASH, {"sku": sku.pk, "price": "6.00"}, total_cap=D(5))
    Promotion.unscoped.filter(pk=promo.pk).update(sold_qty=D(5))
    cart = _quote(shop, CartItem(sku.pk, D(1)))
    assert cart.total == D("10.00") and _not_applied(cart.lines[0], promo)[0]["reason_code"] == "sold_out"


def test_a_flash_price_above_the_dealers_own_price_does_not_apply(shop):
    # given a contract price of 5.00 and a flash sale at 6.00
    sku = make_sku(shop.tenant, list_price="10.00")
    make_price_list(shop.tenant, PriceList.Kind.CONTRACT, {sku: "5.00"}, dealer=shop.dealer)
    promo = make_promotion(shop.tenant, K.FLASH, {"sku": sku.pk, "price": "6.00"}, total_cap=D(5))
    cart = _quote(shop, CartItem(sku.pk, D(1)))
    assert cart.total == D("5.00") and cart.flash_claims == []
    assert _not_applied(cart.lines[0], promo)[0]["reason_code"] == "flash_not_lower"


# --- targeting and windows ---------------------------------------------------------------------------


def test_promotions_target_tiers_and_regions_and_others_are_not_mentioned(shop):
    # given promotions for the dealer's tier, for another tier, for 广东 and for 浙江
    sku = make_sku(shop.tenant, list_price="100.00")
    mine = make_promotion(shop.tenant, K.PERCENT, {"percent": "1"}, tiers=["gold"])
    make_promotion(shop.tenant, K.PERCENT, {"percent": "2"}, tiers=["std"])
    guangdong = make_promotion(shop.tenant, K.PERCENT, {"percent": "3"}, regions=["440000"])
    make_promotion(shop.tenant, K.PERCENT, {"percent": "4"}, regions=["330000"])
    # when the 金牌 dealer of 南山区 prices a cart
    cart = _quote(shop, CartItem(sku.pk, D(1)))
    # then its tier's and its province's promotions apply, and the others are never named
    assert {p["id"] for p in cart.promotions} == {mine.pk, guangdong.pk}
    assert cart.lines[0].explanation["not_applied"] == []


def test_inactive_and_out_of_window_promotions_are_ignored(shop):
    now = timezone.now()
    sku = make_sku(shop.tenant, list_price="100.00")
    make_promotion(shop.tenant, K.PERCENT, {"percent": "1"}, is_active=False)
    make_promotion(
        shop.tenant,
        K.PERCENT,
        {"percent": "2"},
        valid_from=now + dt.timedelta(hours=1),
        valid_to=now + dt.timedelta(days=1),
    )
    make_promotion(
        shop.tenant,
        K.PERCENT,
        {"percent": "3"},
        valid_from=now - dt.timedelta(days=2),
        valid_to=now - dt.timedelta(days=1),
    )
    assert _quote(shop, CartItem(sku.pk, D(1)), at=now).promotions == []


# --- stacking ---------------------------------------------------------------------------------------


def test_the_threshold_counts_the_amount_after_earlier_promotions(shop):
    # given 10 % off (priority 10) and 满500减50 (priority 5), both stackable
    sku = make_sku(shop.tenant, list_price="110.00")
    pct = make_promotion(shop.tenant, K.PERCENT, {"percent": "10"}, priority=10)
    thr = make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "500", "off": "50"}, priority=5)
    # when 550.00 is ordered: 495.00 after the 10 %, below the threshold
    cart = _quote(shop, CartItem(sku.pk, D(5)))
    assert [p["id"] for p in cart.promotions] == [pct.pk]
    assert "495.00" in _not_applied(cart.lines[0], thr)[0]["reason"]
    # when 660.00 is ordered: 594.00 after the 10 %, so both apply
    cart = _quote(shop, CartItem(sku.pk, D(6)))
    assert [p["id"] for p in cart.promotions] == [pct.pk, thr.pk]
    assert cart.total == D("544.00")


def test_a_non_stackable_promotion_skips_lines_another_promotion_touched(shop):
    # given 5 % off a (priority 10, stackable) and a non-stackable 满100减20 on everything (priority 1)
    a, b = make_sku(shop.tenant, list_price="100.00"), make_sku(shop.tenant, list_price="100.00")
    make_promotion(shop.tenant, K.PERCENT, {"percent": "5"}, scope={"skus": [a.pk]}, priority=10)
    lone = make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "100", "off": "20"}, priority=1, stackable=False)
    # when a and b are ordered
    cart = _quote(shop, CartItem(a.pk, D(1)), CartItem(b.pk, D(1)))
    # then the non-stackable one works on b only, and a's explanation says why not
    assert [line.discount for line in cart.lines] == [D("5.00"), D("20.00")]
    assert _not_applied(cart.lines[0], lone)[0]["reason_code"] == "not_stackable"


def test_lines_a_non_stackable_promotion_took_are_closed_to_later_ones(shop):
    # given a non-stackable 10 % (priority 10) on a, then a stackable 满100减20 on everything
    a, b = make_sku(shop.tenant, list_price="100.00"), make_sku(shop.tenant, list_price="100.00")
    lone = make_promotion(
        shop.tenant, K.PERCENT, {"percent": "10"}, scope={"skus": [a.pk]}, priority=10, stackable=False
    )
    later = make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "100", "off": "20"}, priority=1)
    # when a and b are ordered
    cart = _quote(shop, CartItem(a.pk, D(1)), CartItem(b.pk, D(1)))
    # then the later promotion only counts and discounts b
    assert [line.discount for line in cart.lines] == [D("10.00"), D("20.00")]
    reason = _not_applied(cart.lines[0], later)[0]
    assert reason["reason_code"] == "closed" and lone.code in reason["reason"]


def test_a_non_stackable_promotion_alone_on_the_cart_applies(shop):
    sku = make_sku(shop.tenant, list_price="100.00")
    make_promotion(shop.tenant, K.PERCENT, {"percent": "10"}, stackable=False)
    assert _quote(shop, CartItem(sku.pk, D(1))).total == D("90.00")


def test_only_the_best_promotion_of_an_exclusive_group_applies(shop):
    # given an exclusive group with 5 % (priority 9), 满100减8 and 满100减6, and an unrelated 1 %
    sku = make_sku(shop.tenant, list_price="100.00")
    pct = make_promotion(shop.tenant, K.PERCENT, {"percent": "5"}, exclusive_group="new-year", priority=9)
    best = make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "100", "off": "8"}, exclusive_group="new-year")
    make_promotion(shop.tenant, K.THRESHOLD, {"threshold": "100", "off": "6"}, exclusive_group="new-year")
    other = make_promotion(shop.tenant, K.PERCENT, {"percent": "1"}, priority=-1)
    # when 100.00 is ordered
    cart = _quote(shop, CartItem(sku.pk, D(1)))
    # then only 满100减8 of the group applies (plus the unrelated one), and the losers say who won
    assert [p["id"] for p in cart.promotions] == [best.pk, other.pk]
    assert cart.lines[0].discount == D("8.00") + D("0.92")
    lost = _not_applied(cart.lines[0], pct)[0]
    assert lost["reason_code"] == "exclusive" and best.code in lost["reason"]


def test_an_exclusive_tie_goes_to_the_higher_priority(shop):
    sku = make_sku(shop.tenant, list_price="100.00")
    first = make_promotion(shop.tenant, K.PERCENT, {"percent": "5"}, exclusive_group="g", priority=2, code="Z")
    make_promotion(
        shop.tenant, K.THRESHOLD, {"threshold": "100", "off": "5"}, exclusive_group="g", priority=1, code="A"
    )
    cart = _quote(shop, CartItem(sku.pk, D(1)))
    assert [p["id"] for p in cart.promotions] == [first.pk]


def test_a_line_gets_at_most_one_flash_price(shop):
    # given two flash sales on the same SKU
    sku = make_sku(shop.tenant, list_price="10.00")
    first = make_promotion(shop.tenant, K.FLASH, {"sku": sku.pk, "price": "6.00"}, total_cap=D(50), priority=5)
    second = make_promotion(shop.tenant, K.FLASH, {"sku": sku.pk, "price": "5.00"}, total_cap=D(50))
    # when it is ordered
    cart = _quote(shop, CartItem(sku.pk, D(2)))
    # then only the first (by priority) prices it, and the second says why not
    assert (cart.lines[0].amount, cart.lines[0].promotion_id) == (D("12.00"), first.pk)
    assert [c.promotion_id for c in cart.flash_claims] == [first.pk]
    assert _not_applied(cart.lines[0], second)[0]["reason_code"] == "flash_taken"


def test_a_non_stackable_loser_of_an_exclusive_group_still_says_why(shop):
    # given an exclusive pair: 满100减10 (priority 5) and a non-stackable 5 % (priority 1)
    sku = make_sku(shop.tenant, list_price="100.00")
    winner = make_promotion(
        shop.tenant, K.THRESHOLD, {"threshold": "100", "off": "10"}, exclusive_group="g", priority=5
    )
    loser = make_promotion(shop.tenant, K.PERCENT, {"percent": "5"}, exclusive_group="g", stackable=False)
    # when 100.00 is ordered
    cart = _quote(shop, CartItem(sku.pk, D(1)))
    # then the loser is explained as outdone by the winner
    assert [p["id"] for p in cart.promotions] == [winner.pk]
    reason = _not_applied(cart.lines[0], loser)[0]
    assert reason["reason_code"] == "exclusive" and winner.code in reason["reason"]
