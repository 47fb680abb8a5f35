"""Rebate programmes and their accrual.

The basis of a dealer's rebate for a period: the value of goods shipped to it in the period (by
shipment time), from the brand's own warehouses (not bought from a parent dealer), of the
programme's category and its sub-categories if it names one, on orders that are fully paid when
the accrual runs (no open receivable left) — less the share of each order the dealer paid with
rebates (no rebate on rebate). The percentage is the programme's, or the highest volume tier the
basis reaches. Each accrual keeps its basis line by line, so the calculation can be shown and
checked; it is credited to the rebate balance with a ledger entry, once per programme, dealer and
period (a unique constraint makes reruns harmless). Accrual runs only for periods that have ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.money import ZERO, fmt, quantize
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.finance.errors import PeriodInvalid, RebateInvalid
from dinghuo.finance.models import (
    DealerAccount,
    LedgerEntry,
    RebateAccrual,
    RebateBasisLine,
    RebateProgramme,
    Receivable,
)
from dinghuo.finance.notices import notify_dealer
from dinghuo.finance.numbering import next_number
from dinghuo.finance.periods import Period, parse_period, previous_period
from dinghuo.finance.services import account_for, insert_entries

MAX_TIERS = 10


def parse_tiers(text: str) -> list[dict]:
    """ "100000:3, 300000:5" (from amount : percent) → [{"from": "100000.00", "percent": "3.00"}, …]."""
    tiers = []
    for part in (text or "").replace("，", ",").replace("：", ":").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            threshold, percent = (Decimal(x.strip().replace("¥", "")) for x in part.split(":"))
        except (ValueError, InvalidOperation):
            raise RebateInvalid(
                reason=_("write tiers as amount:percent, e.g. 100000:3, 300000:5"), detail={"tiers": text}
            )
        tiers.append({"from": threshold, "percent": percent})
    return _check_tiers(tiers)


def _check_tiers(tiers: list[dict]) -> list[dict]:
    if len(tiers) > MAX_TIERS:
        raise RebateInvalid(reason=_("at most %(n)s tiers") % {"n": MAX_TIERS}, detail={"tiers": len(tiers)})
    out, last = [], Decimal(-1)
    for tier in sorted(tiers, key=lambda t: Decimal(str(t["from"]))):
        threshold, percent = Decimal(str(tier["from"])), Decimal(str(tier["percent"]))
        if threshold <= 0 or threshold == last or not (0 <= percent <= 100):
            raise RebateInvalid(
                reason=_("each tier needs a positive, distinct amount and a percentage from 0 to 100"),
                detail={"tiers": str(tier)},
            )
        last = threshold
        out.append({"from": str(quantize(threshold)), "percent": str(percent.quantize(Decimal("0.01")))})
    return out


def tiers_text(tiers: list[dict]) -> str:
    return ", ".join(f"{t['from']}:{t['percent']}" for t in tiers or [])


def programme_save(
    *,
    actor: Actor,
    programme: RebateProgramme | None = None,
    name: str,
    period: str,
    percent: Decimal,
    tiers: list[dict] | None = None,
    category_id: int | None = None,
    dealer_tier_id: int | None = None,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    active: bool = True,
) -> RebateProgramme:
    require(actor, "finance.manage")
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("Give the programme a name.")
    if period not in RebateProgramme.Period.values:
        errors["period"] = _("Choose monthly, quarterly or yearly.")
    if not isinstance(percent, Decimal) or not (0 <= percent <= 100) or percent != percent.quantize(Decimal("0.01")):
        errors["percent"] = _("Enter a percentage from 0 to 100 with at most two decimals.")
    if starts_on is None:
        errors["starts_on"] = _("This field is required.")
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The end is before the start.")
    if errors:
        raise RebateInvalid(reason="; ".join(str(v) for v in errors.values()), detail=errors)
    tiers = _check_tiers(tiers or [])
    fields = {
        "name": name.strip()[:80],
        "period": period,
        "percent": percent,
        "tiers": tiers,
        "category_id": category_id,
        "dealer_tier_id": dealer_tier_id,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "active": active,
    }
    with transaction.atomic():
        if programme is None:
            programme = RebateProgramme.objects.create(created_by_id=actor.user_id, **fields)
            before = None
        else:
            before = {k: getattr(programme, k) for k in fields}
            for key, value in fields.items():
                setattr(programme, key, value)
            programme.save(update_fields=list(fields))
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of("rebate.programme_saved", programme, before=before, after={**fields, "tiers": tiers})
            ],
        )
    return programme


def rate_for(programme: RebateProgramme, basis: Decimal) -> Decimal:
    percent = programme.percent
    for tier in sorted(programme.tiers or [], key=lambda t: Decimal(t["from"])):
        if basis >= Decimal(tier["from"]):
            percent = Decimal(tier["percent"])
    return percent


@dataclass(frozen=True)
class BasisLine:
    dealer_id: int
    order_id: int
    shipment_id: int
    order_number: str
    shipment_number: str
    sku_code: str
    name: str
    shipped_on: dt.date
    shipped_value: Decimal
    rebate_paid: Decimal

    @property
    def basis(self) -> Decimal:
        return self.shipped_value - self.rebate_paid


def basis_lines(programme: RebateProgramme, period: Period, dealer_ids: list[int] | None = None) -> list[BasisLine]:
    """Every shipped line that counts for ``programme`` in ``period`` (two queries).

    Shipments record their lines; a shipment recorded without lines (orders imported as history,
    shipped whole in one shipment) counts its order's lines in full.
    """
    from dinghuo.orders.models import OrderLine, ShipmentLine

    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)

    def scoped(qs, order: str, sku: str):
        unpaid = Receivable.objects.filter(order_id=OuterRef(f"{order}_id"), status=Receivable.Status.OPEN)
        qs = qs.filter(**{f"{order}__supplier_dealer__isnull": True}).filter(~Exists(unpaid))
        if dealer_ids is not None:
            qs = qs.filter(**{f"{order}__dealer_id__in": dealer_ids})
        if programme.dealer_tier_id:
            qs = qs.filter(**{f"{order}__dealer__tier_id": programme.dealer_tier_id})
        if programme.category_id:
            path = programme.category.path
            wanted = Q(**{f"{sku}__product__category_id": programme.category_id})
            if path.endswith(f"/{programme.category_id}/"):
                wanted |= Q(**{f"{sku}__product__category__path__startswith": path})
            qs = qs.filter(wanted)
        return qs

    shipped = scoped(
        ShipmentLine.objects.filter(shipment__shipped_at__gte=start, shipment__shipped_at__lt=end, amount__gt=0),
        "line__order",
        "line__sku",
    ).values_list(
        "line__order__dealer_id", "line__order_id", "shipment_id", "line__order__number", "shipment__number",
        "line__sku_code", "line__name", "shipment__shipped_at", "amount", "line__order__total",
        "line__order__pay_rebate",
    )  # fmt: skip
    from dinghuo.orders.models import Shipment

    lineless = Shipment.objects.filter(
        order_id=OuterRef("order_id"), shipped_at__gte=start, shipped_at__lt=end, lines__isnull=True
    )
    imported = (
        scoped(OrderLine.objects.filter(amount__gt=0), "order", "sku")
        .filter(Exists(lineless))
        .annotate(
            ship_id=Subquery(lineless.order_by("shipped_at", "pk").values("pk")[:1]),
            ship_no=Subquery(lineless.order_by("shipped_at", "pk").values("number")[:1]),
            ship_at=Subquery(lineless.order_by("shipped_at", "pk").values("shipped_at")[:1]),
        )
        .values_list("order__dealer_id", "order_id", "ship_id", "order__number", "ship_no", "sku_code", "name",
                     "ship_at", "amount", "order__total", "order__pay_rebate")
    )  # fmt: skip
    rows = sorted([*shipped, *imported], key=lambda r: (r[7], r[2], r[5]))
    out = []
    for dealer_id, order_id, shipment_id, order_no, ship_no, sku, name, at, value, total, pay_rebate in rows:
        rebate_paid = quantize(value * pay_rebate / total) if total and pay_rebate else ZERO
        out.append(
            BasisLine(dealer_id, order_id, shipment_id, order_no, ship_no, sku, name,
                      timezone.localtime(at, tz).date(), value, min(rebate_paid, value))
        )  # fmt: skip
    return out


def accrue_rebates(
    *, actor: Actor, period: str | None = None, programme_ids: list[int] | None = None
) -> list[RebateAccrual]:
    """Accrue every active programme (or ``programme_ids``) for ``period`` (by default each programme's
    last ended period). Already accrued dealers are skipped; each accrual is its own short transaction."""
    require(actor, "finance.manage")
    today = timezone.localdate()
    wanted = parse_period(period) if period else None
    if wanted and wanted.end >= today:
        raise PeriodInvalid(
            reason=_("%(period)s has not ended yet") % {"period": wanted.label}, detail={"period": period}
        )
    programmes = RebateProgramme.objects.filter(active=True).select_related("category").order_by("pk")
    if programme_ids is not None:
        programmes = programmes.filter(pk__in=programme_ids)
    made: list[RebateAccrual] = []
    for programme in programmes:
        target = wanted or previous_period(programme.period, today)
        if wanted and wanted.kind != programme.period:
            continue
        if target.end < programme.starts_on or (programme.ends_on and target.start > programme.ends_on):
            continue
        done = set(
            RebateAccrual.objects.filter(programme=programme, period_start=target.start).values_list(
                "dealer_id", flat=True
            )
        )
        by_dealer: dict[int, list[BasisLine]] = {}
        for line in basis_lines(programme, target):
            if line.dealer_id not in done:
                by_dealer.setdefault(line.dealer_id, []).append(line)
        for dealer_id in sorted(by_dealer):
            accrual = _accrue_one(actor=actor, programme=programme, period=target, dealer_id=dealer_id,
                                  lines=by_dealer[dealer_id])  # fmt: skip
            if accrual is not None:
                made.append(accrual)
    return made


def _accrue_one(*, actor: Actor, programme: RebateProgramme, period: Period, dealer_id: int,
                lines: list[BasisLine]) -> RebateAccrual | None:  # fmt: skip
    basis = sum((line.basis for line in lines), ZERO)
    percent = rate_for(programme, basis)
    amount = quantize(basis * percent / 100)
    explanation = {
        "basis": str(basis),
        "percent": str(percent),
        "amount": str(amount),
        "tiers": programme.tiers,
        "base_percent": str(programme.percent),
        "lines": len(lines),
        "paid_by": timezone.localdate().isoformat(),
        "category": programme.category.name if programme.category_id else "",
    }
    try:
        with transaction.atomic():
            account = account_for(dealer_id)
            accrual = RebateAccrual.objects.create(
                number=next_number("rebate"),
                programme=programme,
                dealer_id=dealer_id,
                period=period.label,
                period_start=period.start,
                period_end=period.end,
                basis=basis,
                percent=percent,
                amount=amount,
                explanation=explanation,
                created_by_id=actor.user_id,
            )
            RebateBasisLine.objects.bulk_create(
                stamp_tenant(
                    [
                        RebateBasisLine(accrual=accrual, order_id=b.order_id, shipment_id=b.shipment_id,
                                        order_number=b.order_number, shipment_number=b.shipment_number,
                                        sku_code=b.sku_code, name=b.name[:240], shipped_on=b.shipped_on,
                                        shipped_value=b.shipped_value, rebate_paid=b.rebate_paid, basis=b.basis)
                        for b in lines
                    ]
                ),
                batch_size=1000,
            )  # fmt: skip
            if amount > 0:
                DealerAccount.objects.filter(pk=account.pk).update(
                    rebate=F("rebate") + amount, updated_at=timezone.now()
                )
                insert_entries(
                    [
                        LedgerEntry(account_id=account.pk, bucket=LedgerEntry.Bucket.REBATE,
                                    kind=LedgerEntry.Kind.REBATE_ACCRUAL, amount=amount, ref_type="rebate_accrual",
                                    ref_id=str(accrual.pk), memo=f"{programme.name} {period.label}"[:200],
                                    actor_id=actor.user_id)
                    ]
                )  # fmt: skip
                notify_dealer(
                    dealer_id=dealer_id,
                    title=_("Rebate %(amount)s credited for %(period)s")
                    % {"amount": fmt(amount), "period": period.label},
                    body=_("%(programme)s: %(percent)s%% of %(basis)s")
                    % {"programme": programme.name, "percent": percent, "basis": fmt(basis)},
                    link=f"/portal/finance/rebates/{accrual.pk}/",
                )
            audit_write(
                actor=actor,
                events=[AuditEvent.of("rebate.accrued", accrual, after={"dealer": dealer_id, **explanation})],
            )
    except IntegrityError:  # a concurrent run accrued this dealer first
        return None
    return accrual
