"""Periods that beat entries name, resolved on the day the task runs (shop time)."""

from datetime import date, timedelta

from django.utils import timezone

from reports.errors import InvalidReportParameters


def resolve_period(period: str, today: date | None = None) -> tuple[date, date]:
    """yesterday; last_week (Monday to Sunday before this week); last_month; last_<n>_days (ending yesterday)."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    if period == "yesterday":
        return yesterday, yesterday
    if period == "last_week":
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if period == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if period.startswith("last_") and period.endswith("_days") and period[5:-5].isdigit():
        return yesterday - timedelta(days=int(period[5:-5]) - 1), yesterday
    raise InvalidReportParameters(f"Unknown schedule period {period!r}.", fields={"period": ["Unknown period."]})
