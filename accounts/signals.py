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

# Sent by accounts.services.messages.request_account_message, inside the transaction of the
# request, for a message the customer must get (a verification or password-reset link, a notice of a
# changed password or address, an export ready, the account deleted). notifications renders and sends
# it without accounts importing it. In-process, not an event: a link that signs someone in must not
# travel through the outbox and Kafka.
# Keyword arguments: user_id (int), kind (str: one of accounts.services.messages.ACCOUNT_MESSAGE_KINDS),
# context (dict of str: "link", "expires_at" as ISO 8601, "new_email" for email_change and
# email_changed), key (str: the request's, the same on a retry; a second send with the same key sends
# nothing), email (str, optional: the address to write to instead of the user's current one: the new
# address of an e-mail change, the old one of a changed address, the address of an erased account),
# language (str, optional: used when the person has no language preference yet).
account_message_requested = Signal()
