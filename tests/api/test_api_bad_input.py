"""Bad input gets the error body with a 4xx and its code — never a 500."""

import json

import pytest
from django.test import Client

from dinghuo.accounts.roles import Role
from tests.api.conftest import API, make_key

ORDER = {"lines": [{"sku_code": "COLA", "qty": "1"}]}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] == code, body
    assert body["message"]
    return body


@pytest.fixture
def owner_key(world):
    return make_key(world.staff[Role.OWNER])


def test_malformed_json_is_400(api, owner_key):
    assert_error(api.post("/orders", raw="{not json", key=owner_key), 400, "malformed_json")
    assert_error(api.post("/webhooks", raw=b"\xff\xfe", key=owner_key), 400, "malformed_json")


def test_wrong_types_are_422_naming_the_field(api, owner_key):
    body = assert_error(api.post("/orders", {"dealer_id": "abc", "lines": "x"}, key=owner_key), 422, "invalid")
    assert {tuple(e["loc"][-1:]) for e in body["detail"]} >= {("dealer_id",), ("lines",)}
    assert_error(api.post("/orders", [1, 2], key=owner_key), 422, "invalid")
    assert_error(api.get("/orders?limit=zero", key=owner_key), 422, "invalid")
    assert_error(api.get("/orders/12abc", key=owner_key), 422, "invalid")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/orders", {**ORDER, "tenant_id": 99}, "tenant_id"),
        ("/orders", {**ORDER, "status": "approved"}, "status"),
        ("/orders", {"lines": [{"sku_code": "COLA", "qty": "1", "price": "0.01"}]}, "price"),
        ("/orders", {**ORDER, "credit_limit": "1000000"}, "credit_limit"),
        ("/webhooks", {"url": "https://a.example.com/h", "events": ["*"], "secret": "mine"}, "secret"),
        ("/stock/sync", {"warehouse": "GZ", "sync_id": "s", "lines": [], "on_hand": 5}, "on_hand"),
    ],
)
def test_unknown_fields_are_refused_so_nothing_can_be_mass_assigned(api, owner_key, path, body, field):
    detail = assert_error(api.post(path, body, key=owner_key), 422, "invalid")["detail"]
    assert any(e["loc"][-1] == field and e["type"] == "extra_forbidden" for e in detail)


def test_an_oversize_body_is_413(api, owner_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = {**ORDER, "note": "x" * 5000}
    body = assert_error(api.post("/orders", big, key=owner_key), 413, "body_too_large")
    assert "1024" in body["message"]


def test_a_chunked_body_without_a_length_is_411_not_read_as_empty(api, owner_key):
    # given a body streamed with Transfer-Encoding: chunked and no Content-Length (Django would read nothing)
    headers = {"Transfer-Encoding": "chunked"}
    # when it is posted, then the client is told to send the length
    response = api.post("/orders", ORDER, key=owner_key, headers=headers, content_length="")
    assert_error(response, 411, "length_required")
    # and with its length the same request is understood
    assert api.post("/orders", {**ORDER, "bogus": 1}, key=owner_key, headers=headers).status_code == 422


def test_no_key_a_bad_key_and_a_revoked_key_are_401(api, world, owner_key):
    assert_error(api.get("/orders"), 401, "not_authenticated")
    assert_error(api.get("/orders", key="dh_live_00000000_nothing"), 401, "api_key_invalid")
    assert_error(api.get("/orders", key="something else"), 401, "api_key_invalid")
    from dinghuo.api.models import ApiKey
    from dinghuo.api.services import api_key_revoke
    from dinghuo.core.tenancy import tenant_context

    with tenant_context(world.tenant):
        api_key_revoke(actor=world.actor(Role.OWNER), key_id=ApiKey.objects.get().pk)
    assert_error(api.get("/orders", key=owner_key), 401, "api_key_revoked")


def test_a_key_without_the_needed_scope_is_403(api, world):
    stock_only = make_key(world.staff[Role.OWNER], ["inventory"])
    body = assert_error(api.get("/orders", key=stock_only), 403, "forbidden")
    assert body["detail"] == {"permission": "orders.view"}
    assert_error(
        api.post("/webhooks", {"url": "https://a.example.com", "events": ["*"]}, key=stock_only), 403, "forbidden"
    )
    assert_error(api.get("/catalog/categories", key=stock_only), 403, "forbidden")


def test_unknown_routes_and_methods_have_the_error_body(api, owner_key):
    assert_error(api.get("/nothing/here", key=owner_key), 404, "not_found")
    assert_error(api.get("/", key=owner_key), 404, "not_found")
    response = api.call("DELETE", "/orders", key=owner_key)
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"]


def test_unknown_filter_values_are_422_not_an_empty_page(api, world, shop, owner_key):
    dealer = world.dealer.pk
    body = assert_error(api.get(f"/finance/accounts/{dealer}/entries?bucket=cash", key=owner_key), 422, "invalid")
    assert body["detail"][0]["loc"][-1] == "bucket"
    hook = api.post("/webhooks", {"url": "https://a.example.com/h", "events": ["*"]}, key=owner_key).json()
    body = assert_error(api.get(f"/webhooks/{hook['id']}/deliveries?status=done", key=owner_key), 422, "invalid")
    assert body["detail"][0]["loc"][-1] == "status"
    assert api.get(f"/webhooks/{hook['id']}/deliveries?status=abandoned", key=owner_key).status_code == 200
    assert api.get(f"/finance/accounts/{dealer}/entries?bucket=prepaid", key=owner_key).status_code == 200


def test_unknown_ids_are_404(api, owner_key):
    assert_error(api.get("/orders/999999", key=owner_key), 404, "order_not_found")
    assert_error(api.get("/orders/99999999999999999999", key=owner_key), 422, "invalid")


@pytest.mark.parametrize("query", ["brand=-68907689649038820360067219456", "tag=99999999999999999999999"])
def test_numbers_too_large_for_the_database_are_refused_not_a_500(api, world, shop, query):
    # given a dealer's key and a search whose number no database integer can hold
    buyer = make_key(world.dealer_users[Role.BUYER], ["catalog"])
    # when it searches
    response = api.get(f"/catalog/search?{query}", key=buyer)
    # then the answer is the error body with 422 (SQLite cannot bind it), or an empty page (PostgreSQL compares it)
    if response.status_code == 200:
        assert response.json()["items"] == []
    else:
        assert_error(response, 422, "value_out_of_range")


def test_a_bad_cursor_is_400(api, owner_key):
    assert_error(api.get("/orders?cursor=!!!", key=owner_key), 400, "cursor_invalid")
    assert_error(api.get("/orders?cursor=WzFd", key=owner_key), 400, "cursor_invalid")  # [1]: wrong length
    assert_error(api.get("/dealers?cursor=WyJ4Il0", key=owner_key), 400, "cursor_invalid")  # ["x"]: not an id


def test_a_bad_idempotency_key_is_400(api, owner_key, world):
    response = api.post("/orders", ORDER, key=owner_key, headers={"Idempotency-Key": "x" * 101})
    assert response.status_code in (400, 422)
    assert response.json()["code"] in {"idempotency_key_invalid", "invalid"}


def test_session_posts_need_the_csrf_token(world, db):
    # given a signed-in browser that enforces CSRF
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.user(Role.OWNER))
    # when it posts without the token
    response = browser.post(f"{API}/webhooks", json.dumps({"url": "https://a.example.com", "events": ["*"]}),
                            content_type="application/json")  # fmt: skip
    # then it is refused; reads need no token
    assert_error(response, 403, "csrf_failed")
    assert browser.get(f"{API}/dealers").status_code == 200


def test_nul_characters_are_refused_before_the_database(api, owner_key):
    assert_error(api.get("/orders?q=a%00b", key=owner_key), 400, "invalid_characters")
    assert_error(api.post("/orders", {**ORDER, "note": "a\x00b"}, key=owner_key), 400, "invalid_characters")
    assert_error(api.post("/webhooks", {"url": "https://a.example.com/x", "events": ["\x00"]}, key=owner_key), 400,
                 "invalid_characters")  # fmt: skip


def test_schema_names_are_unique_across_routers():
    """Two request/response models with one name would overwrite each other in the OpenAPI schema."""
    from ninja import Schema

    import dinghuo.config.api  # noqa: F401  (mounts every router)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    seen: dict[str, str] = {}
    for model in subclasses(Schema):
        if not model.__module__.startswith("dinghuo.") or model.__name__.endswith("Params"):
            continue
        where = f"{model.__module__}.{model.__qualname__}"
        assert seen.setdefault(model.__name__, where) == where, f"{where} and {seen[model.__name__]}"


def test_an_unexpected_error_answers_in_the_error_body_in_the_request_language(db):
    from django.test import RequestFactory
    from django.utils import translation

    from dinghuo.core.views import server_error

    request = RequestFactory().get("/api/v1/orders")
    messages = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            response = server_error(request)
        assert response.status_code == 500
        body = json.loads(response.content)
        assert (body["code"], body["detail"]) == ("server_error", {})
        messages[language] = body["message"]
    assert messages == {"zh-hans": "服务器内部错误。", "en": "Internal error."}
