"""Search structures (see catalog/search.py), by database.

PostgreSQL: a GIN index on the token array of ``Product.search_text`` (queried with a prefix
tsquery); B-tree indexes on the upper-cased SKU code and on the reversed code and barcode, so that
codes sharing the first or the last half with a mistyped one are found by range scans (the
barcode's own ``varchar_pattern_ops`` index serves barcode prefixes); pg_trgm for ``similarity()``,
which ranks those candidates. (Trigram GIN indexes on the codes were tried and dropped: numeric
codes share most trigrams, so their posting lists are long and the scans slow.)
SQLite: two FTS5 tables kept in sync by ``catalog.search.reindex_products`` (no triggers):
``catalog_product_fts`` (rowid = product id; the same tokens, split on spaces only) and
``catalog_sku_fts`` (rowid = SKU id; trigrams of code and barcode).
"""

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS catalog_product_search_tokens ON catalog_product "
    "USING gin (array_to_tsvector(string_to_array(search_text, ' ')))",
    "CREATE INDEX IF NOT EXISTS catalog_sku_code_prefix ON catalog_sku (tenant_id, upper(code) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS catalog_sku_code_suffix ON catalog_sku "
    "(tenant_id, reverse(upper(code)) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS catalog_sku_barcode_suffix ON catalog_sku (tenant_id, reverse(barcode) text_pattern_ops)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS catalog_sku_barcode_suffix",
    "DROP INDEX IF EXISTS catalog_sku_code_suffix",
    "DROP INDEX IF EXISTS catalog_sku_code_prefix",
    "DROP INDEX IF EXISTS catalog_product_search_tokens",
]
SQLITE = [
    # tokenchars: the characters catalog.search keeps inside a token, so FTS5 splits on spaces only.
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_product_fts USING fts5("
    "search_text, tenant_id UNINDEXED, "
    "tokenize = \"unicode61 remove_diacritics 0 tokenchars '-./_+#'\", prefix = '2 3')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_sku_fts USING fts5("
    "code, barcode, tenant_id UNINDEXED, product_id UNINDEXED, tokenize = 'trigram')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS catalog_sku_fts", "DROP TABLE IF EXISTS catalog_product_fts"]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def create(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES, "sqlite": SQLITE})


def drop(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
