"""Celery (the broker, delivery at least once, the core beat entries), Kafka, and the domain events' relay."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.settings_parts.cache import REDIS_URL

# --- Celery -------------------------------------------------------------------------------------
# Work is delivered at least once: a task is acknowledged only after it ran, is handed back when
# its worker dies, and a worker takes one message at a time. Tasks are idempotent to match.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
# kombu's Redis transport, publishing through one Redis client per channel instead of a new one
# per message (core/broker.py).
if CELERY_BROKER_URL.split("://", 1)[0] in ("redis", "rediss"):
    CELERY_BROKER_TRANSPORT = "core.broker:Transport"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and not env_str("CELERY_BROKER_URL")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
# Redis redelivers an unacknowledged message after the visibility timeout; it must exceed the
# longest task or a slow task would run twice while still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT,
    "socket_timeout": 2,
    "socket_connect_timeout": 1,
}
# A broker that is away must not hold a request: one quick retry, then core.queue keeps the task
# in the database and re-drives it when the broker is back (docs/decisions/0061).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
# The Redis result backend subscribes to each queued task's result; its default policy retries a
# lost connection 20 times a second apart, which held each order placement ~19 s during an outage.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
}
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's defaults, written out: Celery reads these on every published task, and a setting that
# is not here is looked for under up to four names, each miss a raised exception, before the
# default is found (16.5 µs a read instead of 4.8; docs/decisions/0083).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_SEND_SENT_EVENT = False
CELERY_TASK_REPR_MAXLEVELS = 3
CELERY_BROKER_POOL_ACQUIRE_TIMEOUT = None

# --- Kafka --------------------------------------------------------------------------------------
# Without brokers the events are delivered in-process (EVENTS_IN_PROCESS_DISPATCH, below).
KAFKA_BOOTSTRAP_SERVERS = env_list("KAFKA_BOOTSTRAP_SERVERS")
KAFKA_CLIENT_ID = env_str("KAFKA_CLIENT_ID", "commerce")
# Prepended to every topic name: lets several environments (or test runs) share one cluster.
KAFKA_TOPIC_PREFIX = env_str("KAFKA_TOPIC_PREFIX")
KAFKA_TOPIC_PARTITIONS = env_int("KAFKA_TOPIC_PARTITIONS", 3)
KAFKA_REPLICATION_FACTOR = env_int("KAFKA_REPLICATION_FACTOR", 1)

# --- Domain events -------------------------------------------------------------------------------
EVENTS_RELAY_BATCH_SIZE = env_int("EVENTS_RELAY_BATCH_SIZE", 500)
EVENTS_RELAY_MAX_BACKOFF_SECONDS = env_int("EVENTS_RELAY_MAX_BACKOFF_SECONDS", 30)
EVENTS_OUTBOX_RETENTION_DAYS = env_int("EVENTS_OUTBOX_RETENTION_DAYS", 7)
EVENTS_CONSUMER_MAX_ATTEMPTS = env_int("EVENTS_CONSUMER_MAX_ATTEMPTS", 5)
# Without Kafka no relay or consumer group would ever apply the events, so the embedded mode hands
# them to the apps' consumers in the same process right after each commit (events/dispatch.py).
# Never together with Kafka: it marks the rows published, so the relay would skip them.
EVENTS_IN_PROCESS_DISPATCH = env_bool("EVENTS_IN_PROCESS_DISPATCH", not KAFKA_BOOTSTRAP_SERVERS)
if EVENTS_IN_PROCESS_DISPATCH and KAFKA_BOOTSTRAP_SERVERS:
    raise ImproperlyConfigured(
        "EVENTS_IN_PROCESS_DISPATCH is for running without Kafka; with "
        "KAFKA_BOOTSTRAP_SERVERS set the relay and the consumer groups deliver the events"
    )
CELERY_BEAT_SCHEDULE = {
    "core-redrive-deferred-tasks": {"task": "core.redrive_deferred_tasks", "schedule": 30},
    "events-purge-published-outbox": {
        "task": "events.purge_published_outbox",
        "schedule": 60 * 60,
    },
    "suite-purge-expired-idempotency-keys": {
        "task": "suite.purge_expired_idempotency_keys",
        "schedule": 60 * 60,
    },
}
