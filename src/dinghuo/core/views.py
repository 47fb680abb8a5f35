from pathlib import Path

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    actor = getattr(request, "actor", None)
    if actor is None:
        if request.user.is_superuser:
            return HttpResponseRedirect(reverse("admin:index"))
        return render(request, "core/no_membership.html", status=403)
    if actor.is_dealer:
        return HttpResponseRedirect(reverse("portal:home"))
    return HttpResponseRedirect(reverse("backoffice:dashboard"))


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request, not when the URLs load: a missing static manifest must not take every page down.
    return HttpResponsePermanentRedirect(static("dinghuo/favicon.svg"))


@require_GET
def media(request: HttpRequest, path: str) -> FileResponse:
    """Serve uploaded media (product images) when no web server sits in front of the app.

    Private files (payment vouchers, exports) live under ``private/`` and are served only by their
    own permission-checked views.
    """
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / path).resolve()
    if path.startswith("private/") or not target.is_file() or root not in target.parents:
        raise Http404(path)
    response = FileResponse(target.open("rb"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def bad_request(request, exception=None):
    return defaults.bad_request(request, exception, template_name="400.html")


def permission_denied(request, exception=None):
    return defaults.permission_denied(request, exception, template_name="403.html")


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": _("Not found."), "detail": {}}, status=404)
    return defaults.page_not_found(request, exception, template_name="404.html")


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "server_error", "message": _("Internal error."), "detail": {}}, status=500)
    return defaults.server_error(request, template_name="500.html")
