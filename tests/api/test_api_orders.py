from decimal import Decimal

from dinghuo.core.tenancy import tenant_context
from dinghuo.notify.models import OutboxEvent
from dinghuo.orders.models import Order

COLA = {"sku_code": "COLA", "qty": "2", "unit": "箱"}


def test_a_dealer_key_places_an_order_by_sku_code_with_prices_as_strings(api, keys, shop):
    # given a buyer's key
    # when it places an order by SKU code
    response = api.post("/orders", {"lines": [COLA], "note": "ERP PO-1"}, key=keys["buyer"])
    # then the order is placed for its dealer, through the API channel, priced in decimal strings
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["dealer"]["id"] == shop.dealer.pk and body["channel"] == "api" and body["status"] == "approved"
    assert body["total"] == "144.00" and body["lines"][0]["unit_price"] == "72.00"
    assert body["lines"][0]["qty"] == "2.000" and isinstance(body["lines"][0]["explanation"], dict)
    # and it left an order.created event in the outbox
    with tenant_context(shop.tenant):
        assert OutboxEvent.objects.filter(topic="order.created", aggregate_id=str(body["id"])).exists()


def test_the_same_idempotency_key_and_body_replays_the_first_response(api, keys, shop):
    # given an order placed with an Idempotency-Key
    first = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"], headers={"Idempotency-Key": "PO-77"})
    assert first.status_code == 201
    # when the same request is retried
    again = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"], headers={"Idempotency-Key": "PO-77"})
    # then the stored response comes back (status and body) and there is still one order
    assert (again.status_code, again.json()) == (201, first.json())
    with tenant_context(shop.tenant):
        assert Order.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_422(api, keys, shop):
    # given a key already used
    api.post("/orders", {"lines": [COLA]}, key=keys["buyer"], headers={"Idempotency-Key": "PO-78"})
    # when it is reused for another order
    other = api.post(
        "/orders", {"lines": [{**COLA, "qty": "3"}]}, key=keys["buyer"], headers={"Idempotency-Key": "PO-78"}
    )
    # then it is refused with its code, and nothing more is placed
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    with tenant_context(shop.tenant):
        assert Order.objects.count() == 1


def test_idempotency_keys_are_scoped_to_the_caller(api, keys, shop):
    # given two keys of the same dealer using the same Idempotency-Key
    a = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"], headers={"Idempotency-Key": "same"})
    b = api.post("/orders", {"lines": [COLA]}, key=keys["dealer_admin"], headers={"Idempotency-Key": "same"})
    # then each places its own order
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_a_staff_key_orders_on_behalf_and_must_name_the_dealer(api, keys, shop):
    # given the owner's key
    missing = api.post("/orders", {"lines": [COLA]}, key=keys["owner"])
    assert missing.status_code == 400 and missing.json()["code"] == "invalid"
    assert list(missing.json()["detail"]) == ["dealer_id"]
    # when it names the dealer
    placed = api.post("/orders", {"dealer_id": shop.dealer.pk, "lines": [COLA]}, key=keys["owner"])
    # then the order is on the dealer's behalf
    assert placed.status_code == 201 and placed.json()["on_behalf"] is True


def test_a_refused_order_says_why_and_places_nothing(api, keys, shop):
    # given an order over the stock (no backorders)
    response = api.post("/orders", {"lines": [{"sku_code": "COLA", "qty": "5000", "unit": "瓶"}]}, key=keys["buyer"])
    # then it is a 4xx with the rule results, never a 500
    assert response.status_code in (409, 422), response.content
    assert response.json()["code"] in {"order_blocked", "out_of_stock"}
    with tenant_context(shop.tenant):
        assert not Order.objects.exists()


def test_unknown_sku_codes_name_the_line(api, keys, shop):
    response = api.post("/orders", {"lines": [COLA, {"sku_code": "NOPE", "qty": "1"}]}, key=keys["buyer"])
    assert response.status_code == 400 and response.json()["code"] == "line_invalid"
    assert response.json()["detail"]["line"] == 2


def test_orders_are_listed_newest_first_with_a_stable_cursor(api, keys, shop):
    # given five orders
    ids = [api.post("/orders", {"lines": [COLA]}, key=keys["buyer"]).json()["id"] for _ in range(5)]
    # when they are read two at a time
    seen, cursor = [], None
    while True:
        page = api.get(f"/orders?limit=2{'&cursor=' + cursor if cursor else ''}", key=keys["buyer"]).json()
        seen += [o["id"] for o in page["items"]]
        # an order placed meanwhile does not shift the pages
        if cursor is None:
            api.post("/orders", {"lines": [COLA]}, key=keys["buyer"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    # then every order came once, newest first
    assert seen == sorted(ids, reverse=True)


def test_orders_filter_by_status_number_and_update_time(api, keys, shop):
    # given two orders, one cancelled
    a = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"]).json()
    b = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"]).json()
    cancelled = api.post(f"/orders/{a['id']}/cancel", {"reason": "ERP cancelled"}, key=keys["buyer"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    # when filtering
    by_status = api.get("/orders?status=cancelled", key=keys["buyer"]).json()["items"]
    by_number = api.get(f"/orders?number={b['number']}", key=keys["buyer"]).json()["items"]
    since = api.get(f"/orders?updated_since={b['updated_at']}", key=keys["buyer"]).json()["items"]
    # then each filter narrows
    assert [o["id"] for o in by_status] == [a["id"]]
    assert [o["id"] for o in by_number] == [b["id"]]
    assert {o["id"] for o in since} == {a["id"], b["id"]}


def test_an_order_is_read_with_lines_and_timeline(api, keys, shop):
    placed = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"]).json()
    got = api.get(f"/orders/{placed['id']}", key=keys["buyer"])
    assert got.status_code == 200
    body = got.json()
    assert body["number"] == placed["number"] and [e["to_status"] for e in body["events"]] == ["submitted", "approved"]


def test_cancelling_twice_is_a_conflict(api, keys, shop):
    placed = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"]).json()
    assert api.post(f"/orders/{placed['id']}/cancel", {}, key=keys["buyer"]).status_code == 200
    again = api.post(f"/orders/{placed['id']}/cancel", {}, key=keys["buyer"])
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


def test_the_warehouse_ships_an_order_and_the_dealer_sees_the_shipment(api, keys, shop):
    # given an approved order
    placed = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"]).json()
    order = api.get(f"/orders/{placed['id']}", key=keys["owner"]).json()
    warehouse = {a.warehouse_id_snapshot for a in _allocations(shop, placed["id"])}.pop()
    # when the warehouse key ships it (with an Idempotency-Key, retried once)
    body = {
        "warehouse_id": warehouse,
        "carrier": "顺丰",
        "tracking_no": "SF100",
        "lines": [{"line_no": 1, "qty_base": "48"}],
    }
    headers = {"Idempotency-Key": "ship-1"}
    shipped = api.post(f"/orders/{order['id']}/shipments", body, key=keys["warehouse"], headers=headers)
    retried = api.post(f"/orders/{order['id']}/shipments", body, key=keys["warehouse"], headers=headers)
    # then one shipment exists, the order is shipped, and the dealer lists it
    assert shipped.status_code == 201, shipped.content
    assert retried.json() == shipped.json()
    assert shipped.json()["amount"] == "144.00" and shipped.json()["lines"][0]["qty_base"] == "48.000"
    assert api.get(f"/orders/{order['id']}", key=keys["buyer"]).json()["status"] == "shipped"
    listed = api.get(f"/shipments?order_id={order['id']}", key=keys["buyer"]).json()["items"]
    assert [s["number"] for s in listed] == [shipped.json()["number"]]
    assert api.get(f"/shipments/{listed[0]['id']}", key=keys["buyer"]).status_code == 200


def test_a_dealer_key_cannot_ship(api, keys, shop):
    placed = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"]).json()
    body = {"warehouse_code": "GZ", "carrier": "x", "tracking_no": "y", "lines": [{"line_no": 1, "qty_base": "1"}]}
    response = api.post(f"/orders/{placed['id']}/shipments", body, key=keys["buyer"])
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def _allocations(shop, order_id):
    from dinghuo.orders.models import Allocation

    with tenant_context(shop.tenant):
        return list(Allocation.objects.filter(line__order_id=order_id))


def test_decimal_amounts_are_never_floats(api, keys, shop):
    # given a body with a float amount
    response = api.post("/orders", {"lines": [{**COLA, "qty": 2.5}]}, key=keys["buyer"])
    # then it is refused, naming the field
    assert response.status_code == 422
    assert any(e["loc"][-1] == "qty" for e in response.json()["detail"])
    assert Decimal(api.post("/orders", {"lines": [COLA]}, key=keys["buyer"]).json()["total"]) == Decimal("144.00")


def test_keys_see_what_their_role_allows(api, world, shop, keys):
    # given an order
    api.post("/orders", {"lines": [COLA]}, key=keys["buyer"])
    # then the other dealer sees none of it; finance staff can read orders but not place them
    assert api.get("/orders", key=keys["other_dealer"]).json()["items"] == []
    assert len(api.get("/orders", key=keys["finance"]).json()["items"]) == 1
    refused = api.post("/orders", {"dealer_id": world.dealer.pk, "lines": [COLA]}, key=keys["finance"])
    assert refused.status_code == 403 and refused.json()["detail"] == {"permission": "orders.place_on_behalf"}


def test_the_answer_to_placing_an_order_is_what_reading_it_back_gives(api, keys, shop):
    # given an order placed with an Idempotency-Key (its answer is rendered from memory, not re-read)
    placed = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"], headers={"Idempotency-Key": "PO-mem"}).json()
    # when it is read back, and the placement is retried with the same key
    got = api.get(f"/orders/{placed['id']}", key=keys["buyer"]).json()
    replay = api.post("/orders", {"lines": [COLA]}, key=keys["buyer"], headers={"Idempotency-Key": "PO-mem"}).json()
    # then all three say the same, amounts and quantities at the scale the database keeps
    assert replay == placed
    for field in ("id", "number", "status", "subtotal", "discount", "total", "tax", "pay_credit", "lines", "ship_to"):
        assert placed[field] == got[field], field
    assert [(e["kind"], e["to_status"], e["at"]) for e in placed["events"]] == [
        (e["kind"], e["to_status"], e["at"]) for e in got["events"]
    ]
    assert placed["created_at"] == got["created_at"]
