import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from dinghuo.catalog import errors
from dinghuo.catalog.models import ProductImage, RelatedProduct
from dinghuo.catalog.services import product_image_add, related_set
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import tenant_context
from tests.catalog_admin.factories import make_category, make_product, png


@pytest.fixture
def products(in_alpha):
    category = make_category(in_alpha.tenant)
    return [make_product(in_alpha.tenant, category=category, code=f"P{i}") for i in range(4)]


def test_related_set_replaces_one_kind_in_order(products, admin_actor):
    main, a, b, c = products
    related_set(actor=admin_actor, product=main, kind="accessory", related=[b, a, b])
    related_set(actor=admin_actor, product=main, kind="substitute", related=[c.pk])
    rows = RelatedProduct.objects.filter(product=main).order_by("kind", "sort")
    assert [(r.kind, r.related_id) for r in rows] == [("accessory", b.pk), ("accessory", a.pk), ("substitute", c.pk)]
    related_set(actor=admin_actor, product=main, kind="accessory", related=[c])
    assert list(RelatedProduct.objects.filter(product=main, kind="accessory").values_list("related_id", flat=True)) == [
        c.pk
    ]
    entry = AuditEntry.objects.filter(action="product.related_changed").order_by("-id").first()
    assert entry.before == {"kind": "accessory", "related": ["P2", "P1"]} and entry.after["related"] == ["P3"]


def test_related_refuses_self_unknown_kinds_and_other_tenants(products, admin_actor, world_b):
    main, a, *_ = products
    with pytest.raises(errors.RelatedToSelf):
        related_set(actor=admin_actor, product=main, kind="accessory", related=[a, main])
    with pytest.raises(errors.RelatedKindInvalid):
        related_set(actor=admin_actor, product=main, kind="cousin", related=[a])
    theirs = make_product(world_b.tenant, category=make_category(world_b.tenant))
    with tenant_context(main.tenant_id), pytest.raises(errors.ProductNotFound):
        related_set(actor=admin_actor, product=main, kind="accessory", related=[theirs.pk])
    assert not RelatedProduct.objects.exists()


def test_a_real_png_is_stored_with_a_thumbnail(products, admin_actor):
    from PIL import Image

    main = products[0]
    upload = SimpleUploadedFile("photo.png", png((1200, 800)), content_type="image/png")
    image = product_image_add(actor=admin_actor, product=main, file=upload, alt="正面")
    image.refresh_from_db()
    assert default_storage.exists(image.image.name) and image.image.name.endswith(".png")
    assert image.image.name.startswith(f"catalog/{main.tenant_id}/{main.pk}/")
    with default_storage.open(image.thumbnail.name) as fh:
        thumb = Image.open(fh)
        assert max(thumb.size) == 240 and thumb.size == (240, 160)
    assert AuditEntry.objects.filter(action="product.image_added", object_id=str(main.pk)).exists()


def test_a_transparent_png_keeps_its_transparency_in_the_thumbnail(products, admin_actor):
    image = product_image_add(actor=admin_actor, product=products[0], file=png((300, 300), "RGBA"))
    assert image.thumbnail.name.endswith(".png")


def test_a_text_file_named_png_is_refused_and_nothing_is_stored(products, admin_actor, settings):
    upload = SimpleUploadedFile("photo.png", b"hello, I am not an image\n" * 10, content_type="image/png")
    with pytest.raises(errors.ImageInvalid) as info:
        product_image_add(actor=admin_actor, product=products[0], file=upload)
    assert "image" in info.value.detail
    assert not ProductImage.objects.exists()
    root = settings.MEDIA_ROOT
    assert not (root / "catalog").exists() or not any((root / "catalog").rglob("*.*"))


def test_an_oversized_image_is_refused(products, admin_actor, settings):
    settings.DINGHUO_MAX_IMAGE_BYTES = 1000
    with pytest.raises(errors.ImageTooLarge):
        product_image_add(actor=admin_actor, product=products[0], file=png((1500, 1500)))
    settings.DINGHUO_MAX_IMAGE_BYTES = 10 * 1024 * 1024
    from dinghuo.catalog import images

    original = images.MAX_PIXELS
    images.MAX_PIXELS = 10_000
    try:
        with pytest.raises(errors.ImageTooManyPixels):
            product_image_add(actor=admin_actor, product=products[0], file=png((200, 200)))
    finally:
        images.MAX_PIXELS = original
    assert not ProductImage.objects.exists()


def test_a_truncated_png_is_refused(products, admin_actor):
    with pytest.raises(errors.ImageInvalid):
        product_image_add(actor=admin_actor, product=products[0], file=png((400, 400))[:300])
