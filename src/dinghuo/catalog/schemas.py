"""Request and response bodies of the catalog API. Money and quantities are decimal strings."""

from __future__ import annotations

from decimal import Decimal

from ninja import Field, Schema

from dinghuo.api.schemas import Dec, Out


class SearchParams(Schema):
    q: str = Field("", max_length=100, description="Keywords: Chinese, pinyin, initials, a SKU code or a barcode")
    category: int | None = Field(None, description="A category id; its whole subtree is searched")
    brand: list[int] = Field(default_factory=list, description="Brand ids (repeat the parameter for several)")
    tag: list[int] = Field(default_factory=list, description="Tag ids")
    attr: list[str] = Field(
        default_factory=list,
        description="Attribute filters: `code:value1,value2` (choices) or `code:min..max` (numbers, either end open)",
    )
    price_min: Decimal | None = Field(None, ge=0, description="At the dealer's own price per base unit")
    price_max: Decimal | None = Field(None, ge=0)
    in_stock: bool = Field(False, description="Only SKUs available now (or that may be backordered)")
    shelf_life_max: int | None = Field(None, ge=0, description="Only products keeping at most this many days")
    sort: str = Field("relevance", description="relevance, price_asc, price_desc, sales (regional), newest")
    page: int = Field(1, ge=1)
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the previous page (instead of page)")
    per_page: int = Field(20, ge=1, le=100)
    facets: bool = True
    dealer: int | None = Field(None, description="Staff only: price and filter as this dealer")


class UnitOut(Out):
    name: str
    factor: Dec
    barcode: str
    is_default: bool


class StockOut(Out):
    status: str  # in_stock | backorder | out_of_stock
    label: str
    available: Dec | None = None  # base units; shown to staff only


class ProductBrief(Out):
    id: int
    code: str
    name: str
    subtitle: str
    brand: str | None
    category_id: int
    category: str
    image: str | None = None


class SearchHitOut(Out):
    sku_id: int
    sku_code: str
    sku_name: str
    barcode: str
    base_unit: str
    moq: Dec
    order_multiple: Dec
    price: Dec
    price_source: str  # dealer | list
    product: ProductBrief
    stock: StockOut
    matched_on: str
    matched_on_label: str
    units: list[UnitOut]


class FacetValueOut(Out):
    value: str
    label: str
    count: int
    selected: bool


class FacetOut(Out):
    key: str
    label: str
    kind: str
    unit: str
    values: list[FacetValueOut]


class SearchOut(Out):
    q: str
    sort: str
    total: int
    page: int
    per_page: int
    pages: int
    next_page: int | None
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page; null on the last")
    items: list[SearchHitOut]
    facets: list[FacetOut]


class SuggestionOut(Schema):
    text: str
    kind: str  # sku | product | category
    id: int
    detail: str


class CategoryOut(Schema):
    id: int
    parent_id: int | None
    code: str
    name: str
    depth: int
    product_count: int
    total_count: int


class CategoryRef(Schema):
    id: int
    code: str
    name: str


class AttributeOut(Schema):
    code: str
    name: str
    kind: str
    unit: str
    value: str


class SkuOut(Schema):
    id: int
    code: str
    name: str
    barcode: str
    base_unit: str
    moq: Decimal
    order_multiple: Decimal
    price: Decimal
    price_source: str
    is_active: bool
    stock: StockOut
    units: list[UnitOut]
    attributes: list[AttributeOut]


class ImageOut(Schema):
    url: str
    thumbnail: str | None
    alt: str


class TagOut(Schema):
    code: str
    name: str
    color: str


class RelatedOut(Schema):
    kind: str
    kind_label: str
    product_id: int
    code: str
    name: str


class ProductOut(Schema):
    id: int
    code: str
    name: str
    subtitle: str
    description: str
    status: str
    brand: str | None
    category_id: int
    breadcrumbs: list[CategoryRef]
    shelf_life_days: int | None
    attributes: list[AttributeOut]
    skus: list[SkuOut]
    images: list[ImageOut]
    tags: list[TagOut]
    related: list[RelatedOut]


class MatchIn(Schema):
    text: str = Field(..., max_length=200, description="The need, e.g. 直径50mm的不锈钢轴承, 6205-2RS, 500ml 无糖 24瓶")
    limit: int = Field(20, ge=1, le=50)
    dealer: int | None = Field(None, description="Staff only: match as this dealer")


class ConstraintOut(Schema):
    key: str
    kind: str  # number | value | code | pack | keyword
    kind_label: str
    text: str
    label: str


class CheckOut(Schema):
    key: str
    kind: str
    kind_label: str
    label: str
    met: bool
    actual: str
    note: str


class MatchResultOut(Schema):
    grade: str  # exact | substitute | near
    grade_label: str
    sku_id: int
    sku_code: str
    sku_name: str
    price: Decimal
    product: ProductBrief
    substitute_for: int | None
    met: list[CheckOut]
    missed: list[CheckOut]


class MatchOut(Schema):
    text: str
    constraints: list[ConstraintOut]
    results: list[MatchResultOut]
