from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dinghuo.accounts import services
from dinghuo.accounts.forms import LoginForm, PasswordResetForm, client_ip
from dinghuo.accounts.models import Membership


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": _("Sign in")}

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        services.login_record_success(
            user=user,
            username=form.cleaned_data.get("username", ""),
            session_key=self.request.session.session_key or "",
            ip=client_ip(self.request),
            user_agent=self.request.headers.get("User-Agent", ""),
        )
        if user.language:
            response.set_cookie("django_language", user.language, samesite="Lax")
        return response


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/form_page.html"
    success_url = reverse_lazy("accounts:password_change_done")
    extra_context = {"title": _("Change password")}


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/message_page.html"
    extra_context = {"title": _("Password changed"), "text": _("Your password was changed.")}


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/form_page.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_context = {"title": _("Reset password")}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/message_page.html"
    extra_context = {
        "title": _("Check your e-mail"),
        "text": _("If an account with that e-mail exists, we have sent a link to set a new password."),
    }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/form_page.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    extra_context = {"title": _("Set a new password")}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/message_page.html"
    extra_context = {"title": _("Password set"), "text": _("Your new password is set. You can sign in now.")}


@login_required
@require_POST
def switch_tenant(request: HttpRequest) -> HttpResponse:
    """Choose which of the user's memberships the session acts as."""
    wanted = request.POST.get("membership")
    ok = (
        Membership.unscoped.filter(pk=wanted, user=request.user, is_active=True).exists()
        if wanted and wanted.isdigit()
        else False
    )
    if ok:
        request.session["membership_id"] = int(wanted)
    return HttpResponseRedirect(reverse("home"))
