"""Domain events: the outbox, the relay to Kafka and idempotent consumers."""
