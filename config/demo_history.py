"""Demo history for the reports: 120 days of orders of a few hundred customers in the demo zones,
so that `make run` shows meaningful charts, cohorts, classes and forecasts (`manage.py
load_demo_history`, which `make run` calls after `load_demo_data`: a separate step, because the
other apps' demo data stays small and quick for their tests).

Deterministic (a seeded generator; days count back from yesterday) and written in bulk: closed
history that no service produces at this volume, with weekly seasonality (busy Fridays and
Saturdays), a trending and a declining product, cancellations, refunds, short picks and
substitutions, failed payments, and the past slots they were delivered in. Loaded once: the first
demo shopper's account marks it. Then a few report runs, so each family page has a chart.

It lives with the wiring, not in an app: it writes the tables of five apps in bulk, which no app
may do to another's (see the import contracts in pyproject.toml), for rows that no service
produces at this volume; the other apps' own demo data goes through their services.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from catalog.models import Variant
from delivery.models import DeliverySlot, HoldState, SlotHold, Zone
from orders.models import Order, OrderLine, OrderStatus
from payments.models import Payment, PaymentState
from reports.models import ReportRun
from reports.services import execute_run

DAYS = 120
CUSTOMERS = 300
SEED = 13
SLOT_HOURS = (9, 12, 15, 18, 20)
SLOT_CAPACITY = 12
WEEKDAY_WEIGHT = (0.8, 0.8, 0.9, 1.0, 1.3, 1.5, 0.6)  # Monday .. Sunday
FAILURES = ("card_declined", "insufficient_funds", "expired_card", "authentication_failed")
CENT = Decimal("0.01")


def _shopper_email(n: int) -> str:
    return f"demo-shopper-{n:03d}@example.com"


def load_history(*, days: int = DAYS, customers: int = CUSTOMERS, runs: bool = True) -> list[str]:
    if User.objects.filter(email=_shopper_email(1)).exists():
        return ["Reports: the demo order history is there already."]
    zones = list(Zone.objects.exclude(warehouse_code="").order_by("code"))
    variants = list(Variant.objects.filter(is_active=True).order_by("sku"))
    if not zones or len(variants) < 4:
        return ["Reports: no demo history (load the delivery and catalog demo data first)."]
    rng = random.Random(SEED)  # noqa: S311  # made-up data, the same every time
    orders, lines = _history(rng, zones, variants, days=days, customers=customers)
    done = _demo_runs(days) if runs else []
    return [
        f"Reports: {orders} orders with {lines} lines over {days} days for {customers} customers; "
        f"report runs: {', '.join(done) or 'none'}"
    ]


def _history(
    rng: random.Random, zones: list[Zone], variants: list[Variant], *, days: int, customers: int
) -> tuple[int, int]:
    password = make_password(None)  # unusable: demo shoppers never sign in
    User.objects.bulk_create([User(email=_shopper_email(n), password=password) for n in range(1, customers + 1)])
    shoppers = list(User.objects.filter(email__startswith="demo-shopper-").order_by("email"))
    # Each customer joins on some day and orders every few days; some drift away.
    joined = {s.pk: rng.randint(0, days - 1) for s in shoppers}
    cadence = {s.pk: rng.choice((3, 5, 7, 10, 14, 30)) for s in shoppers}
    churn = {s.pk: rng.random() < 0.3 for s in shoppers}
    today = timezone.localdate()
    order_count = line_count = 0
    for zone in zones:
        tz = ZoneInfo(zone.time_zone)
        slots = _past_slots(zone, tz, today, days)
        for day_index in range(days):
            day = today - timedelta(days=days - day_index)
            weight = WEEKDAY_WEIGHT[day.weekday()] / len(zones)
            day_slots = [slots[(day, hour)] for hour in SLOT_HOURS]
            booked = dict.fromkeys(range(len(day_slots)), 0)
            new_orders: list[tuple[Order, list[OrderLine]]] = []
            for shopper in shoppers:
                start = joined[shopper.pk]
                if day_index < start or (churn[shopper.pk] and day_index > start + 60):
                    continue
                if rng.random() > weight / cadence[shopper.pk]:
                    continue
                free = [i for i, n in booked.items() if n < SLOT_CAPACITY]
                if not free:
                    break
                slot_index = rng.choice(free)
                booked[slot_index] += 1
                share = day_index / days
                new_orders.append(
                    _order(
                        rng,
                        shopper,
                        zone,
                        day_slots[slot_index],
                        variants,
                        trending_weight=0.3 + 2.5 * share,
                        declining_weight=2.5 - 2.2 * share,
                    )
                )
            created = Order.objects.bulk_create([order for order, _ in new_orders])
            for order, (_, order_lines) in zip(created, new_orders, strict=True):
                for line in order_lines:
                    line.order = order
            OrderLine.objects.bulk_create([line for _, order_lines in new_orders for line in order_lines])
            SlotHold.objects.bulk_create(
                [
                    SlotHold(
                        slot=order.slot,
                        customer=order.customer,
                        owner_id=f"demo-{order.pk}",
                        state=HoldState.BOOKED,
                        expires_at=order.slot.cutoff_at,
                        order_ref=str(order.pk),
                        booked_at=order.placed_at,
                    )
                    for order in created
                    if order.status != OrderStatus.CANCELLED
                ]
            )
            failed = Payment.objects.bulk_create(
                [
                    Payment(
                        order_ref=str(order.pk),
                        customer=order.customer,
                        gateway="test_card",
                        currency="EUR",
                        amount=order.total,
                        state=PaymentState.FAILED,
                        failure_code=rng.choice(FAILURES),
                        payment_method="card",
                        idempotency_key=f"demo-history-failed-{order.pk}",
                    )
                    for order in created
                    if rng.random() < 0.08
                ]
            )
            # created_at is set on insert; the history's attempts happened on their day.
            noon = datetime.combine(day, time(12), tzinfo=tz)
            Payment.objects.filter(pk__in=[p.pk for p in failed]).update(created_at=noon, updated_at=noon)
            order_count += len(created)
            line_count += sum(len(order_lines) for _, order_lines in new_orders)
    return order_count, line_count


def _past_slots(zone: Zone, tz: ZoneInfo, today: date, days: int) -> dict[tuple[date, int], DeliverySlot]:
    wanted = []
    for offset in range(1, days + 1):
        day = today - timedelta(days=offset)
        for hour in SLOT_HOURS:
            starts = datetime.combine(day, time(hour), tzinfo=tz)
            wanted.append(
                DeliverySlot(
                    zone=zone,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    cutoff_at=starts - timedelta(hours=1),
                    capacity=SLOT_CAPACITY,
                    reserved=0,
                )
            )
    DeliverySlot.objects.bulk_create(wanted)
    slots = DeliverySlot.objects.filter(
        zone=zone,
        starts_at__lt=datetime.combine(today, time.min, tzinfo=tz),
        starts_at__gte=datetime.combine(today - timedelta(days=days), time.min, tzinfo=tz),
    )
    return {(slot.starts_at.astimezone(tz).date(), slot.starts_at.astimezone(tz).hour): slot for slot in slots}


def _order(
    rng: random.Random,
    shopper: User,
    zone: Zone,
    slot: DeliverySlot,
    variants: list[Variant],
    *,
    trending_weight: float,
    declining_weight: float,
) -> tuple[Order, list[OrderLine]]:
    weights = [trending_weight, declining_weight, *([1.0] * (len(variants) - 2))]  # the first two SKUs
    chosen = {v.pk: v for v in rng.choices(variants, weights=weights, k=rng.randint(2, 6))}.values()
    placed_at = slot.starts_at - timedelta(hours=rng.randint(3, 30), minutes=rng.randint(0, 59))
    cancelled = rng.random() < 0.05
    lines = []
    for variant in chosen:
        quantity = Decimal(rng.randint(1, 4))
        line = OrderLine(
            variant=variant,
            sku=variant.sku,
            name=variant.name,
            unit=variant.unit,
            unit_price=variant.price,
            quantity=quantity,
            line_total=(variant.price * quantity).quantize(CENT),
        )
        if not cancelled:
            line.picked_at = slot.starts_at - timedelta(minutes=50)
            line.picked_quantity, line.picked_variant = quantity, None
            luck = rng.random()
            if luck < 0.04:  # short: fewer on the shelf than ordered
                line.picked_quantity = quantity - 1
            elif luck < 0.07:  # substituted by a neighbour in the catalog
                line.picked_variant = variants[(variants.index(variant) + 1) % len(variants)]
            line.final_line_total = (line.unit_price * line.picked_quantity).quantize(CENT)
        lines.append(line)
    subtotal = sum((line.line_total for line in lines), Decimal(0))
    fee = zone.delivery_fee
    order = Order(
        customer=shopper,
        status=OrderStatus.CANCELLED if cancelled else OrderStatus.DELIVERED,
        currency="EUR",
        subtotal=subtotal,
        delivery_fee=fee,
        total=subtotal + fee,
        authorized_amount=subtotal + fee,
        shipping_address={"demo": True},
        zone=zone,
        slot=slot,
        slot_starts_at=slot.starts_at,
        slot_ends_at=slot.ends_at,
        cutoff_at=slot.cutoff_at,
        warehouse_code=zone.warehouse_code,
        payment_gateway=rng.choice(("test_card", "cash_on_delivery")),
        placed_at=placed_at,
    )
    if cancelled:
        order.cancelled_at, order.cancelled_by = placed_at + timedelta(minutes=20), "customer"
    else:
        final = sum((line.final_line_total or Decimal(0) for line in lines), Decimal(0))
        order.final_subtotal, order.final_total = final, min(final + fee, order.authorized_amount)
        order.confirmed_at = placed_at + timedelta(minutes=1)
        order.packed_at = slot.starts_at - timedelta(minutes=rng.randint(15, 45))
        late = rng.random() < 0.08
        order.delivered_at = (
            slot.ends_at + timedelta(minutes=rng.randint(5, 40))
            if late
            else slot.starts_at + timedelta(minutes=rng.randint(10, 110))
        )
        if rng.random() < 0.03:
            order.refunded_amount = (final / 4).quantize(CENT)
            order.status = OrderStatus.PARTIALLY_REFUNDED
    return order, lines


def _demo_runs(days: int) -> list[str]:
    yesterday = timezone.localdate() - timedelta(days=1)
    plans: list[tuple[str, int, dict[str, object]]] = [
        ("sales", 56, {}),
        ("customers_new_returning", 84, {"granularity": "week"}),
        ("customers_cohorts", days, {}),
        ("customers_rfm", 90, {}),
        ("inventory_abc_xyz", 56, {}),
        ("inventory_cover", 28, {}),
        ("inventory_forecast", 91, {"horizon": 14}),
        ("inventory_reorder", 28, {}),
        ("operations_slots", 28, {}),
        ("operations_fulfilment", 28, {}),
        ("payments_failures", 28, {}),
        ("payments_refunds", 28, {}),
    ]
    done = []
    for name, days, extra in plans:
        start = yesterday - timedelta(days=days - 1)
        run = ReportRun.objects.create(
            report=name,
            schedule="demo data",
            parameters={"start": start.isoformat(), "end": yesterday.isoformat(), **extra},
        )
        execute_run(run.pk)
        done.append(name)
    return done
