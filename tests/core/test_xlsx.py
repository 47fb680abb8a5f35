import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from dinghuo.core import xlsx
from dinghuo.core.xlsx import Column

COLUMNS = [
    Column("sku", "SKU编码", aliases=("sku code",)),
    Column("qty", "数量", kind="quantity"),
    Column("price", "单价", kind="decimal", required=False),
    Column("date", "日期", kind="date", required=False),
]


def book(rows, header=("SKU编码", "数量", "单价", "日期")) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_real_world_cells_are_understood():
    data = book(
        [
            ["  A-001 ", "１２", "１，２３４．５０", "2026/11/22"],
            [],
            ["A-002", "10箱", "¥ 99 元", "2026年1月5日"],
            ["A-003", 3.0, 12.3, None],
        ]
    )
    table = xlsx.read_table(data, COLUMNS)
    assert [r.number for r in table.rows] == [2, 4, 5]  # the blank row is skipped, numbers are Excel's
    a, b, c = (r.values for r in table.rows)
    assert a["sku"] == "A-001" and a["qty"] == (Decimal(12), "") and a["price"] == Decimal("1234.50")
    assert b["qty"] == (Decimal(10), "箱") and b["price"] == Decimal(99) and str(b["date"]) == "2026-01-05"
    assert c["qty"] == (Decimal(3), "") and c["price"] == Decimal("12.3")
    assert table.errors == []


def test_row_errors_name_row_and_column():
    table = xlsx.read_table(book([["A", "many", "x", None], [None, "1", None, "31/31/2026"]]), COLUMNS)
    errors = {(e["row"], e["column"]) for e in table.errors}
    assert errors == {(2, "数量"), (2, "单价"), (3, "SKU编码"), (3, "日期")}
    with pytest.raises(xlsx.XlsxRowErrors) as info:
        table.raise_for_errors()
    assert info.value.detail["rows"][0]["row"] == 2


def test_headers_match_leniently_and_missing_ones_are_named():
    table = xlsx.read_table(book([["A", 1]], header=("SKU Code", "数 量 *")), COLUMNS)
    assert table.rows[0].values["sku"] == "A"
    with pytest.raises(xlsx.XlsxMissingColumns) as info:
        xlsx.read_table(book([["A"]], header=("SKU编码",)), COLUMNS)
    assert info.value.detail == {"columns": ["数量"]}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", xlsx.XlsxError),
        (b"sku,qty\nA,1\n", xlsx.XlsxError),
        (b"PK\x03\x04 broken zip", xlsx.XlsxError),
    ],
)
def test_not_a_workbook_is_refused(data, error):
    with pytest.raises(error):
        xlsx.read_table(data, COLUMNS)


def test_a_zip_without_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(xlsx.XlsxError):
        xlsx.read_table(out.getvalue(), COLUMNS)


def test_a_zip_bomb_is_refused_before_parsing():
    # given a "workbook" whose sheet expands from a few KB to hundreds of MB
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b"0" * (400 * 1024 * 1024) + b"</a>")
    data = out.getvalue()
    assert len(data) < 2 * 1024 * 1024
    with pytest.raises(xlsx.XlsxHostile):
        xlsx.read_table(data, COLUMNS)


def test_external_entities_are_refused():
    data = book([["A", 1]])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(
                    b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>",
                    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
                ).replace(b"<worksheet", b"<!-- &e; --><worksheet", 1)
                if b"<!DOCTYPE" not in body:
                    body = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + body
            z.writestr(item, body)
    with pytest.raises(xlsx.XlsxHostile):
        xlsx.read_table(out.getvalue(), COLUMNS)


def test_oversize_upload_is_refused(settings):
    settings.DINGHUO_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(xlsx.XlsxTooLarge):
        xlsx.read_table(book([["A", 1]] * 50), COLUMNS)


def test_written_cells_cannot_run_as_formulas():
    data = xlsx.write_workbook(
        [xlsx.Sheet("导出", ["名称", "金额"], [["=HYPERLINK(\"http://x\",\"y\")", Decimal("1.20")], ["+1+1", 3], ["@SUM(A1)", None]])]
    )
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [c.value for c in ws["A"]][1:]
    assert all(isinstance(v, str) and v.startswith("'") for v in values)
    assert all(c.data_type == "s" for c in ws["A"][1:])
    assert ws["B2"].value == 1.2


def test_template_round_trips_through_the_reader():
    data = xlsx.template_workbook(COLUMNS, title="订单导入", examples=[["A-001", "2箱", "10.00", "2026-11-22"]])
    table = xlsx.read_table(data, COLUMNS)
    assert table.rows[0].values["qty"] == (Decimal(2), "箱")
    assert "说明" in openpyxl.load_workbook(io.BytesIO(data)).sheetnames or len(openpyxl.load_workbook(io.BytesIO(data)).sheetnames) == 2


def test_error_report_lists_bad_rows_first():
    table = xlsx.read_table(book([["A", "1"], ["B", "x"]]), COLUMNS)
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.error_report(table))).active
    assert ws["A2"].value == 3 and "数量" in ws["B2"].value
