"""The domain events of payments, sent by payments.services.recording inside the transaction of the change."""

from events.bridge import DomainSignal

payment_authorized = DomainSignal("payment.authorized", aggregate_type="payment")
payment_completed = DomainSignal("payment.completed", aggregate_type="payment")
payment_failed = DomainSignal("payment.failed", aggregate_type="payment")
payment_refunded = DomainSignal("payment.refunded", aggregate_type="payment")
