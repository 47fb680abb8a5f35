"""Forms of the integration pages: API keys and webhook subscriptions."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.models import Membership
from dinghuo.accounts.roles import Role
from dinghuo.api.scopes import SCOPES
from dinghuo.core.tenancy import Actor
from dinghuo.notify.events import ALL, EVENT_TYPES


class MembershipChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        dealer = f" · {obj.dealer.name}" if obj.dealer_id else ""
        return f"{obj.user.get_full_name()} ({obj.user.username}) · {obj.get_role_display()}{dealer}"


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("What uses the key, e.g. “金蝶 ERP” or “WMS”."))
    membership = MembershipChoice(
        label=_("Acts as"),
        queryset=Membership.objects.none(),
        help_text=_("The key can do what this user's role may do, narrowed to the scopes below."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=[(k, f"{k} — {v}") for k, v in SCOPES.items()], widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("Optional.")
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Membership.objects.filter(is_active=True, user__is_active=True).select_related("user", "dealer")
        if actor.is_dealer:
            qs = qs.filter(dealer_id=actor.dealer_id)
        elif actor.role != Role.OWNER:
            qs = qs.exclude(role=Role.OWNER)
        self.fields["membership"].queryset = qs.order_by("dealer_id", "role", "user__username")
        if actor.user_id and not self.is_bound:
            self.initial.setdefault("membership", qs.filter(user_id=actor.user_id).values_list("pk", flat=True).first())

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(ALL, _("Every event (*)")), *EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
