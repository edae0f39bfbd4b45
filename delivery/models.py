"""Zones, delivery slots and the places held or booked in them, couriers and shipments.

Capacity is a counter on the slot (`reserved`: active holds plus bookings) that only services change,
with single conditional UPDATEs, under CHECK constraints that make overbooking impossible even for a
buggy caller (docs/decisions/0008-delivery-capacity.md).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.money import default_currency

ZERO = Decimal("0.00")


def default_time_zone() -> str:
    return str(settings.TIME_ZONE)


class Zone(models.Model):
    """An area served from one hub, with its own prices. Postal codes map addresses to it."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, help_text="IANA name; slot templates are wall-clock times in it"
    )
    currency = models.CharField(max_length=3, default=default_currency)
    delivery_fee = models.DecimalField(max_digits=10, decimal_places=2)
    free_delivery_threshold = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="orders with a subtotal at or above this pay no delivery fee (empty: never free)",
    )
    minimum_order = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    # A code, not a foreign key: inventory is a sibling app (no imports across), and orders checks
    # that the warehouse exists when it reserves stock there.
    warehouse_code = models.SlugField(
        max_length=40,
        blank=True,
        help_text="code of the warehouse (dark store) that picks this zone's orders; empty: the zone takes no orders",
    )
    is_active = models.BooleanField(default=True, help_text="inactive zones resolve no address")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery_fee__gte=0)
                & Q(minimum_order__gte=0)
                & (Q(free_delivery_threshold__isnull=True) | Q(free_delivery_threshold__gte=0)),
                name="delivery_zone_amounts_not_negative",
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="delivery_zone_currency_iso"),
        ]

    def __str__(self) -> str:
        return self.name


class PostalCodeMatch(models.TextChoices):
    EXACT = "exact", "Exact postal code"
    PREFIX = "prefix", "Postal code prefix"


class ZonePostalCode(models.Model):
    """One exact postal code or prefix of a country that belongs to a zone.

    Values are stored normalised (upper case, no spaces or hyphens). A code or prefix belongs to one
    zone only; exact codes beat prefixes and longer prefixes beat shorter ones, so every address
    resolves to at most one zone.
    """

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="postal_codes")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. DE")
    match = models.CharField(max_length=6, choices=PostalCodeMatch.choices, default=PostalCodeMatch.EXACT)
    value = models.CharField(max_length=16)

    class Meta:
        ordering = ["country", "value"]
        verbose_name = "postal code"
        constraints = [
            models.UniqueConstraint(fields=["country", "match", "value"], name="delivery_postal_code_one_zone"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="delivery_postal_code_country"),
            models.CheckConstraint(condition=Q(value__regex=r"^[A-Z0-9]+$"), name="delivery_postal_code_normalised"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.value}{'*' if self.match == PostalCodeMatch.PREFIX else ''}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class SlotTemplate(models.Model):
    """A weekly delivery window of a zone; the beat task turns it into dated slots."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="slot_templates")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    capacity = models.PositiveIntegerField(help_text="orders the vans can serve in this window")
    cutoff_minutes = models.PositiveIntegerField(default=60, help_text="bookings close this long before the start")
    fee_premium = models.DecimalField(
        max_digits=10, decimal_places=2, default=ZERO, help_text="added to the zone's delivery fee (peak windows)"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["zone", "weekday", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "weekday", "starts_at"], name="delivery_template_once"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="delivery_template_ends_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="delivery_template_weekday"),
            models.CheckConstraint(condition=Q(fee_premium__gte=0), name="delivery_template_premium_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class DeliverySlot(models.Model):
    """A dated delivery window with its capacity; `reserved` counts active holds and bookings."""

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="slots")
    template = models.ForeignKey(SlotTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    cutoff_at = models.DateTimeField(help_text="no new holds or bookings from this moment")
    capacity = models.PositiveIntegerField()
    reserved = models.PositiveIntegerField(default=0, help_text="active holds plus bookings")
    fee_premium = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    closed = models.BooleanField(default=False)
    closed_reason = models.CharField(max_length=200, blank=True)
    # Bumped by staff edits only (capacity, closing), not by holds: customers taking places must not
    # make a dispatcher's form stale, and `reserved` is guarded by its own conditional updates.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "zone"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "starts_at"], name="delivery_slot_once_per_zone_start"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="delivery_slot_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("capacity")), name="delivery_slot_not_overbooked"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="delivery_slot_ends_after_start"),
            models.CheckConstraint(
                condition=Q(cutoff_at__lte=F("starts_at")), name="delivery_slot_cutoff_before_start"
            ),
            models.CheckConstraint(condition=Q(fee_premium__gte=0), name="delivery_slot_premium_not_negative"),
        ]
        indexes = [models.Index(fields=["starts_at"], name="delivery_slot_starts_idx")]

    def __str__(self) -> str:
        return f"{self.zone} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.reserved, 0)


class HoldState(models.TextChoices):
    ACTIVE = "active", "Active"
    BOOKED = "booked", "Booked"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


class SlotHold(models.Model):
    """A place in a slot held for a customer while they check out, then booked for their order.

    The owner says what holds it (the customer themself, a checkout session, ...); the customer is
    whom it is for. An active or booked hold counts in its slot's `reserved`.
    """

    slot = models.ForeignKey(DeliverySlot, on_delete=models.PROTECT, related_name="holds")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="slot_holds")
    owner_type = models.CharField(max_length=32, default="customer")
    owner_id = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=HoldState.choices, default=HoldState.ACTIVE)
    expires_at = models.DateTimeField()
    extended_at = models.DateTimeField(null=True, blank=True, help_text="set by the one extension allowed")
    order_ref = models.CharField(max_length=64, blank=True, help_text="the order the place is booked for")
    created_at = models.DateTimeField(auto_now_add=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(state="active"), name="delivery_one_active_hold_per_customer"
            ),
            models.UniqueConstraint(
                fields=["order_ref"], condition=Q(state="booked"), name="delivery_one_booking_per_order"
            ),
            models.CheckConstraint(condition=~Q(state="booked") | ~Q(order_ref=""), name="delivery_booking_has_order"),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(state="active"), name="delivery_hold_expiry_idx"),
            models.Index(fields=["owner_type", "owner_id"], name="delivery_hold_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} on {self.slot_id} ({self.state})"


class Courier(models.Model):
    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="courier"
    )
    zones = models.ManyToManyField(Zone, related_name="couriers", blank=True)
    is_active = models.BooleanField(default=True, help_text="on shift: can be assigned shipments")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryOrder(models.Model):
    """What delivery knows about an order, gathered from order events in whatever order they arrive.

    Delivery sits below orders and never imports them: the order is an opaque reference.
    """

    order_ref = models.CharField(max_length=64, unique=True)
    order_number = models.CharField(max_length=64, blank=True)
    customer_ref = models.CharField(max_length=64, blank=True)
    slot = models.ForeignKey(DeliverySlot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    placed_seen_at = models.DateTimeField(null=True, blank=True, help_text="when order.created arrived")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.order_number or self.order_ref


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PICKING = "picking", "Picking"
    PACKED = "packed", "Packed"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    FAILED_ATTEMPT = "failed_attempt", "Failed attempt"
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"


class Shipment(models.Model):
    """The delivery of one confirmed order in its slot; moves only through the transitions table."""

    order_ref = models.CharField(max_length=64, unique=True)
    order_number = models.CharField(max_length=64, blank=True)
    customer_ref = models.CharField(max_length=64, blank=True, help_text="the ordering customer's id")
    slot = models.ForeignKey(DeliverySlot, on_delete=models.PROTECT, related_name="shipments")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="shipments")
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments")
    status = models.CharField(max_length=16, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING)
    status_changed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slot__starts_at", "id"]
        indexes = [
            models.Index(fields=["status"], name="delivery_ship_status_idx"),
            models.Index(fields=["courier", "status"], name="delivery_ship_courier_idx"),
        ]

    def __str__(self) -> str:
        return f"shipment of {self.order_number or self.order_ref}"


class HistoryKind(models.TextChoices):
    STATUS = "status", "Status change"
    COURIER = "courier", "Courier assignment"


class ShipmentHistory(models.Model):
    """One change of a shipment: a status transition or a courier assignment, who did it and why."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=8, choices=HistoryKind.choices, default=HistoryKind.STATUS)
    from_status = models.CharField(max_length=16, blank=True, help_text="empty when the shipment was created")
    to_status = models.CharField(max_length=16)
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="the staff member's email, or the system process")
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "shipment history entry"
        verbose_name_plural = "shipment history"

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class NotificationKind(models.TextChoices):
    COURIER_ASSIGNED = "courier_assigned", "Courier assigned"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    FAILED_ATTEMPT = "failed_attempt", "Failed attempt"


class DispatchNotification(models.Model):
    """A message to a courier or customer about a shipment; a Celery task sends it after commit."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    recipient = models.CharField(max_length=120, help_text="courier:<id> or customer:<id>")
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sent_at"], name="delivery_notice_sent_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient}"
