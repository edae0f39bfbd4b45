"""The orders back office: orders as placed and as picked with their history, read-only, and the
actions staff run on them (cancel, pack) through orders.services, one order per service call so a
refusal of one order is reported and leaves the others' changes in place. Carts are shown to
support read-only; purchase limits are configuration, edited here directly."""

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join

from core.admin.readonly import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError
from core.money import format_money
from core.quantities import quantity_text
from orders.models import ActorKind, Cart, CartLine, Order, OrderHistory, OrderLine, PurchaseLimit, Substitution
from orders.services import lifecycle, picking

if TYPE_CHECKING:
    from accounts.models import User

ADMIN_CANCEL_REASON = "cancelled in the admin"


def shown(quantity: Decimal | None) -> str:
    """A quantity as people write it (3, 1.25), or a dash when there is none."""
    return "-" if quantity is None else quantity_text(quantity)


def staff_member(request: HttpRequest) -> "User":
    user = request.user
    assert isinstance(user, get_user_model())  # the admin only lets signed-in staff in
    return user


# --- Orders ------------------------------------------------------------------------------------


class OrderLineInline(ReadOnlyInline):
    """Each line as ordered (snapshot of name, price, quantity and the customer's substitution
    wish) next to what was picked (quantity or weight, substitute, price charged)."""

    model = OrderLine
    verbose_name = "line"
    verbose_name_plural = "lines (as ordered → as picked)"
    fields = (
        "sku",
        "name",
        "ordered",
        "unit_price",
        "line_total",
        "substitution_wish",
        "picked",
        "picked_item",
        "picked_unit_price",
        "final_line_total",
        "picked_at",
    )
    readonly_fields = fields
    ordering = ("id",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        return super().get_queryset(request).select_related("substitute_variant")

    @admin.display(description="ordered")
    def ordered(self, obj: OrderLine) -> str:
        return f"{shown(obj.quantity)} {obj.unit}"

    @admin.display(description="substitution")
    def substitution_wish(self, obj: OrderLine) -> str:
        if obj.substitution == Substitution.CHOSEN and obj.substitute_variant is not None:
            return f"only {obj.substitute_variant.sku}"
        return str(Substitution(obj.substitution).label)

    @admin.display(description="picked")
    def picked(self, obj: OrderLine) -> str:
        if obj.picked_quantity is None:
            return "not picked yet"
        if obj.picked_quantity == 0:
            return "0 (not available)"
        return f"{shown(obj.picked_quantity)} {obj.unit}"

    @admin.display(description="picked item")
    def picked_item(self, obj: OrderLine) -> str:
        if obj.picked_variant_id is None:
            return "as ordered" if obj.picked else "-"
        return f"substitute {obj.picked_sku} {obj.picked_name}"


class OrderHistoryInline(ReadOnlyInline):
    model = OrderHistory
    fields = ("at", "from_status", "to_status", "actor_kind", "actor", "note")
    readonly_fields = fields
    ordering = ("at", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderHistory]:
        return super().get_queryset(request).select_related("actor")


# The order page, section by section; every field is read-only.
ORDER_SECTIONS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    (None, ("number", "status", "customer", "placed_at", "confirmed_at", "packed_at", "delivered_at")),
    (
        "Amounts",
        (
            "currency",
            "subtotal",
            "delivery_fee",
            "total",
            "authorized_amount",
            "final_subtotal",
            "final_total",
            "refunded_amount",
        ),
    ),
    ("Delivery", ("slot_window", "cutoff_at", "zone", "slot", "warehouse_code", "address")),
    ("Payment and stock", ("payment_gateway", "payment", "reservation")),
    ("Cancellation", ("cancelled_at", "cancelled_by", "cancel_reason")),
)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    """Read-only: every change of an order goes through the services (the actions here, the staff
    API, the consumers). The change permission is what the actions need; the order page itself
    never saves (a form save would write back every field it read, over concurrent changes)."""

    list_display = (
        "number",
        "customer_email",
        "status",
        "total_shown",
        "final_total_shown",
        "slot_window",
        "warehouse_code",
        "placed_at",
    )
    list_filter = ("status", "warehouse_code", "placed_at")
    list_select_related = ("customer",)
    search_fields = ("customer__email",)
    search_help_text = "Order number or the customer's email"
    date_hierarchy = "placed_at"
    ordering = ("-placed_at", "-id")
    show_full_result_count = False
    actions = ("cancel_selected", "pack_selected")
    inlines = (OrderLineInline, OrderHistoryInline)
    fieldsets = tuple((title, {"fields": names}) for title, names in ORDER_SECTIONS)
    readonly_fields = tuple(name for _, names in ORDER_SECTIONS for name in names)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders are placed by customers, through checkout

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # cancel instead: stock, slot and payment refer to it

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Asked without an order (the change list, the actions): whether the person may act on
        # orders. Asked for one order's page: never, so the page is shown read-only and a POST to
        # it is refused.
        return obj is None and super().has_change_permission(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = search_term.strip().lstrip("#")
        if number.isdigit() and len(number) <= 12:  # "42" and "0000042" are the same order
            results |= queryset.filter(pk=int(number))
        return results, may_have_duplicates

    @admin.display(description="number", ordering="id")
    def number(self, obj: Order) -> str:
        return obj.number

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, obj: Order) -> str:
        return obj.customer.email

    @admin.display(description="total", ordering="total")
    def total_shown(self, obj: Order) -> str:
        return format_money(obj.total, obj.currency)

    @admin.display(description="final total", ordering="final_total")
    def final_total_shown(self, obj: Order) -> str:
        return format_money(obj.final_total, obj.currency)

    @admin.display(description="slot window", ordering="slot_starts_at")
    def slot_window(self, obj: Order) -> str:
        starts, ends = timezone.localtime(obj.slot_starts_at), timezone.localtime(obj.slot_ends_at)
        return f"{starts:%a %d %b %Y %H:%M}-{ends:%H:%M}"

    @admin.display(description="shipping address")
    def address(self, obj: Order) -> str:
        address = obj.shipping_address or {}
        rows = [
            str(address.get("recipient_name", "")),
            str(address.get("line1", "")),
            str(address.get("line2", "")),
            f"{address.get('postal_code', '')} {address.get('city', '')} ({address.get('country', '')})",
            str(address.get("phone", "")),
            str(address.get("delivery_instructions", "")),
        ]
        return format_html_join("", "{}<br>", ((row,) for row in rows if row.strip()))

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Order], done: str, action: Callable[[int], object]
    ) -> None:
        """One service call (its own transaction) per order, in id order (the lock order): a
        refused order is reported with the service's reason and the others' changes stay."""
        succeeded, failures = [], []
        for order_id in queryset.order_by("pk").values_list("pk", flat=True):
            number = Order(pk=order_id).number
            try:
                action(order_id)
            except DomainError as exc:
                failures.append(f"Order {number} was not {done}: {exc.message}")
            else:
                succeeded.append(number)
        if succeeded:
            self.message_user(request, f"{len(succeeded)} order(s) {done}: {', '.join(succeeded)}.", messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="Cancel selected orders", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        actor = staff_member(request)
        self._each(
            request,
            queryset,
            "cancelled",
            lambda order_id: lifecycle.cancel_order(
                order_id, by=ActorKind.STAFF, actor=actor, reason=ADMIN_CANCEL_REASON
            ),
        )

    @admin.action(description="Mark picked orders packed", permissions=["change"])
    def pack_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        actor = staff_member(request)
        self._each(request, queryset, "packed", lambda order_id: picking.pack_order(order_id, actor=actor))


# --- Carts -------------------------------------------------------------------------------------


class CartLineInline(ReadOnlyInline):
    model = CartLine
    fields = ("variant", "quantity", "substitution", "substitute_variant", "price_seen", "added_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CartLine]:
        return super().get_queryset(request).select_related("variant", "substitute_variant")


@admin.register(Cart)
class CartAdmin(ReadOnlyAdmin):
    """What a customer is about to buy, for support answering "my basket is gone" (read-only)."""

    list_display = ("id", "owner", "state", "lines_count", "updated_at")
    list_filter = ("state",)
    list_select_related = ("customer",)
    search_fields = ("customer__email",)
    ordering = ("-updated_at", "-id")
    show_full_result_count = False
    inlines = (CartLineInline,)
    fields = (
        "customer",
        "state",
        "version",
        "address",
        "zone",
        "slot_hold",
        "reservation",
        "checkout_version",
        "order",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        return super().get_queryset(request).annotate(lines_count=Count("lines"))

    @admin.display(description="customer", ordering="customer__email")
    def owner(self, obj: Cart) -> str:
        return obj.customer.email if obj.customer is not None else "(anonymous visitor)"

    @admin.display(description="lines", ordering="lines_count")
    def lines_count(self, obj: Any) -> int:
        return int(obj.lines_count)


# --- Purchase limits ---------------------------------------------------------------------------


class PurchaseLimitForm(forms.ModelForm[PurchaseLimit]):
    class Meta:
        model = PurchaseLimit
        fields = ("variant", "max_quantity", "note")

    def clean_max_quantity(self) -> Decimal:
        value: Decimal = self.cleaned_data["max_quantity"]
        if value <= 0:
            raise forms.ValidationError("Must be more than 0 (deactivate the item to stop selling it).")
        return value


@admin.register(PurchaseLimit)
class PurchaseLimitAdmin(admin.ModelAdmin[PurchaseLimit]):
    """The most of an item one order may hold (scarce or promoted items); carts check it on every
    change and checkout refuses a cart above it."""

    form = PurchaseLimitForm
    list_display = ("sku", "variant", "max_quantity_shown", "note")
    list_select_related = ("variant__product",)
    search_fields = ("variant__sku", "variant__name", "variant__product__name", "note")
    ordering = ("variant__sku",)
    autocomplete_fields = ("variant",)

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, obj: PurchaseLimit) -> str:
        return obj.variant.sku

    @admin.display(description="at most, per order", ordering="max_quantity")
    def max_quantity_shown(self, obj: PurchaseLimit) -> str:
        return f"{shown(obj.max_quantity)} {obj.variant.unit}"
