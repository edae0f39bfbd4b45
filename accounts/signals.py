"""The domain events of the accounts app, sent by accounts.services inside their transactions."""

from events.bridge import DomainSignal

user_registered = DomainSignal("user.registered", aggregate_type="user")
user_updated = DomainSignal("user.updated", aggregate_type="user")
