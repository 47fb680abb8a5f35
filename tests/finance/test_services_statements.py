"""Statements: derived from the ledger by timestamps, so the same period gives the same lines and
totals whenever it is generated; confirm, dispute, resolve; PDF and .xlsx read back."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance import documents
from dinghuo.finance import payments as pay
from dinghuo.finance import statements as st
from dinghuo.finance.errors import PeriodInvalid, StatementStateInvalid
from dinghuo.finance.models import LedgerEntry, Statement
from tests.finance.conftest import pdf_text, ship_on_credit

D = Decimal


def backdate(dealer, days: int) -> None:
    """Move every ledger entry of ``dealer`` ``days`` into the past (history, as if it happened then)."""
    for e in LedgerEntry.objects.filter(account__dealer=dealer):
        LedgerEntry.objects.filter(pk=e.pk).update(created_at=e.created_at - dt.timedelta(days=days))


def history(shop):
    """Last month: two shipments on credit, a part payment, a prepaid order; this month: more activity."""
    finance = shop.staff(Role.FINANCE)
    ship_on_credit(shop, 1)
    ship_on_credit(shop, 2)
    with tenant_context(shop.tenant, finance):
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer", amount=D("100.00"),
                           bank_ref="B-001", confirm=True)  # fmt: skip
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", purpose="topup",
                           amount=D("500.00"), confirm=True)  # fmt: skip
    ship_on_credit(shop, 1, pay_prepaid="72.00")
    with tenant_context(shop.tenant):
        backdate(shop.dealer, 40)
    ship_on_credit(shop, 1)  # this month
    today = timezone.localdate()
    last_end = today.replace(day=1) - dt.timedelta(days=1)
    with tenant_context(shop.tenant):
        first = LedgerEntry.objects.filter(account__dealer=shop.dealer).order_by("created_at").first()
    start = min(last_end.replace(day=1), timezone.localtime(first.created_at).date())
    return start, last_end


def test_the_same_period_gives_the_same_lines_and_totals_every_time(shop):
    start, end = history(shop)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        first = st.compute(shop.dealer.pk, start, end)
        # when more happens after the period (a payment today), the past period does not move
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=D("10.00"), confirm=True)
        second = st.compute(shop.dealer.pk, start, end)
        statement = st.statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=start, end=end)
        again = st.statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=start, end=end)
    assert first.digest == second.digest == statement.digest
    assert [ln.key() for ln in first.lines] == [ln.key() for ln in second.lines]
    assert again.pk == statement.pk and again.line_count == statement.line_count


def test_lines_add_up_from_opening_to_closing_and_trace_to_documents(shop):
    start, end = history(shop)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        statement = st.statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=start, end=end)
        lines = list(statement.lines.all())
        entries = {e.pk: e for e in LedgerEntry.objects.filter(account__dealer=shop.dealer)}
    account = [ln for ln in lines if ln.section == "account"]
    assert statement.opening_balance == D("0.00")
    assert statement.opening_balance + sum(ln.debit - ln.credit for ln in account) == statement.closing_balance
    # shipped 72 + 144 + the prepaid order's 72 shipped... on credit only 216; paid 100; topped up 500; spent 72
    assert statement.closing_balance == D("216.00") - D("100.00") - D("500.00") + D("72.00")
    categories = {ln.category for ln in lines}
    assert {"shipment", "payment", "order"} <= categories
    for ln in lines:
        assert ln.doc_number, ln  # every line names its document
        assert ln.entry_ids and all(i in entries for i in ln.entry_ids)
        # a line's effect is exactly its entries': receivables owed more, prepaid money owed less
        effect = sum(e.amount if e.bucket == "receivable" else -e.amount for e in (entries[i] for i in ln.entry_ids))
        if ln.section == "account":
            assert ln.debit - ln.credit == effect
    summary = {row["key"]: row for row in st.summary(statement)}
    assert summary["shipments"]["debit"] == D("216.00") and summary["payments"]["credit"] == D("600.00")


def test_the_opening_balance_comes_from_entries_before_the_period(shop):
    history(shop)
    finance = shop.staff(Role.FINANCE)
    today = timezone.localdate()
    with tenant_context(shop.tenant, finance):
        statement = st.statement_generate(
            actor=finance, dealer_id=shop.dealer.pk, start=today.replace(day=1), end=today
        )
    assert statement.opening_balance == D("216.00") - D("100.00") - D("500.00") + D("72.00")
    assert statement.closing_balance == statement.opening_balance + D("72.00")


def test_confirm_dispute_resolve(shop):
    ship_on_credit(shop, 1)
    finance, dealer_fin, buyer = shop.staff(Role.FINANCE), shop.world.actor(Role.DEALER_FINANCE), shop.buyer()
    today = timezone.localdate()
    with tenant_context(shop.tenant, finance):
        statement = st.statement_generate(
            actor=finance, dealer_id=shop.dealer.pk, start=today.replace(day=1), end=today
        )
        with pytest.raises(StatementStateInvalid):
            st.statement_resolve(actor=finance, statement_id=statement.pk, resolution="nothing to resolve")
    with tenant_context(shop.tenant, buyer), pytest.raises(PermissionDenied):
        st.statement_confirm(actor=buyer, statement_id=statement.pk)
    with tenant_context(shop.tenant, dealer_fin):
        with pytest.raises(StatementStateInvalid):
            st.statement_dispute(actor=dealer_fin, statement_id=statement.pk, reason="  ", line_seqs=[1])
        st.statement_dispute(actor=dealer_fin, statement_id=statement.pk, reason="少了一笔回款", line_seqs=[1, 99, "x"])
        statement.refresh_from_db()
        assert statement.status == "disputed" and statement.disputed_lines == [1]
        with pytest.raises(StatementStateInvalid):
            st.statement_confirm(actor=dealer_fin, statement_id=statement.pk)
    with tenant_context(shop.tenant, finance):
        st.statement_resolve(actor=finance, statement_id=statement.pk, resolution="回款在下期")
        # a resolved statement is never regenerated under the dealer
        st.statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=today.replace(day=1), end=today)
    with tenant_context(shop.tenant, dealer_fin):
        st.statement_confirm(actor=dealer_fin, statement_id=statement.pk)
        statement.refresh_from_db()
    assert statement.status == Statement.Status.CONFIRMED


def test_a_future_or_backwards_period_is_refused(shop):
    finance = shop.staff(Role.FINANCE)
    today = timezone.localdate()
    with tenant_context(shop.tenant, finance):
        with pytest.raises(PeriodInvalid):
            st.statement_generate(
                actor=finance, dealer_id=shop.dealer.pk, start=today, end=today + dt.timedelta(days=1)
            )
        with pytest.raises(PeriodInvalid):
            st.statement_generate(
                actor=finance, dealer_id=shop.dealer.pk, start=today, end=today - dt.timedelta(days=3)
            )
        with pytest.raises(PeriodInvalid):
            st.statements_generate_period(actor=finance, period="2026-13")


def test_monthly_statements_for_every_dealer_with_activity(shop):
    _start, end = history(shop)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        made = st.statements_generate_period(actor=finance, period=f"{end.year}-{end.month:02d}")
        again = st.statements_generate_period(actor=finance, period=f"{end.year}-{end.month:02d}")
    assert [s.dealer_id for s in made] == [shop.dealer.pk]  # the other dealer had no entries
    assert [s.pk for s in again] == [s.pk for s in made]


def test_the_pdf_and_the_workbook_read_back_the_same_statement(shop):
    start, end = history(shop)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        statement = st.statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=start, end=end)
        lines = list(statement.lines.all())
        pdf = documents.statement_pdf(statement, lines, tenant_name="清泉饮料")
        pdf_again = documents.statement_pdf(statement, lines, tenant_name="清泉饮料")
        xlsx = documents.statement_xlsx(statement, lines)
    assert pdf == pdf_again  # reproducible bytes
    assert b"/BaseFont /STSong-Light" in pdf
    text = pdf_text(pdf)
    assert statement.number in text and "清泉饮料" in text and shop.dealer.name in text
    for ln in lines:
        assert ln.doc_number in text
    assert f"{statement.closing_balance:,}" in text
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    data = [r for r in rows if isinstance(r[0], int)]
    assert [r[0] for r in data] == [ln.seq for ln in lines]
    assert [r[5] for r in data] == [ln.doc_number for ln in lines]
    assert D(str(data[-1][9])).quantize(D("0.01")) == lines[-1].balance or lines[-1].section == "rebate"
    summary = {r[0]: r for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True) if r[0]}
    from django.utils.translation import gettext as _

    assert D(str(summary[_("Closing balance")][1])).quantize(D("0.01")) == statement.closing_balance


def test_the_chinese_pdf_and_workbook_read_back_in_chinese(shop):
    from django.utils import translation

    start, end = history(shop)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance), translation.override("zh-hans"):
        statement = st.statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=start, end=end)
        lines = list(statement.lines.all())
        pdf = documents.statement_pdf(statement, lines, tenant_name="清泉饮料")
        xlsx = documents.statement_xlsx(statement, lines)
    # every text run is set in the CJK font, so Chinese comes back as Chinese (no boxes, no mojibake)
    text = pdf_text(pdf)
    assert f"对账单 {statement.number}" in text and "期初余额" in text and "期末余额" in text
    assert "赊销发货" in text and "收到货款" in text
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[0]
    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True))
    assert header[:4] == ("#", "部分", "日期", "项目")
    # document types are words, not codes
    types = {r[4] for r in ws.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)}
    assert types and not types & {"order", "shipment", "payment", "rebate_accrual", "entry"}
