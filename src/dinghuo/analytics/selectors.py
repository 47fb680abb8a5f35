"""Reports read from the facts (see models.py): milliseconds instead of a scan of every order line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from dinghuo.accounts.permissions import require, scope_dealers
from dinghuo.analytics.models import FactWatermark, SalesFact
from dinghuo.catalog.models import Category
from dinghuo.core.money import quantize
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Dealer


def sales_by_dealer_month_category(
    *, actor: Actor, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet:
    """Amount, quantity, orders by dealer × month × category (the issue-8 report)."""
    require(actor, "reports.view")
    qs = scope_dealers(actor, SalesFact.objects.all(), "dealer")
    if date_from:
        qs = qs.filter(month__gte=date_from.replace(day=1))
    if date_to:
        qs = qs.filter(month__lte=date_to)
    # A fact row IS a dealer × month × category cell (unique constraint sales_fact_cell): no GROUP BY,
    # and the order of that index, so PostgreSQL neither aggregates nor sorts 670k rows again.
    return qs.values(
        "dealer_id",
        "dealer__code",
        "dealer__name",
        "month",
        "category_id",
        "category__name",
        "amount",
        "orders",
        qty=F("qty_base"),
    ).order_by("dealer_id", "month", "category_id")


def monthly_totals(*, actor: Actor, months: int = 12) -> list[dict]:
    require(actor, "reports.view")
    qs = scope_dealers(actor, SalesFact.objects.all(), "dealer")
    return list(qs.values("month").annotate(amount=Sum("amount"), orders=Sum("orders")).order_by("month"))[-months:]


# --- the sales report page (issue 8): totals over every matching fact, one page of dealers -------------

MAX_MONTHS = 36  # months one report spans (its columns)
PAGE_DEALERS = 50
ZERO = Decimal("0.00")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from ``first`` to ``last``, both included ([] when reversed)."""
    first, last = month_start(first), month_start(last)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [add_months(first, i) for i in range(max(0, count))]


@dataclass(frozen=True)
class SalesFilter:
    """What the report covers: a month range, and optionally a province (of the dealer's home region),
    a top-level category (its whole subtree) and a dealer code or name fragment."""

    month_from: dt.date
    month_to: dt.date
    province: str = ""  # a province code, "440000"
    category_id: int | None = None
    q: str = ""

    @classmethod
    def last_months(cls, n: int = 12, *, today: dt.date | None = None, **other) -> SalesFilter:
        """The last ``n`` months, this one included (the page's default)."""
        to = month_start(today or timezone.localdate())
        return cls(month_from=add_months(to, 1 - n), month_to=to, **other)

    def as_params(self) -> dict:
        """JSON-safe, for a background job's params."""
        return {"month_from": self.month_from.isoformat(), "month_to": self.month_to.isoformat(),
                "province": self.province, "category_id": self.category_id, "q": self.q}  # fmt: skip

    @classmethod
    def from_params(cls, params: dict) -> SalesFilter:
        return cls(
            month_from=dt.date.fromisoformat(params["month_from"]),
            month_to=dt.date.fromisoformat(params["month_to"]),
            province=params.get("province") or "",
            category_id=params.get("category_id") or None,
            q=params.get("q") or "",
        )


@dataclass(frozen=True)
class CategoryTree:
    """The tenant's categories by id: name and chain of ancestors (root first), read in one query.

    Built from ``parent`` links rather than ``path``, so rows written without a path still roll up."""

    names: dict[int, str]
    chains: dict[int, tuple[int, ...]]
    roots: list[tuple[int, str]]  # top-level (id, name), in the catalog's order

    def bucket(self, category_id: int, level: int = 0) -> int:
        """The ancestor at ``level`` (0 = top level) a category's sales count under."""
        chain = self.chains.get(category_id) or (category_id,)
        return chain[min(level, len(chain) - 1)]

    def subtree(self, root_id: int) -> list[int]:
        return [cid for cid, chain in self.chains.items() if root_id in chain]

    def top_name(self, category_id: int) -> str:
        return self.names.get(self.bucket(category_id), "")


def category_tree() -> CategoryTree:
    rows = list(Category.objects.order_by("sort", "code").values_list("id", "name", "parent_id"))
    names = {pk: name for pk, name, _parent in rows}
    parents = {pk: parent for pk, _name, parent in rows}
    chains: dict[int, tuple[int, ...]] = {}
    for pk in parents:
        chain, node = [], pk
        while node is not None and node not in chain and len(chain) < 32:
            chain.append(node)
            node = parents.get(node)
        chains[pk] = tuple(reversed(chain))
    roots = [(pk, name) for pk, name, parent in rows if parent is None or parent not in names]
    return CategoryTree(names=names, chains=chains, roots=roots)


@dataclass
class CategoryTotal:
    id: int
    name: str
    amount: Decimal
    share: int  # per cent of the period's total, rounded down


@dataclass
class DealerRow:
    dealer_id: int
    code: str
    name: str
    region_code: str
    total: Decimal
    cells: list[Decimal | None]  # one per column of the report; None where nothing was sold


@dataclass
class SalesReport:
    filters: SalesFilter
    by: str  # "month": the columns are months; "category": the columns are categories
    months: list[dt.date]
    month_totals: list[Decimal]  # over every matching fact, one per month
    total: Decimal
    categories: list[CategoryTotal]  # top level, or the children of the category filtered on
    columns: list[tuple[object, str]]  # (month or category id, label) of the dealer table
    column_totals: list[Decimal]
    page: Page  # of DealerRow, biggest total first
    dealers: int  # dealers with facts in the report
    refreshed_to: dt.datetime | None  # the facts include orders changed up to then


def _cents(value: Decimal | None) -> Decimal:
    """A SQL sum of amounts, to the cent (SQLite's SUM goes through a float: 591395.6400000001)."""
    return quantize(value) if value is not None else ZERO


def _share(part: Decimal, whole: Decimal) -> int:
    return int(part * 100 / whole) if whole > 0 else 0


def _facts(actor: Actor, filters: SalesFilter, tree: CategoryTree) -> QuerySet:
    require(actor, "reports.view")
    qs = scope_dealers(actor, SalesFact.objects.all(), "dealer").filter(
        month__gte=month_start(filters.month_from), month__lte=month_start(filters.month_to)
    )
    if filters.province:
        qs = qs.filter(dealer__region_code__startswith=filters.province[:2])
    if filters.category_id:
        qs = qs.filter(category_id__in=tree.subtree(filters.category_id) or [filters.category_id])
    if filters.q:
        qs = qs.filter(Q(dealer__code__icontains=filters.q) | Q(dealer__name__icontains=filters.q))
    return qs


def sales_report_page(
    *,
    actor: Actor,
    filters: SalesFilter,
    page: int | str | None = 1,
    by: str = "month",
    per_page: int = PAGE_DEALERS,
    tree: CategoryTree | None = None,
) -> SalesReport:
    """One page of the sales report (what the page and the bench time): six queries, whatever the size.

    Call it as ``sales_report_page(actor=actor, filters=SalesFilter.last_months(12), page=1)``.

    Every figure is a SQL ``SUM … GROUP BY`` over the facts (no order line is read): the totals by
    month × category over everything that matches (rolled up in Python into the month totals and the
    category totals: a few hundred rows), every matching dealer's total (a brand has thousands of
    dealers, so the whole ranking is one small result, paginated here, and its length is the count),
    then the page's dealers and their cells through the ``sales_fact_cell`` index. Amounts are
    Decimal; the dealer totals are the sums of their cells.
    """
    tree = tree or category_tree()
    qs = _facts(actor, filters, tree)
    months = month_range(filters.month_from, filters.month_to)
    level = 1 if filters.category_id else 0  # filtered on a category: break it down into its children

    by_month: dict[dt.date, Decimal] = dict.fromkeys(months, ZERO)
    by_category: dict[int, Decimal] = {}
    for row in qs.values("month", "category_id").annotate(total=Sum("amount")).order_by():
        amount = _cents(row["total"])
        by_month[row["month"]] = by_month.get(row["month"], ZERO) + amount
        bucket = tree.bucket(row["category_id"], level)
        by_category[bucket] = by_category.get(bucket, ZERO) + amount
    total = sum(by_month.values(), ZERO)
    categories = [
        CategoryTotal(id=cid, name=tree.names.get(cid, "?"), amount=amount, share=_share(amount, total))
        for cid, amount in sorted(by_category.items(), key=lambda kv: (-kv[1], tree.names.get(kv[0], "")))
    ]

    sums = qs.values_list("dealer_id").annotate(total=Sum("amount")).order_by("-total", "dealer_id")
    ranking = [(dealer_id, _cents(total)) for dealer_id, total in sums]
    paged = Paginator(ranking, per_page).get_page(page)
    ids = [dealer_id for dealer_id, _amount in paged.object_list]

    if by == "category":
        columns: list[tuple[object, str]] = [(c.id, c.name) for c in categories]
        column_totals = [c.amount for c in categories]
    else:
        by = "month"
        columns = [(m, f"{m:%Y-%m}") for m in months]
        column_totals = [by_month[m] for m in months]

    rows: list[DealerRow] = []
    if ids:
        dealers = {d["id"]: d for d in Dealer.objects.filter(pk__in=ids).values("id", "code", "name", "region_code")}
        cells: dict[tuple[int, object], Decimal] = {}
        key = "category_id" if by == "category" else "month"
        for row in qs.filter(dealer_id__in=ids).values("dealer_id", key).annotate(total=Sum("amount")).order_by():
            column = tree.bucket(row[key], level) if by == "category" else row[key]
            cells[(row["dealer_id"], column)] = cells.get((row["dealer_id"], column), ZERO) + _cents(row["total"])
        for dealer_id, amount in paged.object_list:
            d = dealers.get(dealer_id, {})
            rows.append(
                DealerRow(
                    dealer_id=dealer_id,
                    code=d.get("code", ""),
                    name=d.get("name", ""),
                    region_code=d.get("region_code", ""),
                    total=amount,
                    cells=[cells.get((dealer_id, c)) for c, _label in columns],
                )
            )
    paged.object_list = rows
    mark = FactWatermark.objects.values_list("refreshed_to", flat=True).first()
    return SalesReport(
        filters=filters,
        by=by,
        months=months,
        month_totals=[by_month[m] for m in months],
        total=total,
        categories=categories,
        columns=columns,
        column_totals=column_totals,
        page=paged,
        dealers=len(ranking),
        refreshed_to=mark,
    )


EXPORT_FIELDS = ("dealer__code", "dealer__name", "dealer__region_code", "month", "category_id",
                 "amount", "qty_base", "orders", "lines")  # fmt: skip


def sales_export_rows(*, actor: Actor, filters: SalesFilter, tree: CategoryTree | None = None) -> QuerySet:
    """Every dealer × month × category cell of the report, as tuples of ``EXPORT_FIELDS``, by dealer
    code then month: the export streams it (``.iterator()``) straight into the workbook."""
    tree = tree or category_tree()
    return (
        _facts(actor, filters, tree)
        .order_by("dealer__code", "dealer_id", "month", "category_id")
        .values_list(*EXPORT_FIELDS)
    )
