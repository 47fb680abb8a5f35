"""The search index: how text becomes tokens, how a query matches them, and codes with typos.

``reindex_products()`` writes each product's ``search_text``: the space-separated, lower-cased set
of tokens of its names, subtitle, codes, barcodes, brand, category path, tags and attribute values.
A Chinese run (可口可乐) gives its jieba words (可口 可乐 可口可乐), every character and every pair
of adjacent characters, its full pinyin (kekoukele, kekou, kele) and its initials, both as first
letters (kkkl) and as shengmu (用水 → ys and ysh). A code gives itself, its parts and its compact
form (6205-2rs 6205 2rs 62052rs).

A query matches a product when every query term is a prefix of one of its tokens; a Chinese term
of three or more characters also matches when all its character pairs are there (口可乐 finds
可口可乐). On PostgreSQL the tokens are a GIN-indexed ``dinghuo_search_tokens(search_text)``
expression on ``search_text``, queried with a prefix tsquery; on SQLite they are mirrored into the
FTS5 table ``catalog_product_fts`` (rowid = product id), which ``reindex_products`` keeps in sync —
no triggers: every bulk write of the catalog calls it. Exact SKU codes and barcodes, and codes with
one wrong, missing or transposed character, are found through trigrams of ``Sku.code``/``barcode``
(``pg_trgm`` GIN indexes on PostgreSQL, the FTS5 trigram table ``catalog_sku_fts`` on SQLite) and
an edit distance. Both structures come from migration ``catalog.0002``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F, FloatField, Func, Q, Value
from django.db.models.expressions import RawSQL

from dinghuo.catalog.models import AttributeValue, Category, Product, Sku, SkuUnit
from dinghuo.core.errors import TenantContextMissing
from dinghuo.core.tenancy import current_tenant_id, in_all_tenants

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
_RUNS = re.compile(f"[{CJK}]+|[^{CJK}]+")
_CHUNK = re.compile(r"[\w\-./+#]+")  # what a token may hold; FTS5 is told the same ("tokenchars")
_SEPARATORS = "-./_+#"
_SPLIT = re.compile(r"[-./_+#]+")
MAX_QUERY_CHARS = 100
MAX_CLAUSES = 8
REINDEX_BATCH = 500


# --- text analysis ---------------------------------------------------------------------------


def normalize(text: str) -> str:
    """NFKC (full-width → ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def compact(code: str) -> str:
    return _SPLIT.sub("", normalize(code))


@cache
def jieba_module() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=50_000)
def pinyin_of(run: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Per character of a Chinese run: full pinyin, first letter, and initial (shengmu, else first letter)."""
    from pypinyin import lazy_pinyin
    from pypinyin.contrib.tone_convert import to_initials

    full = lazy_pinyin(run, errors=lambda chars: ["" for _c in chars])
    if len(full) != len(run):  # never for a pure-CJK run; be safe anyway
        return (), (), ()
    return tuple(full), tuple(s[:1] for s in full), tuple(to_initials(s, strict=False) or s[:1] for s in full)


@lru_cache(maxsize=50_000)
def _cjk_tokens(run: str) -> tuple[str, ...]:
    """A Chinese run's tokens; cached, as brand, category and spec words recur across a catalog."""
    out: dict[str, None] = {run: None}
    for i, char in enumerate(run):
        out[char] = None
        if i + 1 < len(run):
            out[run[i : i + 2]] = None
    full, first, initials = pinyin_of(run)
    if not full:
        return tuple(out)
    spans = [(0, len(run))]
    spans += [(s, e) for w, s, e in jieba_module().tokenize(run, mode="search") if e - s >= 2 and CJK_RUN.fullmatch(w)]
    for start, end in spans:
        if end - start >= 2:
            out[run[start:end]] = None
        for syllables in (full, first, initials) if end - start >= 2 else (full,):
            joined = "".join(syllables[start:end])
            if joined.isascii() and joined.isalnum():
                out[joined] = None
    return tuple(out)


def index_tokens(texts: Iterable[str]) -> list[str]:
    """The unique tokens of some texts, in first-seen order (see the module's docstring)."""
    out: dict[str, None] = {}
    for text in texts:
        for raw in _CHUNK.findall(normalize(text)):
            chunk = raw.strip(_SEPARATORS)
            if not chunk:
                continue
            if not CJK_RUN.search(chunk):
                out[chunk] = None
                parts = [p for p in _SPLIT.split(chunk) if p]
                if len(parts) > 1:
                    out.update(dict.fromkeys(parts))
                    out["".join(parts)] = None
                continue
            if len(chunk) <= 24:
                out[chunk] = None
            for run in _RUNS.findall(chunk):
                if CJK_RUN.fullmatch(run):
                    out.update(dict.fromkeys(_cjk_tokens(run)))
                elif run.strip(_SEPARATORS):
                    out[run.strip(_SEPARATORS)] = None
    return list(out)


@dataclass(frozen=True)
class TextQuery:
    """A parsed keyword query: every clause must match; a clause is alternatives (OR), each a set
    of lexemes (AND), each matched as a prefix of a token or exactly."""

    raw: str
    clauses: tuple[tuple[tuple[tuple[str, bool], ...], ...], ...] = ()
    terms: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.clauses)

    @property
    def looks_like_code(self) -> bool:
        """One token of letters, digits and separators with a digit in it: 6205-2RS, KO-500, a barcode."""
        text = self.raw.strip()
        return (
            4 <= len(text) <= 40
            and len(self.terms) == 1
            and bool(re.fullmatch(r"[\w\-./+#]+", text, re.ASCII))
            and any(c.isdigit() for c in text)
        )

    def tsquery(self) -> str:
        def lexeme(word: str, prefix: bool) -> str:
            return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if prefix else "")

        return " & ".join(
            "(" + " | ".join("(" + " & ".join(lexeme(w, p) for w, p in alt) + ")" for alt in clause) + ")"
            for clause in self.clauses
        )

    def fts5(self) -> str:
        def lexeme(word: str, prefix: bool) -> str:
            return '"' + word.replace('"', '""') + '"' + ("*" if prefix else "")

        return " AND ".join(
            "(" + " OR ".join("(" + " AND ".join(lexeme(w, p) for w, p in alt) + ")" for alt in clause) + ")"
            for clause in self.clauses
        )


def parse_query(q: str) -> TextQuery:
    raw = (q or "").strip()[:MAX_QUERY_CHARS]
    clauses: list[tuple[tuple[tuple[str, bool], ...], ...]] = []
    terms: list[str] = []
    for found in _CHUNK.findall(normalize(raw)):
        chunk = found.strip(_SEPARATORS)
        for run in _RUNS.findall(chunk) if chunk else []:
            run = run.strip(_SEPARATORS)
            if not run:
                continue
            if not CJK_RUN.fullmatch(run):
                terms.append(run)
                parts = [p for p in _SPLIT.split(run) if p]
                alternatives = [((run, True),)]
                if len(parts) > 1:
                    alternatives.append((("".join(parts), True),))
                clauses.append(tuple(alternatives))
                continue
            for word in jieba_module().cut(run):
                if not CJK_RUN.fullmatch(word):
                    continue
                terms.append(word)
                alternatives = [((word, True),)]
                if len(word) >= 3:
                    alternatives.append(tuple((word[i : i + 2], False) for i in range(len(word) - 1)))
                clauses.append(tuple(alternatives))
    return TextQuery(raw=raw, clauses=tuple(clauses[:MAX_CLAUSES]), terms=tuple(terms[:MAX_CLAUSES]))


class TokenMatch(Func):
    """True when the product at ``product_id`` (an expression: ``F("product_id")`` from a SKU,
    ``F("pk")`` from a product) has tokens matching a ``TextQuery``.

    PostgreSQL: ``product_id = ANY(ARRAY(SELECT id … WHERE <token array> @@ <tsquery>))`` — an
    init plan run once through the GIN index, whose result the planner can combine with other
    indexed conditions (``OR sku.id = ANY(…)`` for code hits) in a bitmap OR. SQLite: the same
    ids from the FTS5 table. Both are narrowed to the current tenant, read when the SQL compiles.
    """

    output_field = BooleanField()

    def __init__(self, product_id: Any, query: TextQuery):
        super().__init__(product_id)
        self.query = query

    def _tenant(self) -> tuple[str, list]:
        if in_all_tenants():
            return "", []
        tenant_id = current_tenant_id()
        if tenant_id is None:
            raise TenantContextMissing("keyword search outside a tenant context")
        return " AND {} = %s", [tenant_id]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        raise NotImplementedError(f"keyword search is not implemented on {connection.vendor}")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        if not self.query:
            return "1 = 0", []
        sql, params = compiler.compile(self.source_expressions[0])
        tenant_sql, tenant_params = self._tenant()
        tokens = "dinghuo_search_tokens(p.search_text)"  # the GIN index's expression (catalog migration 0003)
        return (
            f"{sql} = ANY(ARRAY(SELECT p.id FROM catalog_product p WHERE {tokens} @@ (%s)::tsquery"
            f"{tenant_sql.format('p.tenant_id')}))",
            [*params, self.query.tsquery(), *tenant_params],
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        if not self.query:
            return "1 = 0", []
        sql, params = compiler.compile(self.source_expressions[0])
        tenant_sql, tenant_params = self._tenant()
        return (
            f"{sql} IN (SELECT rowid FROM catalog_product_fts WHERE catalog_product_fts MATCH %s"
            f"{tenant_sql.format('tenant_id')})",
            [*params, self.query.fts5(), *tenant_params],
        )


# --- the index -------------------------------------------------------------------------------


def number_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _texts(ids: list[int], categories: Mapping[int, tuple[str, str]]) -> dict[int, list[str]]:
    """Each product's indexed texts, in five flat queries (no model instances: reindexing a whole
    catalog must not build a queryset per related row, as prefetching does)."""
    texts: dict[int, list[str]] = {}
    rows = Product.objects.filter(pk__in=ids).values_list(
        "pk", "name", "subtitle", "code", "category_id", "brand__name", "brand__code"
    )
    for pk, name, subtitle, code, category_id, brand, brand_code in rows:
        path = categories.get(category_id, ("", ""))[1]
        chain = [int(p) for p in path.strip("/").split("/") if p.isdigit()] or [category_id]
        texts[pk] = [name, subtitle, code, brand or "", brand_code or "", *(categories.get(i, ("",))[0] for i in chain)]
    skus = Sku.objects.filter(product_id__in=ids, is_active=True)
    for product_id, *values in skus.values_list("product_id", "name", "code", "barcode"):
        texts[product_id] += values
    units = SkuUnit.objects.filter(sku__in=skus).exclude(barcode="").values_list("sku__product_id", "barcode")
    tags = Product.tags.through.objects.filter(product_id__in=ids).values_list("product_id", "tag__name")
    for product_id, value in [*units, *tags]:
        texts[product_id].append(value)
    values = AttributeValue.objects.filter(product_id__in=ids).filter(Q(sku__isnull=True) | Q(sku__is_active=True))
    for product_id, text, number, unit in values.values_list(
        "product_id", "value_text", "value_number", "attribute__unit"
    ):
        texts[product_id].append(text or (number_text(number) + unit if number is not None and unit else ""))
    return texts


def reindex_products(*, product_ids: Iterable[int] | None = None) -> int:
    """Rebuild ``search_text`` (and on SQLite the FTS5 rows) of the current tenant's products.

    ``product_ids=None`` rebuilds every product of the tenant; ids of deleted products are fine
    (their index rows are dropped). Call it after bulk writes of products, SKUs, units, attribute
    values, tags, brands or category names. Returns the number of products indexed.
    """
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextMissing("reindex_products() needs a tenant context")
    categories = {pk: (name, path) for pk, name, path in Category.objects.values_list("pk", "name", "path")}
    if product_ids is None:
        ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({int(i) for i in product_ids})
    sqlite = connection.vendor == "sqlite"
    done = 0
    with transaction.atomic():
        if sqlite and product_ids is None:
            _fts_delete(tenant_id=tenant_id)
        for start in range(0, len(ids), REINDEX_BATCH):
            asked = ids[start : start + REINDEX_BATCH]
            batch = [
                Product(pk=pk, tenant_id=tenant_id, search_text=" ".join(index_tokens(texts)))
                for pk, texts in _texts(asked, categories).items()
            ]
            with connection.cursor() as cursor:  # executemany: pipelined by psycopg, no CASE of 500 WHENs
                cursor.executemany(
                    "UPDATE catalog_product SET search_text = %s WHERE id = %s AND tenant_id = %s",
                    [(p.search_text, p.pk, tenant_id) for p in batch],
                )
            if sqlite:
                if product_ids is not None:
                    _fts_delete(product_ids=asked)
                _fts_insert(tenant_id, batch)
            done += len(batch)
    return done


def _fts_delete(*, tenant_id: int | None = None, product_ids: list[int] | None = None) -> None:
    """Drop index rows: a tenant's (and rows whose product or SKU is gone, which ``flush`` leaves
    behind: it empties the model tables, not these), or those of some products."""
    with connection.cursor() as cursor:
        if tenant_id is not None:
            cursor.execute("DELETE FROM catalog_product_fts WHERE tenant_id = %s", [tenant_id])
            cursor.execute("DELETE FROM catalog_sku_fts WHERE tenant_id = %s", [tenant_id])
            cursor.execute("DELETE FROM catalog_product_fts WHERE rowid NOT IN (SELECT id FROM catalog_product)")
            cursor.execute("DELETE FROM catalog_sku_fts WHERE rowid NOT IN (SELECT id FROM catalog_sku)")
        if product_ids:
            marks = ", ".join(["%s"] * len(product_ids))
            cursor.execute(f"DELETE FROM catalog_product_fts WHERE rowid IN ({marks})", product_ids)
            cursor.execute(f"DELETE FROM catalog_sku_fts WHERE product_id IN ({marks})", product_ids)


def _fts_insert(tenant_id: int, products: list[Product]) -> None:
    """Write the index rows of some products and their active SKUs. ``OR REPLACE``: a row may be
    left over with the same id from before a ``flush`` (``dinghuo demo --reset``) — e.g. of a SKU
    that belonged to another product — and must give way, not fail the write."""
    skus = Sku.objects.filter(product_id__in=[p.pk for p in products], is_active=True)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT OR REPLACE INTO catalog_product_fts (rowid, search_text, tenant_id) VALUES (%s, %s, %s)",
            [(p.pk, p.search_text, tenant_id) for p in products],
        )
        cursor.executemany(
            "INSERT OR REPLACE INTO catalog_sku_fts (rowid, code, barcode, tenant_id, product_id) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (pk, code, barcode, tenant_id, product_id)
                for pk, code, barcode, product_id in skus.values_list("pk", "code", "barcode", "product_id")
            ],
        )


# --- codes: exact, and one typo away ---------------------------------------------------------


@dataclass(frozen=True)
class CodeHits:
    exact: frozenset[int] = frozenset()  # SKU ids whose code is the query
    barcode: frozenset[int] = frozenset()  # … whose barcode is the query
    typo: frozenset[int] = frozenset()  # … whose code or barcode is one or two edits away

    @property
    def ids(self) -> set[int]:
        return set(self.exact | self.barcode | self.typo)


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (a transposition is one edit); ``limit + 1`` when larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return min(prev[-1], limit + 1)


class _Similarity(Func):
    function = "similarity"
    output_field = FloatField()


class _Like(Func):
    """``<template around the column> LIKE pattern``, written so the expression indexes of
    migration 0002 serve it (Django's ``istartswith`` says ``UPPER(col)::text LIKE UPPER(%s)``)."""

    output_field = BooleanField()

    def __init__(self, template: str, column: str, pattern: str):
        super().__init__(F(column), Value(pattern))
        self.around = template

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        lhs, lparams = compiler.compile(self.source_expressions[0])
        rhs, rparams = compiler.compile(self.source_expressions[1])
        return f"{self.around.format(lhs)} LIKE {rhs}", [*lparams, *rparams]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def code_hits(query: TextQuery, limit: int = 50) -> CodeHits:
    """The tenant's SKUs whose code or barcode is the query, or one edit away (two for codes of ten
    characters or more), in one query on the SKU table's own indexes (on PostgreSQL a whole barcode
    is looked up first, alone: when found, nothing near it is sought, so a mistyped one costs two
    queries); whether the reader may buy them is the caller's filter. Only for code-like queries.
    (Pack-unit barcodes are among a product's tokens, so the keyword match finds them; search's
    ``_score`` ranks them.)"""
    if not query.looks_like_code:
        return CodeHits()
    raw = query.raw.strip()
    wanted = compact(raw)
    qs = Sku.objects.all()
    if connection.vendor == "postgresql":
        # One edit leaves the first or the last half intact, so candidates share one of them: range
        # scans of the B-tree indexes on UPPER(code), REVERSE(UPPER(code)), barcode and its reverse.
        up, half = raw.upper(), len(raw) // 2
        head = _like_escape(up[: max(half, 3)]) + "%"
        tail = _like_escape(up[-max(len(raw) - half - 1, 3) :][::-1]) + "%"
        near = Q(barcode=raw) | Q(_Like("UPPER({})", "code", head)) | Q(_Like("REVERSE(UPPER({}))", "code", tail))
        if raw.isdigit():  # barcodes are digits: a query with a letter or a dash is no mistyped barcode
            scanned = qs.filter(Q(barcode=raw) | Q(code=raw)).values_list("pk", "code", "barcode")[:limit]
            found = list(scanned) if 8 <= len(raw) <= 14 else []
            if found:
                # A whole barcode, scanned as a rule: no looking for near ones, whose first half is
                # shared by a brand's whole catalog (the GS1 company prefix) — a scan of every SKU.
                return _classify(found, raw, wanted)
            near |= Q(_Like("{}", "barcode", head)) | Q(_Like("REVERSE({})", "barcode", tail))
        rows = qs.filter(near).annotate(sim=_Similarity(F("code"), Value(raw))).order_by("-sim", "pk")
    else:
        grams = {text[i : i + 3] for text in (normalize(raw), wanted) for i in range(len(text) - 2)}
        match = " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))
        near = Q(
            pk__in=RawSQL(
                "SELECT rowid FROM catalog_sku_fts WHERE catalog_sku_fts MATCH %s AND tenant_id = %s "
                "ORDER BY rank LIMIT 200",
                [match, current_tenant_id()],
            )
        )
        rows = qs.filter(near | Q(code__iexact=raw) | Q(barcode=raw)).order_by("pk")
    return _classify(rows.values_list("pk", "code", "barcode")[:limit], raw, wanted)


def _classify(rows: Iterable[tuple[int, str, str]], raw: str, wanted: str) -> CodeHits:
    exact, barcodes, typos = set(), set(), set()
    allowed = 1 if len(wanted) < 10 else 2
    for pk, code, barcode in rows:
        if compact(code) == wanted:
            exact.add(pk)
        elif barcode == raw:
            barcodes.add(pk)
        elif edit_distance(compact(code), wanted, allowed) <= allowed or (
            barcode and edit_distance(barcode, raw, 1) <= 1
        ):
            typos.add(pk)
    return CodeHits(frozenset(exact), frozenset(barcodes), frozenset(typos))
