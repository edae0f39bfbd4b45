"""The payments API: provider webhooks, and the finance staff's payments (list, detail, start,
capture, void, refund). Thin: validate, call one service, answer. Every POST that moves money
needs an Idempotency-Key; the key is also the service's key, so the money moves once even after
the API's replay window."""

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from core.idempotency import HEADER, idempotent, key_parameter
from payments import selectors, services
from payments.api.serializers import (
    CaptureSerializer,
    OperationSerializer,
    PaymentDetailSerializer,
    PaymentQuerySerializer,
    PaymentSerializer,
    RefundSerializer,
    StartPaymentSerializer,
    VoidSerializer,
    WebhookReceiptSerializer,
)
from payments.models import PaymentTransaction

if TYPE_CHECKING:
    from accounts.models import User

IDEMPOTENCY_KEY = key_parameter("The same key and body is the same request: it moves money once.")


class FinancePermission(BasePermission):
    """Staff with the payments permission the view names (the finance role has them all)."""

    message = "Only the finance team can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        needed = view.required_permissions.get(request.method or "", "payments.view_payment")
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm(needed))


class FinanceView(APIView):
    """The finance staff's endpoints: a permission per method; a POST needs an Idempotency-Key
    (and the schema says what a repeat can answer)."""

    permission_classes = [FinancePermission]
    required_permissions: ClassVar[dict[str, str]] = {}

    @property
    def extra_error_statuses(self) -> dict[int, str]:
        if self.request is None or self.request.method != "POST":
            return {}
        return {
            409: "The payment's state does not allow this, or a request with this Idempotency-Key is still running.",
            422: "`idempotency_key_reused`: the key was used for a different request.",
        }


def _actor(request: Request) -> "User":
    assert isinstance(request.user, get_user_model())
    return request.user


def _service_key(request: Request) -> str:
    # Keys are the client's own; scoping them by user keeps two staff members' keys apart.
    return f"staff-api:{request.user.pk}:{request.headers[HEADER].strip()}"


def _operation(txn: PaymentTransaction) -> Response:
    payment = selectors.payment_with_transactions(txn.payment_id)
    body = OperationSerializer({"transaction": txn, "payment": payment}).data
    return Response(body, status=status.HTTP_202_ACCEPTED)


class WebhookView(APIView):
    # The provider signs; it has no account here. Its bursts are not throttled.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        tags=["payments"],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: WebhookReceiptSerializer},
        auth=[],
        summary="Signed notification from a payment provider (Commerce-Signature header)",
    )
    def post(self, request: Request, gateway: str) -> Response:
        body: bytes = request.body  # the raw bytes: the signature covers them exactly
        return Response(services.receive_webhook(gateway, request.headers, body))


class StaffPaymentListView(FinanceView):
    pagination_class = PageNumberPagination
    required_permissions: ClassVar[dict[str, str]] = {"POST": "payments.add_payment"}

    @extend_schema(
        tags=["staff: payments"],
        parameters=[PaymentQuerySerializer],
        responses={200: PaymentSerializer(many=True)},
        summary="Payments, newest first, filtered",
    )
    def get(self, request: Request) -> Response:
        query = PaymentQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        given = {k: v for k, v in query.validated_data.items() if k not in ("page", "page_size")}
        filters = selectors.PaymentFilters(**{("customer_id" if k == "customer" else k): v for k, v in given.items()})
        paginator = self.pagination_class()
        paginator.set_canonical_query({k: request.query_params[k] for k in given})
        page = paginator.paginate_queryset(selectors.payments_for_staff(filters), request, view=self)
        return paginator.get_paginated_response(PaymentSerializer(page, many=True).data)

    @extend_schema(
        tags=["staff: payments"],
        request=StartPaymentSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: PaymentDetailSerializer},
        summary="Start a payment for an order: authorize through the gateway (asynchronously)",
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        body = StartPaymentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = services.start_payment(
            **body.validated_data, idempotency_key=_service_key(request), actor=_actor(request)
        )
        detail = PaymentDetailSerializer(selectors.payment_with_transactions(payment.pk)).data
        return Response(detail, status=status.HTTP_201_CREATED, headers={"Location": f"{request.path}{payment.pk}/"})


class StaffPaymentDetailView(FinanceView):
    @extend_schema(
        tags=["staff: payments"], responses={200: PaymentDetailSerializer}, summary="A payment with its transactions"
    )
    def get(self, request: Request, payment_id: int) -> Response:
        return Response(PaymentDetailSerializer(selectors.payment_with_transactions(payment_id)).data)


class StaffCaptureView(FinanceView):
    required_permissions: ClassVar[dict[str, str]] = {"POST": "payments.capture_payment"}

    @extend_schema(
        tags=["staff: payments"],
        request=CaptureSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: OperationSerializer},
        summary="Capture (part of) the authorization, e.g. the picked total",
    )
    @idempotent(required=True)
    def post(self, request: Request, payment_id: int) -> Response:
        body = CaptureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = selectors.payment_with_transactions(payment_id)
        return _operation(
            services.capture_payment(
                payment, **body.validated_data, idempotency_key=_service_key(request), actor=_actor(request)
            )
        )


class StaffVoidView(FinanceView):
    required_permissions: ClassVar[dict[str, str]] = {"POST": "payments.void_payment"}

    @extend_schema(
        tags=["staff: payments"],
        request=VoidSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: OperationSerializer},
        summary="Release what is left of the authorization",
    )
    @idempotent(required=True)
    def post(self, request: Request, payment_id: int) -> Response:
        body = VoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = selectors.payment_with_transactions(payment_id)
        return _operation(
            services.void_payment(
                payment, **body.validated_data, idempotency_key=_service_key(request), actor=_actor(request)
            )
        )


class StaffRefundView(FinanceView):
    required_permissions: ClassVar[dict[str, str]] = {"POST": "payments.refund_payment"}

    @extend_schema(
        tags=["staff: payments"],
        request=RefundSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: OperationSerializer},
        summary="Refund (part of) what was captured",
    )
    @idempotent(required=True)
    def post(self, request: Request, payment_id: int) -> Response:
        body = RefundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = selectors.payment_with_transactions(payment_id)
        return _operation(
            services.refund_payment(
                payment, **body.validated_data, idempotency_key=_service_key(request), actor=_actor(request)
            )
        )
