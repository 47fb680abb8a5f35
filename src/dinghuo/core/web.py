"""Helpers every page view uses: who may see it, and paging."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse

from dinghuo.accounts.permissions import require
from dinghuo.core.errors import PermissionDenied

PAGE_SIZE = 25


def _guard(kind: str, perm: str | None) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = getattr(request, "actor", None)
            if actor is None or actor.kind != kind:
                raise PermissionDenied()
            if perm:
                require(actor, perm)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_page(perm: str | None = None) -> Callable:
    """A back-office page: signed-in staff of the current tenant holding ``perm``."""
    return _guard("staff", perm)


def dealer_page(perm: str | None = None) -> Callable:
    """A portal page: a signed-in dealer user holding ``perm``."""
    return _guard("dealer", perm)


def paginate(request: HttpRequest, qs, per_page: int = PAGE_SIZE) -> Page:
    paginator = Paginator(qs, per_page)
    return paginator.get_page(request.GET.get("page"))
