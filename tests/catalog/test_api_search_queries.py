"""A search request through the API, as an ERP's key pricing for one of its dealers, runs a fixed
number of SQL statements whatever the page size, the kind of query and the filters: the key (1),
its rate counter (1), the dealer (1), and the search itself (``search_skus``: code lookup (two for
a mistyped barcode), categories, the count with two facets, the page, its units, its images, tag
and attribute counts, and brand counts apart when brands are filtered). Timings are never asserted."""

import pytest
from django.test import Client

from dinghuo.accounts.roles import Role
from tests.api.conftest import make_key
from tests.catalog.factories import build_catalog

URL = "/api/v1/catalog/search"


@pytest.fixture
def catalog(world):
    return build_catalog(world.tenant)


def test_a_search_request_with_dealer_prices_runs_a_bounded_number_of_statements(
    world, catalog, django_assert_max_num_queries
):
    # given an owner's API key, searching as the 金牌 dealer (its tier price list)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {make_key(world.staff[Role.OWNER])}")
    dealer = catalog.gold_dealer.pk
    client.get(URL, {"q": "可乐", "dealer": dealer})  # a key's first request also notes its use (once a minute)
    browse = {"category": catalog.categories["BEV"].pk, "price_min": "1", "price_max": "100", "in_stock": "true"}
    cases = [
        ({"q": "可乐"}, 10),
        ({"q": "kkkl", "sort": "price_desc"}, 10),
        ({"q": "6205-2SR", "sort": "sales"}, 11),  # + the code lookup
        ({"q": "6901234567892", "sort": "price_asc"}, 11),
        ({"q": "6901234567829"}, 12),  # a mistyped barcode: the whole one is looked up first (PostgreSQL)
        (browse | {"tag": catalog.tags["HOT"].pk, "sort": "price_asc"}, 11),  # + tag counts without the tag filter
        (browse | {"brand": catalog.brands["KO"].pk, "attr": "volume:100..600"}, 11),  # + brand counts apart
        ({"q": "可乐", "facets": "false"}, 7),  # the count, the page, its units and images
    ]
    for params, bound in cases:
        for per_page in (1, 50):
            # when it searches
            with django_assert_max_num_queries(bound):
                response = client.get(URL, params | {"dealer": dealer, "per_page": per_page})
            # then it is answered at the dealer's prices within the bound, whatever the page size
            assert response.status_code == 200, response.content[:300]
            body = response.json()
            assert body["total"] > 0, params
            assert {item["price_source"] for item in body["items"]} == {"dealer"}
    gold = client.get(URL, {"q": "COKE-500-24", "dealer": dealer}).json()["items"][0]
    assert (gold["sku_code"], gold["price"]) == ("COKE-500-24", "45.00")
