import ipaddress

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts import services
from dinghuo.accounts.errors import LoginThrottled, PasswordResetThrottled


def client_ip(request) -> str | None:
    """The client's address, for throttling sign-ins and password-reset mails.

    Behind a reverse proxy every request comes from the proxy, so one guesser would lock everyone
    out; ``DINGHUO_CLIENT_IP_HEADER`` names the header the proxy sets (its right-most address, the
    one the proxy itself added, is used, so a client cannot forge it).
    """
    header = settings.CLIENT_IP_HEADER
    if header:
        forwarded = (request.headers.get(header) or "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or None


class ThrottledLogin:
    """Refuses to check a password once a username or an address has failed too often.

    Mixed into every sign-in form: ours and the admin's, so that /admin/login/ is no side door for
    guessing passwords.
    """

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


class LoginForm(ThrottledLogin, AuthenticationForm):
    """Django's sign-in form, throttled per username and per client address."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """The admin's sign-in form (staff flag required), throttled like ours."""


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, throttled per e-mail address and per client address, so that nobody can
    make the site mail an inbox without end.

    Requests for an address no account has count the same, and a refusal reads the same either way,
    so the form does not tell whether an account exists.
    """

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        email = cleaned_data.get("email")
        if email:
            try:
                services.password_reset_throttle(email=email, ip=client_ip(self.request) if self.request else None)
            except PasswordResetThrottled as exc:
                raise forms.ValidationError(exc.message, code=exc.code)
        return cleaned_data
