"""Menus of the back office and the portal, assembled from each app's ``nav.py``.

An app lists its entries in ``<app>/nav.py`` as ``BACKOFFICE = [NavItem(…)]`` and/or
``PORTAL = [NavItem(…)]``; the layouts show those the actor's role permits, in ``order``. Apps
add pages without touching the shared layouts.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from dinghuo.accounts.permissions import can


@dataclass(frozen=True)
class NavItem:
    key: str  # matched against the page's ``nav`` context variable to mark the active entry
    label: Any  # a lazy translated string
    url_name: str
    icon: str = "circle"  # a Bootstrap Icons name
    perm: str | None = None
    order: int = 100
    mobile: bool = False  # also in the portal's bottom tab bar (phones)


@cache
def _items(side: str) -> tuple[NavItem, ...]:
    found: list[NavItem] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dinghuo."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.nav")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.nav":
                raise
            continue
        found += getattr(module, side, [])
    return tuple(sorted(found, key=lambda i: (i.order, i.key)))


def menu(side: str, actor) -> list[dict]:
    out = []
    for item in _items(side):
        if item.perm and not can(actor, item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"key": item.key, "label": item.label, "url": url, "icon": item.icon, "mobile": item.mobile})
    return out
