"""Accounting periods by name: "2026-10" (a month), "2026-Q3" (a quarter), "2026" (a year)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from dinghuo.finance.errors import PeriodInvalid

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter, year
    label: str
    start: dt.date
    end: dt.date  # inclusive


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def parse_period(text: str) -> Period:
    text = (text or "").strip()
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12 or year < 2000:
            raise PeriodInvalid(reason=text, detail={"period": text})
        return Period("month", f"{year}-{month:02d}", dt.date(year, month, 1), _month_end(year, month))
    if m := _QUARTER.match(text):
        year, q = int(m.group(1)), int(m.group(2))
        if year < 2000:
            raise PeriodInvalid(reason=text, detail={"period": text})
        return Period("quarter", f"{year}-Q{q}", dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
    if m := _YEAR.match(text):
        year = int(m.group(1))
        if year < 2000:
            raise PeriodInvalid(reason=text, detail={"period": text})
        return Period("year", str(year), dt.date(year, 1, 1), dt.date(year, 12, 31))
    raise PeriodInvalid(
        reason=_("“%(text)s” — write 2026-10, 2026-Q3 or 2026") % {"text": text[:20]}, detail={"period": text[:20]}
    )


def period_containing(kind: str, day: dt.date) -> Period:
    if kind == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    return parse_period(str(day.year))


def previous_period(kind: str, today: dt.date) -> Period:
    """The last period of ``kind`` that has ended before ``today``."""
    return period_containing(kind, period_containing(kind, today).start - dt.timedelta(days=1))


def parse_range(start: str | dt.date, end: str | dt.date) -> tuple[dt.date, dt.date]:
    try:
        start = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start).strip())
        end = end if isinstance(end, dt.date) else dt.date.fromisoformat(str(end).strip())
    except ValueError:
        raise PeriodInvalid(reason=_("dates are written like 2026-10-31"), detail={"period": f"{start}..{end}"})
    if end < start:
        raise PeriodInvalid(reason=_("the end is before the start"), detail={"period": f"{start}..{end}"})
    if (end - start).days > 366:
        raise PeriodInvalid(reason=_("a statement covers at most a year"), detail={"period": f"{start}..{end}"})
    return start, end
