"""Writes of pricing: price lists, their prices (with volume tiers), promotions. Every change of a
price or a promotion writes an audit row in the same transaction (invariant 8).

Overlap rule: two active price lists of the same kind and the same target (the same dealer,
price group, tier or region code; every "list" list shares one target) whose validity windows
overlap may not price the same SKU — the engine could not tell which one a dealer pays. The rule
is checked whenever a list's SKUs, window, target or activity change, under row locks on all the
lists of that target (``locks.lock_price_lists_of_target``), and the error names both lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.catalog.models import Brand, Category, Sku, SkuUnit
from dinghuo.core import regions
from dinghuo.core.audit import AuditEvent, audit_write, snapshot
from dinghuo.core.errors import NOT_EDITABLE, REQUIRED, ValidationError
from dinghuo.core.money import quantize, to_decimal
from dinghuo.core.tenancy import Actor, current_tenant_id
from dinghuo.dealers.models import Dealer, DealerTier, PriceGroup
from dinghuo.pricing import errors
from dinghuo.pricing.locks import lock_price_lists_of_target
from dinghuo.pricing.models import PriceList, PriceListItem, Promotion

PRICE_LIST_FIELDS = (
    "code",
    "name",
    "kind",
    "dealer",
    "price_group",
    "tier",
    "region_code",
    "valid_from",
    "valid_to",
    "is_active",
)
PRICE_LIST_EDITABLE = frozenset(PRICE_LIST_FIELDS) - {"code"}
PROMOTION_FIELDS = (
    "code",
    "name",
    "kind",
    "rules",
    "scope",
    "tiers",
    "regions",
    "priority",
    "stackable",
    "exclusive_group",
    "valid_from",
    "valid_to",
    "total_cap",
    "per_dealer_cap",
    "is_active",
)
PROMOTION_EDITABLE = frozenset(PROMOTION_FIELDS) - {"code", "kind"}
MAX_PRICE = Decimal("99999999999999.99")
MAX_QTY = Decimal("99999999999.999")

Tiers = Sequence[tuple[Any, Any]]  # [(min_qty, price)], amounts as Decimal, int or numeric string


# --- price lists ----------------------------------------------------------------------------------


def price_list_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    dealer: Dealer | None = None,
    price_group: PriceGroup | None = None,
    tier: DealerTier | None = None,
    region_code: str = "",
    valid_from: dt.datetime | None = None,
    valid_to: dt.datetime | None = None,
    is_active: bool = True,
) -> PriceList:
    require(actor, "prices.manage")
    code, name = (code or "").strip(), (name or "").strip()
    missing = {k: REQUIRED for k, v in {"code": code, "name": name}.items() if not v}
    if missing:
        raise ValidationError(detail=missing)
    price_list = PriceList(
        code=code,
        name=name,
        kind=kind,
        dealer=dealer,
        price_group=price_group,
        tier=tier,
        region_code=(region_code or "").strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        is_active=is_active,
    )
    check_price_list(price_list)
    try:
        with transaction.atomic():
            if PriceList.objects.filter(code=code).exists():
                raise errors.PriceListCodeTaken(code=code, detail={"code": code})
            price_list.save()
            audit_write(
                actor=actor,
                events=[AuditEvent.of("price_list.created", price_list, after=snapshot(price_list, PRICE_LIST_FIELDS))],
            )
    except IntegrityError:
        raise errors.PriceListCodeTaken(code=code, detail={"code": code})
    return price_list


def price_list_update(*, actor: Actor, price_list: PriceList, **changes: Any) -> PriceList:
    """Change a list's name, target, window or activity; refused if it would overlap another list."""
    require(actor, "prices.manage")
    unknown = set(changes) - PRICE_LIST_EDITABLE
    if unknown:
        raise ValidationError(detail=dict.fromkeys(sorted(unknown), NOT_EDITABLE))
    with _unchanged_on_error(price_list), transaction.atomic():
        before = snapshot(price_list, PRICE_LIST_FIELDS)
        for key, value in changes.items():
            setattr(price_list, key, value.strip() if isinstance(value, str) else value)
        check_price_list(price_list)
        if price_list.is_active:
            _check_overlap(price_list, sku_ids=None)
        price_list.save(update_fields=[f for f in PRICE_LIST_FIELDS if f != "code"])
        after = snapshot(price_list, PRICE_LIST_FIELDS)
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "price_list.updated",
                    price_list,
                    before={k: v for k, v in before.items() if after[k] != v},
                    after={k: v for k, v in after.items() if before[k] != v},
                )
            ],
        )
    return price_list


def price_item_set(
    *,
    actor: Actor,
    price_list: PriceList,
    sku: Sku | int,
    price: Any = None,
    tiers: Tiers | None = None,
) -> list[PriceListItem]:
    """Set a SKU's prices in a list: one ``price`` (from 1 base unit), or its volume ``tiers``
    [(min_qty, price), …] (阶梯价, min_qty in base units). Replaces the SKU's previous prices in
    the list. Prices are tax-inclusive per base unit."""
    if (price is None) == (tiers is None):
        raise ValidationError(detail={"price": _("Give either a price or volume tiers.")})
    ladder = [(Decimal(1), price)] if tiers is None else list(tiers)
    return price_items_set_many(actor=actor, price_list=price_list, prices={sku: ladder})[_sku_pk(sku)]


def price_items_set_many(
    *, actor: Actor, price_list: PriceList, prices: dict[Sku | int, Tiers], replace_all: bool = False
) -> dict[int, list[PriceListItem]]:
    """Set many SKUs' tiers in one list, all or nothing (the importer's entry point).

    ``prices`` maps a SKU (or its id) to its tiers. With ``replace_all`` the SKUs not named lose
    their prices in this list. Bad SKUs, prices or quantities are reported together, keyed by SKU.
    """
    require(actor, "prices.manage")
    ladders: dict[int, list[tuple[Decimal, Decimal]]] = {}
    problems: dict[str, Any] = {}
    for sku, tiers in prices.items():
        pk = _sku_pk(sku)
        try:
            ladders[pk] = _clean_tiers(tiers)
        except ValidationError as exc:
            problems[str(pk)] = exc.detail
    known = set(Sku.objects.filter(pk__in=list(ladders)).values_list("pk", flat=True)) if ladders else set()
    for pk in ladders:
        if pk not in known:
            problems[str(pk)] = {"sku": _("Unknown SKU.")}
    if problems:
        raise errors.PriceInvalid(detail=problems)
    with transaction.atomic():
        existing: dict[int, list[tuple[Decimal, Decimal]]] = {}
        items_qs = PriceListItem.objects.filter(price_list=price_list)
        if not replace_all:
            items_qs = items_qs.filter(sku_id__in=list(ladders))
        for sku_id, min_qty, amount in items_qs.order_by("sku_id", "min_qty").values_list("sku_id", "min_qty", "price"):
            existing.setdefault(sku_id, []).append((min_qty, amount))
        if price_list.is_active:
            _check_overlap(price_list, sku_ids=list(ladders))
        items_qs.delete()
        created = PriceListItem.objects.bulk_create(
            [
                PriceListItem(tenant_id=price_list.tenant_id, price_list=price_list, sku_id=pk, min_qty=q, price=p)
                for pk, ladder in sorted(ladders.items())
                for q, p in ladder
            ]
        )
        events = []
        for pk in sorted(set(ladders) | set(existing)):
            before, after = existing.get(pk, []), ladders.get(pk, [])
            if before == after:
                continue
            events.append(
                AuditEvent(
                    action="price_item.set" if after else "price_item.removed",
                    obj_type=PriceList._meta.label_lower,
                    obj_id=price_list.pk,
                    obj_repr=str(price_list)[:200],
                    before={"sku": pk, "tiers": _tiers_json(before)},
                    after={"sku": pk, "tiers": _tiers_json(after)},
                )
            )
        audit_write(actor=actor, events=events)
    out: dict[int, list[PriceListItem]] = {pk: [] for pk in ladders}
    for item in created:
        out[item.sku_id].append(item)
    return out


def price_item_remove(*, actor: Actor, price_list: PriceList, sku: Sku | int) -> int:
    require(actor, "prices.manage")
    pk = _sku_pk(sku)
    with transaction.atomic():
        before = list(
            PriceListItem.objects.filter(price_list=price_list, sku_id=pk)
            .order_by("min_qty")
            .values_list("min_qty", "price")
        )
        deleted, _detail = PriceListItem.objects.filter(price_list=price_list, sku_id=pk).delete()
        if deleted:
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "price_item.removed",
                        price_list,
                        before={"sku": pk, "tiers": _tiers_json(before)},
                        after={"sku": pk, "tiers": []},
                    )
                ],
            )
    return deleted


@contextmanager
def _unchanged_on_error(obj: Any) -> Iterator[None]:
    """A refused update leaves the caller's instance as it was (the transaction rolls back the rows)."""
    saved, cache = dict(obj.__dict__), dict(obj._state.fields_cache)
    try:
        yield
    except BaseException:
        obj.__dict__.clear()
        obj.__dict__.update(saved)
        obj._state.fields_cache = cache
        raise


def check_price_list(pl: PriceList) -> None:
    if pl.kind not in PriceList.Kind.values:
        raise ValidationError(detail={"kind": pl.kind})
    needs = {
        PriceList.Kind.CONTRACT: ("dealer", pl.dealer_id),
        PriceList.Kind.GROUP: ("price_group", pl.price_group_id),
        PriceList.Kind.TIER: ("tier", pl.tier_id),
        PriceList.Kind.REGION: ("region_code", pl.region_code),
    }
    if pl.kind in needs:
        name, value = needs[pl.kind]
        if not value:
            raise ValidationError(detail={name: REQUIRED})
    tenant_id = pl.tenant_id or current_tenant_id()
    for name in ("dealer", "price_group", "tier"):
        target = getattr(pl, name)
        if target is not None and target.tenant_id != tenant_id:
            raise ValidationError(detail={name: _("Not found.")})
    # only the target that matches the kind is kept, so a list never carries a stale one
    if pl.kind != PriceList.Kind.CONTRACT:
        pl.dealer = None
    if pl.kind != PriceList.Kind.GROUP:
        pl.price_group = None
    if pl.kind != PriceList.Kind.TIER:
        pl.tier = None
    if pl.kind == PriceList.Kind.REGION:
        region = regions.get(pl.region_code)
        if region is None or region.level == regions.DISTRICT:
            raise ValidationError(detail={"region_code": _("Give a province or city code.")})
    else:
        pl.region_code = ""
    _check_window(pl.valid_from, pl.valid_to)


def _check_window(valid_from: dt.datetime | None, valid_to: dt.datetime | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise errors.WindowInvalid(detail={"valid_to": _("The end must be after the start.")})


def _target(pl: PriceList) -> dict[str, Any]:
    """The fields that say whom a list is for (empty for "list" lists: everybody)."""
    return {
        PriceList.Kind.CONTRACT: {"dealer_id": pl.dealer_id},
        PriceList.Kind.GROUP: {"price_group_id": pl.price_group_id},
        PriceList.Kind.TIER: {"tier_id": pl.tier_id},
        PriceList.Kind.REGION: {"region_code": pl.region_code},
    }.get(pl.kind, {})


def _check_overlap(pl: PriceList, *, sku_ids: list[int] | None) -> None:
    """Refuse when another active list of the same target with an overlapping window prices one of
    ``sku_ids`` (None: the list's own SKUs). Takes the target's list locks first."""
    clash = overlapping(pl, sku_ids=sku_ids, limit=1)
    if clash:
        other, sku_code, _sku_id = clash[0]
        raise errors.PriceListOverlap(
            first=pl.code, second=other, sku=sku_code, detail={"price_list": other, "sku": sku_code}
        )


def overlapping(pl: PriceList, *, sku_ids: list[int] | None, limit: int | None = None) -> list[tuple[str, str, int]]:
    """The (other list's code, SKU code, SKU id) clashes ``pl`` would have with the other active
    lists of its target whose windows overlap its own, if it priced ``sku_ids`` (None: its SKUs)."""
    lock_price_lists_of_target(kind=pl.kind, target=Q(**_target(pl)))
    window = Q()
    if pl.valid_to is not None:
        window &= Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lt=pl.valid_to)
    if pl.valid_from is not None:
        window &= Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gt=pl.valid_from)
    if sku_ids is None:
        skus: Any = PriceListItem.objects.filter(price_list=pl).values("sku_id") if pl.pk else []
    else:
        skus = sku_ids
    target = {f"price_list__{k}": v for k, v in _target(pl).items()}
    rows = (
        PriceListItem.objects.filter(
            window, sku_id__in=skus, price_list__kind=pl.kind, price_list__is_active=True, **target
        )
        .exclude(price_list_id=pl.pk)
        .values_list("price_list__code", "sku__code", "sku_id")
        .order_by("price_list__code", "sku__code")
        .distinct()
    )
    return list(rows[:limit] if limit else rows)


def _clean_tiers(tiers: Tiers) -> list[tuple[Decimal, Decimal]]:
    if not tiers:
        raise ValidationError(detail={"tiers": REQUIRED})
    out: dict[Decimal, Decimal] = {}
    problems: dict[str, str] = {}
    for n, pair in enumerate(tiers):
        try:
            raw_qty, raw_price = pair
            qty, price = to_decimal(raw_qty), to_decimal(raw_price)
        except (TypeError, ValueError, ArithmeticError):
            problems[f"tiers.{n}"] = _("Not a number.")
            continue
        if not qty.is_finite() or qty <= 0 or qty > MAX_QTY or qty != qty.quantize(Decimal("0.001")):
            problems[f"tiers.{n}.min_qty"] = _("The quantity must be greater than zero, with at most 3 decimals.")
        elif not price.is_finite() or price < 0 or price > MAX_PRICE or price != quantize(price):
            problems[f"tiers.{n}.price"] = _("The price must be zero or more, in yuan and fen.")
        elif qty in out:
            problems[f"tiers.{n}.min_qty"] = _("Two tiers start at the same quantity.")
        else:
            out[qty] = quantize(price)
    if problems:
        raise errors.PriceInvalid(detail=problems)
    return sorted(out.items())


def _tiers_json(tiers: Iterable[tuple[Decimal, Decimal]]) -> list[list[str]]:
    return [[f"{q.normalize():f}", str(p)] for q, p in tiers]


def _sku_pk(sku: Sku | int) -> int:
    return sku.pk if isinstance(sku, Sku) else int(sku)


# --- promotions -----------------------------------------------------------------------------------


def promotion_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    rules: dict,
    valid_from: dt.datetime,
    valid_to: dt.datetime,
    scope: dict | None = None,
    tiers: list[str] | None = None,
    regions: list[str] | None = None,
    priority: int = 0,
    stackable: bool = True,
    exclusive_group: str = "",
    total_cap: Any = None,
    per_dealer_cap: Any = None,
    is_active: bool = True,
) -> Promotion:
    require(actor, "promotions.manage")
    code, name = (code or "").strip(), (name or "").strip()
    missing = {k: REQUIRED for k, v in {"code": code, "name": name}.items() if not v}
    if missing:
        raise ValidationError(detail=missing)
    promotion = Promotion(
        code=code,
        name=name,
        kind=kind,
        rules=rules,
        scope=scope or {},
        tiers=tiers or [],
        regions=regions or [],
        priority=priority,
        stackable=stackable,
        exclusive_group=(exclusive_group or "").strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        total_cap=total_cap,
        per_dealer_cap=per_dealer_cap,
        is_active=is_active,
    )
    clean_promotion(promotion)
    try:
        with transaction.atomic():
            if Promotion.objects.filter(code=code).exists():
                raise errors.PromotionCodeTaken(code=code, detail={"code": code})
            promotion.save()
            audit_write(
                actor=actor,
                events=[AuditEvent.of("promotion.created", promotion, after=snapshot(promotion, PROMOTION_FIELDS))],
            )
    except IntegrityError:
        raise errors.PromotionCodeTaken(code=code, detail={"code": code})
    return promotion


def promotion_update(*, actor: Actor, promotion: Promotion, **changes: Any) -> Promotion:
    """Change a promotion (not its code or kind); the whole promotion is validated again."""
    require(actor, "promotions.manage")
    unknown = set(changes) - PROMOTION_EDITABLE
    if unknown:
        raise ValidationError(detail=dict.fromkeys(sorted(unknown), NOT_EDITABLE))
    with _unchanged_on_error(promotion), transaction.atomic():
        from dinghuo.pricing.locks import lock_promotions

        locked = lock_promotions([promotion.pk]).get(promotion.pk)
        if locked is None:
            raise errors.PromotionNotFound(detail={"promotion": promotion.pk})
        promotion.sold_qty = locked.sold_qty
        before = snapshot(promotion, PROMOTION_FIELDS)
        for key, value in changes.items():
            setattr(promotion, key, value)
        clean_promotion(promotion)
        if promotion.total_cap is not None and promotion.sold_qty > promotion.total_cap:
            raise errors.PromotionInvalid(
                reason=_("%(sold)s are already sold, more than the new cap") % {"sold": promotion.sold_qty},
                detail={"total_cap": str(promotion.total_cap)},
            )
        promotion.save(update_fields=list(changes))
        after = snapshot(promotion, PROMOTION_FIELDS)
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "promotion.updated",
                    promotion,
                    before={k: v for k, v in before.items() if after[k] != v},
                    after={k: v for k, v in after.items() if before[k] != v},
                )
            ],
        )
    return promotion


def promotion_deactivate(*, actor: Actor, promotion: Promotion, reason: str = "") -> Promotion:
    require(actor, "promotions.manage")
    with transaction.atomic():
        updated = Promotion.objects.filter(pk=promotion.pk, is_active=True).update(is_active=False)
        promotion.is_active = False
        if updated:
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "promotion.deactivated",
                        promotion,
                        before={"is_active": True},
                        after={"is_active": False},
                        reason=reason,
                    )
                ],
            )
    return promotion


def clean_promotion(p: Promotion) -> None:
    """Validate and normalise a promotion in place (amounts stored as strings, ids as ints)."""
    if p.kind not in Promotion.Kind.values:
        raise ValidationError(detail={"kind": p.kind})
    if p.valid_from is None or p.valid_to is None:
        raise ValidationError(detail={k: REQUIRED for k in ("valid_from", "valid_to") if getattr(p, k) is None})
    _check_window(p.valid_from, p.valid_to)
    p.total_cap = _opt_qty(p.total_cap, "total_cap")
    p.per_dealer_cap = _opt_qty(p.per_dealer_cap, "per_dealer_cap")
    if not isinstance(p.rules, dict):
        raise _invalid("rules", _("rules must be an object"))
    p.scope = _clean_scope(p.scope)
    p.tiers = _clean_tiers_codes(p.tiers)
    p.regions = _clean_regions(p.regions)
    p.rules = {
        Promotion.Kind.THRESHOLD: _rules_threshold,
        Promotion.Kind.GIFT: _rules_gift,
        Promotion.Kind.PERCENT: _rules_percent,
        Promotion.Kind.FLASH: _rules_flash,
    }[p.kind](p.rules)
    if p.kind == Promotion.Kind.FLASH:
        if p.total_cap is None and p.per_dealer_cap is None:
            raise errors.FlashCapsMissing(detail={"total_cap": REQUIRED, "per_dealer_cap": REQUIRED})
    elif p.total_cap is not None or p.per_dealer_cap is not None:
        raise _invalid("total_cap", _("only flash sales have quantity caps"))
    if not isinstance(p.priority, int) or isinstance(p.priority, bool):
        raise ValidationError(detail={"priority": str(p.priority)})


def _invalid(field: str, reason: str) -> errors.PromotionInvalid:
    return errors.PromotionInvalid(reason=reason, detail={field: reason})


def _amount(rules: dict, key: str, *, required: bool = True, positive: bool = True) -> str | None:
    value = rules.get(key)
    if value is None or value == "":
        if required:
            raise _invalid(f"rules.{key}", _("%(key)s is required") % {"key": key})
        return None
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        raise _invalid(f"rules.{key}", _("%(key)s must be an amount") % {"key": key})
    if not amount.is_finite() or amount < 0 or (positive and amount == 0) or amount > MAX_PRICE:
        raise _invalid(f"rules.{key}", _("%(key)s must be greater than zero") % {"key": key})
    if amount != quantize(amount):
        raise _invalid(f"rules.{key}", _("%(key)s must be in yuan and fen") % {"key": key})
    return str(quantize(amount))


def _quantity(rules: dict, key: str, *, required: bool = True) -> str | None:
    value = rules.get(key)
    if value is None or value == "":
        if required:
            raise _invalid(f"rules.{key}", _("%(key)s is required") % {"key": key})
        return None
    try:
        qty = to_decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        raise _invalid(f"rules.{key}", _("%(key)s must be a quantity") % {"key": key})
    if not qty.is_finite() or qty <= 0 or qty > MAX_QTY or qty != qty.quantize(Decimal("0.001")):
        raise _invalid(f"rules.{key}", _("%(key)s must be greater than zero, with at most 3 decimals") % {"key": key})
    return f"{qty.normalize():f}"


def _opt_qty(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    qty = Decimal(_quantity({field: value}, field))
    return qty


def _sku_of(value: Any, field: str) -> Sku:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise errors.ScopeUnknown(what=_("SKUs"), ids=str(value), detail={field: str(value)})
    sku = Sku.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if sku is None:
        raise errors.ScopeUnknown(what=_("SKUs"), ids=str(value), detail={field: str(value)})
    return sku


def _unit_ok(sku: Sku, unit: str | None, field: str) -> None:
    if unit and unit != sku.base_unit and not SkuUnit.objects.filter(sku=sku, name=unit).exists():
        raise _invalid(field, _("SKU %(sku)s has no unit “%(unit)s”") % {"sku": sku.code, "unit": unit})


def _rules_threshold(rules: dict) -> dict:
    return {
        "threshold": _amount(rules, "threshold"),
        "off": _amount(rules, "off"),
        "repeat": bool(rules.get("repeat", False)),
    }


def _rules_percent(rules: dict) -> dict:
    pct = _amount(rules, "percent")
    if Decimal(pct) > 100:
        raise _invalid("rules.percent", _("percent must be at most 100"))
    return {"percent": pct}


def _rules_gift(rules: dict) -> dict:
    out: dict[str, Any] = {"gift_qty": _quantity(rules, "gift_qty"), "repeat": bool(rules.get("repeat", False))}
    has_threshold, has_buy = rules.get("threshold") not in (None, ""), rules.get("buy_qty") not in (None, "")
    if has_threshold == has_buy:
        raise _invalid("rules", _("give either buy_qty or threshold"))
    if has_threshold:
        out["threshold"] = _amount(rules, "threshold")
        if rules.get("gift_sku") in (None, ""):
            raise _invalid("rules.gift_sku", _("%(key)s is required") % {"key": "gift_sku"})
    else:
        out["buy_qty"] = _quantity(rules, "buy_qty")
        if rules.get("buy_unit"):
            out["buy_unit"] = str(rules["buy_unit"]).strip()
    if rules.get("gift_sku") not in (None, ""):
        sku = _sku_of(rules["gift_sku"], "rules.gift_sku")
        out["gift_sku"] = sku.pk
        if rules.get("gift_unit"):
            _unit_ok(sku, str(rules["gift_unit"]).strip(), "rules.gift_unit")
    if rules.get("gift_unit"):
        out["gift_unit"] = str(rules["gift_unit"]).strip()
    if Decimal(out["gift_qty"]) != Decimal(out["gift_qty"]).to_integral_value():
        raise _invalid("rules.gift_qty", _("gifts are given in whole units"))
    return out


def _rules_flash(rules: dict) -> dict:
    if rules.get("sku") in (None, ""):
        raise _invalid("rules.sku", _("%(key)s is required") % {"key": "sku"})
    sku = _sku_of(rules["sku"], "rules.sku")
    return {"sku": sku.pk, "price": _amount(rules, "price", positive=False)}


def _clean_scope(scope: Any) -> dict:
    if scope in (None, ""):
        return {}
    if not isinstance(scope, dict) or set(scope) - {"skus", "categories", "brands"}:
        raise _invalid("scope", _("scope may only list skus, categories and brands"))
    out = {}
    for key, model, what in (
        ("skus", Sku, _("SKUs")),
        ("categories", Category, _("categories")),
        ("brands", Brand, _("brands")),
    ):
        values = scope.get(key) or []
        if not isinstance(values, list | tuple):
            raise _invalid(f"scope.{key}", _("must be a list of ids"))
        ids = []
        for v in values:
            try:
                i = int(v)
            except (TypeError, ValueError):
                raise errors.ScopeUnknown(what=what, ids=str(v), detail={f"scope.{key}": [str(v)]})
            if isinstance(v, bool) or not 0 < i < 2**63:
                raise errors.ScopeUnknown(what=what, ids=str(v), detail={f"scope.{key}": [str(v)]})
            ids.append(i)
        ids = sorted(set(ids))
        if ids:
            found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
            unknown = [i for i in ids if i not in found]
            if unknown:
                raise errors.ScopeUnknown(
                    what=what, ids=", ".join(map(str, unknown)), detail={f"scope.{key}": [str(i) for i in unknown]}
                )
            out[key] = ids
    return out


def _clean_tiers_codes(codes: Any) -> list[str]:
    if not codes:
        return []
    if not isinstance(codes, list | tuple):
        raise _invalid("tiers", _("must be a list of tier codes"))
    wanted = sorted({str(c).strip() for c in codes})
    found = set(DealerTier.objects.filter(code__in=wanted).values_list("code", flat=True))
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise errors.ScopeUnknown(what=_("dealer tiers"), ids=", ".join(unknown), detail={"tiers": unknown})
    return wanted


def _clean_regions(codes: Any) -> list[str]:
    if not codes:
        return []
    if not isinstance(codes, list | tuple):
        raise _invalid("regions", _("must be a list of region codes"))
    wanted = sorted({str(c).strip() for c in codes})
    unknown = [c for c in wanted if regions.get(c) is None]
    if unknown:
        raise errors.ScopeUnknown(what=_("regions"), ids=", ".join(unknown), detail={"regions": unknown})
    return wanted
