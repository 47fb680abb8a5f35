import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dinghuo.accounts.models import User
from dinghuo.catalog.models import Attribute, Brand, Category, Product, Sku, SkuUnit, Tag
from dinghuo.core.models import AuditEntry, Job
from dinghuo.core.tenancy import all_tenants, tenant_context
from tests.catalog_admin.factories import (
    book,
    make_attribute,
    make_brand,
    make_category,
    make_product,
    make_sku,
    make_tag,
    sheet_rows,
)


@pytest.fixture
def catalog(world):
    t = world.tenant
    root = make_category(t, code="01", name="饮料")
    leaf = make_category(t, code="0101", name="矿泉水", parent=root)
    brand = make_brand(t, code="QQ")
    tag = make_tag(t, code="new")
    attribute = make_attribute(t, "vol", "容量", Attribute.Kind.NUMBER, unit="ml", category=root)
    product = make_product(t, category=leaf, code="QS-500", brand=brand, tags=[tag])
    sku = make_sku(product, code="QS-500-24", base_unit="瓶")
    return {
        "category": leaf,
        "root": root,
        "brand": brand,
        "tag": tag,
        "attribute": attribute,
        "product": product,
        "sku": sku,
    }


@pytest.fixture
def root_client(client, db):
    user = User.objects.create_superuser(username="root", password="Root-pass-9876", email="root@example.com")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", [Category, Brand, Attribute, Tag, Product, Sku])
def test_every_catalog_admin_page_loads_for_a_superuser(root_client, catalog, model):
    name = model._meta.model_name
    objects = {
        Category: catalog["category"],
        Brand: catalog["brand"],
        Attribute: catalog["attribute"],
        Tag: catalog["tag"],
        Product: catalog["product"],
        Sku: catalog["sku"],
    }
    for url in (
        reverse(f"admin:catalog_{name}_changelist"),
        reverse(f"admin:catalog_{name}_add"),
        reverse(f"admin:catalog_{name}_change", args=[objects[model].pk]),
        reverse(f"admin:catalog_{name}_changelist") + "?q=QS",
    ):
        response = root_client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_the_product_list_links_to_the_excel_page(root_client, catalog):
    page = root_client.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert reverse("admin:catalog_product_excel") in page


def test_the_excel_page_downloads_the_template_and_the_export(root_client, catalog, world):
    url = reverse("admin:catalog_product_excel")
    assert root_client.get(url).status_code == 200
    template = root_client.get(url, {"tenant": world.tenant.pk, "download": "template"})
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sheet_rows(template.content)[0][0] == "商品编码*"
    export = root_client.get(url, {"tenant": world.tenant.pk, "download": "export"})
    rows = sheet_rows(export.content)
    assert rows[1][0] == "QS-500" and rows[1][5] == "QS-500-24"


def test_an_upload_on_the_excel_page_runs_an_import_for_the_chosen_tenant(
    root_client, catalog, world, world_b, django_capture_on_commit_callbacks
):
    # given a file for tenant B, which has a category 01 too
    make_category(world_b.tenant, code="01")
    data = book(
        ["商品编码", "商品名称", "分类编码", "SKU编码", "指导价(含税)"], [["B-1", "乙方商品", "01", "B-1-1", 9]]
    )
    # when a superuser uploads it for tenant B
    with django_capture_on_commit_callbacks(execute=True):
        response = root_client.post(
            reverse("admin:catalog_product_excel"),
            {"tenant": world_b.tenant.pk, "file": SimpleUploadedFile("b.xlsx", data)},
        )
    # then the job page shows the finished import, and only tenant B got the product
    assert response.status_code == 302
    page = root_client.get(response["Location"])
    assert page.status_code == 200
    with all_tenants():
        job = Job.unscoped.get()
        assert job.tenant_id == world_b.tenant.pk and job.status == Job.Status.DONE, job.message
        assert Product.unscoped.get(code="B-1").tenant_id == world_b.tenant.pk
        entry = AuditEntry.unscoped.get(action="product.created", object_repr="乙方商品")
        assert (entry.tenant_id, entry.actor_label, entry.via) == (world_b.tenant.pk, "root", "admin")


def test_a_failed_upload_offers_its_error_report(root_client, catalog, world, django_capture_on_commit_callbacks):
    data = book(["商品编码", "分类编码", "SKU编码", "指导价(含税)"], [["N-1", "99", "N-1-1", -1]])
    with django_capture_on_commit_callbacks(execute=True):
        response = root_client.post(
            reverse("admin:catalog_product_excel"),
            {"tenant": world.tenant.pk, "file": SimpleUploadedFile("n.xlsx", data)},
        )
    page = root_client.get(response["Location"]).content.decode()
    with all_tenants():
        job = Job.unscoped.get()
    report_url = reverse("admin:catalog_product_import_report", args=[job.pk])
    assert job.status == Job.Status.FAILED and report_url in page
    report = root_client.get(report_url)
    assert report.status_code == 200
    rows = sheet_rows(b"".join(report.streaming_content))
    assert rows[1][0] == 2 and "分类编码" in rows[1][1]


def test_the_export_action_exports_the_selected_products(root_client, catalog):
    response = root_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "export_selected", "_selected_action": [catalog["product"].pk]},
    )
    assert response.status_code == 200
    assert sheet_rows(response.content)[1][5] == "QS-500-24"


def test_changing_a_parent_in_the_admin_moves_the_subtree(root_client, catalog, world):
    other = make_category(world.tenant, code="02", name="零食")
    leaf = catalog["category"]
    make_category(world.tenant, code="010101", name="小瓶", parent=leaf)
    response = root_client.post(
        reverse("admin:catalog_category_change", args=[leaf.pk]),
        {"code": "0101", "name": "矿泉水", "parent": other.pk, "sort": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(world.tenant):
        child = Category.objects.get(code="010101")
        assert child.path == f"/{other.pk}/{leaf.pk}/{child.pk}/" and child.depth == 2


def test_the_admin_refuses_a_parent_of_another_tenant(root_client, catalog, world_b):
    theirs = make_category(world_b.tenant, code="99")
    leaf = catalog["category"]
    response = root_client.post(
        reverse("admin:catalog_category_change", args=[leaf.pk]),
        {"code": "0101", "name": "矿泉水", "parent": theirs.pk, "sort": 0},
    )
    assert response.status_code == 200
    assert any(words in response.content.decode() for words in ("another tenant", "其他品牌商"))
    with all_tenants():
        assert Category.unscoped.get(pk=leaf.pk).parent_id == catalog["root"].pk


def test_a_sku_added_in_the_admin_gets_its_base_unit(root_client, catalog, world):
    data = {
        "product": catalog["product"].pk,
        "code": "QS-500-12",
        "name": "500ml×12瓶",
        "barcode": "",
        "spec": "{}",
        "base_unit": "瓶",
        "moq": "1",
        "order_multiple": "1",
        "list_price": "2.60",
        "vat_rate": "0.13",
        "sort": "0",
        "is_active": "on",
        "tenant_choice": world.tenant.pk,
        "units-TOTAL_FORMS": "1",
        "units-INITIAL_FORMS": "0",
        "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "1000",
        "units-0-name": "箱",
        "units-0-factor": "12",
        "units-0-barcode": "",
        "units-0-is_default": "on",
        "units-0-is_whole": "on",
    }
    response = root_client.post(reverse("admin:catalog_sku_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(world.tenant):
        sku = Sku.objects.get(code="QS-500-12")
        assert {(u.name, u.factor, u.is_default) for u in SkuUnit.objects.filter(sku=sku)} == {
            ("瓶", 1, False),
            ("箱", 12, True),
        }
    # and a bad VAT rate is a form error, not a 500
    data.update(code="QS-500-6", vat_rate="0.17", **{"units-TOTAL_FORMS": "0"})
    response = root_client.post(reverse("admin:catalog_sku_add"), data)
    assert response.status_code == 200 and "0.17" in response.content.decode()
