"""Promotions in and out of .xlsx: each kind, create or update by code, a round trip into another
tenant, every bad row reported by row and column with nothing saved, broken files refused."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.catalog.models import Brand, Category
from dinghuo.core import xlsx
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.models import AuditEntry, Job
from dinghuo.core.tenancy import tenant_context
from dinghuo.pricing.models import Promotion
from dinghuo.pricing.promotion_import import (
    COLUMNS,
    PromotionImportInvalid,
    export_promotions,
    import_promotions,
    promotion_import_template,
    start_promotion_import,
)
from tests.pricing.factories import make_promotion, make_sku, make_tier

D = Decimal
HEADERS = [str(c.header) for c in COLUMNS]
START, END = "2026-12-01 09:00", "2026-12-31 23:00"


def book(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    """A workbook with ``headers`` and one row per dict (keys: column keys; missing: blank)."""
    keys = {str(c.header): c.key for c in COLUMNS}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(keys.get(h, h)) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(code: str, kind: str, **values) -> dict:
    return {"code": code, "name": f"{kind}{code}", "kind": kind, "valid_from": START, "valid_to": END, **values}


def _import(tenant, world, data: bytes, role: str = Role.ADMIN):
    with tenant_context(tenant):
        return import_promotions(actor=world.actor(role), data=data)


def _promotions(tenant) -> dict[str, Promotion]:
    with tenant_context(tenant):
        return {p.code: p for p in Promotion.objects.all()}


def _catalog(tenant):
    """The same codes in any tenant: SKUs A-1, B-1 (with a 箱 of 24), GIFT; category DRINK; brand QQ; tier gold."""
    with tenant_context(tenant):
        cat = Category.objects.create(code="DRINK", name="饮料")
        cat.path = f"/{cat.pk}/"
        cat.save(update_fields=["path"])
        brand = Brand.objects.create(code="QQ", name="清泉")
    a = make_sku(tenant, code="A-1", category=cat, brand=brand)
    b = make_sku(tenant, code="B-1", units=[("箱", 24, True)])
    gift = make_sku(tenant, code="GIFT", units=[("箱", 12)])
    make_tier(tenant, "gold")
    make_tier(tenant, "silver")
    return {"A-1": a, "B-1": b, "GIFT": gift, "cat": cat, "brand": brand}


def _portable(p: Promotion, tenant) -> tuple:
    """A promotion with every id replaced by its code, to compare across tenants."""
    with tenant_context(tenant):
        from dinghuo.catalog.models import Sku

        code = dict(Sku.objects.values_list("pk", "code"))
        cats = dict(Category.objects.values_list("pk", "code"))
        brands = dict(Brand.objects.values_list("pk", "code"))
    rules = dict(p.rules)
    for key in ("gift_sku", "sku"):
        if key in rules:
            rules[key] = code[rules[key]]
    scope = {
        "skus": [code[i] for i in p.scope.get("skus", [])],
        "categories": [cats[i] for i in p.scope.get("categories", [])],
        "brands": [brands[i] for i in p.scope.get("brands", [])],
    }
    return (p.code, p.name, p.kind, rules, scope, p.tiers, p.regions, p.priority, p.stackable, p.exclusive_group,
            p.valid_from.replace(microsecond=0), p.valid_to.replace(microsecond=0), p.total_cap, p.per_dealer_cap,
            p.is_active)  # fmt: skip


def test_each_kind_is_created_from_a_filled_in_file_and_audited(shop):
    # given a catalog
    cat = _catalog(shop.tenant)
    a, b, gift = cat["A-1"], cat["B-1"], cat["GIFT"]
    # when a file with one promotion of each kind is imported (full-width text, names of regions, dates alone)
    data = book(
        [
            row("MJ", "满减", threshold="５００", off="¥50", repeat="是", scope_skus="A-1、B-1", tiers="gold, silver",
                regions="广东省, 110000", priority=5),
            row("MZ", "满赠", threshold=1000, gift_sku="GIFT", gift_qty=2, gift_unit="箱", stackable="否",
                exclusive_group="G1"),
            row("DZ", "搭赠", buy_qty=10, buy_unit="箱", gift_qty=1, repeat="是", scope_skus="B-1",
                valid_from=dt.date(2026, 12, 1), valid_to=dt.date(2026, 12, 31)),
            row("ZK", "折扣", percent="8.5", scope_categories="DRINK", scope_brands="QQ", is_active="否"),
            row("MS", "秒杀", flash_sku="A-1", flash_price="1.99", total_cap=100, per_dealer_cap="10",
                valid_from=dt.datetime(2026, 12, 1, 10, 0), valid_to="2026年12月1日 12:30"),
        ]
    )  # fmt: skip
    result = _import(shop.tenant, shop.world, data)
    # then every promotion exists with the rules the services store
    assert result.as_dict() == {"rows": 5, "promotions_created": 5, "promotions_updated": 0, "promotions_unchanged": 0}
    got = _promotions(shop.tenant)
    mj, mz, dz, zk, ms = (got[c] for c in ("MJ", "MZ", "DZ", "ZK", "MS"))
    assert (mj.kind, mj.rules) == ("threshold", {"threshold": "500.00", "off": "50.00", "repeat": True})
    assert mj.scope == {"skus": sorted([a.pk, b.pk])} and mj.tiers == ["gold", "silver"]
    assert mj.regions == ["110000", "440000"] and mj.priority == 5 and mj.stackable and mj.is_active
    local = timezone.localtime
    assert (local(mj.valid_from).replace(tzinfo=None), local(mj.valid_to).replace(tzinfo=None)) == (
        dt.datetime(2026, 12, 1, 9, 0),
        dt.datetime(2026, 12, 31, 23, 0),
    )
    assert mz.rules == {
        "threshold": "1000.00",
        "gift_sku": gift.pk,
        "gift_qty": "2",
        "gift_unit": "箱",
        "repeat": False,
    }
    assert not mz.stackable and mz.exclusive_group == "G1"
    assert dz.rules == {"buy_qty": "10", "buy_unit": "箱", "gift_qty": "1", "repeat": True}
    # a date alone: from 0:00 of the first day to the end of the last
    assert local(dz.valid_to).replace(tzinfo=None) == dt.datetime(2027, 1, 1)
    assert local(dz.valid_from).replace(tzinfo=None) == dt.datetime(2026, 12, 1)
    assert zk.rules == {"percent": "8.50"} and zk.scope == {"categories": [cat["cat"].pk], "brands": [cat["brand"].pk]}
    assert not zk.is_active
    assert ms.rules == {"sku": a.pk, "price": "1.99"} and (ms.total_cap, ms.per_dealer_cap) == (D(100), D(10))
    assert local(ms.valid_to).replace(tzinfo=None) == dt.datetime(2026, 12, 1, 12, 30)
    # and each creation is audited like one made on the form
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.filter(action="promotion.created").count() == 5


def test_a_known_code_is_updated_and_an_unchanged_row_writes_nothing(shop):
    # given two promotions
    _catalog(shop.tenant)
    _import(shop.tenant, shop.world, book([row("MJ", "满减", threshold=500, off=50), row("ZK", "折扣", percent=10)]))
    with tenant_context(shop.tenant):
        audited = AuditEntry.objects.count()
    # when the same file comes back with MJ changed
    data = book(
        [row("MJ", "满减", threshold=600, off=50, name="满600减50"), row("ZK", "折扣", percent=10, name="折扣ZK")]
    )
    result = _import(shop.tenant, shop.world, data)
    # then MJ is updated (and audited once), ZK left alone
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    got = _promotions(shop.tenant)
    assert got["MJ"].rules["threshold"] == "600.00" and got["MJ"].name == "满600减50"
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.count() == audited + 1
        assert AuditEntry.objects.filter(action="promotion.updated").count() == 1


def test_an_export_imports_into_a_fresh_tenant_as_the_same_promotions_and_back_as_no_change(shop, world_b):
    # given promotions of every kind in tenant A, made through the services (times with microseconds)
    cat = _catalog(shop.tenant)
    a, b, gift = cat["A-1"], cat["B-1"], cat["GIFT"]
    t = shop.tenant
    make_promotion(t, "threshold", {"threshold": "300", "off": "30", "repeat": True}, code="MJ", name="满300减30",
                   scope={"skus": [a.pk, b.pk]}, tiers=["gold"], regions=["440300"], priority=3)  # fmt: skip
    make_promotion(t, "gift", {"threshold": "1000", "gift_sku": gift.pk, "gift_qty": "1", "gift_unit": "箱"},
                   code="MZ", exclusive_group="G", stackable=False)  # fmt: skip
    make_promotion(t, "gift", {"buy_qty": "2.5", "buy_unit": "箱", "gift_qty": "1"}, code="DZ", name="=1+1",
                   scope={"categories": [cat["cat"].pk], "brands": [cat["brand"].pk]})  # fmt: skip
    midnight = timezone.make_aware(dt.datetime(2027, 1, 1))  # reads back as a date cell would: must not move
    make_promotion(t, "percent", {"percent": "12.5"}, code="ZK", is_active=False, priority=-2, valid_to=midnight)
    make_promotion(t, "flash", {"sku": a.pk, "price": "0"}, code="MS", total_cap="100.5", per_dealer_cap="6")
    with tenant_context(t):
        Promotion.objects.filter(code="MS").update(sold_qty=D(7))
        data = export_promotions(actor=shop.world.actor(Role.FINANCE))
        before = sorted(_portable(p, t) for p in Promotion.objects.all())
        audited = AuditEntry.objects.count()
    # when the export is imported into tenant B, which has the same codes
    _catalog(world_b.tenant)
    result = _import(world_b.tenant, world_b, data)
    # then B holds the same promotions
    assert result.created == 5
    after = sorted(_portable(p, world_b.tenant) for p in _promotions(world_b.tenant).values())
    assert after == before
    # and imported back into A the export changes nothing and audits nothing
    again = _import(t, shop.world, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    with tenant_context(t):
        assert AuditEntry.objects.count() == audited
        assert Promotion.objects.get(code="MS").sold_qty == D(7)


def test_export_neutralises_formulas(shop):
    a = make_sku(shop.tenant, code="A-1")
    make_promotion(shop.tenant, "percent", {"percent": "5"}, code="P1", name='=HYPERLINK("http://evil","x")',
                   exclusive_group="@SUM(A1)", scope={"skus": [a.pk]})  # fmt: skip
    with tenant_context(shop.tenant):
        data = export_promotions(actor=shop.world.actor(Role.SALES_REP))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c.value for r in ws.iter_rows() for c in r]
    assert '\'=HYPERLINK("http://evil","x")' in cells and "'@SUM(A1)" in cells
    assert not any(isinstance(v, str) and v.startswith(("=", "@")) for v in cells)
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_saved(shop):
    # given a catalog and an existing 满减
    _catalog(shop.tenant)
    _import(shop.tenant, shop.world, book([row("MJ", "满减", threshold=500, off=50)]))
    with tenant_context(shop.tenant):
        audited = AuditEntry.objects.count()
    data = book(
        [
            row("NEW", "折扣", percent=10),  # 2: fine, but must not be saved
            row("MZ", "满赠", threshold=100, gift_sku="NO-SUCH", gift_qty=1),  # 3: unknown SKU
            row("MJ", "满减", threshold=500, off=-5),  # 4: negative amount
            row("W", "折扣", percent=5, valid_from="2026-12-31 10:00", valid_to="2026-12-01"),  # 5: end before start
            row("K", "买一送一吧", percent=5),  # 6: unknown kind
            row("MJ", "满减", threshold=1, off=1),  # 7: the same code twice
            row("X", "折扣", percent=5, off=3, scope_skus="A-1, NOPE"),  # 8: a 满减 cell, an unknown scope SKU
            row("MS", "秒杀", flash_sku="A-1", flash_price=1),  # 9: no cap (the service's rule)
            row("MJ2", "满减", threshold=100, off=10, tiers="platinum"),  # 10: unknown tier (the service's rule)
            row("Y", "折扣", percent=101, regions="火星"),  # 11: percent over 100, unknown region
            {"code": "Z", "kind": "折扣", "percent": 5, "valid_from": "soon", "valid_to": END},  # 12: name, start
            row("MJ", "折扣", percent=5),  # 13: the kind of MJ cannot change (and a duplicate code)
        ]
    )
    with pytest.raises(PromotionImportInvalid) as info:
        _import(shop.tenant, shop.world, data)
    found = {(e["row"], e["column"]) for e in info.value.detail["rows"]}
    assert found == {
        (3, "赠品SKU编码"),
        (4, "减(元)"),
        (5, "结束时间"),
        (6, "类型"),
        (7, "促销编码"),
        (8, "减(元)"),
        (8, "适用SKU编码"),
        (9, "总限量(基本单位)"),
        (9, "每经销商限购(基本单位)"),
        (10, "经销商等级编码"),
        (11, "减免比例(%)"),
        (11, "适用区域"),
        (12, "促销名称"),
        (12, "开始时间"),
        (13, "促销编码"),
        (13, "类型"),
    }
    messages = {(e["row"], e["column"]): e["message"] for e in info.value.detail["rows"]}
    assert "NOPE" in messages[(8, "适用SKU编码")] and "platinum" in messages[(10, "经销商等级编码")]
    assert "4" in messages[(7, "促销编码")]  # names the row that has the code first
    assert info.value.status == 400 and info.value.code == "promotion_import_invalid"
    # nothing was saved, not even the good row, and nothing audited
    got = _promotions(shop.tenant)
    assert set(got) == {"MJ"} and got["MJ"].rules["off"] == "50.00"
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.count() == audited
    # and the error report lists the rows for people to fix
    report = openpyxl.load_workbook(io.BytesIO(xlsx.error_report(info.value.table))).active
    assert report.max_row == 13 and report.cell(2, 2).value


def test_a_cap_below_what_is_sold_is_refused_on_its_row(shop):
    a = make_sku(shop.tenant, code="A-1")
    make_promotion(shop.tenant, "flash", {"sku": a.pk, "price": "1.00"}, code="MS", total_cap="100")
    with tenant_context(shop.tenant):
        Promotion.objects.filter(code="MS").update(sold_qty=D(40))
    data = book([row("MS", "秒杀", flash_sku="A-1", flash_price=1, total_cap=30)])
    with pytest.raises(PromotionImportInvalid) as info:
        _import(shop.tenant, shop.world, data)
    [error] = info.value.detail["rows"]
    assert (error["row"], error["column"]) == (2, "总限量(基本单位)") and "40" in error["message"]
    assert _promotions(shop.tenant)["MS"].total_cap == D(100)


def test_broken_and_wrong_files_are_refused_with_a_clear_error(shop):
    make_promotion(shop.tenant, "percent", {"percent": "5"}, code="P1")
    cases = [
        (b"code,name\nP2,x", xlsx.XlsxError, ".xlsx"),  # a CSV renamed
        (b"PK\x03\x04broken", xlsx.XlsxError, ".xlsx"),  # a damaged zip
        (b"", xlsx.XlsxError, ".xlsx"),
        (book([], headers=["商品", "数量"]), xlsx.XlsxMissingColumns, "促销编码"),
        (book([]), xlsx.XlsxEmpty, ""),
    ]
    for data, error, words in cases:
        with pytest.raises(error) as info:
            _import(shop.tenant, shop.world, data)
        assert words in info.value.message and info.value.status == 400
    assert set(_promotions(shop.tenant)) == {"P1"}


def _with_member(data: bytes, name: str, payload: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, payload if item.filename == name else src.read(item.filename))
        if name not in src.namelist():
            dst.writestr(name, payload)
    return out.getvalue()


def test_hostile_files_are_refused_for_safety_and_nothing_is_saved(shop):
    # given a good file, and the same file with an external entity, or with a member that inflates to 20 MB
    make_promotion(shop.tenant, "percent", {"percent": "5"}, code="P1")
    good = book([row("P2", "满减", threshold=500, off=50)])
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml")
    xxe = sheet.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><worksheet', 1)
    cases = [
        _with_member(good, "xl/worksheets/sheet1.xml", xxe),
        _with_member(good, "xl/media/bomb.xml", b"\0" * (20 * 1024 * 1024)),
    ]
    for data in cases:
        # when it is imported, then it is refused with a clear message and nothing is saved
        with pytest.raises(xlsx.XlsxHostile) as info:
            _import(shop.tenant, shop.world, data)
        assert info.value.status == 400 and info.value.code == "xlsx_refused" and info.value.message
    assert set(_promotions(shop.tenant)) == {"P1"}
    # and the same file untouched imports
    _import(shop.tenant, shop.world, good)
    assert set(_promotions(shop.tenant)) == {"P1", "P2"}


def test_the_template_explains_the_columns_and_reads_back(shop):
    make_sku(shop.tenant, code="A-1")
    with tenant_context(shop.tenant):
        data = promotion_import_template(actor=shop.world.actor(Role.ADMIN))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert [c.value for c in wb.worksheets[0][1]][:5] == ["促销编码*", "促销名称*", "类型*", "开始时间*", "结束时间*"]
    assert wb.worksheets[1].max_row >= len(COLUMNS)
    result = _import(shop.tenant, shop.world, data)
    assert result.created == 5
    kinds = sorted(p.kind for p in _promotions(shop.tenant).values())
    assert kinds == ["flash", "gift", "gift", "percent", "threshold"]


def test_importing_needs_the_permission(shop):
    with tenant_context(shop.tenant), pytest.raises(PermissionDenied):
        import_promotions(actor=shop.world.actor(Role.SALES_REP), data=book([]))
    with tenant_context(shop.tenant), pytest.raises(PermissionDenied):
        promotion_import_template(actor=shop.world.actor(Role.FINANCE))


def test_the_background_job_imports_or_reports_every_bad_row(shop, django_capture_on_commit_callbacks):
    _catalog(shop.tenant)
    actor = shop.world.actor(Role.OWNER)
    good = SimpleUploadedFile("促销.xlsx", book([row("MJ", "满减", threshold=500, off=50)]))
    bad = SimpleUploadedFile("坏.xlsx", book([row("ZK", "折扣", percent=-1)]))
    with tenant_context(shop.tenant, actor):
        with django_capture_on_commit_callbacks(execute=True):
            ok = start_promotion_import(actor=actor, file=good)
        with django_capture_on_commit_callbacks(execute=True):
            failed = start_promotion_import(actor=actor, file=bad)
        ok.refresh_from_db()
        failed.refresh_from_db()
    assert ok.status == Job.Status.DONE and ok.result["promotions_created"] == 1
    assert failed.status == Job.Status.FAILED and failed.output_file
    assert failed.result["error"]["detail"]["rows"][0]["column"] == "减免比例(%)"
    assert set(_promotions(shop.tenant)) == {"MJ"}
