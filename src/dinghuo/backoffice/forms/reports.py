import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from dinghuo.analytics.selectors import MAX_MONTHS, SalesFilter, month_range
from dinghuo.core import regions

MONTH_FORMAT = "%Y-%m"


class MonthField(forms.DateField):
    """A month as "2026-11" (an <input type=month>), cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month", "placeholder": "2026-01"}, format=MONTH_FORMAT)
    input_formats = [MONTH_FORMAT, "%Y/%m", "%Y%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value.strip() if isinstance(value, str) else value)
        return day.replace(day=1) if day else day


class SalesReportForm(forms.Form):
    """The sales report's filters. Always bound (the defaults fill what the query string lacks); a
    bad value is shown as an error and that filter falls back to its default."""

    month_from = MonthField(label=_("From month"), required=False)
    month_to = MonthField(label=_("To month"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, empty_value=None, required=False)
    q = forms.CharField(
        label=_("Dealer"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Dealer code or name")}),
    )
    by = forms.ChoiceField(
        choices=[("month", _("By month")), ("category", _("By category"))], required=False, widget=forms.HiddenInput
    )

    def __init__(self, data, *, categories=(), today: dt.date | None = None, **kwargs):
        self.default = SalesFilter.last_months(12, today=today)
        data = data.copy()
        for name, day in (("month_from", self.default.month_from), ("month_to", self.default.month_to)):
            if not (data.get(name) or "").strip():
                data[name] = day.strftime(MONTH_FORMAT)
        super().__init__(data, **kwargs)
        self.fields["province"].choices = [("", _("All provinces"))] + [(r.code, r.name) for r in regions.provinces()]
        self.fields["category"].choices = [("", _("All categories")), *categories]

    def clean(self):
        data = super().clean()
        start, end = data.get("month_from"), data.get("month_to")
        if start and end and start > end:
            self.add_error("month_to", _("The end month is before the start month."))
        elif start and end and len(month_range(start, end)) > MAX_MONTHS:
            self.add_error("month_to", _("A report spans at most %(n)s months.") % {"n": MAX_MONTHS})
        return data

    def _value(self, name: str):
        return self.cleaned_data.get(name) if name not in self.errors else None

    def filters(self) -> SalesFilter:
        """The filters in effect: the valid ones, the defaults for the rest."""
        self.is_valid()
        start, end = self._value("month_from"), self._value("month_to")
        if not start or not end or "month_to" in self.errors:
            start, end = self.default.month_from, self.default.month_to
        return SalesFilter(
            month_from=start,
            month_to=end,
            province=self._value("province") or "",
            category_id=self._value("category"),
            q=(self._value("q") or "").strip(),
        )

    def view_by(self) -> str:
        """The table's columns: "month" or "category"."""
        self.is_valid()
        return "category" if self._value("by") == "category" else "month"
