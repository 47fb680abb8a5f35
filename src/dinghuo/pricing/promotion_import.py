"""Promotions in and out of Excel (.xlsx), one row per promotion, created or updated by its code.

The file format
---------------
Fixed Chinese headers (the file is data, whatever the interface language); English aliases are
accepted on import. ``*`` marks the columns every row needs; the others are filled by kind, and a
cell the row's kind does not use must stay blank (so a mistyped kind is caught, not ignored).

=======================  =====================================================================
促销编码* 促销名称*        the code identifies the promotion: a new code creates, a known one updates
类型*                     满减, 满赠 or 搭赠 (both are buy-X-get-Y gifts), 折扣, 秒杀 (English:
                          threshold, gift, percent, flash); a promotion's kind never changes
开始时间* 结束时间*        a date and time (2026-11-22 10:00) or an Excel date; an end given as a
                          date only means the end of that day
满额(元) 减(元)            满减: spend 满额 (in scope) and 减 comes off
每满重复                   满减/满赠: 是 = for every multiple of the threshold or quantity
满额(元) or 买满数量,       满赠/搭赠: spend 满额 or buy 买满数量 (base units, or 买满单位), get
买满单位, 赠品SKU编码,      赠品数量 of 赠品SKU编码 (in 赠品单位); without a gift SKU, every SKU
赠品数量*, 赠品单位         counts on its own and the gift is more of the same SKU (搭赠)
减免比例(%)                折扣: the percentage taken off; 10 means 10 % off (九折)
秒杀SKU编码 秒杀价(元)      秒杀: the SKU and its price per base unit, with 总限量 and/or
总限量 每经销商限购          每经销商限购 (base units)
适用SKU编码 适用分类编码     what counts (codes separated by commas or 、); blank: everything
适用品牌编码
经销商等级编码 适用区域      which dealers (tier codes; region codes or names); blank: all
优先级 可叠加 互斥组 启用    as on the promotion form (blank: 0, 是, none, 是)
已售数量                    written by the export for people to read; ignored on import
=======================  =====================================================================

All or nothing: every row is first checked by the promotion services' own validation
(``services.clean_promotion``) and every bad cell is reported with its Excel row number and
column; only a clean file is written, in one transaction, through ``promotion_create`` and
``promotion_update`` (which check everything again and audit each change). A row equal to the
promotion it names changes nothing and writes no audit row, so an export imports back as a no-op.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.accounts.permissions import require
from dinghuo.catalog.models import Brand, Category, Sku
from dinghuo.core import regions
from dinghuo.core.errors import DomainError
from dinghuo.core.jobs import job_fail, job_finish, job_progress, job_start
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor, current_actor, current_tenant_id
from dinghuo.core.xlsx import (
    Column,
    Row,
    Sheet,
    Table,
    XlsxRowErrors,
    XlsxTooLarge,
    error_report,
    header_key,
    normalise_text,
    parse_date,
    read_table,
    template_workbook,
    write_workbook,
)
from dinghuo.pricing import errors
from dinghuo.pricing.models import Promotion
from dinghuo.pricing.services import (
    MAX_PRICE,
    MAX_QTY,
    PROMOTION_EDITABLE,
    clean_promotion,
    promotion_create,
    promotion_update,
)

SHEET_TITLE = "促销"
JOB_KIND = "pricing.promotion_import"
JOB_HANDLER = "dinghuo.pricing.promotion_import:run_promotion_import"

THRESHOLD, GIFT, PERCENT, FLASH = (Promotion.Kind.THRESHOLD, Promotion.Kind.GIFT, Promotion.Kind.PERCENT,
                                   Promotion.Kind.FLASH)  # fmt: skip


def _datetime(value: Any) -> tuple[dt.datetime, bool]:
    """A cell → (local naive datetime, whether only a date was given)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None), False
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()), True
    if isinstance(value, dt.time):
        raise ValueError(str(value))
    text = normalise_text(value).replace("T", " ").replace("日", " ").replace("时", ":").replace("分", "")
    date_part, _sep, time_part = text.partition(" ")
    day = parse_date(date_part)
    time_part = time_part.strip().replace("：", ":")
    if not time_part:
        return dt.datetime.combine(day, dt.time()), True
    pieces = time_part.rstrip(":").split(":")
    if not 1 <= len(pieces) <= 3 or not all(p.isdigit() for p in pieces):
        raise ValueError(text)
    return dt.datetime.combine(day, dt.time(*(int(p) for p in pieces))), False


def _codes(value: Any) -> list[str]:
    """ "A-1, B-2、C-3" (commas, 、, semicolons or new lines) → ["A-1", "B-2", "C-3"], in order, once each."""
    text = normalise_text(value) if not isinstance(value, str) else value
    parts = re.split(r"[,，、;；\n\r]+", text)
    return list(dict.fromkeys(normalise_text(p) for p in parts if normalise_text(p)))


COLUMNS: list[Column] = [
    Column("code", "促销编码", aliases=("promotion code", "code", "编码"), example="MJ-500", width=14),
    Column("name", "促销名称", aliases=("promotion", "name", "名称"), example="满500减50", width=20),
    Column("kind", "类型", aliases=("kind", "促销类型"), example="满减", width=8,
           help=gettext_lazy("满减, 满赠, 搭赠, 折扣 or 秒杀 (a promotion's kind cannot change).")),
    Column("valid_from", "开始时间", kind=_datetime, aliases=("starts", "valid from", "开始"), width=18,
           help=gettext_lazy("Date and time, e.g. 2026-11-22 10:00; a date alone means 0:00 that day.")),
    Column("valid_to", "结束时间", kind=_datetime, aliases=("ends", "valid to", "valid until", "结束"), width=18,
           help=gettext_lazy("Date and time; a date alone means the end of that day.")),
    Column("threshold", "满额(元)", kind="decimal", required=False, aliases=("threshold", "满额"), width=10,
           help=gettext_lazy("满减 and 满赠 by amount: what the lines in scope must reach, in yuan.")),
    Column("off", "减(元)", kind="decimal", required=False, aliases=("off", "减免金额", "减"), width=10,
           help=gettext_lazy("满减: the amount taken off, in yuan.")),
    Column("repeat", "每满重复", kind="bool", required=False, aliases=("repeat", "上不封顶"), width=10,
           help=gettext_lazy("满减 and 满赠: 是 gives it again for every multiple (blank: 否).")),
    Column("buy_qty", "买满数量", kind="decimal", required=False, aliases=("buy qty", "购买数量"), width=10,
           help=gettext_lazy("满赠/搭赠 by quantity: how many to buy (base units unless 买满单位 says otherwise).")),
    Column("buy_unit", "买满单位", required=False, aliases=("buy unit",), width=10,
           help=gettext_lazy("满赠/搭赠: the unit of 买满数量, e.g. 箱 (blank: base unit).")),
    Column("gift_sku", "赠品SKU编码", required=False, aliases=("gift sku", "赠品"), width=16,
           help=gettext_lazy("满赠: the gift's SKU code. Blank (搭赠): more of the same SKU is given.")),
    Column("gift_qty", "赠品数量", kind="decimal", required=False, aliases=("gift qty",), width=10,
           help=gettext_lazy("满赠/搭赠: how many are given, a whole number.")),
    Column("gift_unit", "赠品单位", required=False, aliases=("gift unit",), width=10,
           help=gettext_lazy("满赠/搭赠: the gift's unit (blank: its default order unit).")),
    Column("percent", "减免比例(%)", kind="decimal", required=False, aliases=("percent", "减免比例"), width=12,
           help=gettext_lazy("折扣: the percentage taken off; 10 means 10% off (九折).")),
    Column("flash_sku", "秒杀SKU编码", required=False, aliases=("flash sku",), width=16,
           help=gettext_lazy("秒杀: the SKU on flash sale.")),
    Column("flash_price", "秒杀价(元/基本单位)", kind="decimal", required=False, aliases=("flash price", "秒杀价"),
           width=14, help=gettext_lazy("秒杀: the price per base unit, in yuan.")),
    Column("total_cap", "总限量(基本单位)", kind="decimal", required=False, aliases=("total cap", "总限量"), width=12,
           help=gettext_lazy("秒杀: how many base units may be sold in all (give this or 每经销商限购, or both).")),
    Column("per_dealer_cap", "每经销商限购(基本单位)", kind="decimal", required=False,
           aliases=("per dealer cap", "每经销商限购", "限购"), width=14,
           help=gettext_lazy("秒杀: how many base units one dealer may buy.")),
    Column("scope_skus", "适用SKU编码", kind=_codes, required=False, aliases=("skus", "scope skus"), width=20,
           help=gettext_lazy("Only these SKUs count (codes separated by commas); blank: every SKU.")),
    Column("scope_categories", "适用分类编码", kind=_codes, required=False, aliases=("categories",), width=16,
           help=gettext_lazy("Only these categories and their subcategories (codes); blank: all.")),
    Column("scope_brands", "适用品牌编码", kind=_codes, required=False, aliases=("brands",), width=16,
           help=gettext_lazy("Only these brands (codes); blank: all.")),
    Column("tiers", "经销商等级编码", kind=_codes, required=False, aliases=("tiers", "经销商等级"), width=14,
           help=gettext_lazy("Only dealers of these tiers (codes); blank: every tier.")),
    Column("regions", "适用区域", kind=_codes, required=False, aliases=("regions", "区域"), width=14,
           help=gettext_lazy("Only dealers in these regions (codes such as 440000, or names); blank: everywhere.")),
    Column("priority", "优先级", kind="int", required=False, aliases=("priority",), example=0, width=8,
           help=gettext_lazy("Higher applies first (blank: 0).")),
    Column("stackable", "可叠加", kind="bool", required=False, aliases=("stackable",), width=8,
           help=gettext_lazy("否: it applies only to lines no other promotion touched (blank: 是).")),
    Column("exclusive_group", "互斥组", required=False, aliases=("exclusive group",), width=10,
           help=gettext_lazy("Promotions of one group never apply together; the best wins.")),
    Column("is_active", "启用", kind="bool", required=False, aliases=("active",), width=8,
           help=gettext_lazy("否 ends it (blank: 是).")),
    Column("sold_qty", "已售数量", kind="decimal", required=False, aliases=("sold",), width=10,
           help=gettext_lazy("Written by the export; ignored on import.")),
]  # fmt: skip

# the columns each kind uses (the others must stay blank on its rows)
KIND_COLUMNS = {
    THRESHOLD: {"threshold", "off", "repeat"},
    GIFT: {"threshold", "repeat", "buy_qty", "buy_unit", "gift_sku", "gift_qty", "gift_unit"},
    PERCENT: {"percent"},
    FLASH: {"flash_sku", "flash_price", "total_cap", "per_dealer_cap"},
}
RULE_COLUMNS = set().union(*KIND_COLUMNS.values())
KIND_NAMES = {THRESHOLD: "满减", GIFT: "满赠", PERCENT: "折扣", FLASH: "秒杀"}
_KIND_WORDS = {
    "满减": THRESHOLD, "满额减": THRESHOLD, "每满减": THRESHOLD,
    "满赠": GIFT, "搭赠": GIFT, "买赠": GIFT, "满送": GIFT, "买送": GIFT,
    "折扣": PERCENT, "打折": PERCENT, "百分比折扣": PERCENT,
    "秒杀": FLASH, "限时秒杀": FLASH,
}  # fmt: skip

# a service's detail key → the column that shows its error
ERROR_COLUMNS = {
    "rules": "buy_qty",
    "rules.threshold": "threshold",
    "rules.off": "off",
    "rules.percent": "percent",
    "rules.buy_qty": "buy_qty",
    "rules.buy_unit": "buy_unit",
    "rules.gift_qty": "gift_qty",
    "rules.gift_sku": "gift_sku",
    "rules.gift_unit": "gift_unit",
    "rules.sku": "flash_sku",
    "rules.price": "flash_price",
    "scope": "scope_skus",
    "scope.skus": "scope_skus",
    "scope.categories": "scope_categories",
    "scope.brands": "scope_brands",
    "promotion": "code",
}
TEXT_LIMITS = {"code": 40, "name": 120, "exclusive_group": 30, "buy_unit": 10, "gift_unit": 10}
HUNDRED = Decimal(100)


def kind_of(text: Any) -> str | None:
    """ "满减", "搭赠", "threshold", "Flash sale (秒杀)", "秒杀" … → the kind; None when unknown."""
    key = header_key(str(text or ""))
    if not key:
        return None
    if key in Promotion.Kind.values:
        return key
    if key in _KIND_WORDS:
        return _KIND_WORDS[key]
    for value, label in Promotion.Kind.choices:
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                if header_key(str(label)) == key:
                    return value
    return None


class PromotionImportInvalid(XlsxRowErrors):
    """Rows are wrong; ``detail["rows"]`` lists them and ``table`` feeds ``xlsx.error_report``."""

    code = "promotion_import_invalid"

    def __init__(self, *args: Any, table: Table | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.table = table


@dataclass
class ImportResult:
    rows: int
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "promotions_created": self.created,
            "promotions_updated": self.updated,
            "promotions_unchanged": self.unchanged,
        }


@dataclass
class _Plan:
    row: Row
    kind: str
    fields: dict  # the service's arguments (without code and kind)
    existing: Promotion | None
    changes: dict  # for an existing promotion: only what differs


def import_promotions(*, actor: Actor, data: bytes) -> ImportResult:
    """Validate every row of ``data`` (an .xlsx), then create or update every promotion, or nothing.

    Raises ``XlsxError`` subclasses for a file that is not a safe, readable workbook and
    ``PromotionImportInvalid`` when any row is wrong.
    """
    require(actor, "promotions.manage")
    table = read_table(data, COLUMNS)
    plans = _validate(table)
    _fail_if_errors(table)
    created = updated = 0
    with transaction.atomic():
        for plan in plans:
            try:
                if plan.existing is None:
                    promotion_create(actor=actor, code=plan.row.values["code"], kind=plan.kind, **plan.fields)
                    created += 1
                elif plan.changes:
                    promotion_update(actor=actor, promotion=plan.existing, **plan.changes)
                    updated += 1
            except DomainError as exc:  # what only the write can find (a cap below the sold quantity, a race)
                _place(plan.row, exc)
        _fail_if_errors(table)  # raising here rolls every row back
    return ImportResult(rows=len(plans), created=created, updated=updated, unchanged=len(plans) - created - updated)


def _validate(table: Table) -> list[_Plan]:
    """Every row → the service's arguments, checked by ``clean_promotion`` without writing anything."""
    rows = table.rows
    lookups = _lookups(rows)
    existing = {p.code: p for p in Promotion.objects.filter(code__in=list(lookups["codes"]))}
    seen: dict[str, int] = {}
    plans = []
    for row in rows:
        v = row.values
        code = v.get("code")
        if code:
            if code in seen:
                row.errors["code"] = _("the same code is already on row %(row)s") % {"row": seen[code]}
            seen.setdefault(code, row.number)
        for key, limit in TEXT_LIMITS.items():
            if v.get(key) and len(v[key]) > limit and key not in row.errors:
                row.errors[key] = _("at most %(n)s characters") % {"n": limit}
        kind = kind_of(v.get("kind")) if v.get("kind") else None
        if v.get("kind") and kind is None:
            row.errors["kind"] = _("unknown kind: use 满减, 满赠, 搭赠, 折扣 or 秒杀")
        current = existing.get(code) if code else None
        if current is not None and kind and kind != current.kind:
            row.errors["kind"] = _("promotion %(code)s is a %(kind)s; its kind cannot change") % {
                "code": code,
                "kind": KIND_NAMES[current.kind],
            }
        fields = _fields(row, kind, lookups) if kind else None
        if row.errors or fields is None:
            continue
        plan = _Plan(row=row, kind=kind, fields=fields, existing=current, changes={})
        _check(plan)
        if not row.errors:
            plans.append(plan)
    return plans


def _lookups(rows: list[Row]) -> dict:
    """Every code the file names, looked up once: SKUs, categories, brands, promotions."""

    def named(*keys: str) -> set[str]:
        out: set[str] = set()
        for row in rows:
            for key in keys:
                value = row.values.get(key)
                if isinstance(value, list):
                    out.update(value)
                elif value:
                    out.add(value)
        return out

    sku_codes, cat_codes, brand_codes = (
        named("gift_sku", "flash_sku", "scope_skus"),
        named("scope_categories"),
        named("scope_brands"),
    )
    return {
        "codes": named("code"),
        "skus": dict(Sku.objects.filter(code__in=list(sku_codes)).values_list("code", "pk")) if sku_codes else {},
        "categories": dict(Category.objects.filter(code__in=list(cat_codes)).values_list("code", "pk"))
        if cat_codes
        else {},
        "brands": dict(Brand.objects.filter(code__in=list(brand_codes)).values_list("code", "pk"))
        if brand_codes
        else {},
    }


def _fields(row: Row, kind: str, lookups: dict) -> dict | None:
    """A row of kind ``kind`` → promotion_create's arguments; problems go on ``row.errors``."""
    v = row.values
    for key in sorted(RULE_COLUMNS - KIND_COLUMNS[kind]):
        if v.get(key) not in (None, "", []) and not (key == "repeat" and v[key] is False):
            row.errors[key] = _("leave blank for %(kind)s promotions") % {"kind": KIND_NAMES[kind]}
    wanted = {THRESHOLD: ["threshold", "off"], GIFT: ["gift_qty"], PERCENT: ["percent"],
              FLASH: ["flash_sku", "flash_price"]}[kind]  # fmt: skip
    for key in wanted:
        if v.get(key) in (None, "") and key not in row.errors:
            row.errors[key] = _("required for %(kind)s promotions") % {"kind": KIND_NAMES[kind]}
    if kind == GIFT and "buy_qty" not in row.errors and "threshold" not in row.errors:
        if (v.get("threshold") is None) == (v.get("buy_qty") is None):
            row.errors["buy_qty"] = _("give 买满数量 or 满额(元), one of the two")
        elif v.get("threshold") is not None and not v.get("gift_sku"):
            row.errors["gift_sku"] = _("required when the gift is earned by an amount")
        elif v.get("buy_unit") and v.get("buy_qty") is None:
            row.errors["buy_unit"] = _("only with 买满数量")
    for key in ("threshold", "off", "flash_price"):
        _check_amount(row, key, positive=key != "flash_price")
    for key in ("buy_qty", "gift_qty", "total_cap", "per_dealer_cap"):
        _check_quantity(row, key)
    pct = v.get("percent")
    if pct is not None and "percent" not in row.errors and not (0 < pct <= HUNDRED and pct == round(pct, 2)):
        row.errors["percent"] = _("must be more than 0 and at most 100, with at most 2 decimals")
    skus = lookups["skus"]
    for key in ("gift_sku", "flash_sku"):
        if v.get(key) and v[key] not in skus and key not in row.errors:
            row.errors[key] = _("no SKU has this code")
    scope: dict[str, list[int]] = {}
    for key, found, name in (
        ("scope_skus", skus, "skus"),
        ("scope_categories", lookups["categories"], "categories"),
        ("scope_brands", lookups["brands"], "brands"),
    ):
        codes = v.get(key) or []
        unknown = [c for c in codes if c not in found]
        if unknown and key not in row.errors:
            row.errors[key] = _("no such code: %(codes)s") % {"codes": "、".join(unknown[:10])}
        if codes:
            scope[name] = [found[c] for c in codes if c in found]
    region_codes = _region_codes(row)
    start, end = v.get("valid_from"), v.get("valid_to")
    if row.errors:
        return None
    rules: dict[str, Any] = {}
    if kind == THRESHOLD:
        rules = {"threshold": str(v["threshold"]), "off": str(v["off"]), "repeat": bool(v.get("repeat"))}
    elif kind == PERCENT:
        rules = {"percent": str(v["percent"])}
    elif kind == FLASH:
        rules = {"sku": skus[v["flash_sku"]], "price": str(v["flash_price"])}
    else:
        rules = {"gift_qty": str(v["gift_qty"]), "repeat": bool(v.get("repeat"))}
        for key in ("threshold", "buy_qty"):
            if v.get(key) is not None:
                rules[key] = str(v[key])
        for key in ("buy_unit", "gift_unit"):
            if v.get(key):
                rules[key] = v[key]
        if v.get("gift_sku"):
            rules["gift_sku"] = skus[v["gift_sku"]]
    return {
        "name": v["name"],
        "rules": rules,
        "valid_from": _aware(start[0]),
        "valid_to": _aware(start_of_next_day(end[0]) if end[1] else end[0]),
        "scope": scope,
        "tiers": v.get("tiers") or [],
        "regions": region_codes,
        "priority": v["priority"] if v.get("priority") is not None else 0,
        "stackable": True if v.get("stackable") is None else v["stackable"],
        "exclusive_group": v.get("exclusive_group") or "",
        "total_cap": v.get("total_cap"),
        "per_dealer_cap": v.get("per_dealer_cap"),
        "is_active": True if v.get("is_active") is None else v["is_active"],
    }


def start_of_next_day(moment: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time())


def _aware(moment: dt.datetime) -> dt.datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _region_codes(row: Row) -> list[str]:
    out, bad = [], []
    for part in row.values.get("regions") or []:
        region = regions.get(part)
        if region is None:
            try:
                region = regions.parse_address(part).region
            except regions.AddressError:
                region = None
        (out if region else bad).append(region.code if region else part)
    if bad:
        row.errors["regions"] = _("no such code: %(codes)s") % {"codes": "、".join(bad[:10])}
    return list(dict.fromkeys(out))


def _check_amount(row: Row, key: str, *, positive: bool) -> None:
    value = row.values.get(key)
    if value is None or key in row.errors:
        return
    if value < 0:
        row.errors[key] = _("must not be negative")
    elif positive and value == 0:
        row.errors[key] = _("must be greater than zero")
    elif value > MAX_PRICE or value != value.quantize(Decimal("0.01")):
        row.errors[key] = _("must be in yuan and fen (two decimals)")


def _check_quantity(row: Row, key: str) -> None:
    value = row.values.get(key)
    if value is None or key in row.errors:
        return
    if value <= 0 or value > MAX_QTY or value != value.quantize(Decimal("0.001")):
        row.errors[key] = _("must be greater than zero, with at most 3 decimals")


def _check(plan: _Plan) -> None:
    """The services' own validation on an unsaved copy; for an update, keep only what changes."""
    current = plan.existing
    if current is None:
        probe = Promotion(code=plan.row.values["code"], kind=plan.kind, **plan.fields)
    else:
        probe = Promotion(**{f: getattr(current, f) for f in (*PROMOTION_EDITABLE, "code", "kind", "sold_qty")})
        for key, value in plan.fields.items():
            setattr(probe, key, value)
        # the export writes whole seconds: a time that differs by less is not a change
        for key in ("valid_from", "valid_to"):
            if getattr(current, key).replace(microsecond=0) == getattr(probe, key):
                setattr(probe, key, getattr(current, key))
    try:
        clean_promotion(probe)
        if current is not None and probe.total_cap is not None and current.sold_qty > probe.total_cap:
            raise errors.PromotionInvalid(
                reason=_("%(sold)s are already sold, more than the new cap") % {"sold": current.sold_qty},
                detail={"total_cap": str(probe.total_cap)},
            )
    except DomainError as exc:
        _place(plan.row, exc)
        return
    if current is not None:
        plan.changes = {
            key: getattr(probe, key)
            for key in sorted(PROMOTION_EDITABLE)
            if getattr(probe, key) != getattr(current, key)
        }


def _place(row: Row, exc: DomainError) -> None:
    """A service's error → the cells it is about (the row's code when it names none)."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    # "the promotion is not valid: X" says less on a row than X itself
    message = str(exc.params["reason"]) if isinstance(exc, errors.PromotionInvalid) else exc.message
    placed = False
    for key in detail:
        column = ERROR_COLUMNS.get(key, key)
        if column not in {c.key for c in COLUMNS} or column in row.errors:
            continue
        row.errors[column] = message
        placed = True
    if not placed:
        row.errors.setdefault("code", message)


def _fail_if_errors(table: Table) -> None:
    rows = table.errors
    if rows:
        raise PromotionImportInvalid(table=table, count=len({e["row"] for e in rows}), detail={"rows": rows[:1000]})


# --- export and template ----------------------------------------------------------------------------


def export_rows(promotions: Iterable[Promotion]) -> list[list[Any]]:
    """One row per promotion in ``COLUMNS`` order, ids written as the codes people know."""
    promotions = list(promotions)
    sku_ids, cat_ids, brand_ids = set(), set(), set()
    for p in promotions:
        rules, scope = p.rules or {}, p.scope or {}
        sku_ids.update(i for i in (rules.get("gift_sku"), rules.get("sku")) if isinstance(i, int))
        sku_ids.update(scope.get("skus") or [])
        cat_ids.update(scope.get("categories") or [])
        brand_ids.update(scope.get("brands") or [])
    skus = dict(Sku.objects.filter(pk__in=sku_ids).values_list("pk", "code")) if sku_ids else {}
    cats = dict(Category.objects.filter(pk__in=cat_ids).values_list("pk", "code")) if cat_ids else {}
    brands = dict(Brand.objects.filter(pk__in=brand_ids).values_list("pk", "code")) if brand_ids else {}
    return [_export_row(p, skus, cats, brands) for p in promotions]


def _export_row(p: Promotion, skus: dict, cats: dict, brands: dict) -> list[Any]:
    r, scope = p.rules or {}, p.scope or {}
    kind = KIND_NAMES.get(p.kind, p.kind)
    if p.kind == GIFT and not r.get("gift_sku") and r.get("buy_qty"):
        kind = "搭赠"

    def joined(ids, names) -> str:
        return ", ".join(str(names.get(i, i)) for i in ids or [])

    def num(value) -> Decimal | None:
        if value in (None, ""):
            return None
        number = Decimal(str(value))
        return number.to_integral_value() if number == number.to_integral_value() else number.normalize()

    flash = p.kind == FLASH
    values = {
        "code": p.code,
        "name": p.name,
        "kind": kind,
        "valid_from": _when(p.valid_from),
        "valid_to": _when(p.valid_to),
        "threshold": num(r.get("threshold")),
        "off": num(r.get("off")),
        "repeat": ("是" if r.get("repeat") else "否") if p.kind in (THRESHOLD, GIFT) else None,
        "buy_qty": num(r.get("buy_qty")),
        "buy_unit": r.get("buy_unit") or None,
        "gift_sku": skus.get(r["gift_sku"]) if r.get("gift_sku") else None,
        "gift_qty": num(r.get("gift_qty")),
        "gift_unit": r.get("gift_unit") or None,
        "percent": num(r.get("percent")),
        "flash_sku": skus.get(r.get("sku")) if flash else None,
        "flash_price": num(r.get("price")) if flash else None,
        "total_cap": num(p.total_cap),
        "per_dealer_cap": num(p.per_dealer_cap),
        "scope_skus": joined(scope.get("skus"), skus) or None,
        "scope_categories": joined(scope.get("categories"), cats) or None,
        "scope_brands": joined(scope.get("brands"), brands) or None,
        "tiers": ", ".join(p.tiers or []) or None,
        "regions": ", ".join(p.regions or []) or None,
        "priority": p.priority,
        "stackable": "是" if p.stackable else "否",
        "exclusive_group": p.exclusive_group or None,
        "is_active": "是" if p.is_active else "否",
        "sold_qty": num(p.sold_qty) if flash else None,
    }
    return [values[c.key] for c in COLUMNS]


def _when(moment: dt.datetime) -> str:
    """Local time as text: a date cell at midnight reads back as a date alone, which would mean the
    end of that day in 结束时间, so times are written as text that reads back exactly."""
    local = timezone.localtime(moment)
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def export_promotions(*, actor: Actor, promotions: Iterable[Promotion] | None = None) -> bytes:
    """An .xlsx of the promotions (every one when None) that ``import_promotions`` reads back unchanged.

    Text is written through ``core.xlsx``, so a name like "=HYPERLINK(…)" stays inert text.
    """
    require(actor, "prices.view_all")
    if promotions is None:
        promotions = Promotion.objects.order_by("-priority", "code")
    sheet = Sheet(
        title=SHEET_TITLE,
        headers=[str(c.header) for c in COLUMNS],
        rows=export_rows(promotions),
        widths=[c.width for c in COLUMNS],
    )
    return write_workbook([sheet])


def promotion_import_template(*, actor: Actor) -> bytes:
    """Headers, one example row per kind (with this tenant's first SKU), and a sheet explaining each column."""
    require(actor, "promotions.manage")
    sku = Sku.objects.order_by("code").first()
    code = sku.code if sku else "QS-500-24"
    today = timezone.localdate()
    start, end = today.isoformat(), (today + dt.timedelta(days=29)).isoformat()
    blank = dict.fromkeys(c.key for c in COLUMNS)
    base = {**blank, "valid_from": start, "valid_to": end, "priority": 0, "stackable": "是", "is_active": "是"}
    examples = [
        {**base, "code": "MJ-500", "name": "满500减50", "kind": "满减", "threshold": 500, "off": 50, "repeat": "是"},
        {**base, "code": "MZ-1000", "name": "满1000送1件", "kind": "满赠", "threshold": 1000, "gift_sku": code,
         "gift_qty": 1, "repeat": "否"},
        {**base, "code": "DZ-10", "name": "买10送1", "kind": "搭赠", "buy_qty": 10, "gift_qty": 1, "repeat": "是",
         "scope_skus": code},
        {**base, "code": "ZK-10", "name": "全场九折", "kind": "折扣", "percent": 10, "stackable": "否",
         "exclusive_group": "全场"},
        {**base, "code": "MS-1", "name": "限时秒杀", "kind": "秒杀", "flash_sku": code, "flash_price": Decimal("1.99"),
         "total_cap": 1000, "per_dealer_cap": 48, "priority": 10},
    ]  # fmt: skip
    return template_workbook(COLUMNS, title=SHEET_TITLE, examples=[[e[c.key] for c in COLUMNS] for e in examples])


# --- background job ---------------------------------------------------------------------------------


def start_promotion_import(*, actor: Actor, file: File) -> Job:
    """Queue an import of an uploaded .xlsx; the worker runs ``run_promotion_import``."""
    require(actor, "promotions.manage")
    limit = settings.DINGHUO_MAX_UPLOAD_BYTES
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limit:
        raise XlsxTooLarge(size=f"{size / 1048576:.1f}", limit=f"{limit / 1048576:.0f}", detail={"file": size})
    name = str(getattr(file, "name", "") or "promotions.xlsx").rsplit("/", 1)[-1][-80:]
    with transaction.atomic():
        return job_start(actor=actor, kind=JOB_KIND, handler=JOB_HANDLER, input_file=file, params={"filename": name})


def run_promotion_import(job: Job) -> None:
    """The job handler: the result, or an error report (.xlsx) listing every bad row."""
    limit = settings.DINGHUO_MAX_UPLOAD_BYTES
    if job.input_file.size > limit:
        raise XlsxTooLarge(size=f"{job.input_file.size / 1048576:.1f}", limit=f"{limit / 1048576:.0f}")
    with job.input_file.open("rb") as fh:
        data = fh.read(limit + 1)
    actor = current_actor() or Actor.system(current_tenant_id(), "job")
    job_progress(job, done=0, total=0, message=_("Reading the file…"))
    try:
        result = import_promotions(actor=actor, data=data)
    except PromotionImportInvalid as exc:
        report = ContentFile(error_report(exc.table), name=f"errors-{job.pk}.xlsx")
        job_fail(job, message=exc.message, result={"error": exc.as_dict()}, output=report)
        return
    message = _("%(created)s promotions created, %(updated)s updated, %(unchanged)s unchanged.") % {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
    job_finish(job, result=result.as_dict(), message=message)
