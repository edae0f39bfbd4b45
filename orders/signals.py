"""The domain events of orders, sent by the services inside the transaction of the change.

order.shipped and order.delivered are sent by delivery (only it knows the courier and the
hand-over); orders consumes them for the order's status."""

from events.bridge import DomainSignal

order_created = DomainSignal("order.created", aggregate_type="order")
order_confirmed = DomainSignal("order.confirmed", aggregate_type="order")
order_picked = DomainSignal("order.picked", aggregate_type="order")
order_cancelled = DomainSignal("order.cancelled", aggregate_type="order")
