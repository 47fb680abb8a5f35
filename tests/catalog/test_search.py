from decimal import Decimal

import pytest

from dinghuo.accounts.roles import Role
from dinghuo.catalog.models import Product
from dinghuo.catalog.search import SearchFilters, reindex_products, search_skus, suggest
from dinghuo.catalog.search_errors import CategoryNotFound, SearchInvalid
from dinghuo.catalog.search_index import edit_distance
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.tenancy import Actor, tenant_context
from tests.catalog.factories import build_catalog


@pytest.fixture
def catalog(world):
    return build_catalog(world.tenant)


def search(catalog, dealer="std", **kwargs):
    """Search as the system inside the catalog's tenant; ``dealer`` is "std", "gold", "sh" or None."""
    buyer = getattr(catalog, f"{dealer}_dealer") if dealer else None
    with tenant_context(catalog.tenant):
        return search_skus(actor=Actor.system(catalog.tenant.pk), dealer=buyer, **kwargs)


def codes(result) -> list[str]:
    return [hit.sku.code for hit in result.hits]


def test_a_chinese_word_finds_the_products_whose_names_contain_it(catalog):
    # when a dealer searches 可乐
    result = search(catalog, q="可乐", per_page=50)
    # then every cola SKU it may buy is found, and nothing else
    assert set(codes(result)) == {"COKE-500-24", "COKE-330-24", "ZERO-500-24", "ZERO-500-12", "PEPSI-500-24"}
    assert result.total == 5
    assert {hit.matched_on for hit in result.hits} == {"name"}


def test_every_word_of_a_multi_word_query_must_match(catalog):
    # when the query has two words, or one run that jieba splits in two
    spaced = search(catalog, q="可乐 无糖")
    joined = search(catalog, q="无糖可乐")
    # then only the SKUs with both are found
    assert set(codes(spaced)) == set(codes(joined)) == {"ZERO-500-24", "ZERO-500-12"}


def test_part_of_a_chinese_word_is_found_too(catalog):
    # when a dealer types the tail of 可口可乐
    result = search(catalog, q="口可乐")
    # then the Coca-Cola products are found but not 百事可乐
    assert set(codes(result)) == {"COKE-500-24", "COKE-330-24", "ZERO-500-24", "ZERO-500-12"}


@pytest.mark.parametrize(
    ("q", "reason"),
    [("kekou", "pinyin"), ("kekoukele", "pinyin"), ("kkkl", "initials"), ("KKKL", "initials")],
)
def test_pinyin_and_its_initials_find_the_chinese_name(catalog, q, reason):
    # when a dealer types pinyin or the initials of 可口可乐
    result = search(catalog, q=q)
    # then the Coca-Cola SKUs are found (not 百事可乐, "baishikele"), saying why
    assert set(codes(result)) == {"COKE-500-24", "COKE-330-24", "ZERO-500-24", "ZERO-500-12"}
    assert {hit.matched_on for hit in result.hits} == {reason}


def test_initials_with_shengmu_find_the_category_name(catalog):
    # when a dealer types "ysh" (用水: y + sh) — the initials of part of the category 饮用水
    result = search(catalog, q="ysh")
    # then the water is found
    assert codes(result) == ["WATER-550-24"]


def test_an_exact_sku_code_comes_first(catalog):
    # when a dealer types a SKU code that other SKUs resemble
    result = search(catalog, q="6205-2rs")
    # then that SKU is first, matched on its code, before the similar codes and its sibling
    assert codes(result)[0] == "6205-2RS"
    assert result.hits[0].matched_on == "code"
    assert {"S6205-2RS", "6205-ZZ"} <= set(codes(result))


@pytest.mark.parametrize("barcode", ["6901234567892", "16901234567894"])
def test_a_barcode_of_the_sku_or_of_its_case_comes_first(catalog, barcode):
    # when a dealer scans the bottle's or the case's barcode
    result = search(catalog, q=barcode)
    # then that SKU comes first
    assert codes(result)[0] == "COKE-500-24"
    assert result.hits[0].matched_on == "barcode"


@pytest.mark.parametrize("typo", ["6205-2SR", "6250-2RS", "6205-RS", "6205-2RZ", "62O5-2RS"])
def test_a_code_with_one_wrong_missing_or_transposed_character_is_found(catalog, typo):
    # when the code is mistyped by one character
    result = search(catalog, q=typo)
    # then the intended SKU is the first result, flagged as a similar code
    assert codes(result)[0] == "6205-2RS"
    assert result.hits[0].matched_on == "code_typo"


def test_edit_distance_counts_a_transposition_as_one_edit():
    assert edit_distance("62052rs", "62052sr") == 1
    assert edit_distance("62052rs", "6252rs") == 1
    assert edit_distance("abc", "xyz", limit=2) == 3


def test_facets_count_skus_and_ignore_their_own_filter(catalog):
    # given a search for 可乐 narrowed to the 可口可乐 brand
    ko = catalog.brands["KO"].pk
    result = search(catalog, q="可乐", filters=SearchFilters(brand_ids=(ko,)))
    facets = {f.key: {v.label: (v.count, v.selected) for v in f.values} for f in result.facets}
    # then the results are the brand's, but the brand facet still offers 百事 with its count
    assert result.total == 4
    assert facets["brand"] == {"可口可乐": (4, True), "百事": (1, False)}
    # and the other facets count within the brand
    assert facets["category"] == {"饮料": (4, False)}
    assert facets["tag"] == {"热销": (2, False), "新品": (2, False)}
    assert facets["attr:sugar"] == {"含糖": (2, False), "无糖": (2, False)}
    assert facets["attr:volume"] == {"330ml": (1, False), "500ml": (3, False)}


def test_category_filter_takes_the_subtree_and_the_facet_shows_the_children(catalog):
    # when a dealer browses 饮料 (a root whose products are in its children)
    result = search(catalog, filters=SearchFilters(category_id=catalog.categories["BEV"].pk), per_page=50)
    facet = next(f for f in result.facets if f.key == "category")
    # then the soda and the water are there, counted per child
    assert "WATER-550-24" in codes(result) and "COKE-500-24" in codes(result)
    assert {v.label: v.count for v in facet.values} == {"碳酸饮料": 5, "饮用水": 1}
    # and an unknown category is an error, not everything
    with pytest.raises(CategoryNotFound):
        search(catalog, filters=SearchFilters(category_id=999_999))


def test_attribute_values_and_number_ranges_filter(catalog):
    # when a dealer wants stainless bearings, then bearings of inner diameter 20–30 mm
    stainless = search(catalog, filters=SearchFilters(attributes={"material": ("不锈钢",)}))
    small = search(catalog, filters=SearchFilters(ranges={"inner_d": (Decimal(20), Decimal(30))}))
    sealed = search(catalog, filters=SearchFilters(attributes={"seal": ("2RS",)}, ranges={"inner_d": (None, 30)}))
    # then
    assert set(codes(stainless)) == {"S6205-2RS", "S6010-2RS"}
    assert set(codes(small)) == {"6205-2RS", "6205-ZZ", "S6205-2RS", "6305-2RS"}
    assert set(codes(sealed)) == {"6205-2RS", "S6205-2RS", "6305-2RS"}


def test_the_price_band_is_at_each_dealers_own_price(catalog):
    # given a 金牌 tier price list: COKE-500-24 45.00 (list 60.00), ZERO-500-24 48.00 (list 62.00)
    band = SearchFilters(price_min=Decimal("40"), price_max=Decimal("50"))
    # when a 金牌 and a 普通 dealer look for 40–50 yuan
    gold = search(catalog, dealer="gold", filters=band, per_page=50)
    std = search(catalog, dealer="std", filters=band, per_page=50)
    # then each sees the SKUs whose price *for them* is in the band
    assert set(codes(gold)) == {"COKE-500-24", "ZERO-500-24", "COKE-330-24", "6210-2RS"}
    assert set(codes(std)) == {"COKE-330-24", "6210-2RS"}
    assert {h.sku.code: h.price for h in gold.hits}["COKE-500-24"] == Decimal("45.00")
    assert {h.price_source for h in gold.hits} == {"dealer"}


def test_a_reversed_price_band_an_unknown_sort_and_a_huge_page_are_refused(catalog):
    with pytest.raises(SearchInvalid):
        search(catalog, filters=SearchFilters(price_min=Decimal(9), price_max=Decimal(1)))
    with pytest.raises(SearchInvalid):
        search(catalog, sort="cheapest")
    with pytest.raises(SearchInvalid):
        search(catalog, per_page=1000)


def test_in_stock_means_available_in_an_active_warehouse_or_backorderable(catalog):
    # when a dealer asks for colas in stock
    result = search(catalog, q="可乐", filters=SearchFilters(in_stock=True))
    # then: COKE-500-24 has 100; ZERO-500-12 may be backordered; ZERO-500-24 is all reserved,
    # COKE-330-24 lies only in an inactive warehouse, PEPSI has no stock
    assert set(codes(result)) == {"COKE-500-24", "ZERO-500-12"}
    assert {h.sku.code: h.stock_status for h in result.hits} == {
        "COKE-500-24": "in_stock",
        "ZERO-500-12": "backorder",
    }


def test_shelf_life_filter_keeps_products_that_keep_at_most_n_days(catalog):
    result = search(catalog, filters=SearchFilters(shelf_life_max_days=300), per_page=50)
    assert set(codes(result)) == {"ZERO-500-24", "ZERO-500-12", "PEPSI-500-24"}


def test_sort_by_the_dealers_price_both_ways(catalog):
    # when the 金牌 dealer sorts colas by price
    up = search(catalog, dealer="gold", q="可乐", sort="price_asc")
    down = search(catalog, dealer="gold", q="可乐", sort="price_desc")
    # then by its own prices (COKE-500-24 at 45.00 comes before PEPSI at 55.00)
    prices = [h.price for h in up.hits]
    assert prices == sorted(prices) and codes(up)[0] == "ZERO-500-12"
    assert codes(up).index("COKE-500-24") < codes(up).index("PEPSI-500-24")
    assert [h.price for h in down.hits] == sorted(prices, reverse=True)


def test_sort_by_sales_in_the_dealers_province_over_the_last_90_days(catalog):
    # given Guangdong orders of ZERO-500-12 (500) and COKE-330-24 (100); a bigger Shanghai order of
    # COKE-500-24; an order older than 90 days and a cancelled one
    # when a Guangdong dealer sorts by regional sales
    result = search(catalog, dealer="std", sort="sales", per_page=50)
    # then the Guangdong best-sellers lead, in order
    assert codes(result)[:2] == ["ZERO-500-12", "COKE-330-24"]
    # and a Shanghai dealer sees Shanghai's best-seller first
    assert codes(search(catalog, dealer="sh", sort="sales"))[0] == "COKE-500-24"


def _figures(result) -> dict[str, Decimal]:
    return {hit.sku.code: Decimal(hit.sku.region_sales) for hit in result.hits}


@pytest.mark.parametrize("dealer", ["std", "sh", None])
def test_the_kept_sales_window_ranks_as_the_live_sum_does(catalog, dealer):
    from dinghuo.analytics.models import SkuSales
    from dinghuo.analytics.services import refresh_facts

    # given the regional sales summed live from the order lines (no window kept yet)
    live = search(catalog, dealer=dealer, sort="sales", per_page=50)
    # when the facts are refreshed (cron), which keeps the window of SKU sales by province
    with tenant_context(catalog.tenant):
        refresh_facts()
        assert SkuSales.objects.exists()
    kept = search(catalog, dealer=dealer, sort="sales", per_page=50)
    # then the sort reads the same figures and ranks the same way
    assert codes(kept) == codes(live)
    assert _figures(kept) == _figures(live) and any(_figures(kept).values())


def test_orders_after_the_kept_window_count_from_its_next_rebuild_and_a_stale_window_is_not_used(catalog):
    import datetime as dt

    from django.utils import timezone

    from dinghuo.analytics.models import FactWatermark, SkuSales
    from dinghuo.analytics.services import refresh_sku_sales

    with tenant_context(catalog.tenant):
        refresh_sku_sales()
        # given a kept window, in which the SKU that ranked last in Guangdong is given 10,000 sold there
        before = search(catalog, dealer="std", sort="sales", per_page=50)
        last = codes(before)[-1]
        SkuSales.objects.create(sku_id=before.hits[-1].sku.pk, province="44", qty_base=Decimal(10_000))
        # when the Guangdong dealer sorts by sales, then the kept figures rank it first
        assert codes(search(catalog, dealer="std", sort="sales"))[0] == last
        # and once the window is over an hour old, the live sum ranks again (without those 10,000)
        FactWatermark.objects.update(sku_sales_at=timezone.now() - dt.timedelta(hours=2))
        assert codes(search(catalog, dealer="std", sort="sales", per_page=50)) == codes(before)


def test_products_restricted_to_other_regions_drafts_and_inactive_skus_are_hidden(catalog):
    # when a Guangdong dealer, a Shanghai dealer and staff (no dealer) search 可口可乐
    guangdong = search(catalog, dealer="std", q="可口可乐", per_page=50)
    shanghai = search(catalog, dealer="sh", q="可口可乐", per_page=50)
    staff = search(catalog, dealer=None, q="可口可乐", per_page=50)
    # then the Shanghai-only product shows to the Shanghai dealer (and to staff) only
    assert "SH-500" not in codes(guangdong)
    assert "SH-500" in codes(shanghai) and "SH-500" in codes(staff)
    # and drafts and inactive SKUs show to nobody
    for result in (guangdong, shanghai, staff):
        assert not {"DRAFT-500", "COKE-OLD"} & set(codes(result))
    assert {h.price_source for h in staff.hits} == {"list"}


def test_another_tenants_products_never_appear(world, world_b):
    # given the same catalog (same codes, same names) in two tenants
    a = build_catalog(world.tenant)
    b = build_catalog(world_b.tenant)
    b_ids = {sku.pk for sku in b.skus.values()}
    # when tenant A searches by word, pinyin, code, typo and barcode, and browses
    for q in ["可乐", "kkkl", "6205-2RS", "6205-2SR", "6901234567892", ""]:
        result = search(a, q=q, per_page=100)
        # then only A's SKUs come back
        assert result.total > 0
        assert not {h.sku.pk for h in result.hits} & b_ids
        assert {h.sku.tenant_id for h in result.hits} == {world.tenant.pk}
    with tenant_context(a.tenant):
        assert not {s.id for s in suggest(dealer=a.std_dealer, q="6205")} & b_ids


def test_a_search_runs_a_bounded_number_of_queries_whatever_the_page_size(catalog, django_assert_max_num_queries):
    filters = SearchFilters(
        category_id=catalog.categories["BEV"].pk, price_min=Decimal(1), in_stock=True, tag_ids=(catalog.tags["HOT"].pk,)
    )
    for per_page in (1, 50):
        for q, sort in (("可乐", "relevance"), ("6205-2SR", "sales"), ("6901234567892", "price_asc"), ("", "newest")):
            with django_assert_max_num_queries(11):
                result = search(catalog, dealer="gold", q=q, filters=filters, sort=sort, per_page=per_page)
                # reading what a page shows queries nothing more
                for hit in result.hits:
                    _ = (hit.sku.product.brand, hit.sku.product.category, hit.units, hit.image)


def test_reindex_follows_renames_and_deletions(catalog):
    with tenant_context(catalog.tenant):
        # given a renamed product, and a deleted one
        water = catalog.products["WATER"]
        Product.objects.filter(pk=water.pk).update(name="怡宝纯净水")
        gone = catalog.products["S6010"].pk
        Product.objects.filter(pk=gone).delete()
        # when the catalog reindexes them
        assert reindex_products(product_ids=[water.pk, gone]) == 1
    # then the new name is found and the old one is not
    assert codes(search(catalog, q="怡宝")) == ["WATER-550-24"]
    assert codes(search(catalog, q="yibao")) == ["WATER-550-24"]
    assert codes(search(catalog, q="天然水")) == []
    assert codes(search(catalog, q="不锈钢")) == ["S6205-2RS"]


def test_a_dealer_user_searches_only_as_its_own_dealer(world, catalog):
    buyer = world.actor(Role.BUYER)
    with tenant_context(world.tenant), pytest.raises(PermissionDenied):
        search_skus(actor=buyer, dealer=catalog.gold_dealer, q="可乐")
    with tenant_context(world.tenant):
        assert search_skus(actor=buyer, dealer=world.dealer, q="可乐").total == 5


def test_suggestions_offer_codes_products_and_categories(catalog, django_assert_max_num_queries):
    with tenant_context(catalog.tenant):
        with django_assert_max_num_queries(3):
            by_code = suggest(dealer=catalog.std_dealer, q="6205")
        by_pinyin = suggest(dealer=catalog.std_dealer, q="kek")
        by_word = suggest(dealer=catalog.std_dealer, q="饮用")
        hidden = suggest(dealer=catalog.std_dealer, q="上海限定")
    assert [(s.kind, s.text) for s in by_code][:2] == [("sku", "6205-2RS"), ("sku", "6205-ZZ")]
    assert [s.text for s in by_pinyin] == ["可口可乐", "可口可乐零度"]
    assert ("product", "农夫山泉饮用天然水") in [(s.kind, s.text) for s in by_word]
    assert ("category", "饮用水") in [(s.kind, s.text) for s in by_word]
    assert hidden == []
