"""Reads of the back-office pages that no domain app offers as a selector: the dashboard's figures,
stock and movement lists, the catalog's admin lists, staff, the audit log and background jobs.

Each read is scoped by the same helpers as the API (``require``/``scope_dealers``), joins what its
page shows (``select_related``/``prefetch_related``) and issues a fixed number of queries, whatever
the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Count, DecimalField, F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr, TruncDate
from django.utils import timezone

from dinghuo.accounts.models import Membership
from dinghuo.accounts.permissions import can, require
from dinghuo.catalog.models import Attribute, AttributeValue, Brand, Category, Product, Sku, SkuUnit
from dinghuo.core import regions
from dinghuo.core.errors import NotFound
from dinghuo.core.models import AuditEntry, Job
from dinghuo.core.tenancy import Actor
from dinghuo.dealers import selectors as dealer_selectors
from dinghuo.dealers.models import Dealer
from dinghuo.inventory.errors import WarehouseNotFound
from dinghuo.inventory.models import LowStockAlert, Stock, StockMovement, Warehouse
from dinghuo.orders.models import Order
from dinghuo.orders.selectors import visible_orders

ZERO = Decimal(0)
NOT_COUNTED = (Order.Status.CANCELLED, Order.Status.REJECTED)
MONEY = DecimalField(max_digits=18, decimal_places=2)


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


# --- dashboard ------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    today_orders: int = 0
    today_amount: Decimal = ZERO
    month_amount: Decimal = ZERO
    pending_review: int | None = None
    to_ship: int | None = None
    low_stock: int | None = None
    low_stock_rows: list = field(default_factory=list)
    top_dealers: list = field(default_factory=list)
    daily: dict = field(default_factory=dict)  # chart data: {"days": [...], "orders": [...], "amount": [...]}
    provinces: dict = field(default_factory=dict)  # chart data: {"names": [...], "orders": [...], "amount": [...]}
    recent: list = field(default_factory=list)


def dashboard(*, actor: Actor, days: int = 30) -> Dashboard:
    """The dashboard's figures in a fixed number of aggregate queries (about eight)."""
    require(actor, "orders.view")
    out = Dashboard()
    now = timezone.localtime()
    today = now.date()
    since = today - dt.timedelta(days=days - 1)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    orders = visible_orders(actor)
    counted = orders.exclude(status__in=NOT_COUNTED)
    zero = Value(ZERO, output_field=MONEY)

    # today's orders and amount, and this month's amount: one query
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time()))
    day_start = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    figures = counted.filter(created_at__gte=min(month_start, day_start)).aggregate(
        n=Count("id", filter=Q(created_at__gte=day_start)),
        amount=Coalesce(Sum("total", filter=Q(created_at__gte=day_start)), zero),
        month=Coalesce(Sum("total", filter=Q(created_at__gte=month_start)), zero),
    )
    out.today_orders, out.today_amount, out.month_amount = figures["n"], figures["amount"], figures["month"]

    # what waits for someone: review (reviewers) and shipping (warehouse)
    open_counts = orders.filter(
        status__in=[
            Order.Status.PENDING_REVIEW,
            Order.Status.APPROVED,
            Order.Status.PICKING,
            Order.Status.PARTIALLY_SHIPPED,
        ]
    ).aggregate(
        review=Count("id", filter=Q(status=Order.Status.PENDING_REVIEW)),
        ship=Count("id", filter=~Q(status=Order.Status.PENDING_REVIEW)),
    )
    if can(actor, "orders.review"):
        out.pending_review = open_counts["review"]
    if can(actor, "orders.fulfil") or can(actor, "orders.review"):
        out.to_ship = open_counts["ship"]

    # low stock: the open alerts
    if can(actor, "inventory.view"):
        alerts = LowStockAlert.objects.filter(resolved_at__isnull=True)
        out.low_stock = alerts.count()
        out.low_stock_rows = list(
            alerts.select_related("stock__warehouse", "stock__sku__product").order_by("-created_at", "-id")[:6]
        )

    # the last 30 days, by day
    by_day = {
        (r["day"] if isinstance(r["day"], dt.date) else dt.date.fromisoformat(str(r["day"]))): r
        for r in counted.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"), amount=Coalesce(Sum("total"), zero))
        .order_by("day")
    }
    day_list = [since + dt.timedelta(days=i) for i in range(days)]
    out.daily = {
        "days": [d.strftime("%m-%d") for d in day_list],
        "orders": [by_day[d]["n"] if d in by_day else 0 for d in day_list],
        "amount": [str(by_day[d]["amount"]) if d in by_day else "0" for d in day_list],
    }

    # by province (of the ship-to address), the last 30 days
    rows = (
        counted.filter(created_at__gte=start)
        .annotate(province=Substr("ship_to_region", 1, 2))
        .values("province")
        .annotate(n=Count("id"), amount=Coalesce(Sum("total"), zero))
        .order_by("-amount")
    )
    names, counts, amounts = [], [], []
    for r in rows:
        region = regions.get(f"{r['province']}0000")
        names.append(region.name if region else r["province"])
        counts.append(r["n"])
        amounts.append(str(r["amount"]))
    out.provinces = {"names": names, "orders": counts, "amount": amounts}

    # top dealers by amount, the last 30 days
    if can(actor, "dealers.view"):
        out.top_dealers = list(
            counted.filter(created_at__gte=start)
            .values("dealer_id", "dealer__code", "dealer__name")
            .annotate(n=Count("id"), amount=Coalesce(Sum("total"), zero))
            .order_by("-amount", "dealer__code")[:8]
        )
    out.recent = list(orders.select_related("dealer").order_by("-created_at", "-id")[:6])
    return out


# --- dealers ----------------------------------------------------------------------------------------


def dealer_rows(*, actor: Actor, **filters) -> QuerySet[Dealer]:
    """The dealer list with each dealer's credit account (one join)."""
    return dealer_selectors.dealer_list(actor=actor, **filters).select_related("account")


def dealer_recent_orders(*, actor: Actor, dealer: Dealer, limit: int = 8) -> list[Order]:
    return list(visible_orders(actor).filter(dealer=dealer).order_by("-created_at", "-id")[:limit])


def dealer_account(dealer: Dealer):
    from dinghuo.finance.models import DealerAccount

    return DealerAccount.objects.filter(dealer=dealer).first()


def credit_history(account, limit: int = 10) -> list[dict]:
    """The latest changes of a dealer's credit limit and terms, read from the audit log (one query)."""
    if account is None:
        return []

    def money(value):
        try:
            return Decimal(str(value))
        except (InvalidOperation, ValueError):
            return None

    rows = (
        AuditEntry.objects.filter(
            action="credit.terms_changed", object_type=account._meta.label_lower, object_id=str(account.pk)
        )
        .only("created_at", "actor_label", "before", "after", "reason")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        {
            "at": e.created_at,
            "who": e.actor_label,
            "limit_before": money((e.before or {}).get("credit_limit")),
            "limit_after": money((e.after or {}).get("credit_limit")),
            "terms_before": (e.before or {}).get("terms_days"),
            "terms_after": (e.after or {}).get("terms_days"),
            "reason": e.reason,
        }
        for e in rows
    ]


def tiers_and_groups() -> dict:
    from dinghuo.dealers.models import PriceGroup

    return {
        "tiers": dealer_selectors.tiers(),
        "groups": PriceGroup.objects.annotate(dealer_count=Count("dealers")).order_by("code", "id"),
    }


# --- orders -----------------------------------------------------------------------------------------


def warehouses_by_id(ids) -> dict[int, Warehouse]:
    ids = {i for i in ids if i}
    return {w.pk: w for w in Warehouse.objects.filter(pk__in=ids)} if ids else {}


def order_dealers(*, actor: Actor) -> list[Dealer]:
    """Dealers the actor may filter orders by or order for (scoped like the order list)."""
    return list(dealer_selectors.dealer_list(actor=actor).select_related(None).only("pk", "code", "name", "status"))


def dealer_for_order(*, actor: Actor, pk) -> Dealer | None:
    """An active dealer the actor may place orders for, with its addresses (two queries), or None."""
    from dinghuo.dealers.models import Address

    pk = _int(pk)
    if pk is None:
        return None
    dealer = (
        dealer_selectors.dealer_list(actor=actor)
        .select_related("account")
        .prefetch_related(Prefetch("addresses", queryset=Address.objects.order_by("-is_default", "id")))
        .filter(pk=pk)
        .first()
    )
    return dealer


def skus_by_code(codes) -> dict[str, Sku]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    found = (
        Sku.objects.select_related("product")
        .prefetch_related(Prefetch("units", queryset=SkuUnit.objects.order_by("factor")))
        .filter(Q(code__in=codes) | Q(barcode__in=codes))
    )
    out: dict[str, Sku] = {}
    for sku in found:
        out.setdefault(sku.code, sku)
        if sku.barcode:
            out.setdefault(sku.barcode, sku)
    return out


def sku_choices_for_order(limit: int = 400) -> list[dict]:
    """SKU codes for the order form's suggestions (on-sale products, active SKUs)."""
    return list(
        Sku.objects.filter(is_active=True, product__status=Product.Status.ON_SALE)
        .values("code", "name", "product__name", "base_unit")
        .order_by("code")[:limit]
    )


# --- catalog ----------------------------------------------------------------------------------------


def product_list(*, actor: Actor, q: str = "", category_id=None, brand_id=None, status: str = "") -> QuerySet:
    require(actor, "catalog.view")
    qs = Product.objects.select_related("category", "brand").annotate(sku_count=Count("skus"))
    if q:
        term = q.strip()
        qs = qs.filter(
            Q(code__icontains=term)
            | Q(name__icontains=term)
            | Q(search_text__icontains=term.lower())
            | Q(pk__in=Sku.objects.filter(Q(code__iexact=term) | Q(barcode=term)).values("product_id"))
        )
    category_id = _int(category_id)
    if category_id:
        category = Category.objects.filter(pk=category_id).only("path").first()
        qs = qs.filter(category__path__startswith=category.path) if category else qs.none()
    brand_id = _int(brand_id)
    if brand_id:
        qs = qs.filter(brand_id=brand_id)
    if status in Product.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("sort", "code")


def product_get(*, actor: Actor, pk) -> Product:
    from dinghuo.catalog.errors import ProductNotFound

    require(actor, "catalog.view")
    pk = _int(pk)
    product = (
        Product.objects.select_related("category", "brand")
        .prefetch_related(
            "tags",
            "images",
            Prefetch(
                "skus",
                queryset=Sku.objects.order_by("sort", "code").prefetch_related(
                    Prefetch("units", queryset=SkuUnit.objects.order_by("factor"))
                ),
            ),
            Prefetch("attribute_values", queryset=AttributeValue.objects.select_related("attribute", "sku")),
        )
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if product is None:
        raise ProductNotFound()
    return product


def sku_get(*, actor: Actor, pk) -> Sku:
    from dinghuo.catalog.errors import SkuNotFound

    require(actor, "catalog.view")
    pk = _int(pk)
    sku = (
        Sku.objects.select_related("product")
        .prefetch_related(Prefetch("units", queryset=SkuUnit.objects.order_by("factor")))
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if sku is None:
        raise SkuNotFound()
    return sku


def category_rows() -> list[Category]:
    """Every category in tree order with its own product count (categories are few: one query)."""
    return list(Category.objects.annotate(product_count=Count("products")).order_by("path"))


def category_options() -> list[tuple[int, str]]:
    return [(c.pk, f"{'　' * c.depth}{c.name}") for c in Category.objects.only("pk", "name", "depth", "path")]


def brand_rows() -> QuerySet[Brand]:
    return Brand.objects.annotate(product_count=Count("products")).order_by("name", "id")


def attribute_rows() -> QuerySet[Attribute]:
    return (
        Attribute.objects.select_related("category")
        .annotate(value_count=Count("values"))
        .order_by("category__path", "sort", "id")
    )


# --- inventory --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockFilter:
    warehouse_id: int | None = None
    q: str = ""
    low: bool = False


def stock_list(*, actor: Actor, filters: StockFilter) -> QuerySet[Stock]:
    require(actor, "inventory.view")
    qs = Stock.objects.select_related("warehouse", "sku__product").annotate(avail=F("on_hand") - F("reserved"))
    if filters.warehouse_id:
        qs = qs.filter(warehouse_id=filters.warehouse_id)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(sku__code__icontains=term) | Q(sku__barcode=term) | Q(sku__product__name__icontains=term)
            | Q(sku__name__icontains=term)
        )  # fmt: skip
    if filters.low:
        qs = qs.filter(safety_stock__gt=0, avail__lte=F("safety_stock"))
    return qs.order_by("warehouse__code", "sku__code")


def stock_get(*, actor: Actor, pk) -> Stock:
    require(actor, "inventory.view")
    pk = _int(pk)
    stock = Stock.objects.select_related("warehouse", "sku__product").filter(pk=pk).first() if pk else None
    if stock is None:
        raise NotFound()
    return stock


def movement_list(
    *, actor: Actor, warehouse_id: int | None = None, kind: str = "", q: str = "", stock: Stock | None = None
) -> QuerySet[StockMovement]:
    require(actor, "inventory.view")
    qs = StockMovement.objects.select_related("stock__warehouse", "stock__sku")
    if stock is not None:
        qs = qs.filter(stock=stock)
    if warehouse_id:
        qs = qs.filter(stock__warehouse_id=warehouse_id)
    if kind in StockMovement.Kind.values:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(stock__sku__code__icontains=q.strip()) | Q(ref_id=q.strip()) | Q(note__icontains=q.strip()))
    return qs.order_by("-created_at", "-id")


def low_stock_alerts(*, actor: Actor, warehouse_id: int | None = None) -> QuerySet[LowStockAlert]:
    require(actor, "inventory.view")
    qs = LowStockAlert.objects.filter(resolved_at__isnull=True).select_related(
        "stock__warehouse", "stock__sku__product"
    )
    if warehouse_id:
        qs = qs.filter(stock__warehouse_id=warehouse_id)
    return qs.order_by("stock__warehouse__code", "stock__sku__code")


def warehouse_rows(*, actor: Actor) -> QuerySet[Warehouse]:
    require(actor, "inventory.view")
    return (
        Warehouse.objects.select_related("owner_dealer")
        .annotate(
            sku_count=Count("stocks", filter=Q(stocks__on_hand__gt=0)),
            on_hand=Coalesce(Sum("stocks__on_hand"), Value(ZERO, output_field=MONEY)),
            reserved=Coalesce(Sum("stocks__reserved"), Value(ZERO, output_field=MONEY)),
        )
        .order_by("code", "id")
    )


def warehouse_options() -> list[Warehouse]:
    return list(Warehouse.objects.only("pk", "code", "name", "is_active").order_by("code"))


def warehouse_get(pk) -> Warehouse:
    pk = _int(pk)
    warehouse = Warehouse.objects.filter(pk=pk).first() if pk else None
    if warehouse is None:
        raise WarehouseNotFound()
    return warehouse


# --- staff and audit ------------------------------------------------------------------------------------


def staff_list(*, actor: Actor, q: str = "", role: str = "") -> QuerySet[Membership]:
    require(actor, "staff.manage")
    qs = Membership.objects.filter(dealer__isnull=True).select_related("user")
    if q:
        qs = qs.filter(Q(user__username__icontains=q) | Q(user__display_name__icontains=q) | Q(user__phone=q))
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("role", "user__username")


def membership_get(pk) -> Membership:
    pk = _int(pk)
    membership = Membership.objects.select_related("user", "dealer").filter(pk=pk).first() if pk else None
    if membership is None:
        raise NotFound()
    return membership


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    obj: str = ""
    who: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def audit_list(*, actor: Actor, filters: AuditFilter) -> QuerySet[AuditEntry]:
    require(actor, "audit.view")
    qs = AuditEntry.objects.defer("prev_hash", "hash")
    if filters.action:
        qs = qs.filter(action__startswith=filters.action.strip())
    if filters.obj:
        term = filters.obj.strip()
        qs = qs.filter(Q(object_repr__icontains=term) | Q(object_id=term))
    if filters.who:
        qs = qs.filter(actor_label__icontains=filters.who.strip())
    if filters.date_from:
        qs = qs.filter(created_at__gte=timezone.make_aware(dt.datetime.combine(filters.date_from, dt.time())))
    if filters.date_to:
        end = filters.date_to + dt.timedelta(days=1)
        qs = qs.filter(created_at__lt=timezone.make_aware(dt.datetime.combine(end, dt.time())))
    return qs.order_by("-created_at", "-id")


def audit_actions() -> list[str]:
    """The prefixes of the actions recorded (dealer, order, stock …), for the filter's suggestions."""
    return sorted({a.split(".")[0] for a in AuditEntry.objects.values_list("action", flat=True).distinct()[:500]})


# --- background jobs ------------------------------------------------------------------------------------

# kind → the permission needed to see the job and download its files
JOB_PERMISSIONS = {
    "catalog.import": "catalog.manage",
    "pricing.import": "prices.manage",
    "pricing.promotion_import": "promotions.manage",
    "inventory.import": "inventory.manage",
    "analytics.sales_export": "reports.view",
}
# An export holds what the one who started it may see (a sales rep: their dealers only), so only
# they see the job and its file.
PRIVATE_JOB_KINDS = {"analytics.sales_export"}


def job_get(*, actor: Actor, pk) -> Job:
    """A background job of a kind the back office runs, for a staff member allowed to see it."""
    pk = _int(pk)
    job = Job.objects.filter(pk=pk, kind__in=list(JOB_PERMISSIONS)).first() if pk else None
    if job is None or (job.kind in PRIVATE_JOB_KINDS and job.created_by_id != actor.user_id):
        raise NotFound()
    require(actor, JOB_PERMISSIONS[job.kind])
    return job


def recent_jobs(*, kind: str, limit: int = 5, created_by: int | None = None) -> list[Job]:
    qs = Job.objects.filter(kind=kind)
    if created_by is not None:
        qs = qs.filter(created_by_id=created_by)
    return list(qs.order_by("-created_at", "-id")[:limit])


def order_status_counts(*, actor: Actor) -> dict[str, int]:
    """How many of the actor's orders are in each status (one query)."""
    rows = visible_orders(actor).order_by().values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def review_queue(*, actor: Actor) -> QuerySet[Order]:
    """The review queue with each order's lines (one more query for the page)."""
    from dinghuo.orders import selectors as order_selectors
    from dinghuo.orders.models import OrderLine

    return order_selectors.review_queue(actor=actor).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("line_no"))
    )


def sku_codes_by_id(ids) -> dict[int, str]:
    ids = {i for i in ids if isinstance(i, int)}
    return dict(Sku.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}
