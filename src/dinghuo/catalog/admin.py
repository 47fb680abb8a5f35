"""Django admin for the catalog (superusers, across tenants), and its Excel page.

Edits here keep the catalog's rules: a category's parent changes through ``category_move`` (so
``path``/``depth`` follow), a new SKU gets its base unit, units are checked like
``sku_set_units`` checks them, images go through ``product_image_add`` (verified, thumbnailed),
values are checked against their attribute, and nothing may point at another tenant's rows.
"Products → Excel import / export" downloads the template, exports a tenant's products and
queues an import for a chosen tenant, then shows the job's progress and its error report.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.forms.models import BaseInlineFormSet, model_to_dict
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.catalog import importers, services
from dinghuo.catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductImage,
    RelatedProduct,
    Sku,
    SkuUnit,
    Tag,
)
from dinghuo.core.admin_base import TenantAdmin
from dinghuo.core.audit import AuditEvent, audit_write, jsonable
from dinghuo.core.errors import DomainError
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor, TenantModel, tenant_context
from dinghuo.tenancy.models import Tenant

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def admin_actor(request: HttpRequest, tenant_id: int) -> Actor:
    return Actor(
        tenant_id=tenant_id,
        user_id=request.user.pk,
        role="superuser",
        kind="system",
        label=request.user.get_username(),
        via="admin",
    )


def _domain(fn, *args: Any, **kwargs: Any) -> Any:
    """Run a catalog validator; its DomainError becomes a form error."""
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        raise forms.ValidationError(exc.message)


# --- forms: same-tenant references and the catalog's rules -----------------------------------------


class TenantForm(forms.ModelForm):
    """Refuses references to another tenant's rows (the admin lists every tenant's)."""

    tenant_id: int | None = None  # set by TenantInlineFormSet for inline forms

    def form_tenant_id(self) -> int | None:
        if self.instance.tenant_id:
            return self.instance.tenant_id
        choice = self.cleaned_data.get("tenant_choice")
        return choice.pk if choice is not None else self.tenant_id

    def clean(self) -> dict:
        data = super().clean()
        tenant_id = self.form_tenant_id()
        if tenant_id is None:
            return data
        for name, value in list(data.items()):
            values = value if isinstance(value, list | tuple) or hasattr(value, "model") else [value]
            if any(isinstance(v, TenantModel) and v.tenant_id != tenant_id for v in values):
                self.add_error(name, _("This belongs to another tenant."))
        return data


class TenantInlineFormSet(BaseInlineFormSet):
    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        form.tenant_id = self.instance.tenant_id
        return form


class CategoryForm(TenantForm):
    def clean_code(self) -> str:
        return _domain(services.clean_code, self.cleaned_data.get("code"))


class SkuForm(TenantForm):
    def clean_code(self) -> str:
        return _domain(services.clean_code, self.cleaned_data.get("code"))

    def clean_barcode(self) -> str:
        return _domain(services.clean_barcode, self.cleaned_data.get("barcode"))

    def clean_base_unit(self) -> str:
        return _domain(services.clean_unit_name, self.cleaned_data.get("base_unit"), field="base_unit")

    def clean_list_price(self):
        return _domain(services.clean_price, self.cleaned_data.get("list_price"))

    def clean_vat_rate(self):
        return _domain(services.clean_vat_rate, self.cleaned_data.get("vat_rate"))

    def clean_moq(self):
        return _domain(services.clean_quantity, self.cleaned_data.get("moq"), field="moq", positive=False)

    def clean_order_multiple(self):
        value = self.cleaned_data.get("order_multiple")
        return _domain(services.clean_quantity, value, field="order_multiple", positive=True)

    def clean(self) -> dict:
        data = super().clean()
        tenant_id, code = self.form_tenant_id(), data.get("code")
        if (
            tenant_id
            and code
            and Sku.unscoped.filter(tenant_id=tenant_id, code=code).exclude(pk=self.instance.pk).exists()
        ):
            self.add_error("code", _("A SKU with code “%(value)s” already exists.") % {"value": code})
        base = data.get("base_unit")
        renamed = self.instance.pk and base and base != Sku.unscoped.get(pk=self.instance.pk).base_unit
        if renamed and SkuUnit.unscoped.filter(sku_id=self.instance.pk, name=base).exists():
            self.add_error("base_unit", _("Unit “%(unit)s” is given more than once.") % {"unit": base})
        return data


class SkuUnitFormSet(TenantInlineFormSet):
    """The unit rules of ``sku_set_units``: the base unit at 1, factors > 0, one default order unit."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        defaults = [r["name"] for r in rows if r.get("is_default")]
        base = self.instance.base_unit
        if len(defaults) > 1:
            raise forms.ValidationError(_("Choose exactly one default order unit."))
        specs = [services.UnitSpec(r["name"], r.get("factor"), r.get("barcode") or "") for r in rows]
        _domain(services.plan_units, base_unit=base, units=specs, default_unit=defaults[0] if defaults else None)
        if self.instance.pk and base not in {r["name"] for r in rows}:
            raise forms.ValidationError(_("The base unit “%(unit)s” always holds exactly 1.") % {"unit": base})


class AttributeValueForm(TenantForm):
    def clean(self) -> dict:
        data = super().clean()
        attribute: Attribute | None = data.get("attribute")
        product_id = self.instance.product_id
        if attribute is None or product_id is None or self.errors:
            return data
        category = Product.unscoped.select_related("category").get(pk=product_id).category
        ancestors = services.category_ancestor_ids(category)
        if attribute.category_id is not None and attribute.category_id not in ancestors:
            self.add_error(
                "attribute",
                _("Unknown attribute “%(attribute)s”: it is not defined for category %(category)s.")
                % {"attribute": attribute.code, "category": category.name},
            )
            return data
        raw = {
            Attribute.Kind.NUMBER: data.get("value_number"),
            Attribute.Kind.BOOLEAN: data.get("value_bool"),
        }.get(attribute.kind, data.get("value_text"))
        value = _domain(services.clean_attribute_value, attribute, raw, lenient=True)
        if value is None:
            raise forms.ValidationError(_("Enter a value."))
        data["value_number"], data["value_text"], data["value_bool"] = value.number, value.text, value.boolean
        self.instance.value_number, self.instance.value_text, self.instance.value_bool = (
            value.number,
            value.text,
            value.boolean,
        )
        return data


class RelatedForm(TenantForm):
    def clean(self) -> dict:
        data = super().clean()
        related = data.get("related")
        if related is not None and related.pk == self.instance.product_id:
            self.add_error("related", _("A product cannot be related to itself."))
        return data


class ImageForm(TenantForm):
    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if upload is not None and not self.instance.pk:
            from dinghuo.catalog.images import prepare_image

            _domain(prepare_image, upload)
            upload.seek(0)
        return upload


# --- the admin base: audited inline saves in the parent's tenant ----------------------------------


class CatalogAdmin(TenantAdmin):
    form = TenantForm

    def get_queryset(self, request):
        return self.model.unscoped.select_related("tenant", *self.list_select_related_extra)

    list_select_related_extra: tuple[str, ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Work-around for core.admin_base.TenantAdmin: the "tenant_choice" it adds to the add form comes back
        # in the fieldsets, and a ModelForm cannot list a non-model field (FieldError, a 500 on every add page).
        if kwargs.get("fields") is not None:
            kwargs["fields"] = [f for f in kwargs["fields"] if f != "tenant_choice"]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_formset(self, request, form, formset, change):
        parent = form.instance
        with transaction.atomic(), tenant_context(parent.tenant_id, admin_actor(request, parent.tenant_id)):
            instances = formset.save(commit=False)
            events = [
                AuditEvent.of("admin.deleted", obj, before=jsonable(model_to_dict(obj)))
                for obj in formset.deleted_objects
            ]
            for obj in formset.deleted_objects:
                obj.delete()
            for obj in instances:
                events.extend(self.save_inline(request, parent, obj))
            formset.save_m2m()
            audit_write(events=[e for e in events if e is not None])
            if isinstance(parent, Product):
                services.reindex([parent.pk])
            elif isinstance(parent, Sku):
                services.reindex([parent.product_id])

    def save_inline(self, request, parent, obj) -> list[AuditEvent]:
        is_new = obj.pk is None
        if is_new:
            obj.tenant_id = parent.tenant_id
        before = None if is_new else jsonable(model_to_dict(type(obj).unscoped.get(pk=obj.pk)))
        old_base = None if is_new or not isinstance(obj, Sku) else Sku.unscoped.get(pk=obj.pk).base_unit
        obj.save()
        if isinstance(obj, Sku):
            _base_unit_follows(obj, old_base)
        action = "admin.added" if is_new else "admin.changed"
        return [AuditEvent.of(action, obj, before=before, after=jsonable(model_to_dict(obj)))]


def _base_unit_follows(sku: Sku, old_base: str | None) -> None:
    if old_base is None:
        if not SkuUnit.objects.filter(sku=sku, name=sku.base_unit).exists():
            is_default = not SkuUnit.objects.filter(sku=sku, is_default=True).exists()
            SkuUnit.objects.create(sku=sku, name=sku.base_unit, factor=1, is_default=is_default)
    elif old_base != sku.base_unit:
        SkuUnit.objects.filter(sku=sku, name=old_base).update(name=sku.base_unit)


# --- registrations ---------------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(CatalogAdmin):
    form = CategoryForm
    list_display = ("code", "name", "parent", "depth", "path", "sort")
    list_select_related_extra = ("parent",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")

    def save_model(self, request, obj, form, change):
        tenant_id = obj.tenant_id if change else form.cleaned_data["tenant_choice"].pk
        actor = admin_actor(request, tenant_id)
        if not change:
            with tenant_context(tenant_id, actor):
                created = services.category_create(
                    actor=actor, code=obj.code, name=obj.name, parent=obj.parent_id, sort=obj.sort
                )
            obj.pk, obj.tenant_id, obj.path, obj.depth = created.pk, created.tenant_id, created.path, created.depth
            obj._state.adding = False
            return
        if "parent" in form.changed_data:
            with tenant_context(tenant_id, actor):
                moved = services.category_move(actor=actor, category=obj.pk, parent=obj.parent_id)
            obj.path, obj.depth = moved.path, moved.depth
        super().save_model(request, obj, form, change)


@admin.register(Brand)
class BrandAdmin(CatalogAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Tag)
class TagAdmin(CatalogAdmin):
    list_display = ("code", "name", "color")
    search_fields = ("code", "name")


@admin.register(Attribute)
class AttributeAdmin(CatalogAdmin):
    list_display = ("code", "name", "kind", "unit", "category", "is_spec", "is_filterable")
    list_filter = ("tenant", "kind", "is_spec")
    list_select_related_extra = ("category",)
    search_fields = ("code", "name")
    raw_id_fields = ("category",)


class SkuInline(admin.TabularInline):
    model = Sku
    form = SkuForm
    formset = TenantInlineFormSet
    extra = 0
    fields = ("code", "name", "barcode", "base_unit", "moq", "order_multiple", "list_price", "vat_rate", "is_active")
    show_change_link = True

    def get_queryset(self, request):
        return Sku.unscoped.all()


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    form = AttributeValueForm
    formset = TenantInlineFormSet
    extra = 0
    fields = ("attribute", "sku", "value_number", "value_text", "value_bool")
    raw_id_fields = ("attribute", "sku")

    def get_queryset(self, request):
        return AttributeValue.unscoped.select_related("attribute", "sku")


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = ImageForm
    formset = TenantInlineFormSet
    extra = 0
    fields = ("image", "thumbnail", "alt", "sort")
    readonly_fields = ("thumbnail",)

    def get_queryset(self, request):
        return ProductImage.unscoped.all()


class RelatedInline(admin.TabularInline):
    model = RelatedProduct
    form = RelatedForm
    formset = TenantInlineFormSet
    fk_name = "product"
    extra = 0
    fields = ("kind", "related", "sort")
    raw_id_fields = ("related",)

    def get_queryset(self, request):
        return RelatedProduct.unscoped.select_related("related")


@admin.register(Product)
class ProductAdmin(CatalogAdmin):
    list_display = ("code", "name", "category", "brand", "status", "updated_at")
    list_filter = ("tenant", "status")
    list_select_related_extra = ("category", "brand")
    search_fields = ("code", "name", "skus__code", "skus__barcode")
    raw_id_fields = ("category", "brand", "tags")
    inlines = [SkuInline, AttributeValueInline, ProductImageInline, RelatedInline]
    actions = ["export_selected"]

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            before = Product.unscoped.get(pk=obj.pk).status
            try:
                services.check_status_change(before, obj.status)
            except DomainError as exc:
                obj.status = before
                messages.warning(request, exc.message)
        super().save_model(request, obj, form, change)
        with tenant_context(obj.tenant_id):
            services.reindex([obj.pk])

    def save_inline(self, request, parent, obj) -> list[AuditEvent]:
        if isinstance(obj, ProductImage) and obj.pk is None:
            # The formset runs in the parent's tenant context: the service verifies, thumbnails and audits.
            services.product_image_add(
                actor=admin_actor(request, parent.tenant_id),
                product=parent,
                file=obj.image.file,
                alt=obj.alt,
                sort=obj.sort or None,
            )
            return []
        return super().save_inline(request, parent, obj)

    # -- Excel: the changelist links to a page with the template, the export and the import --

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("excel/", wrap(self.excel_view), name="catalog_product_excel"),
            path("excel/jobs/<int:job_id>/", wrap(self.job_view), name="catalog_product_import_job"),
            path("excel/jobs/<int:job_id>/report/", wrap(self.job_report_view), name="catalog_product_import_report"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        self.change_list_template = _template(CHANGELIST)
        extra = {"excel_url": reverse("admin:catalog_product_excel"), "excel_label": _("Excel import / export")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    @admin.action(description=gettext_lazy("Export the selected products to Excel"))
    def export_selected(self, request, queryset):
        tenant_ids = set(queryset.values_list("tenant_id", flat=True))
        if len(tenant_ids) != 1:
            self.message_user(request, _("Choose products of one tenant."), messages.ERROR)
            return None
        (tenant_id,) = tenant_ids
        with tenant_context(tenant_id, admin_actor(request, tenant_id)):
            data = importers.export_products(
                actor=admin_actor(request, tenant_id), product_ids=list(queryset.values_list("pk", flat=True))
            )
        return _xlsx_response(data, f"products-{Tenant.objects.get(pk=tenant_id).code}.xlsx")

    def excel_view(self, request: HttpRequest) -> HttpResponse:
        form = ExcelForm(request.POST or request.GET or None, request.FILES or None)
        download = request.GET.get("download")
        if download in ("template", "export") and form.is_valid():
            tenant = form.cleaned_data["tenant"]
            actor = admin_actor(request, tenant.pk)
            with tenant_context(tenant, actor):
                if download == "template":
                    return _xlsx_response(
                        importers.import_template(actor=actor), f"product-template-{tenant.code}.xlsx"
                    )
                return _xlsx_response(importers.export_products(actor=actor), f"products-{tenant.code}.xlsx")
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data.get("file")
            if upload is None:
                form.add_error("file", _("Choose a file."))
            else:
                tenant = form.cleaned_data["tenant"]
                actor = admin_actor(request, tenant.pk)
                try:
                    with tenant_context(tenant, actor):
                        job = importers.start_product_import(actor=actor, file=upload)
                except DomainError as exc:
                    form.add_error("file", exc.message)
                else:
                    return redirect("admin:catalog_product_import_job", job_id=job.pk)
        jobs = Job.unscoped.filter(kind=importers.JOB_KIND).select_related("tenant").order_by("-id")[:10]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Products: Excel import / export"),
            "form": form,
            "jobs": jobs,
            "labels": {
                "template": _("Download the template"),
                "export": _("Export products"),
                "import": _("Import"),
                "recent": _("Recent imports"),
                "help": _(
                    "Choose a tenant. The import runs in the background: nothing is saved unless every row is valid,"
                    " and a file listing the errors by row and column is offered when some are not."
                ),
            },
        }
        return TemplateResponse(request, _template(EXCEL_PAGE), context)

    def _job(self, job_id: int) -> Job:
        job = Job.unscoped.select_related("tenant").filter(pk=job_id, kind=importers.JOB_KIND).first()
        if job is None:
            raise Http404
        return job

    def job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(job_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Product import #%(id)s") % {"id": job.pk},
            "job": job,
            "report_url": reverse("admin:catalog_product_import_report", args=[job.pk]) if job.output_file else "",
            "labels": {
                "status": _("Status"),
                "progress": _("Progress"),
                "message": _("Message"),
                "result": _("Result"),
                "report": _("Download the error report"),
                "back": _("Back"),
            },
            "back_url": reverse("admin:catalog_product_excel"),
            "refresh": job.status in (Job.Status.QUEUED, Job.Status.RUNNING),
        }
        return TemplateResponse(request, _template(JOB_PAGE), context)

    def job_report_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(job_id)
        if not job.output_file:
            raise Http404
        return FileResponse(
            job.output_file.open("rb"), as_attachment=True, filename=f"import-errors-{job.pk}.xlsx", content_type=XLSX
        )


class SkuUnitInline(admin.TabularInline):
    model = SkuUnit
    formset = SkuUnitFormSet
    form = TenantForm
    extra = 0
    fields = ("name", "factor", "barcode", "is_default", "is_whole")

    def get_queryset(self, request):
        return SkuUnit.unscoped.all()


@admin.register(Sku)
class SkuAdmin(CatalogAdmin):
    form = SkuForm
    list_display = ("code", "name", "product", "barcode", "base_unit", "list_price", "vat_rate", "is_active")
    list_filter = ("tenant", "is_active")
    list_select_related_extra = ("product",)
    search_fields = ("code", "name", "barcode", "product__code", "product__name")
    raw_id_fields = ("product",)
    inlines = [SkuUnitInline]

    def save_model(self, request, obj, form, change):
        obj._old_base_unit = Sku.unscoped.get(pk=obj.pk).base_unit if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sku = form.instance
        with transaction.atomic(), tenant_context(sku.tenant_id, admin_actor(request, sku.tenant_id)):
            _base_unit_follows(sku, getattr(sku, "_old_base_unit", None))
            services.reindex([sku.product_id])


# --- the Excel page --------------------------------------------------------------------------------


class ExcelForm(forms.Form):
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.order_by("code"), label=gettext_lazy("Tenant"))
    file = forms.FileField(label=gettext_lazy("File (.xlsx)"), required=False)


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@cache
def _template(source: str):
    return engines["django"].from_string(source)


CHANGELIST = """{% extends "admin/change_list.html" %}
{% block object-tools-items %}<li><a href="{{ excel_url }}">{{ excel_label }}</a></li>{{ block.super }}{% endblock %}"""

EXCEL_PAGE = """{% extends "admin/base_site.html" %}
{% block content %}
<p>{{ labels.help }}</p>
<form method="get" style="margin-bottom:1em">
  {{ form.tenant.label_tag }} {{ form.tenant }}
  <button type="submit" name="download" value="template">{{ labels.template }}</button>
  <button type="submit" name="download" value="export">{{ labels.export }}</button>
</form>
<form method="post" enctype="multipart/form-data">{% csrf_token %}
  {{ form.non_field_errors }}
  {{ form.tenant.errors }}{{ form.tenant.label_tag }} {{ form.tenant }}
  {{ form.file.errors }}{{ form.file.label_tag }} {{ form.file }}
  <input type="submit" value="{{ labels.import }}">
</form>
{% if jobs %}<h2>{{ labels.recent }}</h2><ul>
{% for job in jobs %}<li><a href="{% url 'admin:catalog_product_import_job' job.pk %}">#{{ job.pk }}</a>
 {{ job.tenant }} · {{ job.get_status_display }} · {{ job.created_at }} · {{ job.message }}</li>{% endfor %}
</ul>{% endif %}
{% endblock %}"""

JOB_PAGE = """{% extends "admin/base_site.html" %}
{% block extrahead %}{{ block.super }}{% if refresh %}<meta http-equiv="refresh" content="2">{% endif %}{% endblock %}
{% block content %}
<table>
<tr><th>{{ labels.status }}</th><td>{{ job.get_status_display }}</td></tr>
<tr><th>{{ labels.progress }}</th><td>{{ job.done }} / {{ job.total }} ({{ job.percent }}%)</td></tr>
<tr><th>{{ labels.message }}</th><td>{{ job.message }}</td></tr>
<tr><th>{{ labels.result }}</th><td>{% for key, value in job.result.items %}
  {% if key != "error" %}{{ key }}: {{ value }}<br>{% endif %}{% endfor %}</td></tr>
</table>
{% if report_url %}<p><a href="{{ report_url }}">{{ labels.report }}</a></p>{% endif %}
<p><a href="{{ back_url }}">{{ labels.back }}</a></p>
{% endblock %}"""
