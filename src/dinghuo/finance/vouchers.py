"""Payment vouchers (汇款凭证): check that an upload really is an image or a PDF, and store it privately.

An image must open and verify with Pillow (JPEG, PNG or WebP, at most ``MAX_PIXELS``); a PDF must
start with ``%PDF-`` and parse: its cross-reference (a table or a stream) found from ``startxref``,
its trailer naming a ``/Root`` catalogue that exists. The stored name is random and the file lives
under ``MEDIA_ROOT/private/``, which the public media view refuses; only ``finance.views`` serve it,
after a permission check. What the uploader called the file is kept for display only.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.finance.errors import VoucherInvalid, VoucherTooLarge

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000
IMAGE_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


@dataclass(frozen=True)
class Checked:
    data: bytes
    content_type: str
    extension: str
    name: str  # the uploader's file name, cleaned, for display


def max_bytes() -> int:
    return min(getattr(settings, "DINGHUO_MAX_VOUCHER_BYTES", DEFAULT_MAX_BYTES), settings.DINGHUO_MAX_UPLOAD_BYTES)


def voucher_check(upload) -> Checked:
    """Read an uploaded file (Django's UploadedFile or bytes) and refuse anything but a real image or PDF."""
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise VoucherTooLarge(size=f"{size / 1048576:.1f}", limit=f"{limit / 1048576:.0f}", detail={"voucher": size})
    if isinstance(upload, bytes):
        data, name = upload, "voucher"
    else:
        upload.seek(0)
        data = upload.read(limit + 1)
        name = getattr(upload, "name", "") or "voucher"
    if len(data) > limit:
        raise VoucherTooLarge(size=f"{len(data) / 1048576:.1f}", limit=f"{limit / 1048576:.0f}")
    if not data:
        raise VoucherInvalid(reason=_("the file is empty"), detail={"voucher": "empty"})
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return Checked(data, "application/pdf", "pdf", _clean_name(name))
    content_type, extension = _check_image(data)
    return Checked(data, content_type, extension, _clean_name(name))


def _clean_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f<>:\"|?*]", "", name).strip() or "voucher"
    return name[:120]


def _check_image(data: bytes) -> tuple[str, str]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            if kind not in IMAGE_TYPES:
                raise VoucherInvalid(reason=_("%(kind)s images are not accepted") % {"kind": kind or "?"})
            if width * height > MAX_PIXELS:
                raise VoucherInvalid(reason=_("the image is too large (%(w)s × %(h)s)") % {"w": width, "h": height})
            probe.verify()
        with Image.open(io.BytesIO(data)) as full:  # verify() does not decode pixels; a truncated file fails here
            full.load()
    except VoucherInvalid:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise VoucherInvalid(reason=_("it is neither an image nor a PDF"), detail={"voucher": "type"})
    except (OSError, SyntaxError, ValueError, TypeError, EOFError):
        raise VoucherInvalid(reason=_("the image is damaged"), detail={"voucher": "damaged"})
    return IMAGE_TYPES[kind]


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_OBJ = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_XREF_SUB = re.compile(rb"(\d+)\s+(\d+)\s*[\r\n]+")
_ROOT = re.compile(rb"/Root\s+(\d+)\s+(\d+)\s+R")


def _check_pdf(data: bytes) -> None:
    """A structural parse: header, %%EOF, startxref → a cross-reference table or stream, /Root found."""

    def bad(reason: str) -> VoucherInvalid:
        return VoucherInvalid(reason=reason, detail={"voucher": "pdf"})

    if not re.match(rb"%PDF-\d\.\d", data[:16]):
        raise bad(_("the PDF header is damaged"))
    tail = data[-2048:]
    match = _STARTXREF.search(tail)
    if not match:
        raise bad(_("the PDF is incomplete (no end-of-file marker)"))
    offset = int(match.group(1))
    if offset <= 0 or offset >= len(data):
        raise bad(_("the PDF's cross-reference points outside the file"))
    at = data[offset : offset + 64]
    if at.startswith(b"xref"):
        trailer_at = data.find(b"trailer", offset)
        if trailer_at < 0:
            raise bad(_("the PDF has no trailer"))
        _check_xref_table(data, offset, trailer_at, bad)
        root = _ROOT.search(data[trailer_at : trailer_at + 2048])
    elif _OBJ.match(at):
        header_end = data.find(b"stream", offset)
        if header_end < 0 or b"/XRef" not in data[offset:header_end]:
            raise bad(_("the PDF's cross-reference stream is damaged"))
        root = _ROOT.search(data[offset:header_end])
    else:
        raise bad(_("the PDF's cross-reference is damaged"))
    if not root:
        raise bad(_("the PDF has no document catalogue"))
    if not re.search(rb"(?<!\d)" + root.group(1) + rb"\s+" + root.group(2) + rb"\s+obj\b", data):
        raise bad(_("the PDF's document catalogue is missing"))


def _check_xref_table(data: bytes, offset: int, trailer_at: int, bad) -> None:
    pos = offset + 4
    checked = 0
    while True:
        while pos < trailer_at and data[pos : pos + 1] in b" \t\r\n":
            pos += 1
        sub = _XREF_SUB.match(data, pos) if pos < trailer_at else None
        if not sub:
            break
        first, count = int(sub.group(1)), int(sub.group(2))
        pos = sub.end()
        for i in range(count):
            entry = data[pos : pos + 20]
            if len(entry) < 18 or entry[17:18] not in (b"n", b"f") or not entry[:10].isdigit():
                raise bad(_("the PDF's cross-reference table is damaged"))
            if entry[17:18] == b"n" and checked < 50:
                obj = _OBJ.match(data, int(entry[:10]))
                if not obj or int(obj.group(1)) != first + i:
                    raise bad(_("the PDF's objects are not where its cross-reference says"))
                checked += 1
            pos += 20
    if checked == 0:
        raise bad(_("the PDF has no objects"))


def voucher_store(checked: Checked, *, tenant_id: int) -> str:
    """Save under private/vouchers/<tenant>/<yyyy>/<mm>/<random>.<ext>; returns the storage name."""
    today = timezone.localdate()
    name = f"private/vouchers/{tenant_id}/{today:%Y/%m}/{uuid.uuid4().hex}.{checked.extension}"
    return default_storage.save(name, ContentFile(checked.data))


def voucher_delete(name: str) -> None:
    if name and name.startswith("private/"):
        default_storage.delete(name)
