"""The Django admin of price lists and promotions: pages load, saves keep the services' rules, prices are audited."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dinghuo.accounts.models import User
from dinghuo.core.models import AuditEntry
from dinghuo.pricing.models import PriceList, PriceListItem, Promotion
from tests.pricing.factories import make_price_list, make_promotion, make_sku

D = Decimal


@pytest.fixture
def root_client(client, db):
    user = User.objects.create_superuser(username="root", password="Root-pass-9876", email="root@example.com")
    client.force_login(user)
    return client


def _list_form(tenant, sku, **over):
    data = {
        "tenant_choice": tenant.pk,
        "code": "ADM-1",
        "name": "后台价目表",
        "kind": "list",
        "region_code": "",
        "is_active": "on",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-sku": sku.pk,
        "items-0-min_qty": "1",
        "items-0-price": "9.90",
        "items-1-sku": sku.pk,
        "items-1-min_qty": "24",
        "items-1-price": "9.50",
    }
    data.update(over)
    return data


def test_admin_pages_load(root_client, shop):
    sku = make_sku(shop.tenant)
    pl = make_price_list(shop.tenant, prices={sku: "1.00"})
    promo = make_promotion(shop.tenant, Promotion.Kind.PERCENT, {"percent": "5"})
    for url in (
        reverse("admin:pricing_pricelist_changelist"),
        reverse("admin:pricing_pricelist_add"),
        reverse("admin:pricing_pricelist_change", args=[pl.pk]),
        reverse("admin:pricing_promotion_changelist"),
        reverse("admin:pricing_promotion_change", args=[promo.pk]),
    ):
        assert root_client.get(url).status_code == 200, url


def test_a_price_list_with_tiers_is_added_in_the_tenant_and_audited(root_client, shop):
    sku = make_sku(shop.tenant)
    response = root_client.post(reverse("admin:pricing_pricelist_add"), _list_form(shop.tenant, sku))
    assert response.status_code == 302, response.content.decode()[:3000]
    pl = PriceList.unscoped.get(code="ADM-1")
    assert pl.tenant_id == shop.tenant.pk
    items = list(
        PriceListItem.unscoped.filter(price_list=pl).order_by("min_qty").values_list("tenant_id", "min_qty", "price")
    )
    assert items == [(shop.tenant.pk, D(1), D("9.90")), (shop.tenant.pk, D(24), D("9.50"))]
    entry = AuditEntry.unscoped.get(action="price_item.set", object_id=str(pl.pk))
    assert entry.tenant_id == shop.tenant.pk and entry.via == "admin" and len(entry.after["prices"]) == 2


def test_the_admin_refuses_overlaps_foreign_skus_and_bad_windows(root_client, shop, world_b):
    sku = make_sku(shop.tenant)
    make_price_list(shop.tenant, prices={sku: "1.00"}, code="L-OLD")
    foreign = make_sku(world_b.tenant)
    now = timezone.now()
    cases = [
        _list_form(shop.tenant, sku),  # overlaps L-OLD
        _list_form(shop.tenant, foreign, **{"items-1-sku": foreign.pk}),  # another tenant's SKU
        _list_form(
            shop.tenant,
            sku,
            is_active="",
            valid_from_0=now.date().isoformat(),
            valid_from_1="10:00:00",
            valid_to_0=now.date().isoformat(),
            valid_to_1="09:00:00",
        ),
        _list_form(shop.tenant, sku, kind="tier", is_active=""),  # a tier list without a tier
    ]
    expected = ["L-OLD", "another tenant", "window", "This field is required"]
    for data, text in zip(cases, expected, strict=True):
        response = root_client.post(reverse("admin:pricing_pricelist_add"), data, HTTP_ACCEPT_LANGUAGE="en")
        page = response.content.decode()
        assert response.status_code == 200 and "errornote" in page  # the form again, with its errors
        assert text in page, re.findall(r"errorlist[^>]*>(.*?)</ul>", page, re.S)
    assert not PriceList.unscoped.filter(code="ADM-1").exists()


def test_the_admin_validates_promotions_like_the_service(root_client, shop):
    sku = make_sku(shop.tenant)
    now = timezone.now()
    data = {
        "tenant_choice": shop.tenant.pk,
        "code": "F-1",
        "name": "秒杀",
        "kind": "flash",
        "rules": json.dumps({"sku": sku.pk, "price": "1.5"}),
        "scope": "{}",
        "tiers": "[]",
        "regions": "[]",
        "priority": "0",
        "stackable": "on",
        "exclusive_group": "",
        "valid_from_0": now.date().isoformat(),
        "valid_from_1": "00:00:00",
        "valid_to_0": (now + timezone.timedelta(days=2)).date().isoformat(),
        "valid_to_1": "00:00:00",
        "total_cap": "",
        "per_dealer_cap": "",
        "is_active": "on",
    }
    # without a cap: refused
    refused = root_client.post(reverse("admin:pricing_promotion_add"), data)
    assert refused.status_code == 200 and "errornote" in refused.content.decode()
    # with one: saved, normalised, in the tenant
    response = root_client.post(reverse("admin:pricing_promotion_add"), {**data, "total_cap": "100"})
    assert response.status_code == 302
    promo = Promotion.unscoped.get(code="F-1")
    assert (promo.tenant_id, promo.rules, promo.total_cap) == (shop.tenant.pk, {"sku": sku.pk, "price": "1.50"}, D(100))


def test_the_admin_explains_a_bad_tier_price_or_quantity_and_saves_nothing(root_client, shop):
    # given a SKU
    sku = make_sku(shop.tenant)
    cases = [
        ({"items-0-price": "-1.00"}, "The price must be zero or more"),
        ({"items-0-price": "1.005"}, "no more than 2 decimal places"),
        ({"items-1-min_qty": "0"}, "The quantity must be greater than zero"),
    ]
    for over, text in cases:
        # when a list is added with a negative or fractional-fen price, or a tier from 0
        data = _list_form(shop.tenant, sku, **over)
        response = root_client.post(reverse("admin:pricing_pricelist_add"), data, HTTP_ACCEPT_LANGUAGE="en")
        # then the form comes back saying what is wrong with that cell, and nothing is saved
        page = response.content.decode()
        assert response.status_code == 200 and "errornote" in page
        errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
        assert any(text in e for e in errors) and "Constraint" not in page, errors
    assert not PriceList.unscoped.filter(code="ADM-1").exists()
    assert not PriceListItem.unscoped.filter(sku=sku).exists()


def test_moving_a_lists_window_onto_another_of_the_same_target_is_refused(root_client, shop):
    # given two list-price lists pricing the same SKU, one ended, one current
    sku = make_sku(shop.tenant)
    now = timezone.now()
    old = make_price_list(
        shop.tenant,
        prices={sku: "1.00"},
        code="L-OLD",
        valid_from=now - timezone.timedelta(days=30),
        valid_to=now - timezone.timedelta(days=10),
    )
    make_price_list(shop.tenant, prices={sku: "2.00"}, code="L-NOW", valid_from=now - timezone.timedelta(days=1))
    item = PriceListItem.unscoped.get(price_list=old)
    # when the ended list's end is moved into the current list's window
    data = _list_form(
        shop.tenant,
        sku,
        code="L-OLD",
        valid_from_0=(now - timezone.timedelta(days=30)).date().isoformat(),
        valid_from_1="00:00:00",
        valid_to_0=(now + timezone.timedelta(days=10)).date().isoformat(),
        valid_to_1="00:00:00",
        **{
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "1",
            "items-0-id": item.pk,
            "items-0-price_list": old.pk,
            "items-0-price": "1.00",
        },
    )
    response = root_client.post(
        reverse("admin:pricing_pricelist_change", args=[old.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    # then the form names the list it would overlap, and the window is unchanged
    page = response.content.decode()
    assert response.status_code == 200 and "L-NOW" in page, page[:3000]
    assert PriceList.unscoped.get(pk=old.pk).valid_to < now
