"""Price list and promotion services: validation, overlap, permissions, audit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import PermissionDenied, ValidationError
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import tenant_context
from dinghuo.pricing import errors
from dinghuo.pricing.models import PriceList, PriceListItem, Promotion
from dinghuo.pricing.selectors import dealer_price, price_list_list
from dinghuo.pricing.services import (
    price_item_remove,
    price_item_set,
    price_list_create,
    price_list_update,
    promotion_create,
    promotion_deactivate,
    promotion_update,
)
from tests.pricing.factories import make_category, make_price_list, make_sku

D = Decimal
DAY = dt.timedelta(days=1)


def test_setting_volume_tiers_replaces_the_ladder_and_audits_before_and_after(shop):
    # given a tier list with a SKU at 10.00
    sku = make_sku(shop.tenant)
    pl = make_price_list(shop.tenant, PriceList.Kind.TIER, {sku: "10.00"}, tier=shop.tier)
    admin = shop.world.actor(Role.ADMIN)
    with tenant_context(shop.tenant):
        # when an admin sets three tiers
        items = price_item_set(
            actor=admin, price_list=pl, sku=sku, tiers=[("48", "9.00"), ("1", "9.80"), ("12", "9.50")]
        )
        # then the ladder is replaced, sorted, and the change is audited with both ladders
        assert [(i.min_qty, i.price) for i in items] == [(D(1), D("9.80")), (D(12), D("9.50")), (D(48), D("9.00"))]
        assert PriceListItem.objects.filter(price_list=pl).count() == 3
        entry = AuditEntry.objects.filter(action="price_item.set", object_id=str(pl.pk)).latest("id")
        assert entry.before == {"sku": sku.pk, "tiers": [["1", "10.00"]]}
        assert entry.after["tiers"] == [["1", "9.80"], ["12", "9.50"], ["48", "9.00"]]
        assert entry.actor_id == admin.user_id


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ([("1", "-0.01")], "tiers.0.price"),
        ([("0", "1.00")], "tiers.0.min_qty"),
        ([("-5", "1.00")], "tiers.0.min_qty"),
        ([("1", "1.005")], "tiers.0.price"),
        ([("1", "1.00"), ("1.000", "0.90")], "tiers.1.min_qty"),
        ([("1", "abc")], "tiers.0"),
        ([("1", 1.5)], "tiers.0"),
    ],
)
def test_bad_prices_are_refused_and_nothing_is_saved(shop, tiers, field):
    sku = make_sku(shop.tenant)
    pl = make_price_list(shop.tenant, prices={sku: "5.00"})
    with tenant_context(shop.tenant):
        with pytest.raises(errors.PriceInvalid) as info:
            price_item_set(actor=shop.world.actor(Role.ADMIN), price_list=pl, sku=sku, tiers=tiers)
        assert field in info.value.detail[str(sku.pk)]
        assert list(PriceListItem.objects.filter(price_list=pl).values_list("price", flat=True)) == [D("5.00")]


def test_an_unknown_or_foreign_sku_is_refused(shop, world_b):
    foreign = make_sku(world_b.tenant)
    pl = make_price_list(shop.tenant)
    with tenant_context(shop.tenant):
        for sku in (foreign.pk, 987_654_321):
            with pytest.raises(errors.PriceInvalid) as info:
                price_item_set(actor=shop.world.actor(Role.ADMIN), price_list=pl, sku=sku, price="1.00")
            assert list(info.value.detail[str(sku)]) == ["sku"]
        assert not PriceListItem.objects.filter(price_list=pl).exists()


def test_overlapping_lists_of_the_same_target_may_not_price_the_same_sku(shop):
    # given a contract list for the dealer for this month pricing a and b
    now = timezone.now()
    a, b, c = make_sku(shop.tenant), make_sku(shop.tenant), make_sku(shop.tenant)
    first = make_price_list(
        shop.tenant,
        PriceList.Kind.CONTRACT,
        {a: "1.00", b: "1.00"},
        dealer=shop.dealer,
        code="C-NOV",
        valid_from=now - DAY,
        valid_to=now + 30 * DAY,
    )
    second = make_price_list(
        shop.tenant, PriceList.Kind.CONTRACT, {c: "2.00"}, dealer=shop.dealer, code="C-PROMO", valid_from=now + 10 * DAY
    )
    admin = shop.world.actor(Role.ADMIN)
    with tenant_context(shop.tenant):
        # when the second (overlapping from day 10) list is given b, then it is refused naming both lists
        with pytest.raises(errors.PriceListOverlap) as info:
            price_item_set(actor=admin, price_list=second, sku=b, price="0.50")
        assert "C-PROMO" in info.value.message and "C-NOV" in info.value.message
        assert info.value.detail == {"price_list": "C-NOV", "sku": b.code}
        assert not PriceListItem.objects.filter(price_list=second, sku=b).exists()
        # and moving its start so that the windows touch end to start is fine
        price_list_update(actor=admin, price_list=second, valid_from=first.valid_to)
        price_item_set(actor=admin, price_list=second, sku=b, price="0.50")
        # but moving it back into the first list's window is refused
        with pytest.raises(errors.PriceListOverlap):
            price_list_update(actor=admin, price_list=second, valid_from=now)
        assert PriceList.objects.get(pk=second.pk).valid_from == first.valid_to
        assert second.valid_from == first.valid_to  # the caller's instance is left as it was, too
        # while another dealer's list, a different kind, or an inactive list may price b at the same time
        make_price_list(shop.tenant, PriceList.Kind.CONTRACT, {b: "3.00"}, dealer=shop.world.other_dealer)
        make_price_list(shop.tenant, PriceList.Kind.GROUP, {b: "3.00"}, price_group=shop.group)
        make_price_list(shop.tenant, PriceList.Kind.CONTRACT, {b: "3.00"}, dealer=shop.dealer, is_active=False)


def test_two_open_ended_list_price_lists_may_not_price_the_same_sku(shop):
    sku = make_sku(shop.tenant)
    make_price_list(shop.tenant, prices={sku: "1.00"}, code="L1")
    pl2 = make_price_list(shop.tenant, code="L2")
    with tenant_context(shop.tenant), pytest.raises(errors.PriceListOverlap):
        price_item_set(actor=shop.world.actor(Role.ADMIN), price_list=pl2, sku=sku, price="1.10")


def test_price_list_validation(shop):
    admin = shop.world.actor(Role.ADMIN)
    now = timezone.now()
    with tenant_context(shop.tenant):
        with pytest.raises(errors.WindowInvalid):
            price_list_create(actor=admin, code="W", name="w", kind="list", valid_from=now, valid_to=now - DAY)
        with pytest.raises(ValidationError) as info:
            price_list_create(actor=admin, code="T", name="t", kind="tier")
        assert list(info.value.detail) == ["tier"]
        with pytest.raises(ValidationError):
            price_list_create(actor=admin, code="R", name="r", kind="region", region_code="440305")  # a district
        with pytest.raises(ValidationError):
            price_list_create(actor=admin, code="X", name="x", kind="nonsense")
        pl = price_list_create(actor=admin, code="OK", name="ok", kind="region", region_code="440300")
        with pytest.raises(errors.PriceListCodeTaken):
            price_list_create(actor=admin, code="OK", name="again", kind="list")
        assert PriceList.objects.filter(code__in=["W", "T", "R", "X"]).count() == 0
        assert AuditEntry.objects.filter(action="price_list.created", object_id=str(pl.pk)).exists()


def test_price_services_need_the_permission(shop):
    sku = make_sku(shop.tenant)
    pl = make_price_list(shop.tenant)
    with tenant_context(shop.tenant):
        for role in (Role.SALES_REP, Role.FINANCE):
            with pytest.raises(PermissionDenied):
                price_item_set(actor=shop.world.actor(role), price_list=pl, sku=sku, price="1.00")
        with pytest.raises(PermissionDenied):
            promotion_create(
                actor=shop.world.actor(Role.DEALER_ADMIN),
                code="P",
                name="p",
                kind="percent",
                rules={"percent": "5"},
                valid_from=timezone.now(),
                valid_to=timezone.now() + DAY,
            )


def test_removing_a_price_is_audited(shop):
    sku = make_sku(shop.tenant)
    pl = make_price_list(shop.tenant, prices={sku: [("1", "2.00"), ("10", "1.80")]})
    with tenant_context(shop.tenant):
        assert price_item_remove(actor=shop.world.actor(Role.ADMIN), price_list=pl, sku=sku) == 2
        entry = AuditEntry.objects.filter(action="price_item.removed").latest("id")
        assert entry.before == {"sku": sku.pk, "tiers": [["1", "2.00"], ["10", "1.80"]]}


# --- promotions -------------------------------------------------------------------------------------


def _promo(shop, **kw):
    now = timezone.now()
    base = {
        "actor": shop.world.actor(Role.ADMIN),
        "code": "P1",
        "name": "促销",
        "kind": "threshold",
        "rules": {"threshold": "500", "off": "50"},
        "valid_from": now,
        "valid_to": now + DAY,
    }
    base.update(kw)
    with tenant_context(shop.tenant):
        return promotion_create(**base)


def test_a_promotion_is_normalised_and_audited(shop):
    cat = make_category(shop.tenant)
    promo = _promo(shop, rules={"threshold": 500, "off": "50.0", "repeat": 1}, scope={"categories": [str(cat.pk)]})
    assert promo.rules == {"threshold": "500.00", "off": "50.00", "repeat": True}
    assert promo.scope == {"categories": [cat.pk]}
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.filter(action="promotion.created", object_id=str(promo.pk)).exists()


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"rules": {"threshold": "500"}}, errors.PromotionInvalid),
        ({"rules": {"threshold": "-1", "off": "5"}}, errors.PromotionInvalid),
        ({"rules": {"threshold": "100", "off": "5.001"}}, errors.PromotionInvalid),
        ({"kind": "percent", "rules": {"percent": "120"}}, errors.PromotionInvalid),
        ({"kind": "gift", "rules": {"buy_qty": "10", "gift_qty": "1.5"}}, errors.PromotionInvalid),
        ({"kind": "gift", "rules": {"threshold": "10", "gift_qty": "1"}}, errors.PromotionInvalid),
        ({"kind": "gift", "rules": {"buy_qty": "10", "gift_qty": "1", "gift_sku": 987654321}}, errors.ScopeUnknown),
        ({"kind": "flash", "rules": {"sku": 987654321, "price": "1.00"}, "total_cap": 5}, errors.ScopeUnknown),
        ({"scope": {"skus": [987654321]}}, errors.ScopeUnknown),
        ({"scope": {"categories": [987654321]}}, errors.ScopeUnknown),
        ({"scope": {"brands": ["x"]}}, errors.ScopeUnknown),
        ({"scope": {"dealers": [1]}}, errors.PromotionInvalid),
        ({"tiers": ["platinum"]}, errors.ScopeUnknown),
        ({"regions": ["999999"]}, errors.ScopeUnknown),
        ({"total_cap": 10}, errors.PromotionInvalid),
        ({"valid_to": timezone.now() - DAY}, errors.WindowInvalid),
    ],
)
def test_bad_promotions_are_refused_and_nothing_is_saved(shop, kw, error):
    with pytest.raises(error):
        _promo(shop, **kw)
    with tenant_context(shop.tenant):
        assert not Promotion.objects.exists()


def test_a_flash_sale_needs_a_cap(shop):
    sku = make_sku(shop.tenant)
    with pytest.raises(errors.FlashCapsMissing):
        _promo(shop, kind="flash", rules={"sku": sku.pk, "price": "1.00"})
    promo = _promo(shop, kind="flash", rules={"sku": sku.pk, "price": "1.00"}, per_dealer_cap="5")
    assert promo.per_dealer_cap == D(5) and promo.rules == {"sku": sku.pk, "price": "1.00"}


def test_updating_a_promotion_revalidates_and_keeps_caps_above_what_is_sold(shop):
    sku = make_sku(shop.tenant)
    promo = _promo(shop, kind="flash", rules={"sku": sku.pk, "price": "1.00"}, total_cap=D(50))
    Promotion.unscoped.filter(pk=promo.pk).update(sold_qty=D(20))
    admin = shop.world.actor(Role.ADMIN)
    with tenant_context(shop.tenant):
        with pytest.raises(errors.PromotionInvalid):
            promotion_update(actor=admin, promotion=promo, total_cap=D(10))
        with pytest.raises(ValidationError):
            promotion_update(actor=admin, promotion=promo, kind="percent")
        promotion_update(actor=admin, promotion=promo, total_cap=D(30), priority=5)
        fresh = Promotion.objects.get(pk=promo.pk)
        assert (fresh.total_cap, fresh.priority, fresh.sold_qty) == (D(30), 5, D(20))
        entry = AuditEntry.objects.filter(action="promotion.updated").latest("id")
        assert (entry.before, entry.after) == ({"total_cap": "50", "priority": 0}, {"total_cap": "30", "priority": 5})
        promotion_deactivate(actor=admin, promotion=fresh, reason="库存不足")
        assert not Promotion.objects.get(pk=promo.pk).is_active
        assert AuditEntry.objects.filter(action="promotion.deactivated", reason="库存不足").exists()


# --- selectors --------------------------------------------------------------------------------------


def test_price_lists_come_with_item_and_sku_counts(shop):
    a, b = make_sku(shop.tenant), make_sku(shop.tenant)
    make_price_list(shop.tenant, prices={a: [("1", "2.00"), ("10", "1.90")], b: "3.00"}, code="L-1")
    with tenant_context(shop.tenant):
        [pl] = price_list_list(actor=shop.world.actor(Role.SALES_REP))
        assert (pl.code, pl.item_count, pl.sku_count) == ("L-1", 3, 2)


def test_a_dealers_price_for_a_sku_with_its_tiers(shop):
    sku = make_sku(shop.tenant, list_price="12.00")
    make_price_list(shop.tenant, prices={sku: "11.00"})
    make_price_list(
        shop.tenant, PriceList.Kind.TIER, {sku: [("1", "10.00"), ("24", "9.50")]}, tier=shop.tier, code="GOLD"
    )
    with tenant_context(shop.tenant):
        # the dealer itself may ask; another dealer's user may not
        price = dealer_price(actor=shop.world.actor(Role.BUYER), dealer=shop.dealer, sku=sku)
        assert (price.price, price.source, price.price_list_code) == (D("10.00"), "tier", "GOLD")
        assert price.tiers == [(D(1), D("10.00")), (D(24), D("9.50"))] and price.saving == D("2.00")
        with pytest.raises(PermissionDenied):
            dealer_price(actor=shop.world.actor(Role.BUYER), dealer=shop.world.other_dealer, sku=sku)
