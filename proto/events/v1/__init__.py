"""Version 1 of the domain event payloads (package commerce.events.v1)."""
