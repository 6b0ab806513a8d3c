"""Reporting periods: inclusive calendar dates in the configured time zone, queried as UTC instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from heatcases.errors import InvalidInput

DEFAULT_DAYS = 30
# Long enough for a year-on-year look, short enough that one request cannot scan a decade.
MAX_DAYS = 3 * 366
PRESETS = ("7d", "30d", "90d", "month", "quarter")


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included, as the people in ``tz`` count days."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[first instant, instant after the last day), in UTC like every stored timestamp."""
        return local_midnight(self.start, tz), local_midnight(self.end + timedelta(days=1), tz)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def today(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()


def resolve(date_from: date | None, date_to: date | None, tz: ZoneInfo) -> Period:
    """The period asked for; without dates, the last 30 days up to today; one date alone anchors 30 days."""
    for field, value in (("from", date_from), ("to", date_to)):
        if value is not None and not 2000 <= value.year <= 2999:
            raise InvalidInput(field, "dates must lie between the years 2000 and 2999", message_key="metrics.bad_date")
    if date_from is None and date_to is None:
        date_to = today(tz)
    if date_from is None:
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_to is None:
        date_to = min(date_from + timedelta(days=DEFAULT_DAYS - 1), max(today(tz), date_from))
    if date_from > date_to:
        raise InvalidInput("to", "the end date is before the start date", message_key="metrics.bad_range")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise InvalidInput("from", f"a period is at most {MAX_DAYS} days", message_key="metrics.too_long")
    return Period(date_from, date_to)


def preset(name: str, tz: ZoneInfo) -> Period:
    """A named period ending today: the last 7, 30 or 90 days, this month, this quarter."""
    end = today(tz)
    if name == "month":
        return Period(end.replace(day=1), end)
    if name == "quarter":
        return Period(date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end)
    days = {"7d": 7, "30d": 30, "90d": 90}[name]
    return Period(end - timedelta(days=days - 1), end)


def months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
