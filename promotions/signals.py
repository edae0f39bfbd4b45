"""The domain events of promotions, sent inside the transaction of the change (analytics reads them)."""

from events.bridge import DomainSignal

# One event per order that used promotions: which, with what code and how much each took off.
promotion_redeemed = DomainSignal("promotion.redeemed", aggregate_type="order")
