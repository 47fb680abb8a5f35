"""Price lists in and out of .xlsx: round trip, every bad row reported, nothing saved, hostile files refused."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from dinghuo.accounts.roles import Role
from dinghuo.core import xlsx
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import tenant_context
from dinghuo.pricing.importers import PriceImportInvalid, export_price_lists, import_price_lists, import_template
from dinghuo.pricing.models import PriceList, PriceListItem
from tests.pricing.factories import make_price_list, make_sku

D = Decimal
HEADER = ("价目表编码", "SKU编码", "起订数量(基本单位)", "单价(含税)")


def book(rows, header=HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _items(pl):
    return sorted(PriceListItem.unscoped.filter(price_list=pl).values_list("sku__code", "min_qty", "price"))


def _import(shop, data, **kw):
    with tenant_context(shop.tenant):
        return import_price_lists(actor=shop.world.actor(Role.ADMIN), data=data, **kw)


def test_an_import_sets_tiers_per_sku_and_list_and_is_audited(shop):
    # given two lists and three SKUs, one SKU already priced in the first list
    a, _b, c = (make_sku(shop.tenant, code=code) for code in ("A-1", "B-1", "C-1"))
    gold = make_price_list(shop.tenant, PriceList.Kind.TIER, {a: "9.00", c: "7.00"}, tier=shop.tier, code="GOLD")
    std = make_price_list(shop.tenant, code="STD")
    # when a file with tiers for a and b in GOLD and b in STD is imported (full-width and currency text too)
    data = book(
        [
            ("GOLD", "A-1", 1, "10.00"),
            ("GOLD", "A-1", "２４", "¥9.50"),
            ("GOLD", "B-1", None, 3),
            ("STD", "B-1", 1, 3.3),
        ]
    )
    with tenant_context(shop.tenant):
        audited = AuditEntry.objects.filter(action="price_item.set", object_id=str(gold.pk)).count()
    result = _import(shop, data)
    # then a's ladder is replaced, b added, c (not in the file) kept, and the changes audited
    assert result.as_dict() == {"price_lists": 2, "skus": 2, "items": 4}
    assert _items(gold) == [
        ("A-1", D(1), D("10.00")),
        ("A-1", D(24), D("9.50")),
        ("B-1", D(1), D("3.00")),
        ("C-1", D(1), D("7.00")),
    ]
    assert _items(std) == [("B-1", D(1), D("3.30"))]
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.filter(action="price_item.set", object_id=str(gold.pk)).count() == audited + 2


def test_replace_makes_the_file_the_whole_content_of_the_lists_it_names(shop):
    a, c = make_sku(shop.tenant, code="A-1"), make_sku(shop.tenant, code="C-1")
    gold = make_price_list(shop.tenant, prices={a: "9.00", c: "7.00"}, code="GOLD")
    _import(shop, book([("GOLD", "A-1", 1, "8.00")]), replace=True)
    assert _items(gold) == [("A-1", D(1), D("8.00"))]


def test_every_bad_row_is_reported_with_its_row_and_column_and_nothing_is_saved(shop):
    # given a list with one price
    a = make_sku(shop.tenant, code="A-1")
    gold = make_price_list(shop.tenant, prices={a: "9.00"}, code="GOLD")
    data = book(
        [
            ("GOLD", "A-1", 1, "8.00"),  # fine
            ("GOLD", "A-1", 10, "-1"),  # negative price
            ("NOPE", "A-1", 1, "1.00"),  # unknown list
            ("GOLD", "ZZZ", 1, "1.00"),  # unknown SKU
            ("GOLD", "A-1", 0, "1.00"),  # quantity 0
            ("GOLD", "A-1", 5, "1.005"),  # fractional fen
            ("GOLD", "A-1", 1, "7.00"),  # the same tier twice
            ("GOLD", "A-1", "many", "x"),  # not numbers
            ("GOLD", None, 1, None),  # required cells blank
        ]
    )
    # when it is imported, then it is refused listing every bad row
    with pytest.raises(PriceImportInvalid) as info:
        _import(shop, data)
    found = {(e["row"], e["column"]) for e in info.value.detail["rows"]}
    assert found == {
        (3, "单价(含税)"),
        (4, "价目表编码"),
        (5, "SKU编码"),
        (6, "起订数量(基本单位)"),
        (7, "单价(含税)"),
        (8, "起订数量(基本单位)"),
        (9, "起订数量(基本单位)"),
        (9, "单价(含税)"),
        (10, "SKU编码"),
        (10, "单价(含税)"),
    }
    assert info.value.detail["rows"] and info.value.status == 400
    # and nothing was saved, not even the good row
    assert _items(gold) == [("A-1", D(1), D("9.00"))]
    # and the error report lists the rows for people to fix
    report = openpyxl.load_workbook(io.BytesIO(xlsx.error_report(info.value.table)))
    assert report.active.max_row == 10


def test_a_price_overlapping_another_list_of_the_same_target_is_a_row_error(shop):
    # given two open-ended list price lists, the first pricing A-1
    a = make_sku(shop.tenant, code="A-1")
    make_sku(shop.tenant, code="B-1")
    make_price_list(shop.tenant, prices={a: "9.00"}, code="L1")
    l2 = make_price_list(shop.tenant, code="L2")
    # when a file gives L2 prices for B-1 and A-1
    with pytest.raises(PriceImportInvalid) as info:
        _import(shop, book([("L2", "B-1", 1, "1.00"), ("L2", "A-1", 1, "8.00")]))
    # then A-1's row is reported naming L1, and nothing is saved
    [error] = info.value.detail["rows"]
    assert (error["row"], error["column"]) == (3, "SKU编码") and "L1" in error["message"]
    assert _items(l2) == []


def test_export_neutralises_formulas(shop):
    # given a list whose name, and a SKU whose code, look like formulas
    b = make_sku(shop.tenant, code="=cmd|' /C calc'!A0")
    pl = make_price_list(shop.tenant, prices={b: "3.00"}, code="GOLD")
    PriceList.unscoped.filter(pk=pl.pk).update(name='=HYPERLINK("http://evil","x")')
    # when the lists are exported
    with tenant_context(shop.tenant):
        data = export_price_lists(actor=shop.world.actor(Role.SALES_REP))
    # then formula-looking text is written as inert text
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil","x")' in cells and "'=cmd|' /C calc'!A0" in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_an_export_imports_back_unchanged(shop):
    # given tiers with fractional quantities and a second list
    a, b = make_sku(shop.tenant, code="A-1"), make_sku(shop.tenant, code="B-1")
    gold = make_price_list(shop.tenant, prices={a: [("1", "10.00"), ("2.5", "9.99")], b: "3.00"}, code="GOLD")
    std = make_price_list(shop.tenant, PriceList.Kind.REGION, {a: "11.00"}, region_code="440000", code="GD")
    before = (_items(gold), _items(std))
    with tenant_context(shop.tenant):
        data = export_price_lists(actor=shop.world.actor(Role.SALES_REP))
        audit_rows = AuditEntry.objects.count()
    # when it is imported back
    result = _import(shop, data, replace=True)
    # then nothing changed and nothing was audited as a change
    assert result.items == 4 and (_items(gold), _items(std)) == before
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.count() == audit_rows


def test_the_template_has_the_columns_and_reads_back(shop):
    a = make_sku(shop.tenant, code="A-1")
    make_price_list(shop.tenant, code="GOLD")
    with tenant_context(shop.tenant):
        data = import_template(actor=shop.world.actor(Role.ADMIN))
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in ws[1]][:4] == ["价目表编码*", "价目表名称", "SKU编码*", "商品名称"]
    result = _import(shop, data)
    assert result.items == 2 and a.pk


def _with_member(data: bytes, name: str, payload: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == name:
                body = payload
            dst.writestr(item, body)
        if name not in src.namelist():
            dst.writestr(name, payload)
    return out.getvalue()


def test_hostile_and_broken_files_are_refused_and_nothing_is_saved(shop):
    a = make_sku(shop.tenant, code="A-1")
    pl = make_price_list(shop.tenant, prices={a: "9.00"}, code="GOLD")
    good = book([("GOLD", "A-1", 1, "1.00")])
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml")
    xxe = sheet.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><worksheet', 1)
    cases = [
        (b"not a workbook at all", xlsx.XlsxError),
        (b"PK\x03\x04broken", xlsx.XlsxError),
        (_with_member(good, "xl/worksheets/sheet1.xml", xxe), xlsx.XlsxHostile),
        (_with_member(good, "xl/media/bomb.xml", b"\0" * (20 * 1024 * 1024)), xlsx.XlsxHostile),
        (book([], header=("foo", "bar")), xlsx.XlsxMissingColumns),
        (book([]), xlsx.XlsxEmpty),
    ]
    for data, error in cases:
        with pytest.raises(error):
            _import(shop, data)
    assert _items(pl) == [("A-1", D(1), D("9.00"))]


def test_import_needs_the_permission(shop):
    from dinghuo.core.errors import PermissionDenied

    with tenant_context(shop.tenant), pytest.raises(PermissionDenied):
        import_price_lists(actor=shop.world.actor(Role.SALES_REP), data=book([]))
