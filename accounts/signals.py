"""The domain events of the accounts app, sent by accounts.services inside their transactions,
and one in-process signal for apps above accounts that react to a sign-in."""

from django.dispatch import Signal

from events.bridge import DomainSignal

user_registered = DomainSignal("user.registered", aggregate_type="user")
user_updated = DomainSignal("user.updated", aggregate_type="user")

# Sent by the API after a customer signed in or signed up, with `user` and `request` (e.g. orders
# merges the visitor's anonymous cart). In-process only: it is about this request, not an event.
customer_signed_in = Signal()
