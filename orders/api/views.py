"""Customer endpoints: the cart (signed in, or anonymous by X-Cart-Token), checkout, placing the
order, and the customer's own orders (others' answer 404)."""

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from core.idempotency import idempotent, key_parameter
from core.money import default_currency
from orders import selectors
from orders.api.serializers import (
    CancelInputSerializer,
    CartLineInputSerializer,
    CartLineUpdateSerializer,
    CartSerializer,
    CheckoutInputSerializer,
    CheckoutSerializer,
    OrderSerializer,
    OrderSummarySerializer,
    PlaceOrderInputSerializer,
    VoucherInputSerializer,
)
from orders.errors import CartLineNotFound
from orders.models import ActorKind, Cart, Order
from orders.receivers import CART_TOKEN_HEADER, cart_token_of
from orders.services import cart as carts
from orders.services import checkout, lifecycle, placement

if TYPE_CHECKING:
    from accounts.models import User

CART_TOKEN = OpenApiParameter(
    CART_TOKEN_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Signed out: the token of your cart (from the first response); a "
    "value that is not a cart's token names no cart.",
)
IDEMPOTENCY_KEY = key_parameter("The same key and body is the same request: one order.")
OPTIONAL_IDEMPOTENCY_KEY = key_parameter("Makes a retry of this request safe.", required=False)


def customer_of(request: Request) -> "User":
    user = request.user
    assert isinstance(user, get_user_model())  # IsAuthenticated
    return user


def cart_of(request: Request, *, create: bool) -> Cart | None:
    """The signed-in customer's cart, or the visitor's by X-Cart-Token."""
    if request.user.is_authenticated:
        return carts.open_cart_of(customer_of(request), create=create)
    return carts.open_cart_of(token=cart_token_of(request), create=create)


def cart_response(cart: Cart | None, status_code: int = status.HTTP_200_OK) -> Response:
    if cart is None:  # a visitor with no cart yet: an empty one, created on the first line
        return Response(
            {
                "token": None,
                "version": 0,
                "currency": default_currency(),
                "lines": [],
                "subtotal": "0.00",
                "discount_total": "0.00",
                "discounts": [],
                "voucher": None,
                "vat": {"rates": [], "net": "0.00", "vat": "0.00", "gross": "0.00"},
                "can_check_out": False,
            }
        )
    priced = carts.price_cart(cart)
    carts.acknowledge_prices(priced)
    return Response(CartSerializer(priced).data, status=status_code)


class CartView(APIView):
    permission_classes = [AllowAny]
    serializer_class = CartSerializer  # what the schema shows for its GET

    @extend_schema(
        tags=["cart"],
        parameters=[CART_TOKEN],
        responses={200: CartSerializer},
        summary="The cart at today's prices, with what stops a line from being ordered",
    )
    def get(self, request: Request) -> Response:
        return cart_response(cart_of(request, create=False))

    @extend_schema(tags=["cart"], parameters=[CART_TOKEN], responses={200: CartSerializer}, summary="Empty the cart")
    def delete(self, request: Request) -> Response:
        cart = cart_of(request, create=False)
        if cart is not None:
            carts.clear_cart(cart)
            cart.refresh_from_db()
        return cart_response(cart)


class CartLinesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["cart"],
        parameters=[CART_TOKEN],
        request=CartLineInputSerializer,
        responses={201: CartSerializer},
        summary="Add an item (or more of it)",
    )
    def post(self, request: Request) -> Response:
        body = CartLineInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        cart = cart_of(request, create=True)
        assert cart is not None
        carts.add_to_cart(
            cart,
            variant_id=data["variant"],
            quantity=data["quantity"],
            substitution=data.get("substitution"),
            substitute_variant_id=data["substitute_variant"],
        )
        cart.refresh_from_db()
        return cart_response(cart, status.HTTP_201_CREATED)


class CartLineView(APIView):
    permission_classes = [AllowAny]

    def _cart(self, request: Request) -> Cart:
        cart = cart_of(request, create=False)
        if cart is None:
            raise CartLineNotFound("Your cart has no such line.")
        return cart

    @extend_schema(
        tags=["cart"],
        parameters=[CART_TOKEN],
        request=CartLineUpdateSerializer,
        responses={200: CartSerializer},
        summary="Change a line's quantity or substitution preference",
    )
    def patch(self, request: Request, line_id: int) -> Response:
        body = CartLineUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        cart = self._cart(request)
        carts.update_cart_line(
            cart,
            line_id,
            quantity=data.get("quantity"),
            substitution=data.get("substitution"),
            substitute_variant_id=data.get("substitute_variant"),
        )
        cart.refresh_from_db()
        return cart_response(cart)

    @extend_schema(tags=["cart"], parameters=[CART_TOKEN], responses={200: CartSerializer}, summary="Remove a line")
    def delete(self, request: Request, line_id: int) -> Response:
        cart = self._cart(request)
        carts.remove_cart_line(cart, line_id)
        cart.refresh_from_db()
        return cart_response(cart)


class CartVoucherView(APIView):
    permission_classes = [IsAuthenticated]
    extra_error_statuses = {404: "`voucher_not_found`: there is no such voucher code."}

    @extend_schema(
        tags=["cart"],
        request=VoucherInputSerializer,
        responses={200: CartSerializer},
        summary="Enter a voucher code: the cart shows its discount, or why it does not apply",
    )
    def post(self, request: Request) -> Response:
        body = VoucherInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cart = cart_of(request, create=True)
        assert cart is not None
        return cart_response(carts.apply_voucher(cart, body.validated_data["code"]))

    @extend_schema(tags=["cart"], responses={200: CartSerializer}, summary="Remove the voucher code")
    def delete(self, request: Request) -> Response:
        cart = cart_of(request, create=True)
        assert cart is not None
        return cart_response(carts.remove_voucher(cart))


class CheckoutView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CheckoutSerializer  # what the schema shows for its GET

    @extend_schema(
        tags=["checkout"],
        responses={200: CheckoutSerializer},
        summary="The checkout as it stands: held slot, reserved stock and the price summary",
    )
    def get(self, request: Request) -> Response:
        return Response(CheckoutSerializer(checkout.checkout_of(customer_of(request))).data)

    @extend_schema(
        tags=["checkout"],
        request=CheckoutInputSerializer,
        parameters=[OPTIONAL_IDEMPOTENCY_KEY],
        responses={
            200: CheckoutSerializer,
            404: OpenApiResponse(description="address_not_found or slot_not_found"),
            409: OpenApiResponse(
                description="out_of_stock, slot_full, slot_past_cutoff, slot_closed, cart_empty, "
                "cart_invalid, below_minimum_order or cart_changed"
            ),
        },
        summary="Hold a place in the slot and reserve the cart's stock; returns the price summary",
    )
    @idempotent()
    def post(self, request: Request) -> Response:
        body = CheckoutInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        started = checkout.start_checkout(
            customer_of(request), address_id=body.validated_data["address"], slot_id=body.validated_data["slot"]
        )
        return Response(CheckoutSerializer(started).data)

    @extend_schema(
        tags=["checkout"],
        responses={204: OpenApiResponse(description="Released")},
        summary="Leave the checkout: the held place and the reserved stock go back",
    )
    def delete(self, request: Request) -> Response:
        checkout.cancel_checkout(customer_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def order_response(order: Order, customer: "User | None" = None, status_code: int = status.HTTP_200_OK) -> Response:
    order = selectors.order_of(order.pk, customer=customer)
    context = {"shipment": selectors.shipment_of(order)}
    return Response(OrderSerializer(order, context=context).data, status=status_code)


class PlaceOrderView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["checkout"],
        request=PlaceOrderInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: OrderSerializer,
            409: OpenApiResponse(
                description="checkout_required, price_changed, hold_expired, reservation_expired, "
                "slot_past_cutoff, the reason the cart's voucher does not apply (voucher_used_up, "
                "voucher_expired, voucher_not_started, voucher_customer_limit_reached, voucher_below_minimum, "
                "voucher_not_combinable, voucher_no_eligible_items, voucher_first_order_only, "
                "voucher_wrong_currency), or a request with this key is still running"
            ),
            422: OpenApiResponse(description="idempotency_key_reused"),
        },
        summary="Place the order: books the slot, keeps the stock, and authorizes the payment",
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        body = PlaceOrderInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        customer = customer_of(request)
        order = placement.place_order(customer, **body.validated_data)
        response = order_response(order, customer, status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/orders/{order.pk}/"
        return response


class OrderListView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination
    serializer_class = OrderSummarySerializer  # what the schema shows for its GET

    @extend_schema(
        tags=["orders"],
        parameters=[OpenApiParameter("status", str)],
        responses={200: OrderSummarySerializer(many=True)},
        summary="Your orders, newest first",
    )
    def get(self, request: Request) -> Response:
        orders = selectors.orders_of(customer_of(request), status=request.query_params.get("status", ""))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(orders, request, self) or []
        return paginator.get_paginated_response(OrderSummarySerializer(page, many=True).data)


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer  # what the schema shows for its GET

    @extend_schema(
        tags=["orders"],
        responses={200: OrderSerializer},
        summary="One of your orders: lines as ordered and as picked, history and delivery tracking",
    )
    def get(self, request: Request, order_id: int) -> Response:
        customer = customer_of(request)
        return order_response(selectors.order_of(order_id, customer=customer), customer)


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["orders"],
        request=CancelInputSerializer,
        parameters=[OPTIONAL_IDEMPOTENCY_KEY],
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(
                description="illegal_transition or cancellation_closed (after the cut-off or once picking started)"
            ),
        },
        summary="Cancel one of your orders before its slot's cut-off",
    )
    @idempotent()
    def post(self, request: Request, order_id: int) -> Response:
        body = CancelInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        customer = customer_of(request)
        order = lifecycle.cancel_order(
            order_id,
            by=ActorKind.CUSTOMER,
            actor=customer,
            customer=customer,
            reason=body.validated_data["reason"] or "cancelled by the customer",
        )
        return order_response(order, customer)
