"""Small, hand-countable histories for the reports tests: rows written straight to the tables (the
reports only read them), in zone "mitte" on Berlin time."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from accounts.models import User
from catalog.models import Category, Product, Variant
from delivery.models import DeliverySlot, Zone
from orders.models import Order, OrderLine, OrderStatus

BERLIN = ZoneInfo("Europe/Berlin")
_numbers = count(1)


def local(day: date, at: str = "10:00") -> datetime:
    return datetime.combine(day, time.fromisoformat(at), tzinfo=BERLIN)


@dataclass
class Shop:
    zone: Zone
    slot: DeliverySlot
    variants: dict[str, Variant] = field(default_factory=dict)

    def order(
        self,
        customer: User,
        placed_at: datetime,
        *lines: tuple[str, str, str],
        status: str = "delivered",
        refunded: str = "0",
        gateway: str = "test_card",
        warehouse: str = "main",
    ) -> Order:
        """lines: (sku, quantity, unit price)."""
        subtotal = sum((Decimal(q) * Decimal(p) for _, q, p in lines), Decimal(0)).quantize(Decimal("0.01"))
        order = Order.objects.create(
            customer=customer,
            status=status,
            currency="EUR",
            subtotal=subtotal,
            delivery_fee=Decimal(0),
            total=subtotal,
            authorized_amount=subtotal,
            refunded_amount=Decimal(refunded),
            shipping_address={},
            zone=self.zone,
            slot=self.slot,
            slot_starts_at=self.slot.starts_at,
            slot_ends_at=self.slot.ends_at,
            cutoff_at=self.slot.cutoff_at,
            warehouse_code=warehouse,
            payment_gateway=gateway,
            placed_at=placed_at,
            cancelled_at=placed_at if status == OrderStatus.CANCELLED else None,
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    variant=self.variants[sku],
                    sku=sku,
                    name=sku,
                    unit="piece",
                    unit_price=Decimal(p),
                    quantity=Decimal(q),
                    line_total=(Decimal(q) * Decimal(p)).quantize(Decimal("0.01")),
                )
                for sku, q, p in lines
            ]
        )
        return order


def make_shop(*skus: tuple[str, str]) -> Shop:
    """skus: (sku, category name)."""
    zone = Zone.objects.create(
        code="mitte", name="Mitte", time_zone="Europe/Berlin", currency="EUR", delivery_fee=Decimal("0.00")
    )
    starts = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    slot = DeliverySlot.objects.create(
        zone=zone,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        cutoff_at=starts - timedelta(hours=1),
        capacity=100,
    )
    shop = Shop(zone=zone, slot=slot)
    categories: dict[str, Category] = {}
    for sku, category_name in skus:
        if category_name not in categories:
            categories[category_name] = Category.objects.create(
                name=category_name, slug=category_name.lower(), path=f"/{next(_numbers)}/"
            )
        product = Product.objects.create(name=sku, slug=f"p-{sku.lower()}", category=categories[category_name])
        shop.variants[sku] = Variant.objects.create(
            product=product, sku=sku, name=sku, price=Decimal("1.00"), currency="EUR"
        )
    return shop


def customer(name: str) -> User:
    return User.objects.create_user(f"{name}-{next(_numbers)}@example.com")
