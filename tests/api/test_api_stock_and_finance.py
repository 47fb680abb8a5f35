from decimal import Decimal

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.inventory.models import Stock, StockMovement
from tests.api.conftest import make_key


def sync(api, key, sync_id, lines, mode="snapshot", headers=None):
    body = {"warehouse": "GZ", "sync_id": sync_id, "mode": mode, "lines": lines}
    return api.post("/stock/sync", body, key=key, headers=headers)


def test_a_wms_pushes_a_snapshot_once_per_sync_id(api, keys, shop):
    # given the warehouse's key
    lines = [{"sku_code": "COLA", "qty": "800"}, {"sku_code": "WATER", "qty": "1200"}]
    # when it pushes a snapshot, and retries the same push
    first = sync(api, keys["warehouse"], "WMS-0001", lines)
    again = sync(api, keys["warehouse"], "WMS-0001", lines)
    # then stock is set once, and the retry answers the same
    assert first.status_code == 200, first.content
    assert first.json()["changed"] == 2 and first.json() == again.json()
    with tenant_context(shop.tenant):
        cola = Stock.objects.get(sku=shop.skus["COLA"], warehouse=shop.warehouses["gz"])
        assert cola.on_hand == Decimal(800)
        assert StockMovement.objects.filter(kind="sync", ref_id="WMS-0001").count() == 2
    # and the same sync id with other counts is refused
    other = sync(api, keys["warehouse"], "WMS-0001", [{"sku_code": "COLA", "qty": "1"}])
    assert other.status_code >= 400 and other.status_code < 500 and other.json()["code"] == "sync_id_reused"


def test_a_delta_push_and_unknown_skus(api, keys, shop):
    assert sync(api, keys["warehouse"], "D-1", [{"sku_code": "COLA", "qty": "-5"}], mode="delta").status_code == 200
    with tenant_context(shop.tenant):
        assert Stock.objects.get(sku=shop.skus["COLA"], warehouse=shop.warehouses["gz"]).on_hand == Decimal(995)
    unknown = sync(api, keys["warehouse"], "D-2", [{"sku_code": "NOPE", "qty": "1"}])
    assert unknown.status_code == 400 and unknown.json()["detail"] == {"unknown_skus": ["NOPE"]}
    missing = api.post("/stock/sync", {"warehouse": "XX", "sync_id": "D-3", "lines": [{"sku_code": "COLA", "qty": "1"}]},
                       key=keys["warehouse"])  # fmt: skip
    assert missing.status_code == 404 and missing.json()["code"] == "warehouse_not_found"


def test_only_roles_that_manage_stock_may_push(api, world, keys, shop):
    refused = sync(api, keys["buyer"], "X-1", [{"sku_code": "COLA", "qty": "1"}])
    assert refused.status_code == 403
    read_only = make_key(world.staff[Role.OWNER], ["inventory.view"])
    assert sync(api, read_only, "X-2", [{"sku_code": "COLA", "qty": "1"}]).status_code == 403
    assert api.get("/stock", key=read_only).status_code == 200


def test_stock_is_read_with_filters_and_pages(api, keys, shop):
    everything = api.get("/stock?limit=3", key=keys["warehouse"]).json()
    assert len(everything["items"]) == 3 and everything["next_cursor"]
    rest = api.get(f"/stock?limit=100&cursor={everything['next_cursor']}", key=keys["warehouse"]).json()
    assert len(everything["items"]) + len(rest["items"]) == 10 and rest["next_cursor"] is None
    cola_gz = api.get("/stock?warehouse=GZ&sku=COLA", key=keys["warehouse"]).json()["items"]
    assert [(s["warehouse"]["code"], s["sku"]["code"], s["available"]) for s in cola_gz] == [("GZ", "COLA", "1000.000")]
    assert [w["code"] for w in api.get("/stock/warehouses", key=keys["warehouse"]).json()] == ["GZ", "HZ"]


def test_balances_are_read_by_finance_and_by_the_own_dealer_only(api, world, keys, shop):
    # given the dealer admin (finance.view) and the tenant's finance user
    mine = api.get("/finance/accounts", key=keys["dealer_admin"]).json()["items"]
    everyone = api.get("/finance/accounts", key=keys["finance"]).json()["items"]
    # then the dealer sees only its own account; finance sees both dealers'
    assert [a["dealer"]["id"] for a in mine] == [world.dealer.pk]
    assert {a["dealer"]["id"] for a in everyone} == {world.dealer.pk, world.other_dealer.pk}
    account = api.get(f"/finance/accounts/{world.dealer.pk}", key=keys["dealer_admin"]).json()
    assert account["credit_limit"] == "100000.00" and account["available_credit"] == "100000.00"
    assert account["overdue"] is False
    entries = api.get(f"/finance/accounts/{world.dealer.pk}/entries", key=keys["finance"])
    assert entries.status_code == 200


def test_placing_an_order_shows_in_the_ledger(api, world, keys, shop):
    api.post("/orders", {"lines": [{"sku_code": "COLA", "qty": "1", "unit": "箱"}]}, key=keys["buyer"])
    account = api.get(f"/finance/accounts/{world.dealer.pk}", key=keys["finance"]).json()
    assert account["credit_hold"] == "72.00" and account["available_credit"] == "99928.00"
    entries = api.get(f"/finance/accounts/{world.dealer.pk}/entries?bucket=credit_hold", key=keys["finance"]).json()
    assert [(e["kind"], e["amount"]) for e in entries["items"]] == [("order_hold", "72.00")]


def test_dealers_are_for_staff_only(api, world, keys, shop):
    listed = api.get("/dealers", key=keys["owner"]).json()["items"]
    assert {d["id"] for d in listed} == {world.dealer.pk, world.other_dealer.pk}
    one = api.get(f"/dealers/{world.dealer.pk}", key=keys["owner"]).json()
    assert one["code"] == world.dealer.code and one["tier"]
    assert api.get("/dealers", key=keys["dealer_admin"]).status_code == 403
    assert api.get(f"/dealers/{world.dealer.pk}", key=keys["dealer_admin"]).status_code == 403
    rep = make_key(world.staff[Role.SALES_REP])
    assert [d["id"] for d in api.get("/dealers", key=rep).json()["items"]] == [world.dealer.pk]


def test_the_catalog_and_price_quote_work_with_keys(api, world, keys, shop):
    product = api.get(f"/catalog/products/{shop.skus['COLA'].product_id}", key=keys["buyer"])
    assert product.status_code == 200 and product.json()["skus"][0]["price"] == "3.00"
    quote = api.post("/pricing/quote", {"lines": [{"sku_id": shop.skus["COLA"].pk, "qty": "2", "unit": "箱"}]},
                     key=keys["buyer"])  # fmt: skip
    assert quote.status_code == 200 and quote.json()["total"] == "144.00"
    staff_quote = api.post(f"/pricing/quote?dealer={world.dealer.pk}",
                           {"lines": [{"sku_id": shop.skus["COLA"].pk, "qty": "1"}]}, key=keys["owner"])  # fmt: skip
    assert staff_quote.status_code == 200
