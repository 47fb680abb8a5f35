"""Helpers shared by finance's back-office and portal views."""

from __future__ import annotations

from urllib.parse import quote

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from dinghuo.finance.models import Payment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def found(obj):
    """The object a selector returned for an id, or the 404 page (another tenant's or dealer's id: the same)."""
    if obj is None:
        raise Http404
    return obj


def download(data: bytes, filename: str, content_type: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def voucher_response(payment: Payment) -> FileResponse:
    """The stored voucher, served with its checked type, never sniffed, never run."""
    name = payment.voucher.name if payment.voucher else ""
    if not name.startswith("private/vouchers/") or not default_storage.exists(name):
        raise Http404("voucher")
    response = FileResponse(
        default_storage.open(name, "rb"), content_type=payment.voucher_type or "application/octet-stream"
    )
    extension = name.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(f'{payment.number}.{extension}')}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; plugin-types application/pdf; sandbox"
    return response


def int_list(request: HttpRequest, name: str) -> list[int]:
    out = []
    for value in request.POST.getlist(name):
        for part in str(value).replace("，", ",").split(","):
            part = part.strip()
            if part.isdigit() and len(part) < 12:
                out.append(int(part))
    return out


def int_param(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None
