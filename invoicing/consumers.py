"""The invoicing app's consumer (group "invoicing.documents"): an invoice when an order is packed
(order.picked), a credit note for each refund (payment.refunded). Idempotent twice over: the inbox,
and the services return the document an event already produced."""

import logging
from decimal import Decimal
from typing import cast

from events.consumer import ConsumedEvent, EventConsumer
from invoicing import services
from invoicing.errors import NotInvoiceable
from proto.events.v1 import orders_pb2, payments_pb2

logger = logging.getLogger(__name__)


class InvoicingFromOrders(EventConsumer):
    group = "invoicing.documents"

    def on_order_picked(self, event: ConsumedEvent) -> None:
        payload = cast(orders_pb2.OrderPicked, event.payload)
        try:
            services.issue_invoice(payload.order_id)
        except NotInvoiceable as refused:  # logged for finance; retrying would not change it
            logger.error("invoicing: order %s not invoiced: %s", payload.order_id, refused.message)

    def on_payment_refunded(self, event: ConsumedEvent) -> None:
        payload = cast(payments_pb2.PaymentRefunded, event.payload)
        try:
            services.issue_credit_note(
                payload.order_id,
                refund_ref=f"refund:{payload.refund_id}",
                amount=Decimal(payload.amount.amount),
                reason=payload.reason,
            )
        except NotInvoiceable as refused:  # a payment of no packed order of ours
            logger.warning("invoicing: refund %s not credited: %s", payload.refund_id, refused.message)
