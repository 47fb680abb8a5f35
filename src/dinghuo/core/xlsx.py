"""Excel (.xlsx) in and out, safely.

Reading (``read_table``) takes what real people upload and refuses what attackers upload:

- the file must be a real .xlsx (a zip with a workbook) no larger than DINGHUO_MAX_UPLOAD_BYTES;
- zip bombs are refused before parsing (total uncompressed size and compression ratio limits);
- XML with a DOCTYPE or entity declarations (billion laughs, external entities) is refused; the
  parser itself is defusedxml (openpyxl uses it when installed);
- headers are matched leniently (full-width characters, spaces, English aliases);
- cells are parsed leniently: full-width digits and punctuation, stray spaces, thousands
  separators, currency signs, "10箱" (a quantity with its unit), Excel's floats turned back into
  exact Decimals; blank rows are skipped;
- every problem is reported with its Excel row number and column header, all rows at once.

Cells are read with calamine (a Rust reader, ~20× faster than openpyxl on large sheets, and its XML
parser never expands entities); files are written with openpyxl.

Writing (``write_workbook``, ``template_workbook``, ``error_report``) neutralises formula
injection: any text cell starting with = + - @ or a control character is written as text with a
leading apostrophe, so a dealer name like "=HYPERLINK(…)" can never run in someone's Excel.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.core.errors import ValidationError

MAX_UNCOMPRESSED = 300 * 1024 * 1024  # bytes, all members together
MAX_RATIO = 200  # uncompressed / compressed, per member (real sheets compress ~10×)
MAX_ROWS = 100_000
MAX_COLUMNS = 200


class XlsxError(ValidationError):
    code = "xlsx_invalid"
    message_template = gettext_lazy("The file is not a readable .xlsx workbook: %(reason)s")


class XlsxTooLarge(XlsxError):
    code = "xlsx_too_large"
    status = 413
    message_template = gettext_lazy("The file is too large (%(size)s MB); the limit is %(limit)s MB.")


class XlsxHostile(XlsxError):
    code = "xlsx_refused"
    message_template = gettext_lazy("The file was refused for safety: %(reason)s")


class XlsxMissingColumns(XlsxError):
    code = "xlsx_missing_columns"
    message_template = gettext_lazy("Required columns are missing: %(columns)s. Download the template to see them.")


class XlsxRowErrors(XlsxError):
    """Some rows are wrong. ``detail`` = {"rows": [{"row": 7, "column": "数量", "message": "…"}, …]}."""

    code = "xlsx_row_errors"
    message_template = gettext_lazy("%(count)s row(s) have errors; nothing was saved.")


class XlsxEmpty(XlsxError):
    code = "xlsx_empty"
    message_template = gettext_lazy("The file has no data rows.")


# --- lenient cell parsing ----------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_NUMBER_WITH_UNIT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*([^\d\s.+-][^\d]*)?$")


def normalise_text(value: Any) -> str:
    """Full-width → half-width (NFKC), trimmed, inner runs of spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACES.sub(" ", text).strip()


def _number_text(value: Any) -> str:
    text = normalise_text(value)
    text = text.replace("¥", "").replace("￥", "").replace("元", "").replace("RMB", "").replace("CNY", "")
    return text.replace(",", "").replace(" ", "").replace("'", "")


def parse_decimal(value: Any) -> Decimal:
    """Excel floats, ints, and text such as "１，２３４．５０", "1,234.5 元", " 12 " → exact Decimal."""
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest text that round-trips, so 12.3 stays 12.3 (not 12.2999…).
        return Decimal(repr(value))
    text = _number_text(value)
    if not text:
        raise ValueError("empty")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(text)
    if not result.is_finite():
        raise ValueError(text)
    return result


def parse_quantity_with_unit(value: Any) -> tuple[Decimal, str]:
    """ "10箱" → (10, "箱"); "2.5 kg" → (2.5, "kg"); 12 → (12, "")."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return parse_decimal(value), ""
    text = _number_text(value)
    match = _NUMBER_WITH_UNIT.match(text)
    if not match:
        raise ValueError(text)
    return Decimal(match.group(1)), (match.group(2) or "").strip()


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = (
        normalise_text(value)
        .replace("年", "-")
        .replace("月", "-")
        .replace("日", "")
        .replace("/", "-")
        .replace(".", "-")
    )
    try:
        return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        raise ValueError(text)


_TRUE = {"1", "true", "yes", "y", "是", "对", "√", "✓", "有"}
_FALSE = {"0", "false", "no", "n", "否", "不", "×", "无", ""}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = normalise_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(text)


@dataclass(frozen=True)
class Column:
    """One column of a table an import reads or an export writes.

    ``kind``: text, decimal, int, quantity (a number optionally followed by a unit, parsed into
    (Decimal, unit)), date, bool, or a callable that parses a cell (raising ValueError).
    """

    key: str
    header: Any  # a (lazy) translated header, e.g. _("SKU code") → "SKU编码"
    kind: str | Callable[[Any], Any] = "text"
    required: bool = True
    aliases: tuple[str, ...] = ()
    example: Any = ""
    help: Any = ""
    width: int = 16

    def parse(self, raw: Any) -> Any:
        if callable(self.kind):
            return self.kind(raw)
        if self.kind == "text":
            return normalise_text(raw)
        if self.kind == "decimal":
            return parse_decimal(raw)
        if self.kind == "int":
            number = parse_decimal(raw)
            if number != number.to_integral_value():
                raise ValueError(str(number))
            return int(number)
        if self.kind == "quantity":
            return parse_quantity_with_unit(raw)
        if self.kind == "date":
            return parse_date(raw)
        if self.kind == "bool":
            return parse_bool(raw)
        raise ValueError(f"unknown column kind {self.kind}")

    def names(self) -> set[str]:
        return {_header_key(str(self.header)), _header_key(self.key), *(_header_key(a) for a in self.aliases)}


def header_key(text: str) -> str:
    """How headers are compared: full-width folded, lower case, without spaces, stars or brackets."""
    return _header_key(text)


def _unescape(value: Any) -> Any:
    """Undo the apostrophe our writer puts before text that would run as a formula (round trips)."""
    if isinstance(value, str) and value[:1] == "'" and value[1:].lstrip(" ").startswith(_DANGEROUS_START):
        return value[1:]
    return value


def _header_key(text: str) -> str:
    text = normalise_text(text).lower()
    text = re.sub(r"[\s*＊:：()（）\[\]【】_\-]", "", text)
    return text


_KIND_HINT = {
    "decimal": gettext_lazy("a number"),
    "int": gettext_lazy("a whole number"),
    "quantity": gettext_lazy("a quantity, optionally with its unit (e.g. 10 or 10箱)"),
    "date": gettext_lazy("a date (e.g. 2026-11-22)"),
    "bool": gettext_lazy("是 or 否"),
}


@dataclass
class Row:
    number: int  # the Excel row number, as people see it
    values: dict[str, Any]
    raw: list[Any] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    rows: list[Row]
    headers: list[str]
    columns: list[Column]

    @property
    def errors(self) -> list[dict]:
        by_key = {c.key: str(c.header) for c in self.columns}
        return [
            {"row": row.number, "column": by_key.get(key, key), "message": message}
            for row in self.rows
            for key, message in row.errors.items()
        ]

    def raise_for_errors(self) -> None:
        errors = self.errors
        if errors:
            raise XlsxRowErrors(count=len({e["row"] for e in errors}), detail={"rows": errors[:1000]})


# --- reading ----------------------------------------------------------------------------------


def _check_archive(data: bytes) -> None:
    limit = settings.DINGHUO_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise XlsxTooLarge(size=f"{len(data) / 1048576:.1f}", limit=f"{limit / 1048576:.0f}")
    if not data:
        raise XlsxError(reason=_("the file is empty"))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise XlsxError(reason=_("it is not an .xlsx file (perhaps an old .xls, a CSV or a renamed file)"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise XlsxError(reason=_("the file is damaged"))
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/workbook") for n in names):
        raise XlsxError(reason=_("it has no workbook inside"))
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > 1_000_000 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise XlsxHostile(reason=_("it expands to far more than its size (a zip bomb)"))
    if total > MAX_UNCOMPRESSED:
        raise XlsxHostile(reason=_("it expands to far more than its size (a zip bomb)"))
    # Entity declarations have no place in a workbook: refuse them before any parser sees them.
    for member in members:
        if not member.filename.endswith((".xml", ".rels", ".vml")):
            continue
        read = 0
        with archive.open(member) as fh:
            head = b""
            while True:
                chunk = fh.read(1 << 16)
                if not chunk:
                    break
                read += len(chunk)
                if read > MAX_UNCOMPRESSED:  # the sizes in the directory lied
                    raise XlsxHostile(reason=_("it expands to far more than its size (a zip bomb)"))
                window = head + chunk
                if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                    raise XlsxHostile(reason=_("it contains XML entity declarations"))
                head = chunk[-16:]


def read_table(
    source: bytes | IO[bytes],
    columns: Sequence[Column],
    *,
    max_rows: int = MAX_ROWS,
    sheet: str | None = None,
) -> Table:
    """Read the first sheet (or ``sheet``) into rows keyed by column key, with per-row errors.

    The header row is the first row that names at least one required column. Raises XlsxError
    subclasses for file-level problems; row-level problems are on ``Row.errors`` (see
    ``Table.raise_for_errors``).
    """
    data = source if isinstance(source, bytes) else source.read()
    _check_archive(data)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        ws = (
            workbook.get_sheet_by_name(sheet)
            if sheet and sheet in workbook.sheet_names
            else workbook.get_sheet_by_index(0)
        )
        values = ws.to_python(skip_empty_area=False)  # from A1, so row numbers are Excel's
    except Exception as exc:  # the reader raises its own types for broken files
        raise XlsxError(reason=_("the file is damaged") + f" ({type(exc).__name__})")
    return _read_rows(values, columns, max_rows)


def _read_rows(sheet_rows: list[list[Any]], columns: Sequence[Column], max_rows: int) -> Table:
    wanted = {name: col for col in columns for name in col.names()}
    required = {c.key for c in columns if c.required}
    header_at: dict[int, Column] | None = None
    headers: list[str] = []
    rows: list[Row] = []
    for excel_row, cells in enumerate(sheet_rows, start=1):
        values = [_unescape(None if c == "" else c) for c in cells[:MAX_COLUMNS]]
        if header_at is None:
            found = {
                i: wanted[_header_key(str(v))]
                for i, v in enumerate(values)
                if v is not None and _header_key(str(v)) in wanted
            }
            if {c.key for c in found.values()} & required or (found and not required):
                header_at = found
                headers = [normalise_text(v) for v in values]
                missing = [
                    str(c.header) for c in columns if c.required and c.key not in {x.key for x in found.values()}
                ]
                if missing:
                    raise XlsxMissingColumns(columns="、".join(missing), detail={"columns": missing})
            elif excel_row > 20:
                break
            continue
        if all(v is None or normalise_text(v) == "" for v in values):
            continue
        if len(rows) >= max_rows:
            raise XlsxError(reason=_("it has more than %(n)s rows") % {"n": max_rows})
        row = Row(number=excel_row, values={}, raw=list(values))
        for index, column in header_at.items():
            raw = values[index] if index < len(values) else None
            if raw is None or normalise_text(raw) == "":
                if column.required:
                    row.errors[column.key] = _("required")
                row.values[column.key] = None
                continue
            try:
                row.values[column.key] = column.parse(raw)
            except (ValueError, ArithmeticError):
                hint = _KIND_HINT.get(column.kind if isinstance(column.kind, str) else "", "")
                shown = normalise_text(raw)[:40]
                row.errors[column.key] = (
                    _("“%(value)s” is not %(hint)s") % {"value": shown, "hint": hint}
                    if hint
                    else _("“%(value)s” is not valid") % {"value": shown}
                )
        for column in columns:
            row.values.setdefault(column.key, None)
        rows.append(row)
    if header_at is None:
        names = "、".join(str(c.header) for c in columns if c.required)
        raise XlsxMissingColumns(columns=names, detail={"columns": [str(c.header) for c in columns if c.required]})
    if not rows:
        raise XlsxEmpty()
    return Table(rows=rows, headers=headers, columns=list(columns))


# --- writing ----------------------------------------------------------------------------------

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula becomes inert text (a leading apostrophe)."""
    if isinstance(value, str):
        stripped = value.lstrip(" ")
        if stripped.startswith(_DANGEROUS_START):
            return "'" + value
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, bool | int | Decimal | float | dt.date):
        return value
    return str(value)


@dataclass
class Sheet:
    title: str
    headers: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()
    notes: Sequence[str] = ()


def write_workbook(sheets: Sequence[Sheet]) -> bytes:
    """Write sheets to .xlsx bytes (streaming write; fine for hundreds of thousands of rows)."""
    out = io.BytesIO()
    save_workbook(sheets, out)
    return out.getvalue()


def save_workbook(sheets: Iterable[Sheet], out: IO[bytes]) -> None:
    """Write sheets to a file as they come: rows (and even sheets) may be generators, so a report
    of a million rows goes from the database cursor to the file without being held in memory."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="C0392B")
    for spec in sheets:
        ws = wb.create_sheet(title=_sheet_title(spec.title))
        for i, width in enumerate(spec.widths or [16] * len(spec.headers), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        header_cells = []
        for h in spec.headers:
            cell = WriteOnlyCell(ws, value=safe_cell(str(h)))
            cell.font, cell.fill, cell.alignment = bold, fill, Alignment(vertical="center")
            header_cells.append(cell)
        ws.append(header_cells)
        for row in spec.rows:
            ws.append([_text_cell(ws, v) for v in row])
        for note in spec.notes:
            ws.append([])
            ws.append([safe_cell(str(note))])
    wb.save(out)


def _text_cell(ws: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    value = safe_cell(value)
    if isinstance(value, str) and value.startswith("'"):
        # openpyxl would treat "=…" as a formula; an explicit string cell keeps it text.
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "Sheet1"


def template_workbook(columns: Sequence[Column], *, title: str, examples: Sequence[Sequence[Any]] = ()) -> bytes:
    """A downloadable template: Chinese headers, example rows, and a sheet explaining each column."""
    headers = [f"{c.header}" + ("*" if c.required else "") for c in columns]
    example_rows = list(examples) or [[c.example for c in columns]]
    explain = [
        [
            str(c.header),
            _("required") if c.required else _("optional"),
            str(c.help or _KIND_HINT.get(str(c.kind), "")),
            c.example,
        ]
        for c in columns
    ]
    return write_workbook(
        [
            Sheet(
                title=title,
                headers=headers,
                rows=example_rows,
                widths=[max(c.width, len(str(c.header)) * 2 + 4) for c in columns],
            ),
            Sheet(
                title=_("Instructions"),
                headers=[_("Column"), _("Required"), _("What to enter"), _("Example")],
                rows=explain,
                widths=[18, 10, 50, 18],
                notes=[_("Columns marked * are required. Blank rows are ignored. Keep the header row.")],
            ),
        ]
    )


def error_report(table_or_rows: Table, *, extra_errors: dict[int, str] | None = None) -> bytes:
    """The uploaded rows with an Errors column, for people to fix and upload again."""
    errors_by_row: dict[int, list[str]] = {}
    by_key = {c.key: str(c.header) for c in table_or_rows.columns}
    for row in table_or_rows.rows:
        for key, message in row.errors.items():
            errors_by_row.setdefault(row.number, []).append(f"{by_key.get(key, key)}: {message}")
    for number, message in (extra_errors or {}).items():
        errors_by_row.setdefault(number, []).append(message)
    headers = [_("Row"), _("Errors"), *table_or_rows.headers]
    rows = [[row.number, "；".join(errors_by_row.get(row.number, [])), *row.raw] for row in table_or_rows.rows]
    rows.sort(key=lambda r: (r[1] == "", r[0]))
    return write_workbook(
        [Sheet(title=_("Errors"), headers=headers, rows=rows, widths=[8, 50] + [16] * len(table_or_rows.headers))]
    )
