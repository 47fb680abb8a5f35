"""Forms of the catalog pages. Field names follow the services' arguments, so a DomainError naming a
field in ``detail`` lands next to that field (``core.forms.add_domain_error``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dinghuo.catalog.models import VAT_RATES, Attribute, Product
from dinghuo.core import regions

MAX_MONEY = Decimal("99999999999.99")


def _codes(text: str) -> list[str]:
    return [
        p.strip() for p in (text or "").replace("，", ",").replace("、", ",").replace(";", ",").split(",") if p.strip()
    ]


class RegionCodesField(forms.CharField):
    """Region codes or names separated by commas → region codes."""

    def clean(self, value):
        value = super().clean(value)
        out, bad = [], []
        for part in _codes(value):
            region = regions.get(part)
            if region is None:
                try:
                    region = regions.parse_address(part).region
                except regions.AddressError:
                    region = None
            (out if region else bad).append(region.code if region else part)
        if bad:
            raise forms.ValidationError(_("Unknown regions: %(names)s"), params={"names": "、".join(bad)})
        return list(dict.fromkeys(out))


class ProductFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, code, barcode or pinyin")}),
    )
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, empty_value=None, required=False)
    brand = forms.TypedChoiceField(label=_("Brand"), coerce=int, empty_value=None, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Product.Status.choices], required=False
    )

    def __init__(self, *args, categories=(), brands=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *categories]
        self.fields["brand"].choices = [("", _("All brands"))] + [(b.pk, b.name) for b in brands]


class ProductForm(forms.Form):
    code = forms.CharField(label=_("Product code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    subtitle = forms.CharField(label=_("Subtitle"), max_length=200, required=False)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    brand = forms.TypedChoiceField(label=_("Brand"), coerce=int, empty_value=None, required=False)
    tags = forms.TypedMultipleChoiceField(label=_("Tags"), coerce=int, required=False)
    shelf_life_days = forms.IntegerField(label=_("Shelf life (days)"), min_value=0, max_value=36500, required=False)
    expiry_sensitive = forms.BooleanField(label=_("Expiry-sensitive"), required=False)
    sale_regions = RegionCodesField(
        label=_("Sale regions"),
        required=False,
        help_text=_("Region codes or names separated by commas; empty means everywhere."),
    )
    sort = forms.IntegerField(label=_("Sort order"), initial=0, min_value=-100000, max_value=100000)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, required=False
    )

    def __init__(self, *args, categories=(), brands=(), tags=(), editing: Product | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *categories]
        self.fields["brand"].choices = [("", "—")] + [(b.pk, b.name) for b in brands]
        self.fields["tags"].choices = [(t.pk, t.name) for t in tags]
        self.fields["tags"].widget.attrs["size"] = min(6, max(2, len(tags)))
        if editing is not None:
            self.fields["code"].disabled = True

    @staticmethod
    def initial_for(product: Product) -> dict:
        return {
            "code": product.code,
            "name": product.name,
            "subtitle": product.subtitle,
            "category": product.category_id,
            "brand": product.brand_id,
            "tags": [t.pk for t in product.tags.all()],
            "shelf_life_days": product.shelf_life_days,
            "expiry_sensitive": product.expiry_sensitive,
            "sale_regions": ", ".join(product.sale_regions or []),
            "sort": product.sort,
            "description": product.description,
        }


class ProductStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Product.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


VAT_CHOICES = [(str(rate), label) for rate, label in VAT_RATES]


class SkuForm(forms.Form):
    code = forms.CharField(label=_("SKU code"), max_length=40)
    name = forms.CharField(label=_("Spec"), max_length=120, required=False, help_text=_("e.g. 500ml×24瓶 无糖"))
    barcode = forms.CharField(label=_("Barcode"), max_length=32, required=False)
    base_unit = forms.CharField(label=_("Base unit"), max_length=10, initial="件")
    list_price = forms.DecimalField(
        label=_("List price per base unit (¥)"), min_value=Decimal(0), max_value=MAX_MONEY, decimal_places=2
    )
    vat_rate = forms.TypedChoiceField(label=_("VAT rate"), choices=VAT_CHOICES, coerce=Decimal, initial="0.13")
    moq = forms.DecimalField(label=_("Minimum order quantity"), min_value=Decimal(0), decimal_places=3, initial=1)
    order_multiple = forms.DecimalField(
        label=_("Order multiple"), min_value=Decimal("0.001"), decimal_places=3, initial=1
    )
    weight_kg = forms.DecimalField(label=_("Weight (kg)"), min_value=Decimal(0), decimal_places=3, required=False)
    allow_backorder = forms.BooleanField(label=_("Allow backorders"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    sort = forms.IntegerField(label=_("Sort order"), initial=0, min_value=-100000, max_value=100000)

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        if editing is None:
            del self.fields["is_active"]

    @staticmethod
    def initial_for(sku) -> dict:
        return {
            "code": sku.code,
            "name": sku.name,
            "barcode": sku.barcode,
            "base_unit": sku.base_unit,
            "list_price": sku.list_price,
            "vat_rate": str(sku.vat_rate),
            "moq": sku.moq,
            "order_multiple": sku.order_multiple,
            "weight_kg": sku.weight_kg,
            "allow_backorder": sku.allow_backorder,
            "is_active": sku.is_active,
            "sort": sku.sort,
        }


class SkuUnitsForm(forms.Form):
    units = forms.CharField(
        label=_("Pack units"),
        required=False,
        max_length=200,
        help_text=_("Each pack unit with its size in base units, e.g. 箱=24; 提=6."),
    )
    default_unit = forms.CharField(label=_("Default order unit"), max_length=10, required=False)

    def clean_units(self):
        out = []
        for part in [p.strip() for p in (self.cleaned_data["units"] or "").replace("；", ";").split(";") if p.strip()]:
            name, sep, factor = part.replace("＝", "=").partition("=")
            try:
                value = Decimal(factor.strip())
            except ArithmeticError:
                value = None
            if not sep or not name.strip() or value is None or not value.is_finite() or value <= 0:
                raise forms.ValidationError(
                    _("“%(part)s” is not a unit with its size, like 箱=24."), params={"part": part}
                )
            out.append((name.strip(), value))
        return out


class CategoryForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=80)
    parent = forms.TypedChoiceField(label=_("Parent category"), coerce=int, empty_value=None, required=False)
    sort = forms.IntegerField(label=_("Sort order"), initial=0, min_value=-100000, max_value=100000)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("— top level —")), *categories]


class CategoryMoveForm(forms.Form):
    parent = forms.TypedChoiceField(label=_("Move under"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("— top level —")), *categories]


class BrandForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=80)


class AttributeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=Attribute.Kind.choices)
    category = forms.TypedChoiceField(
        label=_("Category"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("The attribute applies to this category and the ones below it; empty: every category."),
    )
    unit = forms.CharField(label=_("Unit"), max_length=16, required=False, help_text=_("For numbers, e.g. mm, ml, kg."))
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        max_length=2000,
        help_text=_("For a choice: the options, separated by commas."),
    )
    is_filterable = forms.BooleanField(label=_("Filterable"), required=False, initial=True)
    is_spec = forms.BooleanField(label=_("Distinguishes SKUs"), required=False)
    sort = forms.IntegerField(label=_("Sort order"), initial=0, min_value=-100000, max_value=100000)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Every category")), *categories]

    def clean_choices(self):
        return _codes(self.cleaned_data["choices"])


class ProductAttributesForm(forms.Form):
    """One field per attribute that applies to the product's category; empty removes a value."""

    def __init__(self, *args, attributes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.attributes = list(attributes)
        for a in self.attributes:
            label = f"{a.name} ({a.unit})" if a.unit else a.name
            if a.kind == Attribute.Kind.CHOICE:
                field = forms.ChoiceField(
                    label=label, choices=[("", "—")] + [(c, c) for c in a.choices], required=False
                )
            elif a.kind == Attribute.Kind.BOOLEAN:
                field = forms.NullBooleanField(
                    label=label, required=False, widget=forms.NullBooleanSelect(attrs={"class": "form-select"})
                )
            elif a.kind == Attribute.Kind.NUMBER:
                field = forms.DecimalField(label=label, required=False, max_digits=14, decimal_places=4)
            else:
                field = forms.CharField(label=label, max_length=200, required=False)
            self.fields[f"attr_{a.code}"] = field

    def values(self) -> dict:
        out = {}
        for a in self.attributes:
            value = self.cleaned_data.get(f"attr_{a.code}")
            out[a.code] = None if value in ("", None) else value
        return out
