from decimal import Decimal

import pytest

from dinghuo.catalog.matching import match_need, parse_need
from dinghuo.catalog.models import Product
from dinghuo.catalog.search import reindex_products
from dinghuo.catalog.search_errors import MatchTextEmpty
from dinghuo.core.tenancy import Actor, tenant_context
from tests.catalog.factories import build_catalog, make_attribute, make_category, make_product, make_sku


@pytest.fixture
def catalog(world):
    return build_catalog(world.tenant)


def match(catalog, text, dealer="std", **kwargs):
    buyer = getattr(catalog, f"{dealer}_dealer") if dealer else None
    with tenant_context(catalog.tenant):
        return match_need(actor=Actor.system(catalog.tenant.pk), dealer=buyer, text=text, **kwargs)


def graded(outcome) -> list[tuple[str, str]]:
    return [(r.sku.code, r.grade) for r in outcome.results]


def missed(result) -> dict[str, str]:
    return {c.constraint.label: c.actual for c in result.missed}


def test_a_bearing_by_diameter_and_material(catalog):
    # when a dealer needs "a stainless bearing of diameter 50 mm" (直径 means 内径 or 外径 here)
    outcome = match(catalog, "直径50mm的不锈钢轴承")
    # then the need is read as a size, a material and a keyword
    assert [(c.kind, c.label) for c in outcome.constraints] == [
        ("number", "直径 50mm ±2%"),
        ("value", "材质 不锈钢"),
        ("keyword", "轴承"),
    ]
    # and the stainless 50 mm bearing is the exact match, the right size in the wrong steel next
    assert graded(outcome)[:2] == [("S6010-2RS", "exact"), ("6210-2RS", "near")]
    assert missed(outcome.results[1]) == {"材质 不锈钢": "轴承钢"}
    assert outcome.results[0].price == Decimal("88.00")


def test_by_model_code_with_the_declared_substitute_naming_what_it_misses(catalog):
    # given S6205 declared a substitute (替代) of 6205
    # when a dealer asks for 6205-2RS
    outcome = match(catalog, "6205-2RS")
    # then the SKU is the exact match and the substitute follows, saying it is not that model
    assert graded(outcome)[:2] == [("6205-2RS", "exact"), ("S6205-2RS", "substitute")]
    substitute = outcome.results[1]
    assert substitute.substitute_for == catalog.products["6205"].pk
    assert [(c.constraint.kind, c.constraint.label, c.actual) for c in substitute.missed] == [
        ("code", "6205-2RS", "S6205-2RS")
    ]
    assert substitute.missed[0].constraint.kind_label and substitute.grade_label


def test_by_inner_and_outer_diameter_without_units(catalog):
    # when the sizes are named but carry no unit (the attributes' own unit, mm, is meant)
    outcome = match(catalog, "内径25 外径52")
    # then the three 25×52 bearings are exact (cheapest first) and 25×62 is near, missing 外径
    assert graded(outcome)[:4] == [
        ("6205-ZZ", "exact"),
        ("6205-2RS", "exact"),
        ("S6205-2RS", "exact"),
        ("6305-2RS", "near"),
    ]
    assert missed(outcome.results[3]) == {"外径 52 ±2%": "外径 62mm"}


def test_a_beverage_by_volume_sugar_and_pack(catalog):
    # when a dealer needs "500ml, sugar-free, 24 bottles"
    outcome = match(catalog, "500ml 无糖 24瓶")
    # then the 24-bottle Coke Zero is exact; the 12-bottle one is the nearest, missing the pack
    assert [c.kind for c in outcome.constraints] == ["pack", "number", "value"]
    assert graded(outcome)[:2] == [("ZERO-500-24", "exact"), ("ZERO-500-12", "near")]
    assert missed(outcome.results[1]) == {"24瓶": "箱=12瓶"}
    # and a sugared cola of the right size and pack says what it has instead
    coke = next(r for r in outcome.results if r.sku.code == "COKE-500-24")
    assert coke.grade == "near" and missed(coke) == {"含糖 无糖": "含糖"}
    assert "SH-500" not in [r.sku.code for r in outcome.results]


@pytest.mark.parametrize("need", ["0.5L 无糖", "500毫升 无糖", "500ml±1% 无糖", "容量0.5升 无糖"])
def test_units_convert_and_tolerances_apply(catalog, need):
    outcome = match(catalog, need)
    assert {code for code, grade in graded(outcome) if grade == "exact"} == {"ZERO-500-24", "ZERO-500-12"}


def test_explicit_and_default_tolerances(catalog):
    with tenant_context(catalog.tenant):
        from dinghuo.catalog.matching import _vocabulary

        vocabulary = _vocabulary()
        default, explicit, percent = (
            parse_need("外径52", vocabulary)[0],
            parse_need("50±0.5mm", vocabulary)[0],
            parse_need("5cm ±10%", vocabulary)[0],
        )
    assert (default.low, default.high) == (Decimal("50.96"), Decimal("53.04"))
    assert (explicit.low, explicit.high) == (Decimal("49.5"), Decimal("50.5"))
    assert (percent.low, percent.high) == (Decimal("45"), Decimal("55"))
    # 5 cm ±10 % takes 内径 50 but 52 mm is no longer "about 50 ± 0.5"
    wide = match(catalog, "5cm±10% 不锈钢")
    narrow = match(catalog, "50±0.5mm 不锈钢")
    assert {c for c, g in graded(wide) if g == "exact"} == {"S6010-2RS", "S6205-2RS"}
    assert {c for c, g in graded(narrow) if g == "exact"} == {"S6010-2RS"}


def test_an_empty_need_is_refused(catalog):
    with pytest.raises(MatchTextEmpty):
        match(catalog, "   ")
    with pytest.raises(MatchTextEmpty):
        match(catalog, "……")


def test_another_tenants_products_never_match(world, world_b, catalog):
    other = build_catalog(world_b.tenant)
    other_ids = {s.pk for s in other.skus.values()}
    for need in ("6205-2RS", "直径50mm的不锈钢轴承", "500ml 无糖 24瓶"):
        outcome = match(catalog, need)
        assert outcome.results and not {r.sku.pk for r in outcome.results} & other_ids


def test_matching_runs_a_bounded_number_of_queries(catalog, django_assert_max_num_queries):
    for need in ("直径50mm的不锈钢轴承", "6205-2RS 6305-2RS", "500ml 无糖 24瓶", "内径25 外径52 不锈钢 轴承"):
        with django_assert_max_num_queries(12):
            outcome = match(catalog, need, limit=50)
            for r in outcome.results:
                _ = (r.sku.product.brand, r.sku.product.category, list(r.sku.units.all()))


def test_a_code_like_word_that_is_an_attribute_value_is_matched_as_that_value(catalog):
    # when a dealer writes a seal type (2RS) the way a model code is written
    outcome = match(catalog, "2RS 不锈钢轴承")
    # then it is read as the attribute value 密封 2RS, not as a model code nothing starts with
    first = outcome.constraints[0]
    assert (first.kind, first.label) == ("value", "密封 2RS")
    assert "code" not in {c.kind for c in outcome.constraints}
    # and the exact matches are the sealed stainless bearings
    exact = [r for r in outcome.results if r.grade == "exact"]
    assert exact and all(r.sku.code.startswith("S") and r.sku.code.endswith("-2RS") for r in exact)


def test_a_substitute_of_a_mere_near_match_is_ranked_on_its_own_merits(catalog):
    # given S6205 declared a substitute of 6205 (25×52, bearing steel)
    # when a dealer needs a 25×62 bearing-steel bearing: 6305 is exact, 6205 near (right bore, right steel)
    outcome = match(catalog, "内径25 外径62 轴承钢")
    # then S6205, which stands in for a near match only and meets less than it, is not promoted above it
    assert graded(outcome)[:4] == [
        ("6305-2RS", "exact"),
        ("6205-ZZ", "near"),
        ("6205-2RS", "near"),
        ("S6205-2RS", "near"),
    ]
    assert outcome.results[3].substitute_for is None
    assert missed(outcome.results[3]) == {"外径 62 ±2%": "外径 52mm", "材质 轴承钢": "不锈钢"}


@pytest.mark.parametrize("need", ["25×52×15", "25x52x15mm", "25*52"])
def test_bearing_sizes_written_d_times_outer_d_times_width(catalog, need):
    # when the sizes are written the trade's way, d × D × B
    outcome = match(catalog, need)
    # then they are read as 内径, 外径 (and 宽度), and the three 25×52×15 bearings are exact
    assert [c.name for c in outcome.constraints] == ["内径", "外径", "宽度"][: len(outcome.constraints)]
    assert len(outcome.constraints) == need.count("×") + need.count("x") + need.count("*") + 1
    assert {code for code, grade in graded(outcome) if grade == "exact"} == {"6205-ZZ", "6205-2RS", "S6205-2RS"}
    assert ("6305-2RS", "near") in graded(outcome)


def test_a_bolt_written_thread_times_length(catalog):
    # given bolts with a thread (螺纹规格) and a length (长度, per SKU)
    with tenant_context(catalog.tenant):
        fasteners = make_category("FAST", "紧固件")
        thread = make_attribute("thread", "螺纹规格", "choice", choices=["M6", "M8"], category=fasteners)
        length = make_attribute("length", "长度", "number", unit="mm", category=fasteners)
        for size in ("M6", "M8"):
            bolt = make_product(f"P-HB-{size}", f"外六角螺栓 {size}", fasteners, values={thread: size})
            for mm in (25, 30):
                make_sku(bolt, f"HB-{size}X{mm}", f"{size}×{mm}", "0.20", base_unit="个", values={length: mm})
        reindex_products()
    for need in ("M8x30 螺栓", "M8×30", "m8*30"):
        # when a dealer asks for an M8×30 bolt, in any of the ways it is written
        outcome = match(catalog, need)
        # then the thread and the length are both constraints, and the M8×30 bolt is the one exact match
        assert [c.label for c in outcome.constraints][:2] == ["长度 30 ±2%", "螺纹规格 M8"], need
        assert [code for code, grade in graded(outcome) if grade == "exact"] == ["HB-M8X30"], need
        assert {"HB-M8X25", "HB-M6X30"} <= {code for code, _grade in graded(outcome)}
    # and "500×24瓶" is still 24 bottles, not a size
    assert [c.kind for c in match(catalog, "500×24瓶").constraints] == ["pack"]


def test_a_discontinued_model_asked_by_code_offers_its_declared_substitute(catalog):
    # given 6205 is no longer sold, and S6205 is its declared substitute
    with tenant_context(catalog.tenant):
        Product.objects.filter(pk=catalog.products["6205"].pk).update(status=Product.Status.DISCONTINUED)
    # when a dealer asks for 6205-2RS
    outcome = match(catalog, "6205-2RS")
    # then the substitute comes first, saying what it stands in for and that it is not that model
    first = outcome.results[0]
    assert (first.sku.code, first.grade, first.substitute_for) == (
        "S6205-2RS",
        "substitute",
        catalog.products["6205"].pk,
    )
    assert missed(first) == {"6205-2RS": "S6205-2RS"}
    assert not {"6205-2RS", "6205-ZZ"} & {r.sku.code for r in outcome.results}
