"""Who is calling the API: an API key (``Authorization: Bearer dh_live_…``) or the browser's session.

A key resolves to its tenant and an Actor (its membership's role, narrowed to the key's scopes,
``via="api"``); the request then runs in that tenant's context. The session is accepted for the
signed-in browser, with Django's CSRF check on unsafe methods. Both are rate-limited per caller.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from dinghuo.api.errors import CsrfFailed
from dinghuo.api.ratelimit import rate_limit_hit
from dinghuo.api.services import api_key_authenticate, api_key_touch
from dinghuo.core.tenancy import Actor, set_request_context

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <API key>``."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        key, actor = api_key_authenticate(secret=token)
        request.actor = actor
        request.tenant = key.membership.tenant
        request.membership = key.membership
        request.api_key = key
        request.actor_resolved_by = "api_key"
        # The API's URL wrapper runs each request in a copy of the context, so this ends with it.
        set_request_context(key.tenant_id, actor)
        api_key_touch(key=key)
        request.rate_quota = rate_limit_hit(tenant_id=key.tenant_id, bucket=f"key:{key.pk}", limit=key.rate_limit)
        return actor


class SessionAuth(APIKeyCookie):
    """The signed-in browser (Django session), with CSRF checked on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)  # also tells the Swagger page to send the CSRF token

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF is checked in authenticate(), once we know there is a signed-in user: an anonymous
        # request is 401, not a CSRF failure.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        actor = getattr(request, "actor", None)
        if actor is None or not request.user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        request.rate_quota = rate_limit_hit(tenant_id=actor.tenant_id, bucket=f"user:{actor.user_id}")
        return actor
