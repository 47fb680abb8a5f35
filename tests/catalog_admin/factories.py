"""Builders for the catalog tests, through the real services (so audit rows and rules hold)."""

from __future__ import annotations

import io
import itertools
from decimal import Decimal
from typing import Any

import openpyxl

from dinghuo.catalog import services
from dinghuo.catalog.models import Attribute, Brand, Category, Product, Sku, Tag
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.tenancy.models import Tenant

_seq = itertools.count(1)


def system(tenant: Tenant) -> Actor:
    return Actor.system(tenant.pk, "tests")


def make_category(
    tenant: Tenant, code: str | None = None, name: str = "饮料", parent: Category | None = None
) -> Category:
    with tenant_context(tenant):
        return services.category_create(
            actor=system(tenant), code=code or f"C{next(_seq):03d}", name=name, parent=parent
        )


def make_brand(tenant: Tenant, code: str | None = None, name: str = "清泉") -> Brand:
    with tenant_context(tenant):
        return services.brand_create(actor=system(tenant), code=code or f"B{next(_seq):03d}", name=name)


def make_tag(tenant: Tenant, code: str | None = None, name: str = "新品") -> Tag:
    with tenant_context(tenant):
        return services.tag_create(actor=system(tenant), code=code or f"t{next(_seq)}", name=name)


def make_attribute(
    tenant: Tenant, code: str, name: str, kind: str, *, category: Category | None = None, **fields: Any
) -> Attribute:
    with tenant_context(tenant):
        return services.attribute_define(
            actor=system(tenant), code=code, name=name, kind=kind, category=category, **fields
        )


def make_product(
    tenant: Tenant, *, category: Category, code: str | None = None, name: str = "清泉矿泉水", **fields: Any
) -> Product:
    with tenant_context(tenant):
        return services.product_create(
            actor=system(tenant), code=code or f"P{next(_seq):04d}", name=name, category=category, **fields
        )


def make_sku(product: Product, code: str | None = None, list_price: Decimal = Decimal("2.50"), **fields: Any) -> Sku:
    with tenant_context(product.tenant_id):
        return services.sku_create(
            actor=Actor.system(product.tenant_id, "tests"),
            product=product,
            code=code or f"S{next(_seq):05d}",
            list_price=list_price,
            **fields,
        )


def book(headers: list[str], rows: list[list[Any]]) -> bytes:
    """A plain .xlsx as a person would type it in Excel."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sheet_rows(data: bytes) -> list[list[Any]]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def png(size: tuple[int, int] = (600, 400), mode: str = "RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(out, format="PNG")
    return out.getvalue()
