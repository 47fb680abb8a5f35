"""Payments: record, confirm (apply), reject; online checkout and notifications; refunds; credit notes.

Applying a payment is one short transaction that locks the payment, the dealer's account and the
receivables it settles (in that order, receivables by primary key — ``finance/locks.py``), then:

- settles the chosen receivables, or the oldest first (by due date), each with a guarded UPDATE
  (``paid + x <= amount`` and still open) and a ``PaymentApplication`` row;
- lowers the account's receivable by what was applied and raises its prepaid balance by the rest
  (an overpayment, or a top-up), in one guarded UPDATE; refreshes ``oldest_due_date``;
- writes one ledger entry per application (receivable bucket, negative) and one for the rest
  (prepaid bucket), an audit row, an outbox event and a notification for the dealer;
- moves the payment from pending to confirmed with a guarded UPDATE: a second confirmation, a
  repeated provider notification or a race between the two finds it already confirmed and
  changes nothing.

No provider is called inside a transaction: ``payment_start_online`` creates the pending payment,
commits, then asks the provider for a checkout; ``payment_notify`` verifies the provider's signed
notification first and then applies it in its own short transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.money import fmt, quantize
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.dealers.models import Dealer
from dinghuo.finance.errors import (
    AmountInvalid,
    InsufficientBalance,
    NotificationRejected,
    PaymentAlreadyProcessed,
    PaymentInvalid,
    PaymentNotFound,
    PaymentTooLarge,
    ReceivableChoiceInvalid,
)
from dinghuo.finance.locks import lock_account, lock_open_receivables, lock_payment
from dinghuo.finance.models import DealerAccount, LedgerEntry, Payment, PaymentApplication, Receivable
from dinghuo.finance.notices import notify_dealer
from dinghuo.finance.numbering import next_number
from dinghuo.finance.policy import payment_max
from dinghuo.finance.providers import CheckoutRequest, provider_for
from dinghuo.finance.providers.base import Checkout
from dinghuo.finance.services import account_for, insert_entries, refresh_oldest_due
from dinghuo.finance.vouchers import voucher_check, voucher_delete, voucher_store
from dinghuo.notify.outbox import outbox_add

M, P, St = Payment.Method, Payment.Purpose, Payment.Status
Bucket, EKind = LedgerEntry.Bucket, LedgerEntry.Kind
HALF_CENT = Decimal("0.005")
DEALER_METHODS = {M.TRANSFER, M.BILL}
STAFF_METHODS = {M.TRANSFER, M.BILL, M.CASH, M.CREDIT_NOTE}


def allocate(amount: Decimal, open_items: list[tuple[int, Decimal]]) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Split ``amount`` over (key, outstanding) items in the order given; return the parts and the rest.

    Pure, so its arithmetic is property-tested: parts + rest == amount, no part exceeds its item.
    """
    parts: list[tuple[int, Decimal]] = []
    left = amount
    for key, outstanding in open_items:
        if left <= 0:
            break
        take = min(left, outstanding)
        if take > 0:
            parts.append((key, take))
            left -= take
    return parts, left


def _amount(amount: object, *, tenant_id: int, field: str = "amount") -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or quantize(amount) != amount:
        raise AmountInvalid(detail={field: str(amount)})
    limit = payment_max(tenant_id)
    if amount > limit:
        raise PaymentTooLarge(amount=fmt(amount), limit=fmt(limit), detail={field: str(amount)})
    return amount


def _dealer(actor: Actor, dealer_id: int) -> Dealer:
    if actor.is_dealer and dealer_id != actor.dealer_id:
        raise PermissionDenied(detail={"dealer_id": dealer_id})
    dealer = Dealer.objects.filter(pk=dealer_id).first()
    if dealer is None:
        raise PaymentInvalid(reason=_("unknown dealer"), detail={"dealer_id": dealer_id})
    return dealer


def _targets(dealer_id: int, ids: list[int] | None) -> list[int]:
    if not ids:
        return []
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise ReceivableChoiceInvalid(reason=_("not a receivable"), detail={"receivables": ids})
    found = set(
        Receivable.objects.filter(pk__in=wanted, dealer_id=dealer_id, status=Receivable.Status.OPEN).values_list(
            "pk", flat=True
        )
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ReceivableChoiceInvalid(
            reason=_("%(ids)s not open") % {"ids": ", ".join(map(str, missing))}, detail={"receivables": missing}
        )
    return wanted


@dataclass(frozen=True)
class Bill:
    number: str
    due_date: dt.date
    issuer: str = ""


def payment_record(
    *,
    actor: Actor,
    dealer_id: int,
    method: str,
    amount: Decimal,
    purpose: str = P.RECEIVABLES,
    receivable_ids: list[int] | None = None,
    voucher=None,
    bill: Bill | None = None,
    payer_name: str = "",
    payer_account: str = "",
    bank_ref: str = "",
    paid_on: dt.date | None = None,
    note: str = "",
    confirm: bool = False,
) -> Payment:
    """Record money received (or a credit note). A dealer's record waits for finance; finance may
    record and confirm in one step (``confirm``). Refuses bad input before anything is stored."""
    dealer = _dealer(actor, dealer_id)
    if actor.is_dealer:
        require(actor, "finance.pay")
        allowed = DEALER_METHODS
        confirm = False
    else:
        require(actor, "finance.manage")
        allowed = STAFF_METHODS
    if method not in allowed:
        raise PaymentInvalid(reason=_("this payment method is not available here"), detail={"method": method})
    if purpose not in (P.RECEIVABLES, P.TOPUP) or (method == M.CREDIT_NOTE and purpose != P.RECEIVABLES):
        raise PaymentInvalid(reason=_("choose what the payment is for"), detail={"purpose": purpose})
    amount = _amount(amount, tenant_id=actor.tenant_id)
    targets = _targets(dealer.pk, receivable_ids) if purpose == P.RECEIVABLES else []
    if method == M.BILL:
        if bill is None or not bill.number.strip() or bill.due_date is None:
            raise PaymentInvalid(reason=_("an acceptance bill needs its number and due date"), detail={"bill": ""})
        today = timezone.localdate()
        if bill.due_date < today or bill.due_date > today + dt.timedelta(days=366):
            raise PaymentInvalid(
                reason=_("the bill's due date must be between today and a year from now"),
                detail={"bill_due_date": bill.due_date.isoformat()},
            )
    if method == M.TRANSFER and actor.is_dealer and voucher is None:
        raise PaymentInvalid(reason=_("upload the transfer voucher"), detail={"voucher": ""})
    if method == M.CREDIT_NOTE and not note.strip():
        raise PaymentInvalid(reason=_("say what the credit note is for"), detail={"note": ""})
    checked = voucher_check(voucher) if voucher is not None else None
    stored = voucher_store(checked, tenant_id=actor.tenant_id) if checked else ""
    try:
        with transaction.atomic():
            account_for(dealer)
            payment = Payment.objects.create(
                number=next_number("payment"),
                dealer=dealer,
                method=method,
                purpose=purpose,
                amount=amount,
                targets=targets,
                payer_name=payer_name.strip()[:120],
                payer_account=payer_account.strip()[:60],
                bank_ref=bank_ref.strip()[:60],
                paid_on=paid_on,
                voucher=stored,
                voucher_name=checked.name if checked else "",
                voucher_type=checked.content_type if checked else "",
                voucher_size=len(checked.data) if checked else 0,
                bill_number=bill.number.strip()[:40] if bill else "",
                bill_due_date=bill.due_date if bill else None,
                bill_issuer=bill.issuer.strip()[:120] if bill else "",
                note=note.strip()[:300],
                created_by_id=actor.user_id,
            )
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "payment.recorded",
                        payment,
                        after={"dealer": dealer.pk, "method": method, "purpose": purpose, "amount": amount},
                    )
                ],
            )
            if confirm:
                _apply(actor=actor, payment=payment, receivable_ids=targets or None)
    except BaseException:
        voucher_delete(stored)
        raise
    return payment


def payment_confirm(*, actor: Actor, payment_id: int, receivable_ids: list[int] | None = None) -> Payment:
    """Finance confirms a pending payment: applied once (to ``receivable_ids`` or the oldest first)."""
    require(actor, "finance.manage")
    with transaction.atomic():
        payment = lock_payment(payment_id=payment_id)
        if payment is None:
            raise PaymentNotFound()
        if receivable_ids:
            _targets(payment.dealer_id, receivable_ids)
        _apply(actor=actor, payment=payment, receivable_ids=receivable_ids or payment.targets or None)
    return payment


def payment_reject(*, actor: Actor, payment_id: int, reason: str) -> Payment:
    require(actor, "finance.manage")
    reason = (reason or "").strip()
    if not reason:
        raise PaymentInvalid(reason=_("give a reason for the rejection"), detail={"reason": ""})
    with transaction.atomic():
        payment = lock_payment(payment_id=payment_id)
        if payment is None:
            raise PaymentNotFound()
        _close(actor=actor, payment=payment, to=St.REJECTED, reason=reason)
        notify_dealer(
            dealer_id=payment.dealer_id,
            title=_("Payment %(number)s was not accepted") % {"number": payment.number},
            body=reason,
            link=f"/portal/finance/payments/{payment.pk}/",
        )
    return payment


def payment_cancel(*, actor: Actor, payment_id: int) -> Payment:
    """The payer withdraws a payment that is still waiting (a wrong voucher, an abandoned online payment)."""
    require(actor, "finance.pay")
    with transaction.atomic():
        payment = lock_payment(payment_id=payment_id)
        if payment is None or payment.dealer_id != actor.dealer_id:
            raise PaymentNotFound()
        _close(actor=actor, payment=payment, to=St.CANCELLED, reason="")
    return payment


def _close(*, actor: Actor, payment: Payment, to: str, reason: str) -> None:
    changed = Payment.objects.filter(pk=payment.pk, status=St.PENDING).update(
        status=to, reject_reason=reason[:300], updated_at=timezone.now()
    )
    if changed != 1:
        raise PaymentAlreadyProcessed(number=payment.number, status=payment.get_status_display())
    before = payment.status
    payment.status, payment.reject_reason = to, reason[:300]
    audit_write(
        actor=actor,
        events=[
            AuditEvent.of(f"payment.{to}", payment, before={"status": before}, after={"status": to}, reason=reason)
        ],
    )


def _apply(*, actor: Actor, payment: Payment, receivable_ids: list[int] | None,
           provider_trade_no: str = "", provider_data: dict | None = None) -> None:  # fmt: skip
    """Apply a pending incoming payment, in the caller's transaction (the payment row already locked).

    A payment from the prepaid balance (``prepaid_offset``) settles receivables with money already
    held: the prepaid balance goes down by what it settles, and nothing is left over."""
    if payment.status != St.PENDING or payment.direction != Payment.Direction.IN:
        raise PaymentAlreadyProcessed(number=payment.number, status=payment.get_status_display())
    account = lock_account(dealer_id=payment.dealer_id)
    before = {"receivable": account.receivable, "prepaid": account.prepaid}
    parts: list[tuple[int, Decimal]] = []
    rest = payment.amount
    receivables: dict[int, Receivable] = {}
    if payment.purpose == P.RECEIVABLES:
        locked = lock_open_receivables(dealer_id=payment.dealer_id, ids=receivable_ids)
        if receivable_ids and len(locked) != len(set(receivable_ids)):
            missing = sorted(set(map(int, receivable_ids)) - {r.pk for r in locked})
            raise ReceivableChoiceInvalid(
                reason=_("%(ids)s not open") % {"ids": ", ".join(map(str, missing))}, detail={"receivables": missing}
            )
        receivables = {r.pk: r for r in locked}
        oldest_first = sorted(locked, key=lambda r: (r.due_date, r.pk))
        parts, rest = allocate(payment.amount, [(r.pk, r.outstanding) for r in oldest_first])
    applied = payment.amount - rest
    from_prepaid = payment.method == M.PREPAID
    if from_prepaid and rest:
        raise ReceivableChoiceInvalid(
            reason=_("only %(open)s is open") % {"open": fmt(applied)}, detail={"amount": str(payment.amount)}
        )
    now = timezone.now()
    for receivable_id, part in parts:
        # absolute values computed from the locked row (exact Decimals), guarded by its old value:
        # no floating-point drift on SQLite, and a changed row is never overwritten
        r = receivables[receivable_id]
        paid = r.paid + part
        changed = Receivable.objects.filter(pk=r.pk, status=Receivable.Status.OPEN, paid=r.paid).update(
            paid=paid, status=Receivable.Status.PAID if paid == r.amount else Receivable.Status.OPEN
        )
        if changed != 1:
            raise RuntimeError(f"receivable {receivable_id} changed under its lock: the ledger is inconsistent")
    # the account's balances move by F() (the hot path changes them concurrently); the guard allows
    # half a cent of the floating-point noise SQLite's arithmetic may leave (amounts are whole cents)
    guard = {"receivable__gte": applied - HALF_CENT}
    prepaid_change = rest
    if from_prepaid:
        guard["prepaid__gte"] = applied - HALF_CENT
        prepaid_change = -applied
    changed = DealerAccount.objects.filter(pk=account.pk, **guard).update(
        receivable=F("receivable") - applied, prepaid=F("prepaid") + prepaid_change, updated_at=now
    )
    if changed != 1 and from_prepaid:
        raise InsufficientBalance(balance=_("prepaid"), available=fmt(account.prepaid), needed=fmt(applied),
                                  detail={"amount": str(applied)})  # fmt: skip
    if changed != 1:
        raise RuntimeError("applying more than the account's receivables: the ledger is inconsistent")
    if parts:
        refresh_oldest_due(account)
    PaymentApplication.objects.bulk_create(
        stamp_tenant([PaymentApplication(payment=payment, receivable_id=rid, amount=part) for rid, part in parts])
    )
    kind = EKind.CREDIT_NOTE if payment.method == M.CREDIT_NOTE else EKind.PAYMENT
    ref_type, ref_id = "payment", str(payment.pk)
    order_numbers = _order_numbers([receivables[rid].order_id for rid, _p in parts])
    entries = [
        LedgerEntry(
            account_id=account.pk,
            bucket=Bucket.RECEIVABLE,
            kind=kind,
            amount=-part,
            ref_type=ref_type,
            ref_id=ref_id,
            memo=f"{payment.number} → {order_numbers.get(receivables[rid].order_id, '')}",
            actor_id=actor.user_id,
        )
        for rid, part in parts
    ]
    if from_prepaid:
        entries.append(
            LedgerEntry(account_id=account.pk, bucket=Bucket.PREPAID, kind=kind, amount=-applied, ref_type=ref_type,
                        ref_id=ref_id, memo=payment.number, actor_id=actor.user_id)
        )  # fmt: skip
    if rest > 0:
        entries.append(
            LedgerEntry(
                account_id=account.pk,
                bucket=Bucket.PREPAID,
                kind=EKind.TOPUP if payment.purpose == P.TOPUP else kind,
                amount=rest,
                ref_type=ref_type,
                ref_id=ref_id,
                memo=payment.number,
                actor_id=actor.user_id,
            )
        )
    insert_entries(entries)
    update = {"status": St.CONFIRMED, "applied": applied, "to_prepaid": rest, "confirmed_by_id": actor.user_id,
              "confirmed_at": now, "updated_at": now}  # fmt: skip
    if provider_trade_no:
        update["provider_trade_no"] = provider_trade_no
    if provider_data is not None:
        update["provider_data"] = provider_data
    try:
        with transaction.atomic():
            changed = Payment.objects.filter(pk=payment.pk, status=St.PENDING).update(**update)
    except IntegrityError:  # the provider's trade number already settled another payment
        raise PaymentAlreadyProcessed(number=payment.number, status=_("paid under another payment"))
    if changed != 1:
        raise PaymentAlreadyProcessed(number=payment.number, status=payment.get_status_display())
    for key, value in update.items():
        setattr(payment, key, value)
    audit_write(
        actor=actor,
        events=[
            AuditEvent.of(
                "payment.confirmed",
                payment,
                before={"status": St.PENDING, **before},
                after={
                    "status": St.CONFIRMED,
                    "applied": applied,
                    "to_prepaid": rest,
                    "receivables": {str(rid): str(part) for rid, part in parts},
                },
            )
        ],
    )
    outbox_add(
        topic="payment.confirmed",
        aggregate=("payment", payment.pk),
        payload={"payment_id": payment.pk, "number": payment.number, "dealer_id": payment.dealer_id,
                 "amount": payment.amount, "applied": applied, "to_prepaid": rest, "method": payment.method},
    )  # fmt: skip
    notify_dealer(
        dealer_id=payment.dealer_id,
        title=_("Payment %(number)s confirmed: %(amount)s") % {"number": payment.number, "amount": fmt(payment.amount)},
        body=(_("%(applied)s of your prepaid balance settled receivables.") % {"applied": fmt(applied)})
        if from_prepaid
        else _("%(applied)s settled receivables; %(rest)s went to your prepaid balance.")
        % {"applied": fmt(applied), "rest": fmt(rest)},
        link=f"/portal/finance/payments/{payment.pk}/",
    )


def _order_numbers(order_ids: list[int]) -> dict[int, str]:
    if not order_ids:
        return {}
    from dinghuo.orders.models import Order

    return dict(Order.objects.filter(pk__in=set(order_ids)).values_list("pk", "number"))


# --- prepaid to receivables, refunds ----------------------------------------------------------


def prepaid_offset(
    *, actor: Actor, dealer_id: int, amount: Decimal | None = None, receivable_ids: list[int] | None = None,
    note: str = "",
) -> Payment:  # fmt: skip
    """Finance sets money the dealer holds in prepaid against its open receivables (预存款冲抵应收):
    ``amount`` (by default as much as both allow) settles the chosen or the oldest receivables first.
    Recorded as a confirmed payment from the prepaid balance, so the statement and the ledger show it."""
    require(actor, "finance.manage")
    dealer = _dealer(actor, dealer_id)
    if amount is not None:
        amount = _amount(amount, tenant_id=actor.tenant_id)
    targets = _targets(dealer.pk, receivable_ids)
    with transaction.atomic():
        account_for(dealer)
        account = lock_account(dealer_id=dealer.pk)
        open_total = sum((r.outstanding for r in lock_open_receivables(dealer_id=dealer.pk, ids=targets or None)),
                         Decimal(0))  # fmt: skip
        want = min(account.prepaid, open_total) if amount is None else amount
        if want > account.prepaid:
            raise InsufficientBalance(balance=_("prepaid"), available=fmt(account.prepaid), needed=fmt(want),
                                      detail={"amount": str(want)})  # fmt: skip
        if want > open_total:
            raise PaymentInvalid(reason=_("only %(open)s of receivables is open") % {"open": fmt(open_total)},
                                 detail={"amount": str(want)})  # fmt: skip
        if want <= 0:
            raise PaymentInvalid(reason=_("there is no prepaid money or no open receivable to set it against"),
                                 detail={"amount": "0"})  # fmt: skip
        payment = Payment.objects.create(
            number=next_number("payment"), dealer=dealer, method=M.PREPAID, purpose=P.RECEIVABLES, amount=want,
            targets=targets, paid_on=timezone.localdate(),
            note=(note.strip() or _("Prepaid balance set against receivables"))[:300], created_by_id=actor.user_id,
        )  # fmt: skip
        audit_write(
            actor=actor,
            events=[AuditEvent.of("payment.recorded", payment,
                                  after={"dealer": dealer.pk, "method": M.PREPAID, "amount": want})],
        )  # fmt: skip
        _apply(actor=actor, payment=payment, receivable_ids=targets or None)
    return payment


def refund_record(
    *,
    actor: Actor,
    dealer_id: int,
    amount: Decimal,
    payee_name: str = "",
    payee_account: str = "",
    bank_ref: str = "",
    note: str = "",
) -> Payment:
    """Pay money back from the prepaid balance to the dealer's bank account (e.g. after a cancelled
    prepaid order, whose money ``orders.services`` already returned to the prepaid balance)."""
    require(actor, "finance.manage")
    dealer = _dealer(actor, dealer_id)
    amount = _amount(amount, tenant_id=actor.tenant_id)
    if not note.strip():
        raise PaymentInvalid(reason=_("say why the money is refunded"), detail={"note": ""})
    with transaction.atomic():
        account_for(dealer)
        account = lock_account(dealer_id=dealer.pk)
        changed = DealerAccount.objects.filter(pk=account.pk, prepaid__gte=amount - HALF_CENT).update(
            prepaid=F("prepaid") - amount, updated_at=timezone.now()
        )
        if changed != 1:
            raise InsufficientBalance(
                balance=_("prepaid"), available=fmt(account.prepaid), needed=fmt(amount), detail={"amount": str(amount)}
            )
        now = timezone.now()
        payment = Payment.objects.create(
            number=next_number("payment"),
            dealer=dealer,
            direction=Payment.Direction.OUT,
            method=M.TRANSFER,
            purpose=P.REFUND,
            amount=amount,
            status=St.CONFIRMED,
            payer_name=(payee_name or dealer.invoice_title or dealer.name).strip()[:120],
            payer_account=(payee_account or dealer.bank_account).strip()[:60],
            bank_ref=bank_ref.strip()[:60],
            paid_on=timezone.localdate(),
            note=note.strip()[:300],
            created_by_id=actor.user_id,
            confirmed_by_id=actor.user_id,
            confirmed_at=now,
        )
        insert_entries(
            [
                LedgerEntry(account_id=account.pk, bucket=Bucket.PREPAID, kind=EKind.REFUND, amount=-amount,
                            ref_type="payment", ref_id=str(payment.pk), memo=payment.number, actor_id=actor.user_id)
            ]
        )  # fmt: skip
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "payment.refunded",
                    payment,
                    before={"prepaid": account.prepaid},
                    after={"prepaid": account.prepaid - amount, "amount": amount},
                    reason=note,
                )
            ],
        )
        outbox_add(
            topic="payment.refunded",
            aggregate=("payment", payment.pk),
            payload={"payment_id": payment.pk, "number": payment.number, "dealer_id": dealer.pk, "amount": amount},
        )
        notify_dealer(
            dealer_id=dealer.pk,
            title=_("Refund %(number)s: %(amount)s paid to your bank account")
            % {"number": payment.number, "amount": fmt(amount)},
            body=note.strip()[:500],
            link=f"/portal/finance/payments/{payment.pk}/",
        )
    return payment


# --- online ------------------------------------------------------------------------------------


def payment_start_online(
    *,
    actor: Actor,
    dealer_id: int,
    provider: str,
    amount: Decimal,
    purpose: str = P.RECEIVABLES,
    receivable_ids: list[int] | None = None,
    notify_url: str,
    return_url: str,
    mode: str = "page",
) -> tuple[Payment, Checkout]:
    """Create a pending online payment (committed), then ask the provider for a checkout (outside it)."""
    require(actor, "finance.pay")
    dealer = _dealer(actor, dealer_id)
    if purpose not in (P.RECEIVABLES, P.TOPUP):
        raise PaymentInvalid(reason=_("choose what the payment is for"), detail={"purpose": purpose})
    amount = _amount(amount, tenant_id=actor.tenant_id)
    adapter = provider_for(provider, actor.tenant_id)
    targets = _targets(dealer.pk, receivable_ids) if purpose == P.RECEIVABLES else []
    with transaction.atomic():
        account_for(dealer)
        payment = Payment.objects.create(
            number=next_number("payment"),
            dealer=dealer,
            method=M.ONLINE,
            purpose=purpose,
            amount=amount,
            targets=targets,
            provider=adapter.code,
            created_by_id=actor.user_id,
        )
        audit_write(
            actor=actor,
            events=[AuditEvent.of("payment.started", payment, after={"provider": adapter.code, "amount": amount})],
        )
    subject = _("%(dealer)s payment %(number)s") % {
        "dealer": dealer.short_name or dealer.name,
        "number": payment.number,
    }
    try:
        checkout = adapter.checkout(
            CheckoutRequest(
                out_trade_no=payment.number,
                amount=amount,
                subject=subject,
                notify_url=notify_url,
                return_url=return_url,
                mode=mode,
            )
        )
    except Exception:
        with transaction.atomic():
            Payment.objects.filter(pk=payment.pk, status=St.PENDING).update(
                status=St.CANCELLED, reject_reason="provider unavailable", updated_at=timezone.now()
            )
        raise
    return payment, checkout


def payment_notify(*, provider: str, params: dict[str, str]) -> Payment:
    """Handle a provider's asynchronous notification: verify, check, apply once.

    The tenant comes from our payment number in the notification (numbers are unique across the
    deployment); the signature is then checked with that tenant's key before anything is trusted.
    Raises NotificationRejected for anything that does not verify or does not match the payment.
    """
    from dinghuo.core.tenancy import tenant_context

    number = str(params.get("out_trade_no", ""))[:32]
    row = (
        Payment.unscoped.filter(number=number, provider=provider, method=M.ONLINE)
        .values_list("pk", "tenant_id")
        .first()
    )
    if row is None:
        raise NotificationRejected(reason=_("unknown trade"))
    payment_id, tenant_id = row
    actor = Actor.system(tenant_id, f"{provider} notification")
    with tenant_context(tenant_id, actor):
        adapter = provider_for(provider, tenant_id)
        notice = adapter.parse_notification(params)  # raises NotificationRejected on a bad signature
        if notice.out_trade_no != number:
            raise NotificationRejected(reason=_("unknown trade"))
        with transaction.atomic():
            payment = lock_payment(payment_id=payment_id)
            if notice.amount != payment.amount:
                raise NotificationRejected(
                    reason=_("the amount %(got)s differs from the payment's %(want)s")
                    % {"got": notice.amount, "want": payment.amount}
                )
            if payment.status == St.CONFIRMED and payment.provider_trade_no == notice.trade_no:
                return payment  # a repeated notification: already applied, nothing to do
            if notice.paid:
                if payment.status == St.CANCELLED:
                    _reopen(actor=actor, payment=payment)  # withdrawn here, yet paid at the provider
                _apply(actor=actor, payment=payment, receivable_ids=_still_open(payment),
                       provider_trade_no=notice.trade_no[:64], provider_data=notice.raw)  # fmt: skip
            elif notice.closed and payment.status == St.PENDING:
                _close(actor=actor, payment=payment, to=St.CANCELLED, reason=_("closed by the provider"))
        return payment


def _still_open(payment: Payment) -> list[int] | None:
    """The payer's chosen receivables that are still open (another payment may have settled some since
    the checkout began). Money the provider took is always applied: to what is left of the choice,
    else to the oldest first, the rest to prepaid — never refused for a stale choice."""
    if not payment.targets:
        return None
    still = set(
        Receivable.objects.filter(
            pk__in=payment.targets, dealer_id=payment.dealer_id, status=Receivable.Status.OPEN
        ).values_list("pk", flat=True)
    )
    return [pk for pk in payment.targets if pk in still] or None


def _reopen(*, actor: Actor, payment: Payment) -> None:
    """A cancelled online payment the provider reports as paid after all (the payer withdrew it here but
    finished paying in the cashier still open): the money arrived, so it waits again to be applied."""
    changed = Payment.objects.filter(pk=payment.pk, status=St.CANCELLED, method=M.ONLINE).update(
        status=St.PENDING, reject_reason="", updated_at=timezone.now()
    )
    if changed != 1:
        raise PaymentAlreadyProcessed(number=payment.number, status=payment.get_status_display())
    audit_write(
        actor=actor,
        events=[
            AuditEvent.of("payment.reopened", payment, before={"status": St.CANCELLED}, after={"status": St.PENDING},
                          reason=_("paid at the provider after it was cancelled"))
        ],
    )  # fmt: skip
    payment.status, payment.reject_reason = St.PENDING, ""
