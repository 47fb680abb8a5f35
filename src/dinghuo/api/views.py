"""Integration pages. Thin: parse, authorise, call one service, render.

Back office: API keys (make, list, revoke) and webhook subscriptions (make, change, rotate the
secret, delete) with their delivery log and manual redelivery. Portal: a dealer admin's keys for
its own dealer. A new key's or webhook's secret is shown once, on a page that is never cached.
A form shown again with its errors answers 200, as every page does: the errors are the page's
content, not a failed request (a 4xx document is a console error in the browser).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dinghuo.api import forms
from dinghuo.api.services import api_key_create, api_key_revoke, visible_keys
from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import dealer_page, paginate, staff_page
from dinghuo.notify import selectors as webhook_selectors
from dinghuo.notify import services as webhooks
from dinghuo.notify.events import EVENT_TYPES
from dinghuo.notify.models import WebhookDelivery

SIDES = {
    "backoffice": {
        "layout": "backoffice/layout.html",
        "list": "integrations:key_list",
        "revoke": "integrations:key_revoke",
    },
    "portal": {
        "layout": "portal/layout.html",
        "list": "integrations:portal_key_list",
        "revoke": "integrations:portal_key_revoke",
    },
}


def _api_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/api/v1")


# --- API keys ---------------------------------------------------------------------------------------


def _keys(request: HttpRequest, side: str) -> HttpResponse:
    actor = request.actor
    form = forms.ApiKeyForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            new = api_key_create(
                actor=actor,
                name=form.cleaned_data["name"],
                membership=form.cleaned_data["membership"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            context = {
                "title": _("API key created"),
                "nav": "api_keys",
                "layout": SIDES[side]["layout"],
                "key": new.key,
                "secret": new.secret,
                "back": reverse(SIDES[side]["list"]),
                "api_base": _api_base(request),
            }
            return render(request, "api/pages/key_created.html", context)
    context = {
        "title": _("API keys"),
        "nav": "api_keys",
        "layout": SIDES[side]["layout"],
        "revoke_url": SIDES[side]["revoke"],
        "form": form,
        "page": paginate(request, visible_keys(actor)),
        "now": timezone.now(),
        "api_base": _api_base(request),
    }
    return render(request, "api/pages/keys.html", context)


def _revoke(request: HttpRequest, pk: int, side: str) -> HttpResponse:
    key = api_key_revoke(actor=request.actor, key_id=pk, reason=request.POST.get("reason", ""))
    messages.success(request, _("Key %(prefix)s… revoked.") % {"prefix": key.prefix})
    return HttpResponseRedirect(reverse(SIDES[side]["list"]))


@never_cache
@staff_page("api_keys.manage")
def key_list(request: HttpRequest) -> HttpResponse:
    return _keys(request, "backoffice")


@require_POST
@staff_page("api_keys.manage")
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _revoke(request, pk, "backoffice")


@never_cache
@dealer_page("api_keys.manage")
def portal_key_list(request: HttpRequest) -> HttpResponse:
    return _keys(request, "portal")


@require_POST
@dealer_page("api_keys.manage")
def portal_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _revoke(request, pk, "portal")


# --- webhooks ---------------------------------------------------------------------------------------


def _secret_page(request: HttpRequest, sub, title: str) -> HttpResponse:
    context = {"title": title, "nav": "webhooks", "layout": "backoffice/layout.html", "sub": sub}
    return render(request, "api/pages/webhook_secret.html", context)


@never_cache
@staff_page("webhooks.manage")
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = forms.WebhookForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            sub = webhooks.webhook_create(actor=request.actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _secret_page(request, sub, _("Webhook created"))
    context = {
        "title": _("Webhooks"),
        "nav": "webhooks",
        "form": form,
        "page": paginate(request, webhook_selectors.subscriptions(actor=request.actor)),
        "event_types": EVENT_TYPES,
    }
    return render(request, "api/pages/webhooks.html", context)


@staff_page("webhooks.manage")
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sub = webhook_selectors.subscription_get(actor=request.actor, pk=pk)
    initial = {"url": sub.url, "events": sub.events, "description": sub.description, "is_active": sub.is_active}
    form = forms.WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.webhook_update(actor=request.actor, subscription_id=sub.pk, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return HttpResponseRedirect(reverse("integrations:webhook_detail", args=[sub.pk]))
    status = request.GET.get("status", "")
    page = paginate(request, webhook_selectors.deliveries(actor=request.actor, subscription_id=sub.pk, status=status))
    log = webhook_selectors.attempts(delivery_ids=[d.pk for d in page])
    for delivery in page:
        delivery.attempt_log = log[delivery.pk]
    context = {
        "title": sub.url,
        "nav": "webhooks",
        "sub": sub,
        "form": form,
        "page": page,
        "statuses": WebhookDelivery.Status.choices,
        "status": status,
    }
    return render(request, "api/pages/webhook_detail.html", context)


@require_POST
@never_cache
@staff_page("webhooks.manage")
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    sub = webhooks.webhook_rotate_secret(actor=request.actor, subscription_id=pk)
    return _secret_page(request, sub, _("Secret rotated"))


@require_POST
@staff_page("webhooks.manage")
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    webhooks.webhook_delete(actor=request.actor, subscription_id=pk)
    messages.success(request, _("Webhook deleted."))
    return HttpResponseRedirect(reverse("integrations:webhook_list"))


@require_POST
@staff_page("webhooks.manage")
def delivery_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    again = webhooks.webhook_redeliver(actor=request.actor, delivery_id=pk)
    messages.success(request, _("The event will be sent again within seconds."))
    return HttpResponseRedirect(reverse("integrations:webhook_detail", args=[again.subscription_id]))
