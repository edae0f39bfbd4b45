"""The domain events delivery sends: the order facts only delivery knows (no delivery.* event types).

A shipment leaving with its courier is the order being shipped, and its hand-over is the order being
delivered; orders (above delivery) learns both from these events rather than from an import.
"""

from events.bridge import DomainSignal

order_shipped = DomainSignal("order.shipped", aggregate_type="order")
order_delivered = DomainSignal("order.delivered", aggregate_type="order")
