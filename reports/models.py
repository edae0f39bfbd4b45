"""Projections that the reports read, kept up to date from domain events."""

from decimal import Decimal

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone


class DailySales(models.Model):
    """Orders and their value per day and currency, as the events report them.

    Placed orders count on the day they were placed and cancellations on the day they happened, in
    the shop's time zone.
    """

    day = models.DateField()
    currency = models.CharField(max_length=3)
    orders_placed = models.PositiveIntegerField(default=0)
    orders_cancelled = models.PositiveIntegerField(default=0)
    gross_placed = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    gross_cancelled = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "daily sales"
        verbose_name_plural = "daily sales"
        ordering = ["-day", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["day", "currency"], name="daily_sales_one_row_per_day"),
            models.CheckConstraint(
                condition=Q(gross_placed__gte=0) & Q(gross_cancelled__gte=0), name="daily_sales_amounts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.currency}"

    @property
    def net_sales(self) -> Decimal:
        return self.gross_placed - self.gross_cancelled


def _report_files() -> FileSystemStorage:
    """Report downloads live under REPORTS_FILES_DIR, served only through permission-checked views."""
    return FileSystemStorage(location=settings.REPORTS_FILES_DIR)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


class ReportRun(models.Model):
    """One computation of a report: asked by a staff member or a schedule, run by an analytics worker.

    Its permissions say which report families a role may see and run (accounts.roles)."""

    report = models.CharField(max_length=64)
    parameters = models.JSONField(default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    schedule = models.CharField(max_length=200, blank=True, help_text="the beat entry that asked for it")
    # Scheduled runs: "<report>:<first day>:<last day>", so a redelivered or repeated beat message
    # finds the run of that period instead of computing it twice.
    period_key = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    csv_file = models.FileField(storage=_report_files, upload_to="%Y/%m/", blank=True, max_length=300)
    xlsx_file = models.FileField(storage=_report_files, upload_to="%Y/%m/", blank=True, max_length=300)
    summary = models.JSONField(default=dict, blank=True, help_text="the report's summary and chart data")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["report", "-created_at"], name="reports_run_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["period_key"], condition=~Q(period_key=""), name="reports_run_one_per_scheduled_period"
            ),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="reports_run_status"),
        ]
        permissions = [
            ("access_sales_reports", "Can see and run sales reports"),
            ("access_customers_reports", "Can see and run customer reports"),
            ("access_inventory_reports", "Can see and run inventory reports"),
            ("access_operations_reports", "Can see and run operations reports"),
            ("access_payments_reports", "Can see and run payments reports"),
        ]

    def __str__(self) -> str:
        return f"{self.report} run {self.pk} ({self.status})"


class ReplenishmentPolicy(models.Model):
    """Lead time and service level of a warehouse's replenishment (the reorder report reads them)."""

    warehouse_code = models.SlugField(max_length=40, unique=True)
    lead_time_days = models.PositiveIntegerField(default=2, help_text="days from ordering to stock on the shelf")
    service_level = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.95"),
        help_text="the chance of not running out during a lead time, e.g. 0.95",
    )
    review_days = models.PositiveIntegerField(default=7, help_text="days between two orders of the same item")

    class Meta:
        verbose_name_plural = "replenishment policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(service_level__gt=Decimal("0.5"), service_level__lt=Decimal("1")),
                name="reports_policy_service_level",
            )
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_code}: {self.lead_time_days} days, {self.service_level}"

    @classmethod
    def for_warehouse(cls, code: str) -> "ReplenishmentPolicy":
        """The warehouse's policy, or the defaults of the settings (unsaved) when it has none."""
        return cls.objects.filter(warehouse_code=code).first() or cls(
            warehouse_code=code,
            lead_time_days=settings.REPORTS_DEFAULT_LEAD_TIME_DAYS,
            service_level=Decimal(str(settings.REPORTS_DEFAULT_SERVICE_LEVEL)),
            review_days=7,
        )
