"""The admin home: what needs doing now, for the signed-in person's roles.

Each figure is read live from the owning app's selectors and links to the filtered list behind it
(an admin change list, or a work queue of this package). Sections follow the roles of
`accounts.roles`: everyone on the staff sees the orders of the day; the Warehouse, Dispatcher and
Finance groups see their own section; the system section (outbox, dead letters, Celery queues)
needs the right to see the outbox. Superusers see everything.

Other parts of the suite add lines to the system section with `register_system_state` (e.g. the
state of Redis, PostgreSQL or Kafka as the resilience checks see it), without touching this file.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.roles import DISPATCHER, FINANCE, WAREHOUSE
from core.money import default_currency, format_money
from core.outages import degraded_states
from core.queue import queue_lengths
from delivery import selectors as delivery
from events import selectors as events
from inventory import selectors as inventory
from orders import selectors as orders
from payments import selectors as payments

# How far ahead the warehouse looks for picking, and what counts as soon or stuck.
PICKING_HORIZON = timedelta(hours=24)
RESERVATION_HORIZON = timedelta(minutes=15)
AUTHORIZATION_HORIZON = timedelta(hours=24)
STUCK_TRANSACTION_AGE = timedelta(minutes=15)


@dataclass(frozen=True)
class Figure:
    key: str  # stable, for tests and styling: "orders_today.confirmed"
    label: str
    value: str
    url: str = ""
    alert: bool = False  # something needs doing


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)  # {"title", "columns", "rows": [(cells, url)]}
    chart: dict[str, Any] | None = None  # a reports/charts.js spec (the dispatcher's heat map)

    @property
    def chart_id(self) -> str:
        return f"bo-chart-data-{self.key}"


SystemStateProvider = Callable[[], list[Figure]]
_system_state_providers: list[SystemStateProvider] = []


def register_system_state(provider: SystemStateProvider) -> None:
    """Add figures to the system section (called once, e.g. from an AppConfig.ready())."""
    if provider not in _system_state_providers:
        _system_state_providers.append(provider)


def _link(name: str, **query: Any) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight in the shop's time zone (settings.TIME_ZONE)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _local(moment: datetime, fmt: str = "%a %d %b %H:%M") -> str:
    return timezone.localtime(moment).strftime(fmt)


# --- sections ------------------------------------------------------------------------------------


def everyone(now: datetime) -> Section:
    section = Section("orders", "Orders today")
    start, end = day_bounds(timezone.localdate(now))
    counts = orders.orders_by_status(start, end)
    changelist = "admin:orders_order_changelist"
    for status, label in orders.OrderStatus.choices:
        section.figures.append(
            Figure(
                f"orders_today.{status}",
                label,
                str(counts.get(status, 0)),
                _link(changelist, status=status, placed_at__gte=_iso(start), placed_at__lt=_iso(end)),
            )
        )
    late = orders.orders_past_their_slot(now).count()
    section.figures.append(
        Figure(
            "orders_past_slot",
            "past their slot, not delivered",
            str(late),
            _link(
                changelist,
                status__in=",".join(orders.UNDELIVERED),
                slot_ends_at__lt=_iso(now),
            ),
            alert=late > 0,
        )
    )
    return section


def warehouse(now: datetime) -> Section:
    section = Section("warehouse", "Warehouse")
    stock = inventory.stock_items_with_availability()
    low = inventory.low_stock(stock).count()
    out = inventory.out_of_stock(stock).count()
    expiring = inventory.reservations_expiring(now + RESERVATION_HORIZON).count()
    drift = inventory.find_ledger_drift()
    stock_list = "admin:inventory_stockitem_changelist"
    section.figures += [
        Figure("stock_low", "items low on stock", str(low), _link(stock_list, level="low"), alert=low > 0),
        Figure("stock_out", "items out of stock", str(out), _link(stock_list, level="out"), alert=out > 0),
        Figure(
            "reservations_expiring",
            f"reservations expiring within {int(RESERVATION_HORIZON.total_seconds() // 60)} min",
            str(expiring),
            reverse("backoffice:queue", args=["reservations"]),
        ),
        Figure(
            "ledger_drift",
            "stock items whose ledger does not add up",
            str(len(drift)),
            _link(stock_list, id__in=",".join(str(d.stock_item_id) for d in drift)) if drift else "",
            alert=bool(drift),
        ),
    ]
    picking = orders.picking_load(now + PICKING_HORIZON)
    section.tables.append(
        {
            "key": "picking",
            "title": "To pick for the next slots",
            "columns": ["slot", "warehouse", "orders", "lines"],
            "rows": [
                (
                    [
                        f"{_local(p.slot_starts_at)} to {_local(p.slot_ends_at, '%H:%M')}",
                        p.warehouse_code,
                        p.orders,
                        p.lines,
                    ],
                    _link(
                        "admin:orders_order_changelist",
                        slot=p.slot_id,
                        warehouse_code=p.warehouse_code,
                        status__in=",".join(orders.PICKABLE),
                    ),
                )
                for p in picking
            ],
        }
    )
    section.tables.append(
        {
            "key": "imports",
            "title": "Last stock imports",
            "columns": ["file", "rows", "changed", "skipped", "at"],
            "rows": [
                (
                    [
                        batch.file_name,
                        batch.rows_total,
                        batch.rows_changed,
                        batch.rows_skipped,
                        _local(batch.created_at),
                    ],
                    reverse("admin:inventory_importbatch_change", args=[batch.pk]),
                )
                for batch in inventory.recent_imports()
            ],
        }
    )
    return section


def dispatcher(now: datetime) -> Section:
    section = Section("dispatch", "Dispatch")
    late = delivery.late_shipments(now).count()
    unassigned = delivery.unassigned_shipments().count()
    shipments = "admin:delivery_shipment_changelist"
    section.figures += [
        Figure(
            "shipments_late",
            "shipments late",
            str(late),
            _link(shipments, attention="late", slot_day="all"),
            alert=late > 0,
        ),
        Figure(
            "shipments_unassigned",
            "shipments without a courier",
            str(unassigned),
            _link(shipments, attention="unassigned", slot_day="all"),
            alert=unassigned > 0,
        ),
        Figure(
            "notifications",
            "dispatch notifications",
            "re-send",
            reverse("backoffice:queue", args=["notifications"]),
        ),
    ]
    today = timezone.localdate(now)
    start, _ = day_bounds(today)
    _, end = day_bounds(today + timedelta(days=1))
    slots = delivery.slot_fill(start, end)
    columns = sorted({_local(slot.starts_at, "%H:%M") for slot in slots})
    rows: dict[str, dict[str, int]] = {}
    for slot in slots:
        day = "today" if timezone.localdate(slot.starts_at) == today else "tomorrow"
        percent = round(100 * slot.reserved / slot.capacity) if slot.capacity else 100
        rows.setdefault(f"{slot.zone.code} {day}", {})[_local(slot.starts_at, "%H:%M")] = percent
    names = list(rows)
    section.chart = {
        "kind": "heatmap",
        "title": "slot fill %",
        "x": columns,
        "y": names,
        "values": [[rows[name].get(column) for column in columns] for name in names],
    }
    section.tables.append(
        {
            "key": "slot_fill",
            "title": "Slot fill, today and tomorrow (% of capacity)",
            "columns": ["zone", "slot", "booked", "capacity", "fill"],
            "rows": [
                (
                    [
                        slot.zone.code,
                        _local(slot.starts_at),
                        slot.reserved,
                        slot.capacity,
                        f"{round(100 * slot.reserved / slot.capacity) if slot.capacity else 100} %",
                    ],
                    reverse("admin:delivery_deliveryslot_change", args=[slot.pk]),
                )
                for slot in slots
            ],
        }
    )
    return section


def finance(now: datetime) -> Section:
    section = Section("finance", "Finance")
    queue = reverse("backoffice:queue", args=["payments"])
    lapsing = payments.lapsing_authorizations(now + AUTHORIZATION_HORIZON).count()
    failed = payments.failed_captures().count()
    refunds = payments.pending_refunds().count()
    stuck = payments.stuck_transactions(STUCK_TRANSACTION_AGE).count()
    section.figures += [
        Figure(
            "authorizations_lapsing",
            "authorizations lapsing within 24 h",
            str(lapsing),
            _link(
                "admin:payments_payment_changelist",
                state="authorized",
                expires_at__lte=_iso(now + AUTHORIZATION_HORIZON),
            ),
            alert=lapsing > 0,
        ),
        Figure("captures_failed", "captures failed", str(failed), f"{queue}#failed-captures", alert=failed > 0),
        Figure("refunds_pending", "refunds pending", str(refunds), f"{queue}#pending-refunds"),
        Figure(
            "transactions_stuck",
            f"transactions pending over {int(STUCK_TRANSACTION_AGE.total_seconds() // 60)} min",
            str(stuck),
            f"{queue}#stuck-transactions",
            alert=stuck > 0,
        ),
    ]
    start, end = day_bounds(timezone.localdate(now))
    today = orders.takings(start, now)
    week_ago = orders.takings(start - timedelta(days=7), now - timedelta(days=7))
    currency = default_currency()
    change = _change(today.total, week_ago.total)
    section.figures += [
        Figure(
            "sales_today",
            "sales today so far",
            f"{format_money(today.total, currency)} ({_orders(today.orders)})",
            _link("admin:orders_order_changelist", placed_at__gte=_iso(start), placed_at__lt=_iso(end)),
        ),
        Figure(
            "sales_last_week",
            "same day last week, same hour",
            f"{format_money(week_ago.total, currency)} ({_orders(week_ago.orders)}){change}",
            _link(
                "admin:orders_order_changelist",
                placed_at__gte=_iso(start - timedelta(days=7)),
                placed_at__lt=_iso(now - timedelta(days=7)),
            ),
        ),
    ]
    return section


def _orders(count: int) -> str:
    return f"{count} order" if count == 1 else f"{count} orders"


def _change(now_total: Decimal, then_total: Decimal) -> str:
    if not then_total:
        return ""
    percent = (now_total - then_total) * 100 / then_total
    return f", today {percent:+.0f} %"


def system(now: datetime) -> Section:
    section = Section("system", "System state")
    backlog = events.outbox_backlog()
    age = backlog["oldest_pending_age_seconds"]
    dead = events.pending_dead_letters().count()
    section.figures += [
        Figure(
            "outbox_backlog",
            "events waiting in the outbox",
            str(backlog["pending"]),
            _link("admin:events_outboxevent_changelist", published_at__isnull="True"),
            alert=age > 60,
        ),
        Figure("outbox_age", "oldest waiting event (s)", f"{age:.0f}", alert=age > 60),
        Figure(
            "dead_letters",
            "dead letters",
            str(dead),
            reverse("backoffice:queue", args=["dead-letters"]),
            alert=dead > 0,
        ),
    ]
    # What this web process sees failing now (core.outages: Redis, the broker, ...), as /readyz.
    for outage in degraded_states():
        since = f" since {_local(datetime.fromisoformat(str(outage['since'])))}" if outage["since"] else ""
        section.figures.append(
            Figure(
                f"degraded.{outage['dependency']}",
                f"{outage['dependency']} unavailable{since}",
                f"{float(str(outage['seconds'])):.0f} s",
                alert=True,
            )
        )
    queues = ["celery", settings.REPORTS_QUEUE, "payments", "notifications"]
    for name, length in queue_lengths(queues).items():
        section.figures.append(
            Figure(f"celery_queue.{name}", f"Celery queue “{name}”", "?" if length is None else str(length))
        )
    for provider in _system_state_providers:
        section.figures += provider()
    return section


def sections_for(user: Any, now: datetime | None = None) -> list[Section]:
    """The sections the person's roles call for, in the order they are shown."""
    now = now or timezone.now()
    if not (user.is_active and user.is_staff):
        return []
    groups = {name.lower() for name in user.groups.values_list("name", flat=True)}

    def has(role: str) -> bool:
        return bool(user.is_superuser) or role.lower() in groups

    shown = [everyone(now)]
    if has(WAREHOUSE):
        shown.append(warehouse(now))
    if has(DISPATCHER):
        shown.append(dispatcher(now))
    if has(FINANCE):
        shown.append(finance(now))
    if user.has_perm("events.view_outboxevent"):
        shown.append(system(now))
    return shown
