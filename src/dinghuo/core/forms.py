"""Pages map domain errors to forms once, here."""

from django import forms
from django.utils.functional import Promise

from dinghuo.core.errors import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a DomainError on the form fields its ``detail`` names, or on top of the form.

    By convention ``detail`` maps a field name to a human-readable (translated) message; any other
    value (a code, an id) shows the error's own message next to that field.
    """
    placed = False
    if isinstance(exc.detail, dict):
        for key, value in exc.detail.items():
            if key in form.fields:
                form.add_error(
                    key, str(value) if isinstance(value, str | Promise) and exc.code == "invalid" else exc.message
                )
                placed = True
    if not placed:
        form.add_error(None, exc.message)
