"""Forms shared by the back office's pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    """An .xlsx upload for an import job (checked for size and extension here, for content by the importer)."""

    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Choose an Excel file (.xlsx)."))
        limit = settings.DINGHUO_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."), params={"mb": f"{limit / 1048576:.0f}"}
            )
        return upload


class PriceImportForm(UploadForm):
    replace = forms.BooleanField(
        label=_("Replace the lists' prices"),
        required=False,
        help_text=_("The file becomes the whole content of every price list it names."),
    )
