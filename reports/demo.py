"""Demo data of reports and the back office: a login per staff role, and a little of what each
role's dashboard (the admin home) is there for: a stock count that left an item low, a cart's
reservation about to lapse, a dead letter to re-run. Everything else on the dashboards comes
from the other apps' demo data (the demo order, the slots, the payment). The history behind the
charts is loaded by `manage.py load_demo_history` (config/demo_history.py), which `make run`
calls after `load_demo_data`. Safe to load again: accounts are matched by email, the rest is
done only while the dashboards would not show it."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ANALYST, DISPATCHER, SUPPORT, WAREHOUSE
from accounts.selectors import user_by_email
from accounts.services import create_staff_member
from events import selectors as events
from events import services as event_services
from events.kafka import topic_for_family
from inventory import selectors as inventory
from inventory import services as stock

DEMO_STAFF_PASSWORD = "back-office-2024"  # noqa: S105  (demo data, printed to the newcomer on purpose)
# The finance login comes with the payments demo, the catalog manager's with the accounts demo.
DEMO_STAFF = {
    WAREHOUSE: "warehouse@example.com",
    DISPATCHER: "dispatcher@example.com",
    SUPPORT: "support@example.com",
    ANALYST: "analyst@example.com",
}
DEMO_WAREHOUSE = "demo-store"
DEMO_CART = "demo-back-office"


def load() -> list[str]:
    lines = []
    for role, email in DEMO_STAFF.items():
        member = user_by_email(email)
        if member is None:
            member = create_staff_member(email=email, password=DEMO_STAFF_PASSWORD, first_name=role)
        member.groups.add(Group.objects.get(name=role))
        lines.append(f"{role} login (the admin home is their dashboard): {email} / {DEMO_STAFF_PASSWORD}")
    lines += _work_for_the_dashboards()
    lines.append(
        "Reports: `manage.py load_demo_history` adds 120 days of order history for the charts (make run does)."
    )
    return lines


def _work_for_the_dashboards() -> list[str]:
    lines = []
    items = inventory.stock_items_with_availability().filter(warehouse__code=DEMO_WAREHOUSE, reserved=0)
    spare = list(items.select_related("variant").order_by("variant__sku")[:2])
    if len(spare) < 2:
        return ["No back-office demo work: load the inventory demo data first."]
    counted, reserved = spare
    if not inventory.low_stock(inventory.stock_items_with_availability()).exists():
        stock.adjust_stock(
            stock.Adjustment(stock_item_id=counted.pk, version=counted.version, on_hand=Decimal("2")),
            reason="adjustment",
            note="demo: the shelf count found 2",
        )
        lines.append(f"Stock count: {counted.variant.sku} at {DEMO_WAREHOUSE} is down to 2 (low stock)")
    if not inventory.reservations_expiring(timezone.now() + timedelta(minutes=15)).exists():
        stock.reserve_stock(
            owner_type="cart",
            owner_id=DEMO_CART,
            lines=[(reserved.variant_id, "1")],
            warehouse_code=DEMO_WAREHOUSE,
            ttl=timedelta(minutes=10),
        )
        lines.append(f"A cart holds 1 {reserved.variant.sku} for 10 minutes (Warehouse: reservations expiring)")
    placed = events.latest_outbox_event("order.created")
    if placed is not None and not events.pending_dead_letters().exists():
        event_services.record_dead_letter(
            consumer_group="reports.sales",
            topic=topic_for_family("order"),
            partition=-1,
            offset=placed.pk,
            key=placed.aggregate_id.encode(),
            value=bytes(placed.payload),
            headers=[],
            error_code="demo",
            error="demo: a dead letter to re-run (the event was applied already: the inbox applies it once)",
            attempts=3,
            event_id=str(placed.event_id),
            event_type=placed.event_type,
        )
        lines.append("A dead letter of reports.sales to re-run (System state, Work queues)")
    return lines
