"""The SQLite FTS5 tables outlive ``flush`` (``dinghuo demo --reset``): Django empties only the
model tables and restarts their ids, so the ids that come back may meet index rows of the old
catalog. Reindexing must replace those rows, never collide with them."""

import pytest
from django.core.management import call_command

from dinghuo.catalog.search import reindex_products, search_skus
from dinghuo.core.tenancy import Actor, all_tenants, tenant_context
from tests.catalog.factories import make_category, make_product, make_sku
from tests.factories import make_world


def _build(tenant, layout: dict[str, list[str]]) -> dict:
    """Products named by ``layout``'s keys, each with those SKU codes, indexed product by product."""
    with tenant_context(tenant):
        category = make_category("BEV", "饮料")
        products = {}
        for name, codes in layout.items():
            product = make_product(f"P-{codes[0]}", name, category)
            for code in codes:
                make_sku(product, code, "500ml", "10.00")
            reindex_products(product_ids=[product.pk])
            products[name] = product
    return products


def _found(tenant, q: str) -> set[str]:
    with tenant_context(tenant):
        result = search_skus(actor=Actor.system(tenant.pk), q=q, per_page=50)
    return {hit.sku.code for hit in result.hits}


@pytest.mark.django_db(transaction=True)
def test_reindexing_after_a_flush_replaces_the_old_index_rows():
    # given an indexed catalog: 可乐 with SKU 1, 雪碧 with SKUs 2 and 3
    with all_tenants():
        _build(make_world("alpha").tenant, {"可乐": ["COLA-1"], "雪碧": ["SPRITE-1", "SPRITE-2"]})
    # and the database flushed, as `dinghuo demo --reset` does
    call_command("flush", interactive=False, verbosity=0)
    # when a catalog is built again whose ids meet the old rows: SKU 2 now belongs to 可乐
    with all_tenants():
        tenant = make_world("alpha").tenant
    products = _build(tenant, {"可乐": ["COLA-1", "COLA-2"], "雪碧": ["SPRITE-1"]})
    # then indexing does not collide, and search finds the new catalog and nothing of the old one
    assert _found(tenant, "可乐") == {"COLA-1", "COLA-2"}
    assert _found(tenant, "雪碧") == {"SPRITE-1"}
    assert _found(tenant, "COLA-2") == {"COLA-2", "COLA-1"}  # the exact code, and one a typo away
    assert _found(tenant, "SPRITE-2") == {"SPRITE-1"}
    # and a full reindex of the tenant agrees
    with tenant_context(tenant):
        assert reindex_products() == len(products)
    assert _found(tenant, "可乐") == {"COLA-1", "COLA-2"}
