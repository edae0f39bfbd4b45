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

# Sent by accounts' services, inside their transaction, for a message the customer must get (a
# verification or password-reset link, an export ready, the account erased). Apps above accounts
# deliver it (notifications renders and sends it) without accounts importing them. In-process, not
# an event: a link that signs someone in must not travel through the outbox and Kafka.
# Keyword arguments: user_id (int), kind (str: "verify_email", "password_reset", "email_change",
# "data_export_ready", "account_deleted"), context (dict of str: "link", "expires_at" as ISO 8601,
# "new_email" for email_change), key (str: unique per request, e.g. the token's id; a second send
# with the same key sends nothing), email (str, optional: the address to write to instead of the
# user's current one: the new address of an e-mail change, the address of an erased account).
account_message_requested = Signal()
