"""POST /pricing/quote: the signed-in dealer's prices, staff quoting for a dealer, errors as JSON."""

import json
from decimal import Decimal

from dinghuo.accounts.roles import Role
from dinghuo.pricing.models import PriceList, Promotion
from tests.pricing.factories import make_price_list, make_promotion, make_sku

URL = "/api/v1/pricing/quote"
D = Decimal


def _post(client, body, query=""):
    return client.post(URL + query, data=json.dumps(body), content_type="application/json")


def test_a_dealer_quotes_its_own_cart_with_explanations(shop, login, client):
    # given a contract price, a 满减 and a gift for the dealer
    sku = make_sku(shop.tenant, list_price="12.00", units=[("箱", 12, True)])
    gift = make_sku(shop.tenant, list_price="3.00")
    make_price_list(shop.tenant, PriceList.Kind.CONTRACT, {sku: "10.00"}, dealer=shop.dealer, code="HT-1")
    make_promotion(shop.tenant, Promotion.Kind.THRESHOLD, {"threshold": "200", "off": "20"}, code="M200")
    make_promotion(shop.tenant, Promotion.Kind.GIFT, {"buy_qty": "24", "gift_sku": gift.pk, "gift_qty": "1"})
    login(shop.world.user(Role.BUYER))
    # when the buyer quotes 2 箱
    response = _post(client, {"lines": [{"sku_id": sku.pk, "qty": "2", "unit": "箱"}]})
    # then the lines come back priced and explained, with exact decimal strings
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dealer_id"] == shop.dealer.pk
    line, gift_line = body["lines"]
    assert (line["unit_price"], line["discount"], line["amount"]) == ("120.00", "20.00", "220.00")
    assert line["explanation"]["price"]["price_list"]["code"] == "HT-1"
    assert gift_line["is_gift"] is True and gift_line["amount"] == "0.00"
    assert (body["subtotal"], body["discount"], body["total"], body["tax"]) == ("240.00", "20.00", "220.00", "25.31")
    assert next(p["code"] for p in body["promotions"]) == "M200"


def test_a_dealer_cannot_quote_for_another_dealer(shop, login, client):
    sku = make_sku(shop.tenant)
    login(shop.world.user(Role.BUYER))
    response = _post(client, {"lines": [{"sku_id": sku.pk, "qty": "1"}]}, f"?dealer={shop.world.other_dealer.pk}")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_staff_quote_for_a_dealer_they_may_see(shop, world_b, login, client):
    sku = make_sku(shop.tenant, list_price="5.00")
    login(shop.world.user(Role.ADMIN))
    # without a dealer: 400; with one: its prices; another tenant's dealer: 404
    assert _post(client, {"lines": [{"sku_id": sku.pk, "qty": "1"}]}).status_code == 400
    ok = _post(client, {"lines": [{"sku_id": sku.pk, "qty": "3"}]}, f"?dealer={shop.dealer.pk}")
    assert ok.status_code == 200 and ok.json()["total"] == "15.00"
    foreign = _post(client, {"lines": [{"sku_id": sku.pk, "qty": "1"}]}, f"?dealer={world_b.dealer.pk}")
    assert foreign.status_code == 404


def test_a_sales_rep_sees_only_their_dealers(shop, login, client):
    sku = make_sku(shop.tenant)
    login(shop.world.user(Role.SALES_REP))
    mine = _post(client, {"lines": [{"sku_id": sku.pk, "qty": "1"}]}, f"?dealer={shop.dealer.pk}")
    other = _post(client, {"lines": [{"sku_id": sku.pk, "qty": "1"}]}, f"?dealer={shop.world.other_dealer.pk}")
    assert (mine.status_code, other.status_code) == (200, 404)


def test_bad_carts_are_typed_errors_naming_the_line(shop, world_b, login, client):
    sku = make_sku(shop.tenant, units=[("箱", 12)])
    foreign = make_sku(world_b.tenant)
    login(shop.world.user(Role.BUYER))
    cases = [
        ({"lines": []}, 400, "cart_empty", None),
        ({"lines": [{"sku_id": foreign.pk, "qty": "1"}]}, 400, "sku_unknown", 0),
        (
            {"lines": [{"sku_id": sku.pk, "qty": "1"}, {"sku_id": sku.pk, "qty": "1", "unit": "吨"}]},
            400,
            "unit_unknown",
            1,
        ),
        ({"lines": [{"sku_id": sku.pk, "qty": "0"}]}, 400, "qty_invalid", 0),
        ({"lines": [{"sku_id": sku.pk, "qty": "0.5", "unit": "箱"}]}, 400, "qty_not_whole", 0),
        ({"lines": [{"sku_id": sku.pk, "qty": "abc"}]}, 422, "invalid", None),
        ({"lines": [{"sku_id": 2**70, "qty": "1"}]}, 422, "invalid", None),
    ]
    for body, status, code, line in cases:
        response = _post(client, body)
        assert (response.status_code, response.json()["code"]) == (status, code), (body, response.content)
        if line is not None:
            assert response.json()["detail"]["line"] == line


def test_anonymous_requests_are_refused(shop, client):
    response = _post(client, {"lines": [{"sku_id": 1, "qty": "1"}]})
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_dealers_cannot_quote_at_another_time_but_staff_can(shop, login, client):
    # given a price list that starts tomorrow
    import datetime as dt

    from django.utils import timezone

    sku = make_sku(shop.tenant, list_price="10.00")
    tomorrow = timezone.now() + dt.timedelta(days=1)
    make_price_list(shop.tenant, prices={sku: "8.00"}, valid_from=tomorrow)
    body = {"lines": [{"sku_id": sku.pk, "qty": "1"}], "at": (tomorrow + dt.timedelta(hours=1)).isoformat()}
    # when a dealer asks for tomorrow's price, then it gets today's; staff get tomorrow's
    login(shop.world.user(Role.BUYER))
    assert _post(client, body).json()["total"] == "10.00"
    client.logout()
    login(shop.world.user(Role.ADMIN))
    assert _post(client, body, f"?dealer={shop.dealer.pk}").json()["total"] == "8.00"


def test_the_openapi_schema_describes_the_quote():
    from dinghuo.config.api import api

    schema = api.get_openapi_schema(path_prefix="")
    operation = schema["paths"]["/pricing/quote"]["post"]
    assert operation["summary"] == "Quote a cart"
    assert {"QuoteIn", "QuoteOut", "QuoteLineOut"} <= set(schema["components"]["schemas"])


def _key(shop, membership, scopes):
    from dinghuo.api.services import api_key_create
    from dinghuo.core.tenancy import Actor, tenant_context

    with tenant_context(shop.tenant):
        return api_key_create(
            actor=Actor.system(shop.tenant.pk), name="erp", membership=membership, scopes=scopes
        ).secret


def test_an_api_key_quotes_within_its_scopes(shop, client):
    # given a buyer's key with the catalog scope and another with orders.view only
    sku = make_sku(shop.tenant, list_price="4.00")
    buyer = shop.world.dealer_users[Role.BUYER]
    catalog_key, orders_key = _key(shop, buyer, ["catalog"]), _key(shop, buyer, ["orders.view"])
    body = json.dumps({"lines": [{"sku_id": sku.pk, "qty": "2"}]})
    # when each quotes, then the catalog key gets its dealer's prices and the other is refused
    ok = client.post(URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {catalog_key}")
    assert ok.status_code == 200 and ok.json()["total"] == "8.00"
    refused = client.post(URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {orders_key}")
    assert refused.status_code == 403
