"""The one NinjaAPI, mounted at /api/v1, with its OpenAPI schema at /api/v1/openapi.json and docs at /api/v1/docs.

Authentication: ``Authorization: Bearer <API key>`` (see dinghuo/api/auth.py) or the browser's
session (with CSRF on unsafe methods); both rate-limited per caller. Errors everywhere — domain
errors, validation (422), malformed JSON (400), unknown routes (404), wrong methods (405),
bodies without a length (411), oversize bodies (413), numbers out of range (422), rate limits (429 with Retry-After) — have the body
``{"code", "message", "detail"}``.
"""

from __future__ import annotations

import contextvars
import json
from functools import wraps
from pathlib import Path
from typing import Any

import ninja
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import DataError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, re_path, reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from dinghuo.api.auth import ApiKeyAuth, SessionAuth
from dinghuo.api.errors import (
    BodyTooLarge,
    LengthRequired,
    MalformedBody,
    MethodNotAllowed,
    NulCharacter,
    RouteNotFound,
    ValueOutOfRange,
)
from dinghuo.core.errors import DomainError, RateLimited

ERROR_STATUSES = {
    "400": "Bad request: malformed JSON, a bad cursor or Idempotency-Key, or a refused value",
    "401": "No valid API key or session",
    "403": "The key's scopes or the user's role do not allow this",
    "404": "Not found (or not yours: another tenant's or dealer's objects are never shown)",
    "409": "Conflict: changed meanwhile, not allowed in this status, or the same Idempotency-Key still running",
    "411": "A body was sent without Content-Length (chunked); send its length",
    "413": "The body is larger than the server accepts",
    "422": "Validation failed, unknown fields, a number out of range, a refused order, or an Idempotency-Key reused with another body",
    "429": "Rate limit reached; retry after the Retry-After header's seconds",
    "503": "Overloaded: the server is busy; retry after the Retry-After header's seconds",
}


class DinghuoAPI(NinjaAPI):
    """NinjaAPI whose every URL answers in the API's error format and keeps the tenant context per request."""

    def _get_urls(self) -> list:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _guarded(pattern.callback)
        if self.docs_url:
            urls.insert(0, path("docs/assets/<str:name>", _guarded(_docs_asset), name="docs-asset"))
        urls.append(re_path(r"^.*$", _guarded(_unknown_route), name="unknown"))
        return urls

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        """Document the shared error body and the error statuses of every operation."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = {
            "title": "Error",
            "type": "object",
            "required": ["code", "message", "detail"],
            "properties": {
                "code": {"type": "string", "description": "A stable code, e.g. order_blocked"},
                "message": {"type": "string", "description": "Human-readable, in the request's language"},
                "detail": {"description": "Which field, line or rule is at fault"},
            },
        }
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for code, text in ERROR_STATUSES.items():
                    responses.setdefault(code, {"description": text, **error})
                for code in ("429", "503"):
                    if retry := responses.get(code):
                        retry.setdefault("headers", {"Retry-After": {"schema": {"type": "integer"}}})
        return schema


class LocalSwagger(Swagger):
    """Swagger UI from django-ninja's own wheel, served under the API's URL: no CDN, and nothing inline
    for the content security policy to block (the settings travel as JSON, the scripts are files)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "api": api,
            "swagger_settings": json.dumps(self.settings),
            "assets": reverse(f"{api.urls_namespace}:docs-asset", args=["x"])[:-1],
        }
        return render(request, "api/swagger.html", context)


DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


def _docs_asset(request: HttpRequest, name: str) -> HttpResponse:
    if name not in DOCS_ASSETS:
        return _error_response(request, RouteNotFound(detail={"path": request.path[:200]}))
    response = FileResponse((Path(ninja.__file__).parent / "static" / "ninja" / name).open("rb"))
    response["Content-Type"] = DOCS_ASSETS[name]
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return _error_response(request, RouteNotFound(detail={"path": request.path[:200]}))


def _error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _refuse_query(request: HttpRequest) -> HttpResponse | None:
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not request.META.get("CONTENT_LENGTH"):
        # Django reads a body without a length as empty: say so rather than answer "field required".
        return _error_response(request, LengthRequired())
    try:
        if "\x00" in request.path or any("\x00" in k + v for k, vs in request.GET.lists() for v in vs):
            return _error_response(request, NulCharacter())
    except SuspiciousOperation:  # too many query parameters
        return _error(request, 400, "bad_request", _("The request could not be understood."))
    return None


def _guarded(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _refuse_query(request)
        if refused is not None:
            return refused
        # A copy of the context: the tenant an API key enters ends with the request.
        try:
            response = contextvars.copy_context().run(view, request, *args, **kwargs)
        except Http404:
            response = _error_response(request, RouteNotFound(detail={"path": request.path[:200]}))
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            response = _error_response(
                request, MethodNotAllowed(detail={"method": request.method, "allowed": allowed.split(", ")})
            )
            response["Allow"] = allowed
        quota = getattr(request, "rate_quota", None)
        if quota is not None:
            response["X-RateLimit-Limit"] = str(quota.limit)
            response["X-RateLimit-Remaining"] = str(quota.remaining)
            response["X-RateLimit-Reset"] = str(quota.reset)
        return response

    wrapper.csrf_exempt = True  # the session auth checks CSRF itself; API keys need none
    return wrapper


class _Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese stays readable


class _Parser(Parser):
    """JSON bodies; anything that is not JSON is ``malformed_json`` (400)."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedBody() from exc
        if _has_nul(data):
            raise NulCharacter()
        return data


def _has_nul(value: Any) -> bool:
    """PostgreSQL text cannot hold NUL; refuse it at the door rather than fail in the database."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


api = DinghuoAPI(
    title="Dinghuo API",
    version="1.0.0",
    urls_namespace="api",
    description=(
        "Dinghuo (订货) open API: catalog, prices, orders, shipments, stock, dealers, finance, webhooks.\n\n"
        "Authenticate with `Authorization: Bearer <API key>` (made in the back office or the dealer portal; "
        "a key acts as one user, narrowed to its scopes). Money and quantities are decimal strings. Lists page "
        "with an opaque `cursor` (`next_cursor` in each page). Every POST accepts an `Idempotency-Key`. Errors are "
        '`{"code", "message", "detail"}`. Rate limits answer 429 with `Retry-After`.'
    ),
    auth=[ApiKeyAuth(), SessionAuth()],
    docs=LocalSwagger(settings={"persistAuthorization": True}),
    parser=_Parser(),
    renderer=_Renderer(),
)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error_response(request, exc)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    detail = [
        {"loc": [str(p) for p in e.get("loc", [])], "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return _error(request, 422, "invalid", _("The request body or parameters are not valid."), detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not_authenticated", _("A valid API key or session is required."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, MalformedBody | NulCharacter):
        return _error_response(request, exc.__cause__)
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error_response(request, RouteNotFound(detail={"path": request.path[:200]}))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error_response(request, BodyTooLarge(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A number too large for the database (SQLite: OverflowError; PostgreSQL: numeric out of range).

    Endpoints bound their numbers in their schemas; this is the net for one that does not, so bad
    input is a 422 and never a 500. The statement failed before anything was written.
    """
    return _error_response(request, ValueOutOfRange(detail={"error": type(exc).__name__}))


@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return _error(request, 400, "bad_request", _("The request could not be understood."))


def _error(request: HttpRequest, status: int, code: str, message: str, detail: Any = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "detail": detail or {}}, status=status)


@api.get("/health", auth=None, tags=["meta"], summary="Liveness and database check")
def health(request: HttpRequest) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok"}


def _mount() -> None:
    from dinghuo.api.endpoints import dealers, finance, orders, shipments, stock, webhooks
    from dinghuo.catalog.api import router as catalog
    from dinghuo.pricing.api import router as pricing

    api.add_router("/catalog", catalog)
    api.add_router("/pricing", pricing)
    api.add_router("/orders", orders.router)
    api.add_router("/shipments", shipments.router)
    api.add_router("/stock", stock.router)
    api.add_router("/dealers", dealers.router)
    api.add_router("/finance", finance.router)
    api.add_router("/webhooks", webhooks.router)


_mount()
