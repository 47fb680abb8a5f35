import pytest
from django.test import Client
from django.urls import Resolver404, path, resolve
from ninja import NinjaAPI

from dinghuo.accounts.roles import Role
from dinghuo.catalog.api import router
from dinghuo.config import api as main_api
from dinghuo.config.urls import urlpatterns as main_urlpatterns
from dinghuo.core.errors import DomainError
from dinghuo.core.tenancy import tenant_context
from dinghuo.pricing.models import PriceList
from tests.catalog.factories import build_catalog, make_price_list

URL = "/api/v1/catalog"


def _mounted() -> bool:
    try:
        resolve(f"{URL}/search", urlconf="dinghuo.config.urls")
    except Resolver404:
        return False
    return True


# Until the lead mounts the router in config/api.py, these tests mount it on an API with the same
# error handlers, in front of the real URLs (so sessions, middleware and everything else are real).
if _mounted():
    urlpatterns = main_urlpatterns
else:
    _api = NinjaAPI(urls_namespace="catalog-api-test")
    _api.add_exception_handler(DomainError, main_api.on_domain_error)
    _api.add_exception_handler(main_api.NinjaValidationError, main_api.on_validation_error)
    _api.add_router("/catalog", router)
    urlpatterns = [path("api/v1/", _api.urls), *main_urlpatterns]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def catalog(world):
    c = build_catalog(world.tenant)
    with tenant_context(world.tenant):  # the world's dealer (Shenzhen) has a contract price for COKE-500-24
        make_price_list("C-D1", PriceList.Kind.CONTRACT, {c.skus["COKE-500-24"]: "50.00"}, dealer=world.dealer)
    return c


def prices(response) -> dict[str, str]:
    assert response.status_code == 200, response.content[:500]
    return {item["sku_code"]: item["price"] for item in response.json()["items"]}


def test_an_anonymous_request_is_401(client, db):
    response = client.get(f"{URL}/search", {"q": "可乐"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_dealer_user_always_gets_its_own_dealers_prices(world, catalog, login):
    # given a buyer of the world's dealer, which has a contract price of 50.00 for COKE-500-24
    client = login(world.user(Role.BUYER))
    # when it searches, even naming another dealer
    own = client.get(f"{URL}/search", {"q": "可乐"})
    other = client.get(f"{URL}/search", {"q": "可乐", "dealer": catalog.gold_dealer.pk})
    # then it sees its contract price (and stock as a status, not a quantity)
    assert prices(own)["COKE-500-24"] == prices(other)["COKE-500-24"] == "50.00"
    item = next(i for i in own.json()["items"] if i["sku_code"] == "COKE-500-24")
    assert item["price_source"] == "dealer"
    assert item["stock"] == {"status": "in_stock", "label": item["stock"]["label"], "available": None}
    assert item["matched_on"] == "name" and item["product"]["brand"] == "可口可乐"
    assert {u["name"]: u["factor"] for u in item["units"]} == {"瓶": "1.000", "箱": "24.000"}


def test_staff_see_list_prices_or_a_named_dealers(world, catalog, login):
    client = login(world.user(Role.OWNER))
    listed = client.get(f"{URL}/search", {"q": "可乐"})
    gold = client.get(f"{URL}/search", {"q": "可乐", "dealer": catalog.gold_dealer.pk})
    assert prices(listed)["COKE-500-24"] == "60.00"
    assert prices(gold)["COKE-500-24"] == "45.00"
    item = next(i for i in listed.json()["items"] if i["sku_code"] == "COKE-500-24")
    assert item["price_source"] == "list" and item["stock"]["available"] == "100.000"


def test_staff_cannot_price_as_a_dealer_of_another_tenant(world, world_b, catalog, login):
    client = login(world.user(Role.OWNER))
    response = client.get(f"{URL}/search", {"q": "可乐", "dealer": world_b.dealer.pk})
    assert response.status_code == 404
    assert response.json()["code"] == "dealer_not_found"


@pytest.mark.parametrize("dealer", [2**63, 10**20, -1, 0])
def test_a_dealer_id_no_row_can_have_is_404_not_an_error(world, catalog, login, dealer):
    client = login(world.user(Role.OWNER))
    response = client.get(f"{URL}/search", {"q": "可乐", "dealer": dealer})
    assert response.status_code == 404
    assert response.json()["code"] == "dealer_not_found"


def test_filters_and_sort_from_the_query_string(world, catalog, login):
    client = login(world.user(Role.BUYER))
    response = client.get(
        f"{URL}/search",
        {"attr": ["material:不锈钢,轴承钢", "inner_d:20..30"], "brand": catalog.brands["JG"].pk, "sort": "price_asc"},
    )
    assert list(prices(response)) == ["6205-ZZ", "6205-2RS", "6305-2RS", "S6205-2RS"]
    body = response.json()
    assert body["total"] == 4 and body["next_page"] is None
    material = next(f for f in body["facets"] if f["key"] == "attr:material")
    assert {v["label"]: v["count"] for v in material["values"]} == {"轴承钢": 3, "不锈钢": 1}


def test_pages_follow_the_cursor(world, catalog, login):
    client = login(world.user(Role.BUYER))
    first = client.get(f"{URL}/search", {"q": "可乐", "per_page": 2}).json()
    second = client.get(f"{URL}/search", {"q": "可乐", "per_page": 2, "cursor": first["next_cursor"]}).json()
    last = client.get(f"{URL}/search", {"q": "可乐", "per_page": 2, "cursor": second["next_cursor"]}).json()
    seen = [i["sku_code"] for page in (first, second, last) for i in page["items"]]
    assert len(seen) == len(set(seen)) == first["total"] == 5
    assert last["next_cursor"] is None and second["page"] == 2
    bad = client.get(f"{URL}/search", {"q": "可乐", "cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["code"] == "cursor_invalid"


def test_bad_filters_are_400_and_bad_parameters_422(world, catalog, login):
    client = login(world.user(Role.BUYER))
    bad_attr = client.get(f"{URL}/search", {"attr": "material"})
    bad_range = client.get(f"{URL}/search", {"attr": "inner_d:a..b"})
    bad_sort = client.get(f"{URL}/search", {"sort": "cheapest"})
    bad_page = client.get(f"{URL}/search", {"per_page": 1000})
    assert [r.status_code for r in (bad_attr, bad_range, bad_sort, bad_page)] == [400, 400, 400, 422]
    assert bad_attr.json()["code"] == "search_invalid" and bad_attr.json()["detail"] == {"attr": "material"}


def test_suggestions(world, catalog, login):
    client = login(world.user(Role.BUYER))
    response = client.get(f"{URL}/suggest", {"q": "kkkl"})
    assert response.status_code == 200
    assert [s["text"] for s in response.json()] == ["可口可乐", "可口可乐零度"]


def test_a_product_page_with_skus_units_attributes_and_substitutes(world, catalog, login):
    client = login(world.user(Role.BUYER))
    response = client.get(f"{URL}/products/{catalog.products['6205'].pk}")
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert [c["name"] for c in body["breadcrumbs"]] == ["工业配件", "轴承", "深沟球轴承"]
    assert {a["name"]: a["value"] for a in body["attributes"]} == {
        "内径": "25",
        "外径": "52",
        "宽度": "15",
        "材质": "轴承钢",
    }
    assert [(s["code"], s["price"], [a["value"] for a in s["attributes"]]) for s in body["skus"]] == [
        ("6205-2RS", "12.00", ["2RS"]),
        ("6205-ZZ", "11.00", ["ZZ"]),
    ]
    assert [(r["kind"], r["code"]) for r in body["related"]] == [("substitute", "P-S6205")]


def test_products_a_dealer_may_not_buy_are_404_to_it_but_not_to_staff(world, catalog, login):
    buyer = login(world.user(Role.BUYER))
    for key in ("SH-ONLY", "DRAFT"):
        response = buyer.get(f"{URL}/products/{catalog.products[key].pk}")
        assert response.status_code == 404 and response.json()["code"] == "product_not_found"


def test_staff_see_drafts_and_restricted_products(world, catalog, login):
    owner = login(world.user(Role.OWNER))
    for key in ("SH-ONLY", "DRAFT"):
        assert owner.get(f"{URL}/products/{catalog.products[key].pk}").status_code == 200


def test_another_tenants_product_is_404(world, world_b, catalog, login):
    other = build_catalog(world_b.tenant)
    response = login(world.user(Role.OWNER)).get(f"{URL}/products/{other.products['COKE'].pk}")
    assert response.status_code == 404


def test_the_category_tree_counts_what_the_reader_may_buy(world, catalog, login):
    staff = login(world.user(Role.OWNER)).get(f"{URL}/categories").json()
    dealer = login(world.user(Role.BUYER), Client()).get(f"{URL}/categories").json()
    assert [c["name"] for c in staff] == ["饮料", "碳酸饮料", "饮用水", "工业配件", "轴承", "深沟球轴承"]
    counts = {c["name"]: c["total_count"] for c in staff}
    assert counts == {"饮料": 5, "碳酸饮料": 4, "饮用水": 1, "工业配件": 5, "轴承": 5, "深沟球轴承": 5}
    assert {c["name"]: c["total_count"] for c in dealer}["碳酸饮料"] == 3  # not the Shanghai-only product


def test_parameter_matching(world, catalog, login):
    client = login(world.user(Role.BUYER))
    response = client.post(f"{URL}/match", {"text": "6205-2RS"}, content_type="application/json")
    assert response.status_code == 200, response.content[:500]
    results = response.json()["results"]
    assert [(r["sku_code"], r["grade"]) for r in results[:2]] == [("6205-2RS", "exact"), ("S6205-2RS", "substitute")]
    assert [(m["kind"], m["actual"]) for m in results[1]["missed"]] == [("code", "S6205-2RS")]
    assert results[1]["grade_label"] and results[1]["missed"][0]["kind_label"] and results[1]["missed"][0]["note"]
    empty = client.post(f"{URL}/match", {"text": " "}, content_type="application/json")
    assert empty.status_code == 400 and empty.json()["code"] == "match_text_empty"


def test_a_search_request_runs_a_bounded_number_of_queries(world, catalog, login, django_assert_max_num_queries):
    client = login(world.user(Role.BUYER))
    for per_page in (1, 50):
        with django_assert_max_num_queries(16):
            response = client.get(f"{URL}/search", {"q": "可乐", "per_page": per_page, "in_stock": True})
        assert response.status_code == 200
