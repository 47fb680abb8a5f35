"""Request plumbing: tenant/actor context, domain errors on pages, overload, CSP."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dinghuo.core.errors import DomainError, Overloaded
from dinghuo.core.tenancy import ALL_TENANTS, Actor, reset_request_context, set_request_context

log = logging.getLogger(__name__)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def _is_overload(exc: BaseException) -> bool:
    try:
        from psycopg_pool import PoolTimeout, TooManyRequests
    except ImportError:  # pragma: no cover - psycopg is a hard dependency
        return False
    if isinstance(exc, PoolTimeout | TooManyRequests):
        return True
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        if "too many clients" in text or "remaining connection slots" in text or "database is locked" in text:
            return True
    return cause is not None and cause is not exc and _is_overload(cause)


def overloaded_response(request: HttpRequest, retry_after: int = 2) -> HttpResponse:
    err = Overloaded(retry_after=retry_after)
    if _wants_json(request):
        response: HttpResponse = JsonResponse(err.as_dict(), status=503)
    else:
        response = HttpResponse(err.message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


class OverloadMiddleware:
    """A burst that exhausts the bounded connection pool gets 503 + Retry-After, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except Exception as exc:
            if _is_overload(exc):
                log.warning("overloaded: %s", exc)
                return overloaded_response(request)
            raise

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if _is_overload(exc):
            log.warning("overloaded: %s", exc)
            return overloaded_response(request)
        return None


class TenantMiddleware:
    """Resolve the tenant and the actor once per request, from the signed-in user's membership.

    ``request.actor`` is None for anonymous users and for users without an active membership.
    Superusers inside /admin/ act across all tenants.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None
        request.tenant = None
        request.membership = None
        if getattr(request, "actor_resolved_by", None):  # set by the API's key auth
            return self.get_response(request)
        tenant_id = None
        user = request.user
        if user.is_authenticated:
            membership = self._membership(request)
            if membership is not None:
                request.membership = membership
                request.tenant = membership.tenant
                request.actor = Actor.for_membership(membership)
                tenant_id = membership.tenant_id
            if user.is_superuser and request.path.startswith("/admin/"):
                tenant_id = ALL_TENANTS
        tokens = set_request_context(tenant_id, request.actor)
        try:
            return self.get_response(request)
        finally:
            reset_request_context(tokens)

    @staticmethod
    def _membership(request: HttpRequest):
        from dinghuo.accounts.models import Membership

        qs = Membership.unscoped.select_related("tenant").filter(
            user_id=request.user.pk, is_active=True, tenant__status="active"
        )
        wanted = request.session.get("membership_id")
        membership = None
        if wanted:
            membership = qs.filter(pk=wanted).first()
        if membership is None:
            membership = qs.order_by("id").first()
        if membership is not None:
            membership.user = request.user
        return membership


class DomainErrorMiddleware:
    """A DomainError that escapes a page view becomes a message (or an error page), never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError):
            return None
        if _wants_json(request):
            return JsonResponse(exc.as_dict(), status=exc.status)
        if getattr(request, "htmx", False):
            response = render(
                request, "core/partials/error.html", {"error": exc}, status=exc.status if exc.status != 200 else 400
            )
            response["HX-Retarget"] = "#flash"
            response["HX-Reswap"] = "innerHTML"
            return response
        referer = request.headers.get("Referer", "")
        if request.method == "POST" and referer and urlsplit(referer).netloc in ("", request.get_host()):
            messages.error(request, exc.message)
            return HttpResponseRedirect(referer)
        return render(
            request, "core/error.html", {"error": exc, "title": _("Something is not right")}, status=exc.status
        )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):
            response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
