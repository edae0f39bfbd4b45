"""Every write of the delivery app, each in a transaction, by concept:

- `slots`: dated slots from templates, staff edits of capacity and closing (optimistic locking);
- `holds`: taking, extending, releasing and booking places in slots (capacity, expiry);
- `shipments`: the shipment state machine and courier assignment;
- `orders`: what the order events tell delivery (shipments are created from them);
- `notifications`: dispatch messages, sent by a Celery task after commit.
"""

from delivery.services.holds import (
    book_hold,
    cancel_booking,
    extend_hold,
    get_hold,
    hold_slot,
    release_all_expired_holds,
    release_expired_holds_of,
    release_hold,
)
from delivery.services.notifications import resend_notification, send_notification
from delivery.services.orders import record_order_cancelled, record_order_confirmed, record_order_placed
from delivery.services.shipments import ACTIVE_STATUSES, TRANSITIONS, Actor, assign_courier, transition_shipment
from delivery.services.slots import close_slot, generate_slots, reopen_slot, update_slot

__all__ = [
    "ACTIVE_STATUSES",
    "TRANSITIONS",
    "Actor",
    "assign_courier",
    "book_hold",
    "cancel_booking",
    "close_slot",
    "extend_hold",
    "generate_slots",
    "get_hold",
    "hold_slot",
    "record_order_cancelled",
    "record_order_confirmed",
    "record_order_placed",
    "release_all_expired_holds",
    "release_expired_holds_of",
    "release_hold",
    "reopen_slot",
    "resend_notification",
    "send_notification",
    "transition_shipment",
    "update_slot",
]
