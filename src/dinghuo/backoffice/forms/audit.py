from django import forms
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"), max_length=60, required=False, widget=forms.TextInput(attrs={"placeholder": "order."})
    )
    object = forms.CharField(
        label=_("Object"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Order number, code or id")}),
    )
    who = forms.CharField(label=_("Who"), max_length=60, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
