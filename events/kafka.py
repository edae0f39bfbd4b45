"""Kafka clients for the suite, built on demand (never at import time) from the settings."""

import logging
import threading
from typing import Any

from django.conf import settings
from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import TopicAlreadyExistsError

logger = logging.getLogger(__name__)

# One topic per event family; the event type travels in a header and inside the envelope.
TOPIC_BY_FAMILY = {
    "order": "commerce.orders",
    "payment": "commerce.payments",
    "inventory": "commerce.inventory",
    "user": "commerce.users",
    "promotion": "commerce.promotions",
}
# Where consumers put what they cannot process, with the reason in headers.
DEAD_LETTER_TOPIC = "commerce.dead-letter"

_producer: KafkaProducer | None = None
_producer_guard = threading.Lock()


class KafkaNotConfigured(RuntimeError):
    code = "kafka_not_configured"

    def __init__(self) -> None:
        super().__init__("KAFKA_BOOTSTRAP_SERVERS is not set; events stay in the outbox")


def kafka_configured() -> bool:
    return bool(settings.KAFKA_BOOTSTRAP_SERVERS)


def topic_for_family(family: str) -> str:
    return f"{settings.KAFKA_TOPIC_PREFIX}{TOPIC_BY_FAMILY[family]}"


def dead_letter_topic() -> str:
    return f"{settings.KAFKA_TOPIC_PREFIX}{DEAD_LETTER_TOPIC}"


def kafka_group_id(group: str) -> str:
    """The Kafka consumer group of a consumer: prefixed like the topics, so that stacks sharing a
    broker under different prefixes (staging and a developer's, parallel test runs) never join one
    group with different subscriptions and rebalance each other. The inbox keeps the plain name."""
    return f"{settings.KAFKA_TOPIC_PREFIX}{group}"


def all_topics() -> list[str]:
    """Every topic the suite publishes to, with the configured prefix."""
    return [topic_for_family(family) for family in TOPIC_BY_FAMILY] + [dead_letter_topic()]


def _bootstrap_servers() -> list[str]:
    if not kafka_configured():
        raise KafkaNotConfigured()
    return list(settings.KAFKA_BOOTSTRAP_SERVERS)


def build_producer(**overrides: Any) -> KafkaProducer:
    """A new producer that writes every message exactly once per partition and only counts it
    sent once all in-sync replicas have it (idempotence with acks=all)."""
    config: dict[str, Any] = {
        "bootstrap_servers": _bootstrap_servers(),
        "client_id": settings.KAFKA_CLIENT_ID,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "compression_type": None,
    }
    config.update(overrides)
    return KafkaProducer(**config)


def get_producer() -> KafkaProducer:
    """The process's shared producer, created on first use (producers are thread-safe)."""
    global _producer
    with _producer_guard:
        if _producer is None:
            _producer = build_producer()
        return _producer


def close_producer(timeout: float = 5.0) -> None:
    global _producer
    with _producer_guard:
        if _producer is not None:
            _producer.close(timeout=timeout)
            _producer = None


def build_admin(**overrides: Any) -> KafkaAdminClient:
    config: dict[str, Any] = {
        "bootstrap_servers": _bootstrap_servers(),
        "client_id": f"{settings.KAFKA_CLIENT_ID}-admin",
    }
    config.update(overrides)
    return KafkaAdminClient(**config)


def ensure_topics(topics: list[str] | None = None) -> list[str]:
    """Create the event topics that do not exist yet; return the names created.

    Safe to run any number of times and from several processes at once.
    """
    wanted = topics or all_topics()
    admin = build_admin()
    try:
        missing = [name for name in wanted if name not in set(admin.list_topics())]
        created: list[str] = []
        for name in missing:
            try:
                admin.create_topics(
                    {
                        name: {
                            "num_partitions": settings.KAFKA_TOPIC_PARTITIONS,
                            "replication_factor": settings.KAFKA_REPLICATION_FACTOR,
                        }
                    },
                    wait_for_metadata=True,
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another process created it in between
        if created:
            logger.info("kafka topics created: %s", ",".join(created))
        return created
    finally:
        admin.close()


def check_broker(timeout_seconds: float = 3.0) -> dict[str, Any]:
    """Ask the cluster for its metadata; raise if no broker answers within the timeout."""
    timeout_ms = int(timeout_seconds * 1000)
    admin = build_admin(request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms)
    try:
        cluster: dict[str, Any] = admin.describe_cluster()
        return {"cluster_id": cluster.get("cluster_id"), "brokers": len(cluster.get("brokers", []))}
    finally:
        admin.close()
