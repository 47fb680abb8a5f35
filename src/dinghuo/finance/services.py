"""Dealer balances: credit limit, holds, receivables, prepaid and rebate, each change a ledger entry.

Invariant 4: every balance of a DealerAccount equals the sum of its LedgerEntry rows of that bucket
(``ledger_mismatches`` checks it). Invariant 3: receivable + credit_hold ≤ credit_limit for every
change made by ordering (the guarded UPDATE in ``funds_take``), unless an authorised person
overrides it, which is recorded as a CreditOverride and audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Min, Q, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from dinghuo.accounts.permissions import require
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.money import ZERO, quantize
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.dealers.models import Dealer
from dinghuo.finance.errors import AmountInvalid, CreditLimitExceeded, InsufficientBalance
from dinghuo.finance.models import DealerAccount, LedgerEntry, Receivable

Bucket = LedgerEntry.Bucket
EKind = LedgerEntry.Kind


def account_for(dealer: Dealer | int) -> DealerAccount:
    dealer_id = dealer if isinstance(dealer, int) else dealer.pk
    account, _ = DealerAccount.objects.get_or_create(dealer_id=dealer_id)
    return account


def _money(amount: Decimal, field: str = "amount") -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or quantize(amount) != amount:
        raise AmountInvalid(detail={field: str(amount)})
    return amount


def credit_set_terms(
    *, actor: Actor, dealer: Dealer, limit: Decimal, terms_days: int, reason: str = ""
) -> DealerAccount:
    """Change a dealer's credit limit and terms: finance's job, always audited."""
    require(actor, "dealers.credit.manage")
    if not isinstance(limit, Decimal) or limit < 0 or quantize(limit) != limit:
        raise AmountInvalid(detail={"credit_limit": str(limit)})
    if terms_days < 0 or terms_days > 365:
        raise AmountInvalid(detail={"terms_days": str(terms_days)})
    with transaction.atomic():
        account = account_for(dealer)
        before = {"credit_limit": account.credit_limit, "terms_days": account.terms_days}
        DealerAccount.objects.filter(pk=account.pk).update(
            credit_limit=limit, terms_days=terms_days, updated_at=timezone.now()
        )
        account.refresh_from_db()
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "credit.terms_changed",
                    account,
                    before=before,
                    after={"credit_limit": limit, "terms_days": terms_days},
                    reason=reason,
                )
            ],
        )
    return account


def balance_credit(
    *,
    actor: Actor,
    dealer: Dealer,
    bucket: str,
    amount: Decimal,
    kind: str,
    memo: str = "",
    ref: tuple[str, str] = ("", ""),
) -> DealerAccount:
    """Add money to the prepaid or rebate balance (top-up, rebate accrual, opening balance)."""
    require(actor, "finance.manage")
    if bucket not in (Bucket.PREPAID, Bucket.REBATE):
        raise AmountInvalid(detail={"bucket": bucket})
    amount = _money(amount)
    with transaction.atomic():
        account = account_for(dealer)
        DealerAccount.objects.filter(pk=account.pk).update(**{bucket: F(bucket) + amount}, updated_at=timezone.now())
        LedgerEntry.objects.create(
            account=account,
            bucket=bucket,
            kind=kind,
            amount=amount,
            memo=memo[:200],
            ref_type=ref[0],
            ref_id=ref[1],
            actor_id=actor.user_id,
        )
        audit_write(
            actor=actor, events=[AuditEvent.of(f"{bucket}.credited", account, after={"amount": amount, "memo": memo})]
        )
        account.refresh_from_db()
    return account


# --- the ordering hot path: in the caller's transaction --------------------------------------------


@dataclass(frozen=True)
class Funds:
    credit: Decimal = ZERO
    prepaid: Decimal = ZERO
    rebate: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.credit + self.prepaid + self.rebate


# The guarded UPDATE as text: the same on both databases, and the ORM's compiling of it cost each order
# more than the statement itself.
_TAKE = (
    "UPDATE finance_dealeraccount SET credit_hold = credit_hold + %s, prepaid = prepaid - %s,"
    " rebate = rebate - %s, updated_at = %s"
    " WHERE tenant_id = %s AND id = %s AND prepaid >= %s AND rebate >= %s"
)
_WITHIN_LIMIT = " AND credit_limit >= receivable + credit_hold + %s"


def funds_take(
    *, account: DealerAccount, funds: Funds, allow_over_limit: bool, ref: tuple[str, str], actor_id: int | None
) -> list[LedgerEntry]:
    """Hold credit and spend prepaid/rebate in ONE guarded UPDATE; raise when it does not fit.

    Concurrent orders of one dealer serialise on the account row only for the length of this
    statement and their commit; exposure never passes the limit because the check and the change
    are the same statement. Returns the ledger entries for the caller to insert.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql, params = _TAKE, [funds.credit, funds.prepaid, funds.rebate, now, account.tenant_id, account.pk]
    params += [funds.prepaid, funds.rebate]
    if funds.credit > 0 and not allow_over_limit:
        sql += _WITHIN_LIMIT
        params.append(funds.credit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed = cursor.rowcount
    if changed != 1:
        fresh = DealerAccount.objects.get(pk=account.pk)
        if fresh.prepaid < funds.prepaid:
            raise InsufficientBalance(
                balance="prepaid",
                available=fresh.prepaid,
                needed=funds.prepaid,
                detail={"pay_prepaid": str(funds.prepaid)},
            )
        if fresh.rebate < funds.rebate:
            raise InsufficientBalance(
                balance="rebate", available=fresh.rebate, needed=funds.rebate, detail={"pay_rebate": str(funds.rebate)}
            )
        raise CreditLimitExceeded(
            needed=funds.credit,
            available=fresh.available_credit,
            detail={"pay_credit": str(funds.credit), "available": str(fresh.available_credit)},
        )
    entries = []
    for bucket, amount, kind in (
        (Bucket.CREDIT_HOLD, funds.credit, EKind.ORDER_HOLD),
        (Bucket.PREPAID, -funds.prepaid, EKind.ORDER_SPEND),
        (Bucket.REBATE, -funds.rebate, EKind.ORDER_SPEND),
    ):
        if amount:
            entries.append(
                LedgerEntry(
                    account_id=account.pk,
                    bucket=bucket,
                    kind=kind,
                    amount=amount,
                    ref_type=ref[0],
                    ref_id=ref[1],
                    actor_id=actor_id,
                )
            )
    return entries


# SQLite keeps decimals as floating point, so a balance built by F() arithmetic may sit a hair below
# the exact cents it holds (128.02999999999997 for 128.03): guards that release a hold allow half a
# cent, and the released balance is floored at zero so its CHECK holds. (PostgreSQL is exact.)
HALF_CENT = Decimal("0.005")


def _release(amount: Decimal):
    return Greatest(F("credit_hold") - amount, Value(ZERO), output_field=DealerAccount._meta.get_field("credit_hold"))


def funds_return(*, account_id: int, funds: Funds, ref: tuple[str, str], actor_id: int | None) -> list[LedgerEntry]:
    """Give back what an order held or spent (cancelled, rejected, reduced)."""
    changed = DealerAccount.objects.filter(pk=account_id, credit_hold__gte=funds.credit - HALF_CENT).update(
        credit_hold=_release(funds.credit) if funds.credit else F("credit_hold"),
        prepaid=F("prepaid") + funds.prepaid,
        rebate=F("rebate") + funds.rebate,
        updated_at=timezone.now(),
    )
    if changed != 1:
        raise RuntimeError("returning more credit hold than is held: the ledger is inconsistent")
    entries = []
    for bucket, amount, kind in (
        (Bucket.CREDIT_HOLD, -funds.credit, EKind.HOLD_RELEASE),
        (Bucket.PREPAID, funds.prepaid, EKind.REFUND),
        (Bucket.REBATE, funds.rebate, EKind.REFUND),
    ):
        if amount:
            entries.append(
                LedgerEntry(
                    account_id=account_id,
                    bucket=bucket,
                    kind=kind,
                    amount=amount,
                    ref_type=ref[0],
                    ref_id=ref[1],
                    actor_id=actor_id,
                )
            )
    return entries


def hold_to_receivable(
    *, account: DealerAccount, order, shipment, amount: Decimal, actor_id: int | None
) -> list[LedgerEntry]:
    """Shipped goods on credit: the hold becomes a receivable due after the dealer's terms."""
    amount = quantize(amount)  # a share computed from aggregates may carry SQLite's float digits
    if amount <= 0:
        return []
    due = timezone.localdate() + dt.timedelta(days=account.terms_days)
    changed = DealerAccount.objects.filter(pk=account.pk, credit_hold__gte=amount - HALF_CENT).update(
        credit_hold=_release(amount),
        receivable=F("receivable") + amount,
        oldest_due_date=_earliest(due),
        updated_at=timezone.now(),
    )
    if changed != 1:
        raise RuntimeError("shipping more credit than is held: the ledger is inconsistent")
    Receivable.objects.create(dealer_id=account.dealer_id, order=order, shipment=shipment, amount=amount, due_date=due)
    ref = ("shipment", str(shipment.pk))
    return [
        LedgerEntry(
            account_id=account.pk,
            bucket=Bucket.CREDIT_HOLD,
            kind=EKind.SHIPPED,
            amount=-amount,
            ref_type=ref[0],
            ref_id=ref[1],
            actor_id=actor_id,
        ),
        LedgerEntry(
            account_id=account.pk,
            bucket=Bucket.RECEIVABLE,
            kind=EKind.SHIPPED,
            amount=amount,
            ref_type=ref[0],
            ref_id=ref[1],
            actor_id=actor_id,
        ),
    ]


def _earliest(due: dt.date):
    from django.db.models import Case, Value, When
    from django.db.models.fields import DateField

    return Case(
        When(oldest_due_date__isnull=True, then=Value(due)),
        When(oldest_due_date__gt=due, then=Value(due)),
        default=F("oldest_due_date"),
        output_field=DateField(),
    )


def refresh_oldest_due(account: DealerAccount) -> None:
    oldest = Receivable.objects.filter(dealer_id=account.dealer_id, status=Receivable.Status.OPEN).aggregate(
        d=Min("due_date")
    )["d"]
    DealerAccount.objects.filter(pk=account.pk).update(oldest_due_date=oldest)


def overdue_amount(dealer_id: int, *, as_of: dt.date | None = None) -> Decimal:
    as_of = as_of or timezone.localdate()
    row = Receivable.objects.filter(dealer_id=dealer_id, status=Receivable.Status.OPEN, due_date__lt=as_of).aggregate(
        a=Sum(F("amount") - F("paid"))
    )
    return cents(row["a"])


def cents(value) -> Decimal:
    """An aggregated amount back on the cent grid: SQLite sums money as floating point (PostgreSQL exactly)."""
    return ZERO if value is None else quantize(value)


def insert_entries(entries: list[LedgerEntry]) -> None:
    if entries:
        LedgerEntry.objects.bulk_create(stamp_tenant(entries))


# --- invariants -------------------------------------------------------------------------------


def ledger_mismatches() -> list[dict]:
    """What breaks invariant 4 in the current tenant (an empty list when nothing does).

    - every balance of every account equals the sum of its ledger entries of that bucket;
    - the open receivable documents add up to the receivable balance, what they were raised by
      equals the shipped entries and what was paid on them equals the payment and credit-note
      entries ("receivables = shipped − applied payments − credit notes");
    - every payment's applications and ledger entries add up to what it says it applied and put
      to prepaid (nothing half-applied, nothing applied twice);
    - every rebate accrual's ledger entry equals its amount.
    """
    from dinghuo.finance.models import Payment, PaymentApplication, RebateAccrual

    sums: dict[tuple[int, str], Decimal] = {
        (r["account_id"], r["bucket"]): cents(r["total"])
        for r in LedgerEntry.objects.values("account_id", "bucket").annotate(total=Sum("amount"))
    }
    raised: dict[int, Decimal] = {}
    settled: dict[int, Decimal] = {}
    for r in (
        LedgerEntry.objects.filter(bucket=Bucket.RECEIVABLE).values("account_id", "kind").annotate(total=Sum("amount"))
    ):
        if r["kind"] in (EKind.SHIPPED, EKind.OPENING):
            raised[r["account_id"]] = raised.get(r["account_id"], ZERO) + cents(r["total"])
        elif r["kind"] in (EKind.PAYMENT, EKind.CREDIT_NOTE):
            settled[r["account_id"]] = settled.get(r["account_id"], ZERO) - cents(r["total"])
    documents = {
        r["dealer_id"]: {k: cents(v) if k != "dealer_id" else v for k, v in r.items()}
        for r in Receivable.objects.values("dealer_id").annotate(
            raised=Sum("amount"), settled=Sum("paid"), open=Sum(F("amount") - F("paid"), filter=Q(status="open"))
        )
    }
    out = []

    def wrong(account, what, have, want):
        out.append(
            {"account": account.pk, "dealer": account.dealer_id, "bucket": what, "balance": have, "entries": want}
        )

    for account in DealerAccount.objects.all():
        for bucket in Bucket.values:
            have = getattr(account, bucket)
            want = sums.get((account.pk, bucket)) or ZERO
            if have != want:
                wrong(account, bucket, have, want)
        doc = documents.get(account.dealer_id) or {}
        if (doc.get("open") or ZERO) != account.receivable:
            wrong(account, "receivable_documents", account.receivable, doc.get("open") or ZERO)
        if (doc.get("raised") or ZERO) != raised.get(account.pk, ZERO):
            wrong(account, "receivables_shipped", doc.get("raised") or ZERO, raised.get(account.pk, ZERO))
        if (doc.get("settled") or ZERO) != settled.get(account.pk, ZERO):
            wrong(account, "receivables_paid", doc.get("settled") or ZERO, settled.get(account.pk, ZERO))
    # payments: applications and entries add up to what each payment says
    applications = {
        r["payment_id"]: cents(r["total"])
        for r in PaymentApplication.objects.values("payment_id").annotate(total=Sum("amount"))
    }
    by_receivable = {
        r["receivable_id"]: cents(r["total"])
        for r in PaymentApplication.objects.values("receivable_id").annotate(total=Sum("amount"))
    }
    entries = {
        (r["ref_id"], r["bucket"]): cents(r["total"])
        for r in LedgerEntry.objects.filter(ref_type="payment").values("ref_id", "bucket").annotate(total=Sum("amount"))
    }
    for p in Payment.objects.values(
        "pk", "dealer_id", "status", "direction", "method", "amount", "applied", "to_prepaid"
    ):
        key = str(p["pk"])
        got_applied = applications.get(p["pk"], ZERO)
        got_receivable = -(entries.get((key, Bucket.RECEIVABLE)) or ZERO)
        got_prepaid = entries.get((key, Bucket.PREPAID)) or ZERO
        if p["status"] != Payment.Status.CONFIRMED:
            want = (ZERO, ZERO, ZERO)
        elif p["direction"] == Payment.Direction.OUT:
            want = (ZERO, ZERO, -p["amount"])
        elif p["method"] == Payment.Method.PREPAID:  # prepaid money set against receivables
            want = (p["amount"], p["amount"], -p["amount"])
            if p["applied"] != p["amount"] or p["to_prepaid"]:
                out.append({"payment": p["pk"], "dealer": p["dealer_id"], "bucket": "payment_split",
                            "balance": p["amount"], "entries": p["applied"]})  # fmt: skip
        else:
            want = (p["applied"], p["applied"], p["to_prepaid"])
            if p["applied"] + p["to_prepaid"] != p["amount"]:
                out.append({"payment": p["pk"], "dealer": p["dealer_id"], "bucket": "payment_split",
                            "balance": p["amount"], "entries": p["applied"] + p["to_prepaid"]})  # fmt: skip
        if (got_applied, got_receivable, got_prepaid) != want:
            out.append({"payment": p["pk"], "dealer": p["dealer_id"], "bucket": "payment_entries",
                        "balance": want, "entries": (got_applied, got_receivable, got_prepaid)})  # fmt: skip
    if by_receivable:
        for r in Receivable.objects.filter(pk__in=list(by_receivable)).values("pk", "dealer_id", "paid"):
            if by_receivable[r["pk"]] > r["paid"]:
                out.append({"receivable": r["pk"], "dealer": r["dealer_id"], "bucket": "receivable_applications",
                            "balance": r["paid"], "entries": by_receivable[r["pk"]]})  # fmt: skip
    # rebate accruals
    accrued = {
        r["ref_id"]: cents(r["total"])
        for r in LedgerEntry.objects.filter(ref_type="rebate_accrual", bucket=Bucket.REBATE)
        .values("ref_id")
        .annotate(total=Sum("amount"))
    }
    for a in RebateAccrual.objects.values("pk", "dealer_id", "amount"):
        if (accrued.get(str(a["pk"])) or ZERO) != a["amount"]:
            out.append({"accrual": a["pk"], "dealer": a["dealer_id"], "bucket": "rebate_accrual",
                        "balance": a["amount"], "entries": accrued.get(str(a["pk"])) or ZERO})  # fmt: skip
    return out


def credit_overshoot() -> list[dict]:
    return [
        {"dealer": a.dealer_id, "limit": a.credit_limit, "exposure": a.exposure}
        for a in DealerAccount.objects.filter(credit_limit__lt=F("receivable") + F("credit_hold"))
    ]
