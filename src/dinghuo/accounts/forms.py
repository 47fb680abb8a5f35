from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts import services
from dinghuo.accounts.errors import LoginThrottled


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class LoginForm(AuthenticationForm):
    """Django's sign-in form, throttled per username and per client address."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        username = (self.data.get("username") or "").strip()
        ip = client_ip(self.request) if self.request else None
        try:
            services.login_check_throttle(username=username, ip=ip)
        except LoginThrottled as exc:
            raise forms.ValidationError(exc.message, code=exc.code)
        try:
            return super().clean()
        except forms.ValidationError:
            services.login_record_failure(username=username, ip=ip)
            raise
