"""A prepared day for the back office's tests: one staff member per role and, relative to now,
something for every role's dashboard to count."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User
from accounts.roles import DISPATCHER, FINANCE, SUPPORT, WAREHOUSE, sync_roles
from delivery.models import DeliverySlot, DispatchNotification, NotificationKind, Shipment
from events.models import DeadLetter
from inventory import services as inventory
from inventory.models import Reservation, Warehouse
from orders.models import Order
from payments.models import Payment, PaymentState, PaymentTransaction, TransactionKind, TransactionStatus
from tests.reports.factories import customer, make_shop

PASSWORD = "run-the-shop-2024"
ROLES = (SUPPORT, WAREHOUSE, DISPATCHER, FINANCE)


@dataclass
class Day:
    staff: dict[str, User]
    late_order: Order
    reservation: Reservation
    failed_capture: PaymentTransaction
    stuck_refund: PaymentTransaction
    dead_letter: DeadLetter
    notification: DispatchNotification
    shipment: Shipment


def staff_member(role: str, password: str = PASSWORD) -> User:
    member = accounts.create_staff_member(email=f"{role.lower()}@example.com", password=password)
    member.groups.add(Group.objects.get(name=role))
    return member


def prepare_day() -> Day:
    sync_roles(Group, Permission)
    staff = {role: staff_member(role) for role in ROLES}
    now = timezone.now()
    shop = make_shop(("APL", "Fruit"), ("MLK", "Dairy"))
    # The factory's slot is in 2026-03; today's slots: one that ended an hour ago, one in two hours.
    ended = DeliverySlot.objects.create(
        zone=shop.zone,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
        cutoff_at=now - timedelta(hours=4),
        capacity=10,
        reserved=4,
    )
    shop.slot = DeliverySlot.objects.create(
        zone=shop.zone,
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=4),
        cutoff_at=now + timedelta(hours=1),
        capacity=10,
        reserved=2,
    )
    buyer = customer("day")
    placed = now - timedelta(minutes=1)
    shop.order(buyer, placed, ("APL", "2", "3.00"), status="confirmed")  # 6.00, to pick in 2 h
    shop.order(buyer, placed, ("MLK", "1", "4.00"), status="delivered")  # 4.00
    shop.order(buyer, placed, ("MLK", "1", "9.00"), status="cancelled")  # not sold
    shop.order(buyer, placed - timedelta(days=7), ("APL", "1", "5.00"), status="delivered")  # last week
    upcoming = shop.slot
    shop.slot = ended
    late = shop.order(buyer, placed, ("APL", "1", "2.00"), status="out_for_delivery")  # past its slot
    shop.slot = upcoming

    # Stock: APL low (3 on hand, threshold 5), MLK out (1 on hand, 1 reserved for 5 minutes).
    Warehouse.objects.create(code="main", name="Main")
    apple, levels = inventory.receive_stock(warehouse_code="main", variant=shop.variants["APL"], quantity="3")
    inventory.set_low_stock_threshold(apple.id, "5", version=levels.version)
    inventory.receive_stock(warehouse_code="main", variant=shop.variants["MLK"], quantity="1")
    reservation = inventory.reserve_stock(
        owner_type="cart",
        owner_id="day-1",
        lines=[(shop.variants["MLK"].pk, "1")],
        warehouse_code="main",
        ttl=timedelta(minutes=5),
    )

    shipment = Shipment.objects.create(
        order_ref=str(late.pk), order_number=str(late.pk), slot=ended, zone=shop.zone, status_changed_at=now
    )
    notification = DispatchNotification.objects.create(
        shipment=shipment,
        kind=NotificationKind.OUT_FOR_DELIVERY,
        recipient=f"customer:{buyer.pk}",
        message="Your groceries are on their way.",
        sent_at=now,
    )

    payment = Payment.objects.create(
        order_ref="day-pay-1",
        customer=buyer,
        gateway="cash_on_delivery",
        currency="EUR",
        amount=Decimal("20.00"),
        authorized_amount=Decimal("20.00"),
        state=PaymentState.AUTHORIZED,
        payment_method="cash",
        idempotency_key="day-pay-1",
        authorized_at=now,
        expires_at=now + timedelta(hours=3),
    )
    PaymentTransaction.objects.create(
        payment=payment,
        kind=TransactionKind.AUTHORIZE,
        status=TransactionStatus.SUCCEEDED,
        amount=Decimal("20.00"),
        idempotency_key="day-auth",
        provider_idempotency_key="day-auth",
    )
    failed_capture = PaymentTransaction.objects.create(
        payment=payment,
        kind=TransactionKind.CAPTURE,
        status=TransactionStatus.FAILED,
        amount=Decimal("12.00"),
        final=True,
        idempotency_key="day-capture",
        provider_idempotency_key="day-capture",
        failure_code="processing_error",
    )
    paid = Payment.objects.create(
        order_ref="day-pay-2",
        customer=buyer,
        gateway="cash_on_delivery",
        currency="EUR",
        amount=Decimal("8.00"),
        authorized_amount=Decimal("8.00"),
        captured_amount=Decimal("8.00"),
        refund_pending_amount=Decimal("3.00"),
        state=PaymentState.CAPTURED,
        payment_method="cash",
        idempotency_key="day-pay-2",
    )
    stuck_refund = PaymentTransaction.objects.create(
        payment=paid,
        kind=TransactionKind.REFUND,
        amount=Decimal("3.00"),
        reason="bruised",
        idempotency_key="day-refund",
        provider_idempotency_key="day-refund",
    )
    PaymentTransaction.objects.filter(pk=stuck_refund.pk).update(updated_at=now - timedelta(hours=1))

    dead_letter = DeadLetter.objects.create(
        consumer_group="nobody.here",
        topic="commerce.orders",
        partition=0,
        offset=7,
        value=b"not an envelope",
        event_type="order.created",
        error_code="handler_failed",
        error="boom",
    )
    return Day(staff, late, reservation, failed_capture, stuck_refund, dead_letter, notification, shipment)
