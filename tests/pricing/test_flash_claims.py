"""Claiming and releasing flash-sale quantities inside the order's transaction, caps under concurrency."""

import datetime as dt
import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dinghuo.core.tenancy import tenant_context
from dinghuo.dealers.models import Dealer
from dinghuo.pricing import errors
from dinghuo.pricing.engine import CartItem, FlashClaim, claim_flash_sales, price_cart, release_flash_sales
from dinghuo.pricing.models import Promotion, PromotionUsage
from tests.factories import make_dealer
from tests.pricing.factories import make_promotion, make_sku

D = Decimal


def _flash(shop, total_cap=Decimal(50), per_dealer_cap=None, **kw):
    sku = make_sku(shop.tenant, list_price="10.00")
    promo = make_promotion(
        shop.tenant,
        Promotion.Kind.FLASH,
        {"sku": sku.pk, "price": "5.00"},
        total_cap=total_cap,
        per_dealer_cap=per_dealer_cap,
        **kw,
    )
    return sku, promo


def _claim(tenant, dealer_id, promo, sku, qty):
    with tenant_context(tenant), transaction.atomic():
        claim_flash_sales(dealer_id=dealer_id, claims=[FlashClaim(promo.pk, sku.pk, D(qty), None, None)])


def _state(promo, dealer_id=None):
    sold = Promotion.unscoped.get(pk=promo.pk).sold_qty
    usage = PromotionUsage.unscoped.filter(promotion_id=promo.pk, dealer_id=dealer_id).values_list("qty", flat=True)
    return sold, (usage[0] if usage else None)


def test_the_claims_a_priced_cart_returns_are_claimed_and_released(shop):
    # given a flash sale capped at 50 in all and 10 per dealer, and a cart priced with it
    sku, promo = _flash(shop, per_dealer_cap=D(10))
    with tenant_context(shop.tenant):
        cart = price_cart(dealer=shop.dealer, items=[CartItem(sku.pk, D(4))])
        # when the order's transaction claims them
        with transaction.atomic():
            claim_flash_sales(dealer_id=shop.dealer.pk, claims=cart.flash_claims)
    # then the promotion counts them sold and the dealer's usage holds them
    assert _state(promo, shop.dealer.pk) == (D(4), D(4))
    # when the order is cancelled, then they are given back
    with tenant_context(shop.tenant), transaction.atomic():
        release_flash_sales(dealer_id=shop.dealer.pk, claims=cart.flash_claims)
    assert _state(promo, shop.dealer.pk) == (D(0), D(0))


def test_a_claim_past_the_total_cap_is_refused_and_the_transaction_rolls_back(shop):
    # given 48 of 50 sold and another flash sale in the same order
    sku, promo = _flash(shop)
    sku2, promo2 = _flash(shop)
    Promotion.unscoped.filter(pk=promo.pk).update(sold_qty=D(48))
    claims = [FlashClaim(promo2.pk, sku2.pk, D(5), None, D(50)), FlashClaim(promo.pk, sku.pk, D(3), None, D(50))]
    # when an order claims 3 more
    with tenant_context(shop.tenant), pytest.raises(errors.FlashSaleSoldOut) as info, transaction.atomic():
        claim_flash_sales(dealer_id=shop.dealer.pk, claims=claims)
    # then it is refused naming the promotion and SKU, and nothing was claimed
    assert (
        info.value.status == 409 and info.value.detail["promotion"] == promo.pk and info.value.detail["sku"] == sku.pk
    )
    assert _state(promo, shop.dealer.pk) == (D(48), None)
    assert _state(promo2, shop.dealer.pk) == (D(0), None)


def test_a_claim_past_the_dealers_cap_is_refused(shop):
    sku, promo = _flash(shop, per_dealer_cap=D(5))
    _claim(shop.tenant, shop.dealer.pk, promo, sku, 4)
    with pytest.raises(errors.FlashSaleDealerLimit):
        _claim(shop.tenant, shop.dealer.pk, promo, sku, 2)
    # another dealer still can
    _claim(shop.tenant, shop.world.other_dealer.pk, promo, sku, 5)
    assert _state(promo, shop.dealer.pk) == (D(9), D(4))


def test_an_ended_or_deactivated_flash_sale_cannot_be_claimed(shop):
    now = timezone.now()
    sku, ended = _flash(shop, valid_from=now - dt.timedelta(days=2), valid_to=now - dt.timedelta(seconds=1))
    sku2, off = _flash(shop, is_active=False)
    for promo, s in ((ended, sku), (off, sku2)):
        with pytest.raises(errors.FlashSaleEnded):
            _claim(shop.tenant, shop.dealer.pk, promo, s, 1)
        assert _state(promo)[0] == D(0)


@pytest.mark.django_db(transaction=True)
def test_claims_must_run_inside_the_callers_transaction(shop):
    sku, promo = _flash(shop)
    with tenant_context(shop.tenant), pytest.raises(RuntimeError):
        claim_flash_sales(dealer_id=shop.dealer.pk, claims=[FlashClaim(promo.pk, sku.pk, D(1), None, None)])


def test_another_tenants_flash_sale_cannot_be_claimed(shop, world_b):
    # given a flash sale of tenant A
    sku, promo = _flash(shop)
    # when tenant B's order claims it, then it does not exist for B and nothing changes
    with pytest.raises(errors.FlashSaleEnded):
        _claim(world_b.tenant, world_b.dealer.pk, promo, sku, 1)
    assert _state(promo)[0] == D(0)


@pytest.mark.postgres
def test_claims_take_three_statements_whatever_their_number(shop, django_assert_max_num_queries):
    promos = [_flash(shop) for _ in range(10)]
    claims = [FlashClaim(p.pk, s.pk, D(2), None, D(50)) for s, p in promos]
    with tenant_context(shop.tenant), transaction.atomic():
        with django_assert_max_num_queries(3):
            claim_flash_sales(dealer_id=shop.dealer.pk, claims=claims)
        with django_assert_max_num_queries(3):
            release_flash_sales(dealer_id=shop.dealer.pk, claims=claims[:5])
    assert (
        sorted(Promotion.unscoped.filter(pk__in=[p.pk for _s, p in promos]).values_list("sold_qty", flat=True))
        == [D(0)] * 5 + [D(2)] * 5
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_sell_past_the_caps(shop):
    # given a flash sale capped at 50 in all and 10 per dealer, and 8 dealers
    sku, promo = _flash(shop, total_cap=D(50), per_dealer_cap=D(10))
    dealers = [shop.dealer.pk] + [make_dealer(shop.tenant).pk for _ in range(7)]
    rng = random.Random(7)
    wants = [rng.randint(1, 3) for _ in range(40)]
    barrier = threading.Barrier(40)
    got: list[tuple[int, int]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def buyer(i: int) -> None:
        dealer_id = dealers[i % len(dealers)]
        try:
            barrier.wait()
            qty = wants[i]
            while qty > 0:  # on refusal, try for less: so the sale can really sell out
                try:
                    _claim(shop.tenant, dealer_id, promo, sku, qty)
                except (errors.FlashSaleSoldOut, errors.FlashSaleDealerLimit):
                    qty -= 1
                else:
                    with lock:
                        got.append((dealer_id, qty))
                    return
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    # when 40 threads each claim 1–3 units in their own transactions at once
    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # then exactly 50 are sold, the counter equals the successful claims, and no dealer passed 10
    assert failures == []
    sold = Promotion.unscoped.get(pk=promo.pk).sold_qty
    assert sold == D(50) == sum(q for _d, q in got)
    usage = dict(PromotionUsage.unscoped.filter(promotion_id=promo.pk).values_list("dealer_id", "qty"))
    for dealer_id in dealers:
        mine = sum(q for d, q in got if d == dealer_id)
        assert usage.get(dealer_id, D(0)) == mine <= 10
    assert Dealer.unscoped.filter(pk__in=dealers).count() == 8
