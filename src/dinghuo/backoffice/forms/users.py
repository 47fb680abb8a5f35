from django import forms
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.roles import DEALER_ROLES, STAFF_ROLES, Role

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in STAFF_ROLES]
DEALER_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in DEALER_ROLES]


class StaffUserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=60)
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput(render_value=False), min_length=8, strip=False
    )


class DealerUserForm(StaffUserForm):
    role = forms.ChoiceField(label=_("Role"), choices=DEALER_ROLE_CHOICES)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class DisableForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
