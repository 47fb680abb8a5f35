"""Forms of the price-list and promotion pages. A promotion's kind-specific rules are plain fields
here (a threshold, a gift SKU code …) that the view turns into the service's ``rules`` dict."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dinghuo.backoffice.forms.catalog import RegionCodesField, _codes
from dinghuo.pricing.models import PriceList, Promotion

MAX_MONEY = Decimal("99999999999999.99")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _dt_field(label, required=True):
    return forms.DateTimeField(
        label=label, required=required, widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
    )


class PriceListForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Applies to"), choices=PriceList.Kind.choices)
    dealer = forms.TypedChoiceField(label=_("Dealer"), coerce=int, empty_value=None, required=False)
    price_group = forms.TypedChoiceField(label=_("Price group"), coerce=int, empty_value=None, required=False)
    tier = forms.TypedChoiceField(label=_("Dealer tier"), coerce=int, empty_value=None, required=False)
    region_code = RegionCodesField(label=_("Region"), required=False, help_text=_("A province or city code or name."))
    valid_from = _dt_field(_("Valid from"), required=False)
    valid_to = _dt_field(_("Valid until"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, dealers=(), groups=(), tiers=(), editing: PriceList | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].choices = [("", "—")] + [(d.pk, f"{d.code} {d.name}") for d in dealers]
        self.fields["price_group"].choices = [("", "—")] + [(g.pk, g.name) for g in groups]
        self.fields["tier"].choices = [("", "—")] + [(t.pk, t.name) for t in tiers]
        for name in ("dealer", "price_group", "tier", "region_code"):
            self.fields[name].widget.attrs["data-kind-field"] = name
        self.fields["kind"].widget.attrs["data-kind-select"] = "1"
        if editing is not None:
            self.fields["code"].disabled = True

    def clean_region_code(self):
        codes = self.cleaned_data["region_code"]
        if len(codes) > 1:
            raise forms.ValidationError(_("Give one region."))
        return codes[0] if codes else ""

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        needed = {"contract": "dealer", "group": "price_group", "tier": "tier", "region": "region_code"}.get(kind)
        if needed and not data.get(needed) and needed not in self.errors:
            self.add_error(needed, _("Choose who this price list applies to."))
        for name in ("dealer", "price_group", "tier", "region_code"):
            if name != needed:
                data[name] = "" if name == "region_code" else None
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and start >= end:
            self.add_error("valid_to", _("The end is not after the start."))
        return data

    @staticmethod
    def initial_for(pl: PriceList) -> dict:
        return {
            "code": pl.code,
            "name": pl.name,
            "kind": pl.kind,
            "dealer": pl.dealer_id,
            "price_group": pl.price_group_id,
            "tier": pl.tier_id,
            "region_code": pl.region_code,
            "valid_from": timezone.localtime(pl.valid_from) if pl.valid_from else None,
            "valid_to": timezone.localtime(pl.valid_to) if pl.valid_to else None,
            "is_active": pl.is_active,
        }


class PriceItemForm(forms.Form):
    """A SKU's price in a list: one price, or volume tiers like ``1=2.50; 240=2.30``."""

    sku = forms.CharField(label=_("SKU code"), max_length=40)
    tiers = forms.CharField(
        label=_("Price or volume tiers"),
        max_length=500,
        help_text=_(
            "A price per base unit (2.50), or tiers “from quantity=price” separated by semicolons: 1=2.50; 240=2.30."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].widget.attrs.update({"list": "sku-codes", "autocomplete": "off"})

    def clean_tiers(self):
        text = self.cleaned_data["tiers"].replace("；", ";").replace("，", ";").replace(",", ";").replace("＝", "=")
        out = []
        for part in [p.strip() for p in text.split(";") if p.strip()]:
            qty, _sep, price = part.rpartition("=") if "=" in part else ("1", "=", part)
            try:
                q, p = Decimal(qty.strip() or "1"), Decimal(price.strip().lstrip("¥￥"))
            except (InvalidOperation, ValueError):
                raise forms.ValidationError(
                    _("“%(part)s” is not a price or a tier like 240=2.30."), params={"part": part}
                )
            if not q.is_finite() or not p.is_finite() or q <= 0 or p < 0 or p > MAX_MONEY:
                raise forms.ValidationError(
                    _("“%(part)s”: quantities must be above zero and prices not negative."), params={"part": part}
                )
            out.append((q, p))
        if not out:
            raise forms.ValidationError(_("Enter a price."))
        return out


class PromotionForm(forms.Form):
    """Every promotion kind's fields; the template shows those of the chosen kind."""

    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Promotion.Kind.choices, widget=forms.HiddenInput)
    valid_from = _dt_field(_("Starts"))
    valid_to = _dt_field(_("Ends"))
    # threshold (满减)
    threshold = forms.DecimalField(label=_("When the order reaches (¥)"), min_value=Decimal("0.01"), max_value=MAX_MONEY,
                                   decimal_places=2, required=False)  # fmt: skip
    off = forms.DecimalField(label=_("Take off (¥)"), min_value=Decimal("0.01"), max_value=MAX_MONEY, decimal_places=2,
                             required=False)  # fmt: skip
    repeat = forms.BooleanField(label=_("Repeat for every multiple"), required=False)
    # gift (满赠/搭赠)
    buy_qty = forms.DecimalField(label=_("Buy quantity"), min_value=Decimal("0.001"), decimal_places=3, required=False)
    buy_unit = forms.CharField(label=_("Unit of the bought quantity"), max_length=10, required=False)
    gift_sku = forms.CharField(label=_("Gift SKU code"), max_length=40, required=False)
    gift_qty = forms.DecimalField(label=_("Gift quantity"), min_value=Decimal(1), decimal_places=0, required=False)
    gift_unit = forms.CharField(label=_("Gift unit"), max_length=10, required=False)
    # percent
    percent = forms.DecimalField(label=_("Discount (%)"), min_value=Decimal("0.01"), max_value=Decimal(100),
                                 decimal_places=2, required=False)  # fmt: skip
    # flash (秒杀)
    flash_sku = forms.CharField(label=_("Flash-sale SKU code"), max_length=40, required=False)
    flash_price = forms.DecimalField(label=_("Flash price per base unit (¥)"), min_value=Decimal(0), max_value=MAX_MONEY,
                                     decimal_places=2, required=False)  # fmt: skip
    total_cap = forms.DecimalField(label=_("Total quantity cap"), min_value=Decimal("0.001"), decimal_places=3,
                                   required=False)  # fmt: skip
    per_dealer_cap = forms.DecimalField(label=_("Per-dealer cap"), min_value=Decimal("0.001"), decimal_places=3,
                                        required=False)  # fmt: skip
    # who and what it applies to
    scope_skus = forms.CharField(label=_("Only these SKUs"), max_length=2000, required=False,
                                 help_text=_("SKU codes separated by commas; empty: every SKU."))  # fmt: skip
    scope_categories = forms.TypedMultipleChoiceField(label=_("Only these categories"), coerce=int, required=False)
    scope_brands = forms.TypedMultipleChoiceField(label=_("Only these brands"), coerce=int, required=False)
    tiers = forms.MultipleChoiceField(label=_("Dealer tiers"), required=False, help_text=_("Empty: every tier."))
    regions = RegionCodesField(label=_("Regions"), required=False, help_text=_("Empty: everywhere."))
    priority = forms.IntegerField(label=_("Priority"), initial=0, min_value=-1000, max_value=1000)
    stackable = forms.BooleanField(label=_("Stacks with other promotions"), required=False, initial=True)
    exclusive_group = forms.CharField(label=_("Exclusive group"), max_length=30, required=False,
                                      help_text=_("Promotions of one group never apply together; the best wins."))  # fmt: skip
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    KIND_FIELDS = {
        "threshold": ["threshold", "off", "repeat"],
        "gift": ["buy_qty", "buy_unit", "threshold", "gift_sku", "gift_qty", "gift_unit", "repeat"],
        "percent": ["percent"],
        "flash": ["flash_sku", "flash_price", "total_cap", "per_dealer_cap"],
    }

    def __init__(self, *args, categories=(), brands=(), tiers=(), editing: Promotion | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_categories"].choices = list(categories)
        self.fields["scope_brands"].choices = [(b.pk, b.name) for b in brands]
        self.fields["tiers"].choices = [(t.code, t.name) for t in tiers]
        for name in ("scope_categories", "scope_brands", "tiers"):
            self.fields[name].widget.attrs["size"] = 4
        if editing is not None:
            self.fields["code"].disabled = True
            self.fields["kind"].disabled = True

    @property
    def chosen_kind(self) -> str:
        bound = self.is_bound and not self.fields["kind"].disabled
        value = self.data.get("kind") if bound else self.initial.get("kind")
        return value if value in Promotion.Kind.values else Promotion.Kind.THRESHOLD

    def stray_errors(self) -> list[str]:
        """Errors of fields the chosen kind does not show (so that none goes unseen)."""
        shown = set(self.KIND_FIELDS[self.chosen_kind])
        hidden = {name for names in self.KIND_FIELDS.values() for name in names} - shown
        return [f"{self.fields[n].label}: {e}" for n in sorted(hidden) for e in self.errors.get(n, [])]

    def kind_fields(self):
        return [self[name] for name in self.KIND_FIELDS[self.chosen_kind]]

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or self.chosen_kind
        required = {
            "threshold": ["threshold", "off"],
            "gift": ["gift_qty"],
            "percent": ["percent"],
            "flash": ["flash_sku", "flash_price"],
        }.get(kind, [])
        for name in required:
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, _("This field is required."))
        if kind == "gift" and not self.errors:
            if (data.get("threshold") is None) == (data.get("buy_qty") is None):
                self.add_error("buy_qty", _("Give either a quantity to buy or an order amount to reach."))
            if data.get("threshold") is not None and not data.get("gift_sku"):
                self.add_error("gift_sku", _("Name the gift SKU."))
        if kind == "flash" and not self.errors and data.get("total_cap") is None and data.get("per_dealer_cap") is None:
            self.add_error("total_cap", _("A flash sale needs a quantity cap."))
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and start >= end:
            self.add_error("valid_to", _("The end is not after the start."))
        data["scope_skus"] = _codes(data.get("scope_skus") or "")
        return data

    def rules(self, sku_ids: dict[str, int]) -> dict:
        d, kind = self.cleaned_data, self.cleaned_data.get("kind") or self.chosen_kind
        if kind == "threshold":
            return {"threshold": str(d["threshold"]), "off": str(d["off"]), "repeat": d["repeat"]}
        if kind == "percent":
            return {"percent": str(d["percent"])}
        if kind == "flash":
            return {"sku": sku_ids.get(d["flash_sku"]), "price": str(d["flash_price"])}
        rules = {"gift_qty": str(d["gift_qty"]), "repeat": d["repeat"]}
        if d.get("threshold") is not None:
            rules["threshold"] = str(d["threshold"])
        if d.get("buy_qty") is not None:
            rules["buy_qty"] = str(d["buy_qty"])
        for key in ("buy_unit", "gift_unit"):
            if d.get(key):
                rules[key] = d[key]
        if d.get("gift_sku"):
            rules["gift_sku"] = sku_ids.get(d["gift_sku"])
        return rules

    def sku_codes(self) -> list[str]:
        d = self.cleaned_data
        codes = list(d.get("scope_skus") or [])
        codes += [c for c in (d.get("gift_sku"), d.get("flash_sku")) if c]
        return codes

    @staticmethod
    def initial_for(p: Promotion, sku_codes: dict[int, str]) -> dict:
        r = p.rules or {}
        initial = {
            "code": p.code,
            "name": p.name,
            "kind": p.kind,
            "valid_from": timezone.localtime(p.valid_from),
            "valid_to": timezone.localtime(p.valid_to),
            "repeat": r.get("repeat", False),
            "scope_skus": ", ".join(sku_codes.get(i, str(i)) for i in (p.scope or {}).get("skus", [])),
            "scope_categories": (p.scope or {}).get("categories", []),
            "scope_brands": (p.scope or {}).get("brands", []),
            "tiers": p.tiers,
            "regions": ", ".join(p.regions or []),
            "priority": p.priority,
            "stackable": p.stackable,
            "exclusive_group": p.exclusive_group,
            "is_active": p.is_active,
            "total_cap": p.total_cap,
            "per_dealer_cap": p.per_dealer_cap,
        }
        for key in ("threshold", "off", "percent", "buy_qty", "buy_unit", "gift_qty", "gift_unit"):
            if key in r:
                initial[key] = r[key]
        if "gift_sku" in r:
            initial["gift_sku"] = sku_codes.get(r["gift_sku"], "")
        if p.kind == "flash":
            initial["flash_sku"] = sku_codes.get(r.get("sku"), "")
            initial["flash_price"] = r.get("price")
        return initial


# a service's detail key → the form field it belongs to
PROMOTION_ERROR_FIELDS = {
    "rules.threshold": "threshold",
    "rules.off": "off",
    "rules.percent": "percent",
    "rules.buy_qty": "buy_qty",
    "rules.gift_qty": "gift_qty",
    "rules.gift_sku": "gift_sku",
    "rules.gift_unit": "gift_unit",
    "rules.sku": "flash_sku",
    "rules.price": "flash_price",
    "scope.skus": "scope_skus",
    "scope.categories": "scope_categories",
    "scope.brands": "scope_brands",
}
