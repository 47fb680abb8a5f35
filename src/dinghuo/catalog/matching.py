"""Parameter matching (型号智能匹配): a need in free text → constraints → the SKUs that meet them.

    "直径50mm的不锈钢轴承"  → 直径 50 mm ±2 %, 材质 不锈钢, keyword 轴承
    "内径25 外径52"          → 内径 25, 外径 52 (in the attributes' own unit)
    "6205-2RS"               → model code
    "500ml 无糖 24瓶"        → 500 ml ±2 %, 含糖 无糖, pack of 24 瓶

Numbers carry a unit (mm/cm/m, ml/L, g/kg … converted to one base unit per dimension) and a
tolerance (±2 % unless written: "50±0.5mm", "50mm ±5%"). A number is checked against the typed
number attribute the text names (直径 also means 外径/内径, 容量 also 净含量 …), else against any
attribute of a compatible unit, else against numbers written in the SKU's name ("500ml×24瓶").
Words that are choices of an attribute, or values some product has, become value constraints;
codes become model-code constraints (the SKU or product code starts with it); "24瓶" or "×24"
a pack size (a unit of that many base units); the remaining words keywords. Sizes written the
trade's way are read too: "M8×30" is a thread M8 and a 长度 of 30 mm, "25×52×15" a 内径, 外径
and 宽度 (each only when the tenant has attributes of those names).

Results come in three grades: exact matches (every constraint met), then the substitutes the
catalog declares for the exact matches, or for a discontinued model the need names by its code
(``RelatedProduct`` of kind substitute: "6205-2RS" finds S6205-2RS when 6205 is no longer sold),
then near matches (most constraints met, nearest numbers first). A declared substitute of a mere
near match is a near match like any other: it is ranked on what it meets itself. Each says which
constraints it met and which it missed, and what the SKU has instead. A fixed number of queries
whatever the catalog size.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dinghuo.catalog import selectors
from dinghuo.catalog.models import Attribute, AttributeValue, Product, RelatedProduct, Sku, SkuUnit
from dinghuo.catalog.search_errors import MatchTextEmpty
from dinghuo.catalog.search_index import CJK, TokenMatch, code_hits, compact, jieba_module, normalize, parse_query
from dinghuo.core.money import quantize
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Dealer

DEFAULT_TOLERANCE = Decimal("0.02")  # ±2 %
CANDIDATES = 60
UNITS: dict[str, tuple[str, Decimal]] = {
    "mm": ("length", Decimal(1)),
    "毫米": ("length", Decimal(1)),
    "cm": ("length", Decimal(10)),
    "厘米": ("length", Decimal(10)),
    "dm": ("length", Decimal(100)),
    "分米": ("length", Decimal(100)),
    "m": ("length", Decimal(1000)),
    "米": ("length", Decimal(1000)),
    "um": ("length", Decimal("0.001")),
    "μm": ("length", Decimal("0.001")),
    "微米": ("length", Decimal("0.001")),
    "in": ("length", Decimal("25.4")),
    "英寸": ("length", Decimal("25.4")),
    "ml": ("volume", Decimal(1)),
    "毫升": ("volume", Decimal(1)),
    "l": ("volume", Decimal(1000)),
    "升": ("volume", Decimal(1000)),
    "mg": ("mass", Decimal("0.001")),
    "毫克": ("mass", Decimal("0.001")),
    "g": ("mass", Decimal(1)),
    "克": ("mass", Decimal(1)),
    "kg": ("mass", Decimal(1000)),
    "千克": ("mass", Decimal(1000)),
    "公斤": ("mass", Decimal(1000)),
    "斤": ("mass", Decimal(500)),
    "t": ("mass", Decimal(1000000)),
    "吨": ("mass", Decimal(1000000)),
}
# What a named quantity may be called in a tenant's attributes.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "直径": ("直径", "外径", "内径", "公称直径"),
    "φ": ("直径", "外径", "内径", "公称直径"),
    "ø": ("直径", "外径", "内径", "公称直径"),
    "内径": ("内径", "孔径", "内直径"),
    "孔径": ("孔径", "内径"),
    "外径": ("外径", "外直径"),
    "宽度": ("宽度", "宽", "厚度"),
    "宽": ("宽度", "宽"),
    "厚度": ("厚度", "厚", "宽度"),
    "厚": ("厚度", "厚"),
    "长度": ("长度", "长"),
    "长": ("长度", "长"),
    "高度": ("高度", "高"),
    "高": ("高度", "高"),
    "容量": ("容量", "净含量", "体积"),
    "净含量": ("净含量", "容量"),
    "体积": ("体积", "容量"),
    "重量": ("重量", "净重", "毛重", "净含量"),
    "净重": ("净重", "重量", "净含量"),
    "规格": (),
}
MEASURE_WORDS = "瓶罐听箱包袋支盒桶件个只套卷片条双提板组粒"
# fmt: off
STOPWORDS = {
    "的", "了", "和", "与", "及", "或", "要", "需要", "想要", "找", "买", "求", "一个", "一款", "一种",
    "左右", "大约", "约", "用", "款", "型", "型号", "规格", "我", "请", "有", "吗", "呢", "把", "级",
}
# fmt: on
KIND_LABELS = {
    "number": _("Size"),
    "value": _("Property"),
    "code": _("Model code"),
    "pack": _("Pack size"),
    "keyword": _("Keyword"),
}
WEIGHTS = {"code": 3, "number": 3, "value": 2, "pack": 1, "keyword": 1}  # sizes decide fit
GRADES = {"exact": _("Exact match"), "substitute": _("Declared substitute"), "near": _("Near match")}

_NUM = r"(\d+(?:\.\d+)?)"
_TOL = r"(?:\s*(?:±|\+/-|\+-)\s*(\d+(?:\.\d+)?)\s*(%)?)"
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_NUMBER = re.compile(rf"(?<![a-z0-9.\-/]){_NUM}{_TOL}?\s*({_UNIT_ALT})?{_TOL}?(?![a-z0-9]|[-./][a-z0-9])")
# "×24" after a unit (500ml×24, not M8×30) or "24瓶"
_PACK = re.compile(
    rf"(?:(?<=[a-z{CJK}])\s*[×x*]\s*(\d+)\s*([{MEASURE_WORDS}])?|(?<![a-z0-9.\-])(\d+)\s*([{MEASURE_WORDS}]))"
)
_CODE = re.compile(r"(?<![a-z0-9])[a-z0-9][a-z0-9\-_/.+]*[a-z0-9](?![a-z0-9])")
# Sizes the trade writes with "×": M8×30 (thread × length), 25×52×15 (内径 × 外径 × 宽度); not 500×24瓶
_DIMS = re.compile(
    r"(?<![a-z0-9.\-/])(m\d+(?:\.\d+)?|\d+(?:\.\d+)?)\s*[×x*]\s*(\d+(?:\.\d+)?)(?:\s*[×x*]\s*(\d+(?:\.\d+)?))?"
    rf"\s*(mm|毫米)?(?![a-z0-9.]|\s*[×x*]|\s*[{MEASURE_WORDS}])"
)
DIM_NAMES = ("内径", "外径", "宽度")  # a bearing's d × D × B


def unit_of(text: str) -> tuple[str, Decimal]:
    """(dimension, size in the dimension's base unit) of a unit as written; unknown units stand alone."""
    key = normalize(text).strip()
    return UNITS.get(key, (key, Decimal(1)))


def _num(text: str) -> str:
    return f"{Decimal(text).normalize():f}"


@dataclass
class Constraint:
    key: str
    kind: str  # number | value | code | pack | keyword
    text: str  # as the need wrote it
    label: str = ""  # what is wanted, e.g. "直径 50mm ±2%"
    # numbers: the wanted range in the dimension's base unit ("" dimension: the attribute's own unit)
    dimension: str = ""
    target: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    name: str = ""  # the quantity named (直径), if any
    attribute_ids: frozenset[int] = frozenset()  # the attributes that name means; empty: any compatible
    value: str = ""  # values, codes, keywords
    count: int = 0  # packs
    measure: str = ""

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class Check:
    constraint: Constraint
    met: bool
    actual: str = ""  # what the SKU has, e.g. "外径 62mm", "轴承钢"
    deviation: Decimal = Decimal(0)  # numbers: relative distance from the target

    @property
    def note(self) -> str:
        if self.met:
            return str(_("matches"))
        if self.actual:
            return str(_("has %(actual)s") % {"actual": self.actual})
        return str(_("not specified"))


@dataclass
class MatchResult:
    sku: Sku  # product, brand and category loaded; units prefetched
    grade: str  # exact | substitute | near
    price: Decimal
    met: list[Check]
    missed: list[Check]
    substitute_for: int | None = None  # the product this one is a declared substitute of

    @property
    def grade_label(self) -> str:
        return str(GRADES[self.grade])

    @property
    def score(self) -> int:
        return sum(WEIGHTS[c.constraint.kind] for c in self.met)

    @property
    def deviation(self) -> Decimal:
        return sum((c.deviation for c in self.met), Decimal(0))


@dataclass
class MatchOutcome:
    text: str
    constraints: list[Constraint]
    results: list[MatchResult] = field(default_factory=list)


# --- parsing ---------------------------------------------------------------------------------


@dataclass
class _Vocabulary:
    attributes: dict[int, Attribute]
    names: list[str]  # quantity names, longest first

    def attributes_named(self, name: str) -> frozenset[int]:
        wanted = set(SYNONYMS.get(name, (name,)))
        return frozenset(a.pk for a in self.attributes.values() if a.name in wanted or a.code == name)


def _vocabulary() -> _Vocabulary:
    attributes = {a.pk: a for a in Attribute.objects.all()}
    names = set(SYNONYMS) | {normalize(a.name) for a in attributes.values() if a.kind == Attribute.Kind.NUMBER}
    return _Vocabulary(attributes, sorted(names, key=len, reverse=True))


def parse_need(text: str, vocabulary: _Vocabulary) -> list[Constraint]:
    """The constraints in a need; one query for values some product has (words are matched exactly)."""
    work = normalize(text)
    written = unicodedata.normalize("NFKC", text)
    if len(written) != len(work):
        written = work
    constraints: list[Constraint] = []

    def add(kind: str, as_written: str, **fields: Any) -> None:
        constraints.append(Constraint(key=f"c{len(constraints) + 1}", kind=kind, text=as_written.strip(), **fields))

    def blank(start: int, end: int) -> None:
        nonlocal work
        work = work[:start] + " " * (end - start) + work[end:]

    for m in list(_DIMS.finditer(work)):
        _dimensions(m, written, vocabulary, add, blank)
    for m in list(_PACK.finditer(work)):
        count, measure = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        add(
            "pack",
            written[m.start() : m.end()],
            label=f"{count}{measure or ''}",
            count=int(count),
            measure=measure or "",
        )
        blank(*m.span())
    names = "|".join(re.escape(n) for n in vocabulary.names)
    for m in list(_NUMBER.finditer(work)):
        number, tol1, pct1, unit, tol2, pct2 = m.groups()
        unit_written = written[m.start(4) : m.end(4)] if unit else ""
        named = re.search(rf"({names})\s*[:：=为是]?\s*$", work[: m.start()]) if names else None
        if not unit and not named:
            continue  # a bare number: perhaps a model code (6205)
        name = named.group(1) if named else ""
        dimension, factor = unit_of(unit) if unit else ("", Decimal(1))
        target = Decimal(number) * factor
        tol, pct = (tol1, pct1) if tol1 else (tol2, pct2)
        if tol and pct:
            spread, shown = target * Decimal(tol) / 100, f"±{_num(tol)}%"
        elif tol:
            spread, shown = Decimal(tol) * factor, f"±{_num(tol)}{unit_written}"
        else:
            spread, shown = target * DEFAULT_TOLERANCE, "±2%"
        start = named.start() if named else m.start()
        add(
            "number",
            written[start : m.end()],
            label=f"{name} {_num(number)}{unit_written} {shown}".strip(),
            value=f"{_num(number)}{unit or ''}",
            dimension=dimension,
            target=target,
            low=target - spread,
            high=target + spread,
            name=name,
            attribute_ids=vocabulary.attributes_named(name) if name else frozenset(),
        )
        blank(start, m.end())
    codes = [
        m
        for m in _CODE.finditer(work)
        if any(c.isdigit() for c in m.group(0)) and (len(m.group(0)) >= 4 or any(c.isalpha() for c in m.group(0)))
    ]
    # A code-like word that is some product's attribute value (M8 as 螺纹规格) is that value, not a model code.
    as_values: dict[str, tuple[str, set[int]]] = {}
    if codes:
        forms = {f for m in codes for f in (written[m.start() : m.end()], m.group(0), m.group(0).upper())}
        for value, attribute_id in (
            AttributeValue.objects.filter(value_text__in=forms).values_list("value_text", "attribute_id").distinct()
        ):
            as_values.setdefault(normalize(value), (value, set()))[1].add(attribute_id)
    for m in codes:
        code = m.group(0)
        if code in as_values:
            value, attribute_ids = as_values[code]
            names = sorted({vocabulary.attributes[i].name for i in attribute_ids if i in vocabulary.attributes})
            add("value", value, label=f"{'/'.join(names)} {value}".strip(), value=code,
                attribute_ids=frozenset(attribute_ids))  # fmt: skip
        else:
            add("code", written[m.start() : m.end()], label=written[m.start() : m.end()], value=code)
        blank(*m.span())
    words = [w for w in jieba_module().cut(work) if w.strip() and w not in STOPWORDS and re.search(rf"[{CJK}a-z]", w)]
    _values(words, work, vocabulary, add)
    return constraints


def _dimensions(m: re.Match, written: str, vocabulary: _Vocabulary, add: Any, blank: Any) -> None:
    """M8×30 → 长度 30 (M8 is left for the values); 25×52[×15] → 内径, 外径 [, 宽度]. Only names the
    tenant's attributes have; otherwise the text is left to the other rules."""
    first, _second, third, unit = m.groups()
    if first.startswith("m"):
        if third is not None or not vocabulary.attributes_named("长度"):
            return
        named, blank_from = [("长度", 2)], m.end(1)
    else:
        names = DIM_NAMES[: 3 if third is not None else 2]
        if not all(vocabulary.attributes_named(n) for n in names):
            return
        named, blank_from = [(n, i + 1) for i, n in enumerate(names)], m.start()
    unit_written = written[m.start(4) : m.end(4)] if unit else ""
    dimension, factor = unit_of(unit) if unit else ("", Decimal(1))
    for name, group in named:
        number = m.group(group)
        target = Decimal(number) * factor
        add(
            "number",
            f"{name}{written[m.start(group) : m.end(group)]}{unit_written}",
            label=f"{name} {_num(number)}{unit_written} ±2%",
            value=f"{_num(number)}{unit or ''}",
            dimension=dimension,
            target=target,
            low=target - target * DEFAULT_TOLERANCE,
            high=target + target * DEFAULT_TOLERANCE,
            name=name,
            attribute_ids=vocabulary.attributes_named(name),
        )
    blank(blank_from, m.end())


def _values(words: list[str], work: str, vocabulary: _Vocabulary, add: Any) -> None:
    """Choices of an attribute written in the need, and words that are some product's value; the rest are keywords."""
    found: dict[str, set[int]] = {}  # normalised value → attributes having it
    shown: dict[str, str] = {}  # … → as the catalog writes it
    for attribute in vocabulary.attributes.values():
        for choice in attribute.choices or []:
            key = normalize(str(choice))
            if len(key) >= 2 and key in work:
                found.setdefault(key, set()).add(attribute.pk)
                shown.setdefault(key, str(choice))
    rest = [w for w in words if not any(w in choice or choice in w for choice in found)]
    if rest:
        rows = AttributeValue.objects.filter(value_text__in=rest).values_list("value_text", "attribute_id").distinct()
        for value, attribute_id in rows[:200]:
            found.setdefault(normalize(value), set()).add(attribute_id)
            shown.setdefault(normalize(value), value)
    for value, attribute_ids in found.items():
        names = sorted({vocabulary.attributes[i].name for i in attribute_ids if i in vocabulary.attributes})
        add(
            "value",
            shown[value],
            label=f"{'/'.join(names)} {shown[value]}".strip(),
            value=value,
            attribute_ids=frozenset(attribute_ids),
        )
    for word in rest:
        if normalize(word) not in found:
            add("keyword", word, label=word, value=normalize(word))


# --- matching --------------------------------------------------------------------------------


def match_need(
    *, actor: Actor, dealer: Dealer | None, text: str, limit: int = 20, at: dt.datetime | None = None
) -> MatchOutcome:
    """Parse ``text`` and find what ``dealer`` may buy that meets it (see the module docstring)."""
    selectors.check_dealer(actor, dealer)
    if not (text or "").strip():
        raise MatchTextEmpty()
    text = text.strip()[:200]
    vocabulary = _vocabulary()
    constraints = parse_need(text, vocabulary)
    if not constraints:
        raise MatchTextEmpty(detail={"text": text})
    limit = max(1, min(limit, 50))
    base = selectors.sellable_skus(dealer)
    conditions = [_condition(c, vocabulary) for c in constraints]
    score = sum(
        (
            Case(When(cond, then=Value(WEIGHTS[c.kind])), default=Value(0), output_field=IntegerField())
            for c, cond in zip(constraints, conditions, strict=True)
        ),
        Value(0),
    )
    any_condition = Q()
    for cond in conditions:
        any_condition |= cond
    candidates = list(
        base.filter(any_condition)
        .annotate(score=score)
        .order_by("-score", "product__sort", "sort", "pk")
        .values_list("pk", "product_id")[:CANDIDATES]
    )
    product_ids = list(dict.fromkeys(p for _s, p in candidates))[:20]
    # the declared substitutes of the candidates, and of discontinued products the need names by
    # model code (what a substitute is for): one query
    relations = Q(product_id__in=product_ids)
    for c in constraints:
        if c.kind == "code":
            named = Q(product__code__istartswith=c.value) | Q(product__skus__code__istartswith=c.value)
            relations |= named & Q(product__status=Product.Status.DISCONTINUED)
    rows = (
        RelatedProduct.objects.filter(relations, kind=RelatedProduct.Kind.SUBSTITUTE)
        .values_list("product_id", "related_id", "product__status")
        .distinct()
    )
    substitutes, retired = [], set()
    for product_id, related_id, status in rows:
        substitutes.append((product_id, related_id))
        if status == Product.Status.DISCONTINUED:
            retired.add(product_id)
    skus, values = _load(base, [s for s, _p in candidates], [r for _p, r in substitutes], dealer=dealer, at=at)
    checked = {sku.pk: _check(sku, values[sku.pk], constraints, vocabulary) for sku in skus}
    results = _grade(skus, checked, substitutes, retired)
    return MatchOutcome(text=text, constraints=constraints, results=results[:limit])


def _condition(constraint: Constraint, vocabulary: _Vocabulary) -> Q:
    """A wide SQL pre-filter for one constraint (candidates); the exact check is ``_check``."""
    nothing = Q(pk__in=[])
    if constraint.kind == "code":
        hits = code_hits(parse_query(constraint.value))
        return (
            Q(code__istartswith=constraint.value)
            | Q(product__code__istartswith=constraint.value)
            | _tokens(compact(constraint.value))
            | Q(pk__in=hits.ids)
        )
    if constraint.kind == "number":
        condition = Q(name__icontains=constraint.value) if constraint.dimension else nothing
        ranges = Q()
        for attribute in _number_attributes(constraint, vocabulary):
            factor = unit_of(attribute.unit)[1] if constraint.dimension else Decimal(1)
            low, high = constraint.target * Decimal("0.7") / factor, constraint.target * Decimal("1.3") / factor
            ranges |= Q(attribute_id=attribute.pk, value_number__range=(low, high))
        if ranges:
            condition |= Q(Exists(_values_of_sku().filter(ranges)))
        return condition
    if constraint.kind == "value":
        return (
            Q(
                Exists(
                    _values_of_sku().filter(
                        attribute_id__in=constraint.attribute_ids, value_text__icontains=constraint.value
                    )
                )
            )
            | Q(name__icontains=constraint.value)
            | Q(product__name__icontains=constraint.value)
            | Q(product__subtitle__icontains=constraint.value)
        )
    if constraint.kind == "pack":
        return Q(Exists(SkuUnit.objects.filter(sku_id=OuterRef("pk"), factor=constraint.count)))
    return _tokens(constraint.value)


def _tokens(text: str) -> Q:
    query = parse_query(text)
    return Q(TokenMatch(F("product_id"), query)) if query else Q(pk__in=[])


def _values_of_sku() -> QuerySet[AttributeValue]:
    return AttributeValue.objects.filter(
        Q(sku_id=OuterRef("pk")) | Q(sku__isnull=True, product_id=OuterRef("product_id"))
    )


def _number_attributes(constraint: Constraint, vocabulary: _Vocabulary) -> list[Attribute]:
    numbers = [a for a in vocabulary.attributes.values() if a.kind == Attribute.Kind.NUMBER]
    if constraint.attribute_ids:
        return [a for a in numbers if a.pk in constraint.attribute_ids]
    if not constraint.dimension:
        return []  # "内径25" with no 内径 attribute and no unit: nothing to compare with
    return [a for a in numbers if unit_of(a.unit)[0] == constraint.dimension]


def _load(
    base: QuerySet[Sku], sku_ids: list[int], substitute_products: list[int], *, dealer: Dealer | None, at: Any
) -> tuple[list[Sku], dict[int, list[AttributeValue]]]:
    """Candidates and the SKUs of declared substitutes, with prices and units, and the attribute
    values that apply to each (the SKU's own over its product's): 3 queries."""
    qs = base.filter(Q(pk__in=sku_ids) | Q(product_id__in=substitute_products))
    skus = list(
        selectors.with_prices(qs, dealer=dealer, at=at or timezone.now())
        .select_related("product__brand", "product__category")
        .prefetch_related("units")
    )
    by_product: dict[int, list[AttributeValue]] = {}
    for value in AttributeValue.objects.filter(product_id__in={s.product_id for s in skus}).select_related("attribute"):
        by_product.setdefault(value.product_id, []).append(value)
    values: dict[int, list[AttributeValue]] = {}
    for sku in skus:
        applying = {v.attribute_id: v for v in by_product.get(sku.product_id, []) if v.sku_id is None}
        applying.update({v.attribute_id: v for v in by_product.get(sku.product_id, []) if v.sku_id == sku.pk})
        values[sku.pk] = list(applying.values())
    return skus, values


def _check(
    sku: Sku, values: list[AttributeValue], constraints: list[Constraint], vocabulary: _Vocabulary
) -> list[Check]:
    product = sku.product
    names = normalize(f"{sku.name} {product.name} {product.subtitle}")
    tokens = product.search_text.split()
    out = []
    for c in constraints:
        if c.kind == "number":
            out.append(_check_number(c, sku, values, vocabulary))
        elif c.kind == "value":
            texts = [v.value_text for v in values if v.value_text and v.attribute_id in c.attribute_ids]
            met = any(c.value in normalize(t) for t in texts) or c.value in names
            out.append(Check(c, met, "" if met else "、".join(texts)))
        elif c.kind == "code":
            wanted = compact(c.value)
            met = compact(sku.code).startswith(wanted) or compact(product.code).startswith(wanted)
            out.append(Check(c, met, "" if met else sku.code))
        elif c.kind == "pack":
            out.append(_check_pack(c, sku, names))
        else:
            out.append(Check(c, c.value in names or any(t.startswith(c.value) for t in tokens)))
    return out


def _check_number(c: Constraint, sku: Sku, values: list[AttributeValue], vocabulary: _Vocabulary) -> Check:
    ids = {a.pk for a in _number_attributes(c, vocabulary)}
    seen: list[tuple[Decimal, str]] = []  # (value in the constraint's base unit, as shown)
    for v in values:
        if v.attribute_id in ids and v.value_number is not None:
            factor = unit_of(v.attribute.unit)[1] if c.dimension else Decimal(1)
            seen.append((v.value_number * factor, f"{v.attribute.name} {_num(str(v.value_number))}{v.attribute.unit}"))
    if not seen and c.dimension:  # no attribute says: numbers written in the SKU's name ("500ml×24瓶")
        for m in _NUMBER.finditer(normalize(f"{sku.name} {sku.product.name}")):
            if m.group(4) and unit_of(m.group(4))[0] == c.dimension:
                seen.append((Decimal(m.group(1)) * unit_of(m.group(4))[1], m.group(0).strip()))
    if not seen:
        return Check(c, False)
    value, shown = min(seen, key=lambda vs: abs(vs[0] - c.target))
    try:
        deviation = abs(value - c.target) / c.target if c.target else abs(value)
    except InvalidOperation:
        deviation = Decimal(0)
    met = c.low <= value <= c.high
    return Check(c, met, "" if met else shown, deviation)


def _check_pack(c: Constraint, sku: Sku, names: str) -> Check:
    units = list(sku.units.all())
    met = any(u.factor == c.count and (not c.measure or c.measure == sku.base_unit) for u in units)
    met = met or (c.count == 1 and any(u.name == c.measure for u in units))
    met = met or (bool(c.measure) and f"{c.count}{c.measure}" in names.replace(" ", ""))
    shown = "、".join(f"{u.name}={_num(str(u.factor))}{sku.base_unit}" for u in units if u.factor != 1)
    return Check(c, met, "" if met else shown)


def _grade(
    skus: list[Sku], checked: dict[int, list[Check]], substitutes: list[tuple[int, int]], retired: set[int]
) -> list[MatchResult]:
    results: dict[int, MatchResult] = {}
    for sku in skus:
        checks = checked[sku.pk]
        met = [c for c in checks if c.met]
        grade = "exact" if len(met) == len(checks) else "near"
        results[sku.pk] = MatchResult(sku, grade, quantize(sku.dealer_price), met, [c for c in checks if not c.met])
    exact_products = {r.sku.product_id for r in results.values() if r.grade == "exact"}
    # only what stands in for an exact match, or for a discontinued model the need names, is
    # promoted: a substitute of a near match (the wrong size, say) is ranked on what it meets
    # itself, never above a near match that meets more
    declared: dict[int, int] = {}
    for product_id, related_id in sorted(substitutes, key=lambda pr: (pr[0] not in exact_products, pr)):
        if product_id in exact_products or product_id in retired:
            declared.setdefault(related_id, product_id)
    for r in results.values():
        if r.grade != "exact" and r.sku.product_id in declared:
            r.grade, r.substitute_for = "substitute", declared[r.sku.product_id]

    def order(r: MatchResult) -> tuple:
        grade = {"exact": 0, "substitute": 1, "near": 2}[r.grade]
        return (grade, -r.score, r.deviation, r.price, r.sku.code)

    return sorted((r for r in results.values() if r.grade != "near" or r.met), key=order)
