import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from dinghuo.catalog import errors
from dinghuo.catalog.importers import export_products, import_products, import_template
from dinghuo.catalog.models import Attribute, AttributeValue, Category, Product, Sku, SkuUnit
from dinghuo.catalog.services import product_set_status
from dinghuo.core import xlsx
from dinghuo.core.models import AuditEntry
from tests.catalog_admin.factories import (
    book,
    make_attribute,
    make_brand,
    make_category,
    make_product,
    make_sku,
    make_tag,
    sheet_rows,
)

K = Attribute.Kind
# fmt: off
HEAD = ["商品编码", "商品名称", "分类编码", "品牌编码", "状态", "SKU编码", "规格", "条码", "基本单位", "包装单位",
        "默认订货单位", "起订量", "倍数", "指导价(含税)", "税率", "保质期(天)", "标签", "属性:容量(ml)", "属性:口味",
        "属性:无糖"]
# fmt: on
# fmt: off
ROWS = [
    ["QS-500", "清泉矿泉水 500ml", "0101", "QQ", "在售", "QS-500-24", "500ml×24瓶", "6901234567892", "瓶",
     "箱=24;提=6", "箱", "1箱", 6, 2.5, "13%", 365, "new, hot", 500, "原味", "否"],
    ["QS-500", None, None, None, None, "QS-500-12", "500ml×12瓶", None, "瓶",
     "箱=12", "箱", 12, 12, "2.60", 0.13, None, None, None, "柠檬", None],
    ["QS-1L", "清泉 1L", "0101", None, "草稿", "QS-1L-12", "1L×12瓶", None, "瓶",
     "箱=12", None, None, None, 5, 9, None, None, 1000, None, "是"],
]
# fmt: on


@pytest.fixture
def shop(in_alpha):
    """饮料 (01) > 矿泉水 (0101); 零食 (02); brand QQ; tags new, hot; 容量 on 01, 口味 (per SKU) on 0101, 无糖 everywhere."""
    t = in_alpha.tenant
    drinks = make_category(t, code="01", name="饮料")
    water = make_category(t, code="0101", name="矿泉水", parent=drinks)
    snacks = make_category(t, code="02", name="零食")
    make_brand(t, code="QQ", name="清泉")
    make_tag(t, code="new", name="新品")
    make_tag(t, code="hot", name="热销")
    make_attribute(t, "vol", "容量", K.NUMBER, unit="ml", category=drinks)
    make_attribute(
        t,
        "flavour",
        "口味",
        K.CHOICE,
        choices=["原味", "柠檬"],
        is_spec=True,
        category=water,
    )
    make_attribute(t, "sugar_free", "无糖", K.BOOLEAN)
    make_attribute(t, "crunch", "口感", K.TEXT, category=snacks)
    return in_alpha


def state() -> tuple[int, int, int, int, int]:
    return (
        Product.objects.count(),
        Sku.objects.count(),
        SkuUnit.objects.count(),
        AttributeValue.objects.count(),
        AuditEntry.objects.count(),
    )


def row_errors(exc) -> set[tuple[int, str]]:
    return {(e["row"], e["column"]) for e in exc.detail["rows"]}


def test_import_creates_products_skus_units_and_values(shop, admin_actor):
    # when the file is imported
    result = import_products(actor=admin_actor, data=book(HEAD, ROWS))
    # then two products and three SKUs exist, with what the cells said
    assert (result.products_created, result.skus_created, result.products_updated, result.skus_updated) == (2, 3, 0, 0)
    qs = Product.objects.get(code="QS-500")
    assert qs.name == "清泉矿泉水 500ml" and qs.status == "on_sale" and qs.brand.code == "QQ"
    assert qs.category.code == "0101" and qs.shelf_life_days == 365
    assert sorted(qs.tags.values_list("code", flat=True)) == ["hot", "new"]
    sku = Sku.objects.get(code="QS-500-24")
    assert (sku.base_unit, sku.moq, sku.order_multiple, sku.list_price, sku.vat_rate) == (
        "瓶",
        Decimal(24),
        Decimal(6),
        Decimal("2.50"),
        Decimal("0.13"),
    )
    assert sku.barcode == "6901234567892" and sku.name == "500ml×24瓶"
    units = {(u.name, u.factor, u.is_default) for u in sku.units.all()}
    assert units == {("瓶", 1, False), ("提", 6, False), ("箱", 24, True)}
    values = {(v.attribute.code, v.sku_id): v for v in AttributeValue.objects.filter(product=qs)}
    assert values[("vol", None)].value_number == 500 and values[("sugar_free", None)].value_bool is False
    assert values[("flavour", sku.pk)].value_text == "原味"
    assert values[("flavour", Sku.objects.get(code="QS-500-12").pk)].value_text == "柠檬"
    one_litre = Sku.objects.get(code="QS-1L-12")
    assert one_litre.vat_rate == Decimal("0.09") and one_litre.moq == 1
    assert one_litre.units.get(is_default=True).name == "瓶" and one_litre.product.status == "draft"
    # and each created row has its audit row
    assert AuditEntry.objects.filter(action="product.created", reason="import").count() == 2
    assert AuditEntry.objects.filter(action="sku.created", reason="import").count() == 3


def test_import_updates_by_code_and_leaves_unchanged_rows_alone(shop, admin_actor):
    # given the file was imported once
    import_products(actor=admin_actor, data=book(HEAD, ROWS))
    stamp = Product.objects.get(code="QS-500").updated_at
    # when it is imported again with a new price, a new name, a new SKU and 口味 cleared
    rows = [list(r) for r in ROWS]
    rows[0][13] = "2.80"
    rows[2][1] = "清泉 1升"
    rows[1][18] = None
    # fmt: off
    new_sku = {"商品编码": "QS-1L", "SKU编码": "QS-1L-6", "规格": "1L×6瓶", "基本单位": "瓶", "包装单位": "箱=6",
               "默认订货单位": "箱", "指导价(含税)": 5.5, "税率": "9%"}
    # fmt: on
    rows.append([new_sku.get(h) for h in HEAD])
    result = import_products(actor=admin_actor, data=book(HEAD, rows))
    # then only what changed was written and audited
    assert (result.products_created, result.products_updated, result.skus_created, result.skus_updated) == (0, 1, 1, 2)
    assert result.skus_unchanged == 1
    assert Sku.objects.get(code="QS-500-24").list_price == Decimal("2.80")
    assert Product.objects.get(code="QS-1L").name == "清泉 1升"
    assert Product.objects.get(code="QS-500").updated_at == stamp
    assert not AttributeValue.objects.filter(sku__code="QS-500-12").exists()
    entry = AuditEntry.objects.get(action="sku.updated", object_id=str(Sku.objects.get(code="QS-500-24").pk))
    assert entry.before == {"list_price": "2.50"} and entry.after == {"list_price": "2.80"}


def test_export_then_import_changes_nothing(shop, admin_actor):
    # given an imported catalog, plus a product made through the services
    import_products(actor=admin_actor, data=book(HEAD, ROWS))
    extra = make_product(shop.tenant, category=Category.objects.get(code="0101"), code="=cmd|x")
    make_sku(extra, code="+SUM(A1)", barcode="036000291452", list_price=Decimal("0.00"))
    before, stamps = state(), dict(Product.objects.values_list("code", "updated_at"))
    # when the export is imported back
    data = export_products(actor=admin_actor)
    result = import_products(actor=admin_actor, data=data)
    # then nothing changed, not even an audit row
    assert (result.products_created, result.products_updated, result.skus_created, result.skus_updated) == (0, 0, 0, 0)
    assert result.skus_unchanged == 4
    assert state() == before and dict(Product.objects.values_list("code", "updated_at")) == stamps


def test_export_has_the_import_columns_and_inert_formulas(shop, admin_actor):
    import_products(actor=admin_actor, data=book(HEAD, ROWS))
    extra = make_product(shop.tenant, category=Product.objects.get(code="QS-1L").category, code="=HYPERLINK(1)")
    make_sku(extra, code="S-1")
    rows = sheet_rows(export_products(actor=admin_actor))
    header = rows[0]
    assert header[:17] == HEAD[:17] and set(HEAD[17:]) <= set(header)
    by_sku = {r[5]: dict(zip(header, r, strict=False)) for r in rows[1:]}
    assert by_sku["QS-500-24"]["包装单位"] == "提=6;箱=24" and by_sku["QS-500-24"]["税率"] == "13%"
    assert by_sku["QS-500-24"]["状态"] == "在售" and by_sku["QS-500-24"]["属性:口味"] == "原味"
    assert by_sku["S-1"]["商品编码"] == "'=HYPERLINK(1)"


def test_the_template_has_chinese_headers_and_imports_its_examples(shop, admin_actor):
    # given the template
    data = import_template(actor=admin_actor)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    headers = [c.value for c in wb.worksheets[0][1]]
    assert headers[:6] == ["商品编码*", "商品名称", "分类编码", "品牌编码", "状态", "SKU编码*"]
    assert "属性:容量(ml)" in headers and len(wb.sheetnames) == 2
    # when it is imported as it is, then its example rows become a product with two SKUs
    result = import_products(actor=admin_actor, data=data)
    assert (result.products_created, result.skus_created) == (1, 2)
    assert Sku.objects.get(code="QS-500-24").units.get(is_default=True).name == "箱"


def test_every_problem_is_reported_by_row_and_column_and_nothing_is_saved(shop, admin_actor):
    # given an existing on-sale product whose SKU another row claims
    old = make_product(
        shop.tenant,
        category=Category.objects.get(code="0101"),
        code="OLD",
    )
    make_sku(old, code="OLD-1")
    product_set_status(actor=admin_actor, product=old, status="on_sale")
    head = [*HEAD, "属性:口感", "属性:颜色"]
    base = {"分类编码": "0101", "指导价(含税)": 1}
    # fmt: off
    rows = [
        # 2: unknown category, unknown brand, bad barcode, bad VAT, negative price
        {"商品编码": "A", "商品名称": "甲", "分类编码": "99", "品牌编码": "ZZ", "SKU编码": "A-1", "条码": "6901234567891",
         "指导价(含税)": -1, "税率": "17%"},
        # 3: the same SKU code again, a pack unit without a conversion, a value of the wrong kind, a choice not offered
        {**base, "商品编码": "B", "商品名称": "乙", "SKU编码": "A-1", "基本单位": "瓶", "包装单位": "箱",
         "属性:容量(ml)": "大", "属性:口味": "草莓"},
        # 4: a default order unit without a conversion, an unknown tag, a bad status
        {**base, "商品编码": "C", "商品名称": "丙", "状态": "卖光", "SKU编码": "C-1", "基本单位": "瓶", "包装单位": "箱=24",
         "默认订货单位": "盒", "起订量": "2盒", "标签": "nope"},
        # 5: a new product without a name; an attribute of another category (口感 is for 零食); an unknown attribute
        {**base, "商品编码": "D", "SKU编码": "D-1", "属性:口感": "脆", "属性:颜色": "红"},
        # 6: the SKU of another product; 7: back to draft from on sale
        {**base, "商品编码": "E", "商品名称": "戊", "SKU编码": "OLD-1"},
        {"商品编码": "OLD", "状态": "草稿", "SKU编码": "OLD-2", "指导价(含税)": 1},
        # 8: an MOQ in a unit the SKU does not have; 9: the same product with another name, and no price
        {**base, "商品编码": "F", "商品名称": "己", "SKU编码": "F-1", "起订量": "3盒"},
        {"商品编码": "F", "商品名称": "庚", "SKU编码": "F-2"},
    ]
    # fmt: on
    data = book(head, [[r.get(h) for h in head] for r in rows])
    before = state()
    # when it is imported
    with pytest.raises(errors.ProductImportInvalid) as info:
        import_products(actor=admin_actor, data=data)
    # then every problem is named by its row and column
    assert row_errors(info.value) == {
        (2, "分类编码"),
        (2, "品牌编码"),
        (2, "条码"),
        (2, "税率"),
        (2, "指导价(含税)"),
        (3, "SKU编码"),
        (3, "包装单位"),
        (3, "属性:容量(ml)"),
        (3, "属性:口味"),
        (4, "默认订货单位"),
        (4, "标签"),
        (4, "状态"),
        (5, "商品名称"),
        (5, "属性:口感"),
        (5, "属性:颜色"),
        (6, "SKU编码"),
        (7, "状态"),
        (8, "起订量"),
        (9, "商品名称"),
        (9, "指导价(含税)"),
    }
    messages = {(e["row"], e["column"]): e["message"] for e in info.value.detail["rows"]}
    assert (
        "2" in messages[(3, "SKU编码")] and "箱" in messages[(3, "包装单位")] and "盒" in messages[(4, "默认订货单位")]
    )
    assert (
        "颜色" in messages[(5, "属性:颜色")]
        and "口感" in messages[(5, "属性:口感")]
        and "OLD" in messages[(6, "SKU编码")]
    )
    assert info.value.code == "catalog_import_invalid"
    # and nothing was saved
    assert state() == before


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("属性:容量(ml)", "很大", ["很大"]),
        ("属性:口味", "草莓", ["草莓", "原味"]),
        ("属性:无糖", "也许", ["也许"]),
        ("指导价(含税)", -2.5, ["-2.5"]),
        ("指导价(含税)", "1.234", ["1.234"]),
        ("包装单位", "箱=24;盒", ["盒"]),
        ("包装单位", "箱=4提", ["提"]),
        ("包装单位", "箱=0", ["箱"]),
        ("税率", "16%", ["16%"]),
        ("税率", "0.1", ["0.1"]),
        ("条码", "6901234567891", ["2"]),
        ("倍数", 0, ["0"]),
        ("起订量", "2盒", ["盒"]),
        ("保质期(天)", "三年", ["三年"]),
    ],
)
def test_one_bad_cell_is_named_and_nothing_is_saved(shop, admin_actor, column, value, words):
    row = list(ROWS[0])
    row[HEAD.index(column)] = value
    before = state()
    with pytest.raises(errors.ProductImportInvalid) as info:
        import_products(actor=admin_actor, data=book(HEAD, [row]))
    (problem,) = info.value.detail["rows"]
    assert (problem["row"], problem["column"]) == (2, column)
    assert all(w in problem["message"] for w in words), problem["message"]
    assert state() == before


def test_units_may_count_in_another_pack_unit_and_quantities_convert(shop, admin_actor):
    row = list(ROWS[0])
    row[HEAD.index("包装单位")] = "提=6；箱=4提"
    row[HEAD.index("起订量")] = "2箱"
    row[HEAD.index("倍数")] = "1提"
    import_products(actor=admin_actor, data=book(HEAD, [row]))
    sku = Sku.objects.get(code="QS-500-24")
    assert {(u.name, u.factor) for u in sku.units.all()} == {("瓶", 1), ("提", 6), ("箱", 24)}
    assert (sku.moq, sku.order_multiple) == (48, 6)


def test_english_headers_and_attribute_codes_are_understood(shop, admin_actor):
    head = ["Product code", "Product name", "Category code", "SKU code", "Price", "VAT", "attr:vol", "attr:flavour"]
    import_products(actor=admin_actor, data=book(head, [["E1", "英文表头", "0101", "E1-1", 3, "6%", 330, "柠檬"]]))
    sku = Sku.objects.get(code="E1-1")
    assert sku.vat_rate == Decimal("0.06") and sku.list_price == 3
    assert AttributeValue.objects.get(product=sku.product, attribute__code="vol").value_number == 330


def test_a_missing_required_column_is_named(shop, admin_actor):
    with pytest.raises(xlsx.XlsxMissingColumns) as info:
        import_products(actor=admin_actor, data=book(["商品编码", "商品名称"], [["A", "甲"]]))
    assert info.value.detail == {"columns": ["SKU编码"]}


def _xxe(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.split(b"?>", 1)[-1]
                body = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + body
                body = body.replace(b"<sheetData>", b"<sheetData>&e;", 1)
            z.writestr(item, body)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b"0" * (400 * 1024 * 1024) + b"</a>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: b"\xd0\xcf\x11\xe0 an old .xls or anything else", xlsx.XlsxError),
        (lambda: "商品编码,SKU编码\nA,A-1\n".encode(), xlsx.XlsxError),
        (lambda: b"PK\x03\x04" + b"\x00" * 200, xlsx.XlsxError),
        (lambda: book(HEAD, ROWS)[:2000], xlsx.XlsxError),
        (_zip_bomb, xlsx.XlsxHostile),
        (lambda: _xxe(book(HEAD, ROWS)), xlsx.XlsxHostile),
    ],
    ids=["not-a-zip", "csv", "broken-zip", "truncated", "zip-bomb", "external-entity"],
)
def test_hostile_or_broken_files_are_refused_and_nothing_is_saved(shop, admin_actor, make, error):
    before = state()
    with pytest.raises(error) as info:
        import_products(actor=admin_actor, data=make())
    assert info.value.message and info.value.status in (400, 413)
    assert state() == before


def test_a_file_over_the_upload_limit_is_refused(shop, admin_actor, settings):
    settings.DINGHUO_MAX_UPLOAD_BYTES = 4096
    data = book(HEAD, ROWS * 20)
    assert len(data) > 4096
    with pytest.raises(xlsx.XlsxTooLarge) as info:
        import_products(actor=admin_actor, data=data)
    assert info.value.status == 413


def test_only_catalog_managers_import_and_export(shop):
    from dinghuo.core.errors import PermissionDenied

    for fn in (lambda a: import_products(actor=a, data=book(HEAD, ROWS)), lambda a: export_products(actor=a)):
        with pytest.raises(PermissionDenied):
            fn(shop.actor("sales_rep"))


def test_the_import_bounds_its_queries(shop, admin_actor, django_assert_max_num_queries):
    # given 600 rows of 300 new products; queries grow with batches of 500 rows, not with rows
    rows = []
    for i in range(300):
        for j in range(2):
            rows.append(
                [
                    f"P{i}",
                    f"商品{i}",
                    "0101",
                    "QQ",
                    "在售",
                    f"P{i}-{j}",
                    None,
                    None,
                    "瓶",
                    "箱=24",
                    "箱",
                    None,
                    None,
                    2,
                    "13%",
                    None,
                    "new",
                    500,
                    "原味",
                    "否",
                ]
            )
    with django_assert_max_num_queries(200):
        result = import_products(actor=admin_actor, data=book(HEAD, rows))
    assert result.skus_created == 600
