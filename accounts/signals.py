"""The domain events of the accounts app, sent by accounts.services inside their transactions,
and one in-process signal for apps above accounts that react to a sign-in."""

from django.dispatch import Signal

from events.bridge import DomainSignal

user_registered = DomainSignal("user.registered", aggregate_type="user")
user_updated = DomainSignal("user.updated", aggregate_type="user")

# Sent by the API after a customer signed in or signed up, with `user` and `request` (e.g. orders
# merges the visitor's anonymous cart). In-process only: it is about this request, not an event.
customer_signed_in = Signal()

user_deleted = DomainSignal("user.deleted", aggregate_type="user")

# Sent for every message to a person about their account (accounts.services.messages), with
# `kind`, `user_id`, `to` and `context`. In-process only, never an event: the context holds
# secrets (sign-in links) that must not sit in Kafka. The notifications app renders and sends
# these once merged (docs/decisions/0057).
account_message_requested = Signal()
