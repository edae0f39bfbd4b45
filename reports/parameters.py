"""What a report is asked for: a period of local days, a granularity and optional filters.

Days are the shop's local days: the time zone of the zone asked for, else settings.TIME_ZONE (the
zones' default), so an order placed at 23:30 local time counts on that day, whatever UTC says.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from delivery import selectors as delivery_selectors
from orders.selectors import ReportScope
from reports.db import reports_database
from reports.errors import InvalidReportParameters

GRANULARITIES = ("day", "week", "month")
SALES_BY = ("period", "category", "sku", "zone", "slot_hour", "gateway")
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class ReportParameters:
    start: date
    end: date  # inclusive
    granularity: str = "day"
    warehouse: str = ""
    zone: str = ""
    currency: str = ""
    by: str = "period"  # sales: period, category, sku, zone, slot_hour or gateway
    horizon: int = 14  # forecasts: days ahead

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def time_zone(self) -> str:
        if self.zone:
            return delivery_selectors.zone_time_zone(self.zone) or str(settings.TIME_ZONE)
        return str(settings.TIME_ZONE)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes: local midnight of the first day, and of the day after the last."""
        tz = ZoneInfo(self.time_zone)
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def scope(self) -> ReportScope:
        start, end = self.bounds()
        return ReportScope(
            start=start,
            end=end,
            time_zone=self.time_zone,
            warehouse=self.warehouse,
            zone=self.zone,
            currency=self.currency_or_default,
            using=reports_database(),
        )

    @property
    def currency_or_default(self) -> str:
        return self.currency or settings.CATALOG_CURRENCIES[0]

    def previous(self) -> "ReportParameters":
        """The period of the same length just before this one."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data


def _date(raw: Any, name: str, errors: dict[str, list[str]]) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors[name] = [f"{raw!r} is not a date (YYYY-MM-DD)."]
        return None


def parse_parameters(raw: Mapping[str, Any], *, allowed_by: tuple[str, ...] = ("period",)) -> ReportParameters:
    """Checked parameters from strings (API body, command line, a schedule's kwargs); every problem
    named per field in one InvalidReportParameters."""
    errors: dict[str, list[str]] = {}
    known = {"start", "end", "granularity", "warehouse", "zone", "currency", "by", "horizon"}
    for name in sorted(set(raw) - known):
        errors[name] = ["Not a parameter of reports."]
    start = _date(raw.get("start"), "start", errors) if raw.get("start") else None
    end = _date(raw.get("end"), "end", errors) if raw.get("end") else None
    if raw.get("start") is None or raw.get("start") == "":
        errors["start"] = ["The first day of the period is required."]
    if raw.get("end") is None or raw.get("end") == "":
        errors["end"] = ["The last day of the period is required."]
    if start and end and end < start:
        errors["end"] = ["The period ends before it starts."]
    elif start and end and (end - start).days + 1 > MAX_DAYS:
        errors["end"] = [f"A period is at most {MAX_DAYS} days."]
    granularity = str(raw.get("granularity") or "day")
    if granularity not in GRANULARITIES:
        errors["granularity"] = [f"One of {', '.join(GRANULARITIES)}."]
    by = str(raw.get("by") or allowed_by[0])
    if by not in allowed_by:
        errors["by"] = [f"One of {', '.join(allowed_by)}."]
    currency = str(raw.get("currency") or "")
    if currency and currency not in settings.CATALOG_CURRENCIES:
        errors["currency"] = [f"One of the shop's currencies: {', '.join(settings.CATALOG_CURRENCIES)}."]
    zone = str(raw.get("zone") or "")
    if zone and delivery_selectors.zone_time_zone(zone) is None:
        errors["zone"] = [f"No zone {zone!r}."]
    try:
        horizon = int(raw.get("horizon") or 14)
        if not 1 <= horizon <= 90:
            raise ValueError
    except ValueError:
        errors["horizon"] = ["Days ahead, from 1 to 90."]
        horizon = 14
    if errors:
        raise InvalidReportParameters(fields=errors)
    assert start is not None and end is not None  # errors were raised otherwise
    return ReportParameters(
        start=start,
        end=end,
        granularity=granularity,
        warehouse=str(raw.get("warehouse") or ""),
        zone=zone,
        currency=currency,
        by=by,
        horizon=horizon,
    )
