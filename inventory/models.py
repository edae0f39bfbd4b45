"""Warehouses (dark stores), stock per warehouse and variant, the movement ledger, reservations and
the record of applied stock imports.

Stock levels are counters on `StockItem` that only the services change, with single conditional
UPDATEs, under CHECK constraints that make overselling impossible even for a buggy caller. Every
change to a counter writes a `StockMovement` in the same transaction, so the ledger's sums are the
levels (docs/decisions/0011-inventory-reservations.md).
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

ZERO = Decimal("0.000")
# Up to 99,999,999,999.999: grams and millilitres of items sold by weight or volume.
QUANTITY: dict[str, Any] = {"max_digits": 14, "decimal_places": 3}


class Warehouse(models.Model):
    """A dark store or warehouse that holds stock and serves orders."""

    code = models.SlugField(max_length=40, unique=True, help_text="Stable short name used by imports and the API.")
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True, help_text="Inactive warehouses take no new reservations.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class StockItem(models.Model):
    """What one warehouse holds of one variant. `reserved` is the part promised to carts and
    orders; available = on_hand - reserved (services release expired reservations before reading).

    `version` is bumped by every change of `on_hand` and by staff edits, never by reservations, so
    a count typed in from an older on-hand figure is refused while customers reserving do not make
    every staff form stale."""

    # No single-column indexes: the unique (warehouse, variant) and the (variant, warehouse) index
    # serve those lookups, and every index is paid for on each insert and non-HOT update.
    # No foreign-key constraints either (one check per row and key): database triggers keep what
    # they guaranteed, set-based (migration 0008, decision 0080).
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stock_items", db_index=False, db_constraint=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="stock_items", db_index=False, db_constraint=False
    )
    on_hand = models.DecimalField(**QUANTITY, default=ZERO)
    reserved = models.DecimalField(**QUANTITY, default=ZERO)
    low_stock_threshold = models.DecimalField(
        **QUANTITY,
        default=ZERO,
        help_text="inventory.low_stock is sent when availability drops to or below this (0: when it sells out).",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["warehouse", "variant"]
        verbose_name = "stock item"
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "variant"], name="inventory_stock_once_per_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inventory_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="inventory_reserved_within_on_hand"),
            models.CheckConstraint(condition=Q(low_stock_threshold__gte=0), name="inventory_threshold_not_negative"),
        ]
        indexes = [models.Index(fields=["variant", "warehouse"], name="inventory_stock_variant_idx")]

    def __str__(self) -> str:
        return f"{self.variant_id} @ {self.warehouse_id}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class MovementReason(models.TextChoices):
    RECEIPT = "receipt", "receipt"
    SALE = "sale", "sale"
    RESERVATION = "reservation", "reservation"
    RELEASE = "release", "release"
    ADJUSTMENT = "adjustment", "adjustment"
    RETURN = "return", "return"
    TRANSFER = "transfer", "transfer"
    WASTE = "waste", "waste"


class StockMovement(models.Model):
    """One entry of the append-only stock ledger: the signed change of on-hand and reserved.

    For every stock item, SUM(on_hand_delta) = on_hand and SUM(reserved_delta) = reserved; the
    `check_stock_ledger` command and beat task report any drift. A database trigger refuses UPDATE
    and DELETE of movements (migration 0003), so the history cannot be rewritten."""

    # Indexed by (stock_item, id) below. No database constraint (decision 0076): its per-row checks
    # cost a large import more than the rest of its commit. What it guaranteed holds: stock items
    # are never deleted (a trigger refuses it, migration 0005; PROTECT for the ORM), and every
    # writer records movements only of items it has locked or just created.
    stock_item = models.ForeignKey(
        StockItem, on_delete=models.PROTECT, related_name="movements", db_index=False, db_constraint=False
    )
    on_hand_delta = models.DecimalField(**QUANTITY, default=ZERO)
    reserved_delta = models.DecimalField(**QUANTITY, default=ZERO)
    reason = models.CharField(max_length=16, choices=MovementReason.choices)
    reference = models.CharField(
        max_length=200, blank=True, help_text="The document: reservation:12, a delivery note, import:7 line 42, ..."
    )
    note = models.CharField(max_length=300, blank=True)
    # PROTECT: a person who moved stock stays on record; staff accounts are deactivated, not deleted.
    # Indexed only where set (below): reservations, releases and system imports have no actor, and an
    # index entry for each of their NULLs was paid on every hot-path insert for nothing.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = "stock movement"
        constraints = [
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0) | ~Q(reserved_delta=0), name="inventory_movement_moves_something"
            ),
            models.CheckConstraint(condition=Q(reason__in=MovementReason.values), name="inventory_movement_reason"),
        ]
        indexes = [
            models.Index(fields=["stock_item", "id"], name="inventory_movement_item_idx"),
            models.Index(fields=["created_at"], name="inventory_movement_time_idx"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="inventory_movement_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.on_hand_delta:+}/{self.reserved_delta:+} on {self.stock_item_id}"


class ReservationState(models.TextChoices):
    ACTIVE = "active", "active"
    COMMITTED = "committed", "committed"
    RELEASED = "released", "released"
    EXPIRED = "expired", "expired"


class Reservation(models.Model):
    """Stock promised to an owner (a cart, then its order) until `expires_at`.

    An owner has at most one active reservation; reserving again replaces it in one transaction.
    Past `expires_at` an active reservation no longer counts: every read and reserve path releases
    it first, and a beat task sweeps the rest."""

    owner_type = models.CharField(max_length=20, help_text='e.g. "cart" or "order"')
    owner_id = models.CharField(max_length=64)
    # No foreign-key constraints on a reservation or its lines, and no index on the warehouse (only
    # the admin's filter reads it): the statement that writes a reservation writes its lines and
    # locks their items, and triggers refuse the deletes and key changes the constraints refused
    # (migration 0012, decision 0088). The ORM's PROTECT stays.
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="reservations", db_index=False, db_constraint=False
    )
    state = models.CharField(max_length=10, choices=ReservationState.choices, default=ReservationState.ACTIVE)
    expires_at = models.DateTimeField()
    end_reason = models.CharField(max_length=40, blank=True, help_text="Why it was released, e.g. expired.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id"],
                condition=Q(state="active"),
                name="inventory_one_active_reservation_per_owner",
            ),
            models.CheckConstraint(condition=Q(state__in=ReservationState.values), name="inventory_reservation_state"),
        ]
        indexes = [
            # The expiry sweep and the read path look for active reservations past their expiry;
            # only live reservations are in this index, so it stays small however long the history.
            models.Index(fields=["expires_at"], condition=Q(state="active"), name="inventory_reservation_live"),
            # Every lookup by owner is of its active reservation: the partial unique index above.
        ]

    def __str__(self) -> str:
        return f"reservation {self.pk} for {self.owner_type}:{self.owner_id} ({self.state})"


class ReservationLine(models.Model):
    # No index of its own: inventory_reservation_line_once (reservation, stock_item) starts with it,
    # and every reservation pays for each index its lines are written into.
    # No foreign-key constraints (their deferred checks ran at every reservation's COMMIT): see
    # Reservation.warehouse.
    reservation = models.ForeignKey(
        Reservation, on_delete=models.PROTECT, related_name="lines", db_index=False, db_constraint=False
    )
    stock_item = models.ForeignKey(
        StockItem, on_delete=models.PROTECT, related_name="reservation_lines", db_constraint=False
    )
    quantity = models.DecimalField(**QUANTITY)

    class Meta:
        ordering = ["stock_item_id"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "stock_item"], name="inventory_reservation_line_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_reservation_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.stock_item_id}"


class ImportBatch(models.Model):
    """A stock file that was applied; the same content (and default mode) is never applied twice."""

    fingerprint = models.CharField(max_length=64, unique=True, help_text="sha256 of the content and default mode.")
    file_name = models.CharField(max_length=255)
    rows_total = models.PositiveIntegerField(default=0)
    rows_changed = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0, help_text="Bad rows left out of a partial import.")
    partial = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = "stock import"

    def __str__(self) -> str:
        return f"import {self.pk} ({self.file_name})"
