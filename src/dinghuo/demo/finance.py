"""Demo step: money — payments, statements, invoices and rebates — on top of a year of orders.

Runs after the ordering step (which leaves open receivables from recent shipments and a few overdue
dealers). Everything goes through the real finance services, so every balance still equals its
ledger and every change is audited:

- transfers confirmed for most dealers with open receivables (the overdue dealers stay overdue);
- for 广州 (GD01, sign in as bev-gd01-fin): a transfer voucher waiting for finance, an acceptance
  bill, an online sandbox payment, statements for the last two months (the older confirmed, the
  last one disputed), invoices (one issued, one voided by a red-letter reversal, one requested, and
  one issued by payment for a prepaid order not shipped yet);
- the seller's tax details (legal name, taxpayer id, address, bank) of both tenants, for invoices;
- a quarterly rebate programme with volume tiers, accrued for the last quarter;
- monthly statements for every dealer for the last two months, and the first overdue reminders.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dinghuo.core.errors import DomainError
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.demo.people import DemoTenant
from dinghuo.finance import invoices, payments, rebates, statements
from dinghuo.finance.models import DealerAccount, Receivable
from dinghuo.finance.periods import previous_period
from dinghuo.finance.receivables import remind_overdue
from dinghuo.finance.services import refresh_oldest_due

D = Decimal


def load_finance(bev: DemoTenant, parts: DemoTenant, rng: random.Random, say: Callable[[str], None]) -> None:
    for demo in (bev, parts):
        with tenant_context(demo.tenant, demo.actor):
            finance = _staff(demo, "finance") or demo.actor
            counts = {"payments": 0, "statements": 0, "invoices": 0, "accruals": 0}
            _seller(demo)
            _age_some(rng)
            overdue = _overdue_dealers()
            counts["payments"] += _settle_most(demo, finance, overdue, rng)
            star = next((d for d in demo.dealers if d.code in ("GD01", "D01")), demo.dealers[0])
            dealer_fin = _dealer_user(star.pk, "dealer_finance") or _dealer_user(star.pk, "dealer_admin")
            counts["payments"] += _star_payments(star, finance, dealer_fin, overdue, rng)
            counts["accruals"] += _rebates(demo, finance)
            counts["statements"] += _statements(demo, finance, star, dealer_fin)
            counts["invoices"] += _invoices(star, finance, dealer_fin, rng)
            counts["invoices"] += _paid_order_invoice(star, finance, dealer_fin, rng)
            remind_overdue(actor=finance)
            say(f"  {demo.tenant.code}: {counts['payments']} payments, {counts['accruals']} rebate accruals, "
                f"{counts['statements']} statements, {counts['invoices']} invoices")  # fmt: skip


def _staff(demo: DemoTenant, role: str) -> Actor | None:
    from dinghuo.accounts.models import Membership

    m = Membership.objects.filter(dealer__isnull=True, role=role, is_active=True).select_related("user").first()
    return Actor.for_membership(m) if m else None


def _dealer_user(dealer_id: int, role: str) -> Actor | None:
    from dinghuo.accounts.models import Membership

    m = Membership.objects.filter(dealer_id=dealer_id, role=role, is_active=True).select_related("user").first()
    return Actor.for_membership(m) if m else None


OVERDUE_DAYS = [12, 45, 75, 120]  # one dealer in each overdue bucket: 1–30, 31–60, 61–90, over 90 days


def _age_some(rng: random.Random) -> None:
    """Ordering leaves a dealer or two overdue; make it one per ageing bucket, so the ageing report,
    the overdue block and the reminders all have something to show. Only due dates move (as a
    dealer that did not pay for months would have them); no balance changes."""
    today = timezone.localdate()
    already = _overdue_dealers()
    candidates = list(
        DealerAccount.objects.filter(receivable__gt=0)
        .exclude(dealer_id__in=already)
        .order_by("dealer_id")
        .values_list("pk", "dealer_id")
    )
    wanted = max(0, len(OVERDUE_DAYS) - len(already))
    picked = rng.sample(candidates, k=min(wanted, len(candidates)))
    for (account_id, dealer_id), days in zip(picked, OVERDUE_DAYS[len(OVERDUE_DAYS) - len(picked) :], strict=True):
        open_ = Receivable.objects.filter(dealer_id=dealer_id, status=Receivable.Status.OPEN)
        receivable = open_.order_by("due_date", "pk").first()
        if receivable is None:
            continue
        Receivable.objects.filter(pk=receivable.pk).update(due_date=today - dt.timedelta(days=days))
        refresh_oldest_due(DealerAccount.objects.get(pk=account_id))


def _overdue_dealers() -> set[int]:
    today = timezone.localdate()
    return set(DealerAccount.objects.filter(oldest_due_date__lt=today).values_list("dealer_id", flat=True))


def _settle_most(demo: DemoTenant, finance: Actor, overdue: set[int], rng: random.Random) -> int:
    """Bank transfers, confirmed, for most dealers that owe something (never the overdue ones)."""
    count = 0
    owing = DealerAccount.objects.filter(receivable__gt=0).exclude(dealer_id__in=overdue).order_by("dealer_id")
    for account in owing:
        if rng.random() < 0.35:
            continue  # some dealers have not paid yet (still within terms)
        share = D(rng.choice([1, 1, 1, D("0.5")]))
        amount = (account.receivable * share).quantize(D("0.01"))
        if rng.random() < 0.2:
            amount += D(rng.randrange(1, 20) * 100)  # an overpayment: the rest becomes prepaid
        try:
            payments.payment_record(
                actor=finance, dealer_id=account.dealer_id, method="transfer", amount=amount,
                payer_name="", bank_ref=f"{rng.randrange(10**15, 10**16)}", paid_on=timezone.localdate(),
                note="银行转账回款", confirm=True,
            )  # fmt: skip
            count += 1
        except DomainError:
            continue
    return count


def _voucher_png(amount: Decimal) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 360), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 630, 350), outline=(160, 30, 30), width=3)
    for i, text in enumerate(["BANK TRANSFER RECEIPT", "Industrial and Commercial Bank of China",
                              f"Amount: CNY {amount:,}", f"Date: {timezone.localdate()}", "Status: SUCCESS"]):  # fmt: skip
        draw.text((40, 40 + i * 50), text, fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("银行回单.png", out.getvalue(), content_type="image/png")


def _star_payments(star, finance: Actor, dealer_fin: Actor | None, overdue: set[int], rng: random.Random) -> int:
    count = 0
    today = timezone.localdate()
    account = DealerAccount.objects.get(dealer=star)
    try:
        # an acceptance bill received by finance, settling receivables (or topping up prepaid)
        payments.payment_record(
            actor=finance, dealer_id=star.pk, method="bill",
            purpose="receivables" if account.receivable > 0 and star.pk not in overdue else "topup",
            amount=D("20000.00"),
            bill=payments.Bill(number=f"1 402 {rng.randrange(1000, 9999)} {rng.randrange(10**7, 10**8)}",
                               due_date=today + dt.timedelta(days=180), issuer="中国工商银行广州天河支行"),
            note="银行承兑汇票", confirm=True,
        )  # fmt: skip
        count += 1
        if dealer_fin is not None:
            # an online payment through the sandbox cashier: started by the dealer, paid at once
            from dinghuo.finance.providers.sandbox import SandboxProvider

            payment, _checkout = payments.payment_start_online(
                actor=dealer_fin, dealer_id=star.pk, provider="sandbox", purpose="topup", amount=D("5000.00"),
                notify_url="", return_url="",
            )  # fmt: skip
            payments.payment_notify(
                provider="sandbox", params=SandboxProvider().notification(out_trade_no=payment.number,
                                                                          amount=payment.amount))  # fmt: skip
            count += 1
            # a transfer voucher uploaded by the dealer, waiting for finance to confirm it
            payments.payment_record(
                actor=dealer_fin, dealer_id=star.pk, method="transfer", amount=D("8600.00"),
                voucher=_voucher_png(D("8600.00")), bank_ref=f"{rng.randrange(10**15, 10**16)}", paid_on=today,
                payer_name=star.invoice_title or star.name, note="十一月货款",
            )  # fmt: skip
            count += 1
    except DomainError:
        pass
    # and one rejected voucher with its reason, for the record
    if dealer_fin is not None:
        try:
            wrong = payments.payment_record(actor=dealer_fin, dealer_id=star.pk, method="transfer", amount=D("1200.00"),
                                            voucher=_voucher_png(D("120.00")), note="误传")  # fmt: skip
            payments.payment_reject(actor=finance, payment_id=wrong.pk, reason="回单金额为120.00元，与登记金额不符")
            count += 1
        except DomainError:
            pass
    return count


def _rebates(demo: DemoTenant, finance: Actor) -> int:
    today = timezone.localdate()
    last_quarter = previous_period("quarter", today)
    try:
        rebates.programme_save(
            actor=finance, name="年度进货返利（季度结算）", period="quarter", percent=D("1.50"),
            tiers=rebates.parse_tiers("50000:2, 150000:3"), starts_on=last_quarter.start.replace(month=1, day=1),
        )  # fmt: skip
        rebates.programme_save(actor=finance, name="新品推广返利", period="month", percent=D("2.00"),
                               starts_on=today.replace(day=1), active=True)  # fmt: skip
        return len(rebates.accrue_rebates(actor=finance, period=last_quarter.label))
    except DomainError:
        return 0


def _statements(demo: DemoTenant, finance: Actor, star, dealer_fin: Actor | None) -> int:
    today = timezone.localdate()
    last = previous_period("month", today)
    before = previous_period("month", last.start)
    made = 0
    for period in (before, last):
        try:
            made += len(statements.statements_generate_period(actor=finance, period=period.label))
        except DomainError:
            continue
    if dealer_fin is None:
        return made
    from dinghuo.finance.models import Statement

    older = Statement.objects.filter(dealer=star, period_start=before.start).first()
    newer = Statement.objects.filter(dealer=star, period_start=last.start).first()
    try:
        if older is not None:
            statements.statement_confirm(actor=dealer_fin, statement_id=older.pk)
        if newer is not None:
            seqs = list(newer.lines.order_by("seq").values_list("seq", flat=True)[:1])
            statements.statement_dispute(actor=dealer_fin, statement_id=newer.pk, line_seqs=seqs,
                                         reason="第1行的发货我方尚未收到，请核对签收记录")  # fmt: skip
    except DomainError:
        pass
    return made


def _fresh_shipments(star, rng: random.Random, want: int) -> None:
    """This week's orders of the star dealer, placed and shipped through the real services."""
    from dinghuo.catalog.models import Product, Sku
    from dinghuo.demo.ordering import _ship_all, _units
    from dinghuo.orders import services as svc
    from dinghuo.orders.models import Order
    from dinghuo.orders.placement import order_place
    from dinghuo.pricing.engine import CartItem

    buyer = _dealer_user(star.pk, "buyer") or _dealer_user(star.pk, "dealer_admin")
    owner = _staff(None, "owner")
    warehouse = _staff(None, "warehouse") or owner
    if buyer is None or owner is None:
        return
    skus = list(Sku.objects.filter(is_active=True, product__status=Product.Status.ON_SALE).order_by("pk")[:40])
    units = _units(skus)
    for _attempt in range(want * 3):
        if want <= 0 or not skus:
            return
        items = []
        for sku in rng.sample(skus, k=min(3, len(skus))):
            unit, factor = units[sku.pk]
            need = max(sku.moq, sku.order_multiple, D(1))
            qty = (need / factor).to_integral_value(rounding="ROUND_CEILING") if factor > 1 else need
            items.append(CartItem(sku_id=sku.pk, qty=max(qty, D(1)) * 2, unit=unit))
        try:
            order = order_place(actor=buyer, dealer_id=star.pk, items=items, note="本周补货",
                                tenant_settings={"rules": {"overdue": "review", "credit": "review"}}).order  # fmt: skip
            if order.status == Order.Status.PENDING_REVIEW:
                svc.order_approve(actor=owner, order_id=order.pk, reason="财务已核实", override_credit=True)
            svc.order_start_picking(actor=warehouse, order_id=order.pk)
            _ship_all(Order.objects.get(pk=order.pk), warehouse, rng, partial=False)
            want -= 1
        except DomainError:
            continue


SELLERS = {
    "bev": {"legal_name": "清泉饮料股份有限公司", "tax_id": "91440101MA5CQ8XY3K",
            "registered_address": "广州市天河区珠江新城华夏路10号", "phone": "020-38881234",
            "bank_name": "中国工商银行广州天河支行", "bank_account": "3602000109200088888"},
    "parts": {"legal_name": "精工工业配件制造有限公司", "tax_id": "91330100MA2H7K5L0P",
              "registered_address": "杭州市余杭区良渚街道工业园8号", "phone": "0571-88776655",
              "bank_name": "招商银行杭州分行", "bank_account": "571909876510001"},
}  # fmt: skip


def _seller(demo: DemoTenant) -> None:
    """The seller's tax details printed on the tenant's invoices, set the way its admin would."""
    from dinghuo.finance.policy import seller_details_update

    details = SELLERS.get(demo.tenant.code)
    if details:
        seller_details_update(actor=demo.actor, **details)


def _paid_order_invoice(star, finance: Actor, dealer_fin: Actor | None, rng: random.Random) -> int:
    """A prepaid order of the star dealer, approved but not shipped, invoiced by payment and issued."""
    from dinghuo.catalog.models import Product, Sku
    from dinghuo.dealers.models import Dealer
    from dinghuo.demo.ordering import _units
    from dinghuo.orders import services as svc
    from dinghuo.orders.models import Order
    from dinghuo.orders.placement import order_place
    from dinghuo.pricing.engine import CartItem, price_cart

    buyer = _dealer_user(star.pk, "buyer") or _dealer_user(star.pk, "dealer_admin")
    owner = _staff(None, "owner")
    skus = list(Sku.objects.filter(is_active=True, product__status=Product.Status.ON_SALE).order_by("pk")[:40])
    if buyer is None or owner is None or dealer_fin is None or len(skus) < 2:
        return 0
    units = _units(skus)
    items = []
    for sku in rng.sample(skus, k=2):
        unit, factor = units[sku.pk]
        need = max(sku.moq, sku.order_multiple, D(1))
        qty = (need / factor).to_integral_value(rounding="ROUND_CEILING") if factor > 1 else need
        items.append(CartItem(sku_id=sku.pk, qty=max(qty, D(1)) * 3, unit=unit))
    dealer = Dealer.objects.select_related("tier", "tenant").get(pk=star.pk)
    rules = {"rules": {"overdue": "review", "credit": "review"}}
    try:
        total = price_cart(dealer=dealer, items=items, tenant_settings=rules, tier_code=dealer.tier.code).total
        payments.payment_record(actor=finance, dealer_id=star.pk, method="transfer", purpose="topup", amount=total,
                                payer_name=star.invoice_title or star.name, note="预付货款", confirm=True)  # fmt: skip
        order = order_place(actor=buyer, dealer_id=star.pk, items=items, pay_prepaid=total, tenant_settings=rules,
                            note="预付款订单，先开票后发货").order  # fmt: skip
        if order.status == Order.Status.PENDING_REVIEW:
            svc.order_approve(actor=owner, order_id=order.pk, reason="预付款已到账")
        invoice = invoices.invoice_request(actor=dealer_fin, dealer_id=star.pk, kind="special", order_ids=[order.pk],
                                           note="货款已预付，请先开票")  # fmt: skip
        invoices.invoice_issue(actor=finance, invoice_id=invoice.pk)
    except DomainError:
        return 0
    return 1


def _invoices(star, finance: Actor, dealer_fin: Actor | None, rng: random.Random) -> int:
    from dinghuo.dealers.models import Dealer
    from dinghuo.orders.models import Shipment

    if not star.tax_id or not star.bank_account:
        Dealer.objects.filter(pk=star.pk).update(
            tax_id=star.tax_id or "91440101MA59ABCD2X", invoice_title=star.invoice_title or star.name,
            bank_name=star.bank_name or "中国工商银行广州天河支行", bank_account=star.bank_account or "3602000109200012345",
        )  # fmt: skip

    def shipments() -> list[int]:
        return list(
            Shipment.objects.filter(order__dealer=star, amount__gt=0, lines__isnull=False)
            .distinct()
            .order_by("-shipped_at", "-pk")
            .values_list("pk", flat=True)[:6]
        )

    if len(shipments()) < 5:
        _fresh_shipments(star, rng, 5 - len(shipments()))
    found = shipments()
    made = 0
    try:
        if len(found) >= 2:
            first = invoices.invoice_request(actor=finance, dealer_id=star.pk, kind="special", shipment_ids=found[:2])
            invoices.invoice_issue(actor=finance, invoice_id=first.pk)
            invoices.invoice_mark_sent(actor=finance, invoice_id=first.pk)
            made += 1
        if len(found) >= 3:
            wrong = invoices.invoice_request(actor=finance, dealer_id=star.pk, kind="ordinary", shipment_ids=found[2:3])
            invoices.invoice_issue(actor=finance, invoice_id=wrong.pk)
            invoices.invoice_void(actor=finance, invoice_id=wrong.pk, reason="应开增值税专用发票，误开普票")
            made += 2
        if dealer_fin is not None and len(found) >= 4:
            invoices.invoice_request(actor=dealer_fin, dealer_id=star.pk, kind="special", shipment_ids=found[3:5],
                                     note="请随货寄出纸质发票")  # fmt: skip
            made += 1
    except DomainError:
        pass
    return made


def overdue_summary() -> list[tuple[str, Decimal]]:
    """(dealer code, overdue amount) — for checking the demo by hand."""
    today = timezone.localdate()
    out = []
    for r in Receivable.objects.filter(status="open", due_date__lt=today).select_related("dealer"):
        out.append((r.dealer.code, r.amount - r.paid))
    return out
