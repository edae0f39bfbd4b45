"""The report catalogue: every report by name, its family (which staff roles see it) and function.

Families and who sees them (reports.models.ReportRun's permissions, granted by accounts.roles):
sales and payments: Finance; inventory: Warehouse; operations: Dispatcher; all: Analyst.

A report's function is named by its dotted path and imported when the report first runs: the
catalogue is read by the admin, the API and the event consumers of every process, and the report
modules bring pandas and numpy (0.3 s and tens of MB a process) to the processes that run reports.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.utils.module_loading import import_string

from reports.catalogue.result import ReportResult
from reports.errors import ReportNotFound
from reports.parameters import SALES_BY, ReportParameters, parse_parameters

FAMILIES = ("sales", "customers", "inventory", "operations", "payments")


@dataclass(frozen=True)
class Report:
    name: str
    family: str
    title: str
    description: str
    function: str  # the dotted path of its (ReportParameters) -> ReportResult
    by: tuple[str, ...] = ("period",)

    @property
    def permission(self) -> str:
        return f"reports.access_{self.family}_reports"

    def parameters(self, raw: Mapping[str, Any]) -> ReportParameters:
        return parse_parameters(raw, allowed_by=self.by)

    def run(self, params: ReportParameters) -> ReportResult:
        function = cast(Callable[[ReportParameters], ReportResult], import_string(self.function))
        return function(params)


REPORTS: dict[str, Report] = {
    report.name: report
    for report in [
        Report(
            "sales",
            "sales",
            "Sales",
            "Orders, items, gross, cancellations, refunds, net and AOV, against the "
            "previous period; by period, category, SKU, zone, slot hour or gateway.",
            "reports.catalogue.sales.sales",
            SALES_BY,
        ),
        Report(
            "customers_new_returning",
            "customers",
            "New and returning customers",
            "Customers per period, new (first order ever) against returning.",
            "reports.catalogue.customers.new_and_returning",
        ),
        Report(
            "customers_rfm",
            "customers",
            "RFM segments",
            "Recency, frequency and monetary scores, segments and historic value per customer.",
            "reports.catalogue.customers.rfm",
        ),
        Report(
            "customers_cohorts",
            "customers",
            "Cohort retention",
            "Monthly cohorts of first orders and the share ordering again each month after.",
            "reports.catalogue.customers.cohorts",
        ),
        Report(
            "inventory_abc_xyz",
            "inventory",
            "ABC / XYZ classes",
            "Revenue share (80/15/5) against the variation of weekly demand (CV 0.5 / 1.0) per SKU and warehouse.",
            "reports.catalogue.inventory.abc_xyz",
        ),
        Report(
            "inventory_cover",
            "inventory",
            "Days of cover and stock-outs",
            "Available stock over mean daily demand, and days that closed out of stock.",
            "reports.catalogue.inventory.cover",
        ),
        Report(
            "inventory_forecast",
            "inventory",
            "Demand forecast",
            "Daily demand per SKU and warehouse for the next "
            "days (Holt-Winters, seasonal naive for short histories) with a 95% interval and its backtest WAPE.",
            "reports.catalogue.inventory.forecast",
        ),
        Report(
            "inventory_reorder",
            "inventory",
            "Reorder points",
            "Safety stock, reorder point and suggested order "
            "per SKU and warehouse, from demand, lead time and service level.",
            "reports.catalogue.inventory.reorder",
        ),
        Report(
            "operations_slots",
            "operations",
            "Slot utilisation",
            "Booked places over capacity by zone, weekday and hour.",
            "reports.catalogue.operations.slot_utilisation",
        ),
        Report(
            "operations_fulfilment",
            "operations",
            "Fulfilment",
            "Fill, short and substitution rates by SKU, on-time delivery and pick-to-pack time.",
            "reports.catalogue.operations.fulfilment",
        ),
        Report(
            "payments_failures",
            "payments",
            "Payment failures",
            "Failed payments by gateway and reason.",
            "reports.catalogue.payments.failures",
        ),
        Report(
            "payments_refunds",
            "payments",
            "Refunds",
            "Refunds that succeeded, per day and gateway.",
            "reports.catalogue.payments.refunds",
        ),
    ]
}


def get_report(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise ReportNotFound(f"There is no report {name!r}; the reports are: {', '.join(REPORTS)}.") from None


def reports_for(user: Any) -> list[Report]:
    """The reports a staff member's role lets them see and run."""
    return [report for report in REPORTS.values() if user.has_perm(report.permission)]
