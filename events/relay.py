"""The relay: publishes committed outbox rows to Kafka, in order, and marks them published.

Delivery is at least once. A batch is published and then marked in one database transaction; if
the relay dies between the two, the batch is published again on restart and consumers drop the
duplicates through their inbox (ProcessedEvent). Only one relay is active at a time (a Postgres
advisory lock); others wait as standbys and take over when it goes away. Losing the database (its
LISTEN connection included) or Kafka is an outage to ride out: the relay backs off, reconnects,
takes the lock again and resumes; it exits only on a signal.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from kafka import KafkaProducer

from core.metrics import RELAY_FAILURES, RELAY_PUBLISHED
from core.outages import outage
from core.probes import heartbeat
from events.bridge import OUTBOX_CHANNEL
from events.contracts import family_of
from events.kafka import build_producer, topic_for_family
from events.models import OutboxEvent
from events.tracing import end_publish_spans, publish_span

logger = logging.getLogger(__name__)

# pg_advisory_lock key of the active relay: any constant shared by all relays of one database.
RELAY_LOCK_KEY = 0x0E7E_0715


class PublishFailed(Exception):
    """Kafka did not acknowledge the whole batch; nothing of it was marked published."""


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    failures: int = 0


def relay_producer() -> KafkaProducer:
    # Fail a send within seconds while Kafka is away, so the relay backs off and retries
    # instead of blocking; idempotence and acks=all come from build_producer.
    return build_producer(max_block_ms=5_000, request_timeout_ms=5_000, delivery_timeout_ms=10_000)


class OutboxRelay:
    def __init__(
        self,
        *,
        batch_size: int | None = None,
        idle_wait: float = 1.0,
        standby_wait: float = 2.0,
        max_backoff: float | None = None,
        producer_factory: Callable[[], KafkaProducer] = relay_producer,
    ) -> None:
        self.batch_size = batch_size or settings.EVENTS_RELAY_BATCH_SIZE
        self.idle_wait = idle_wait
        self.standby_wait = standby_wait
        self.max_backoff = max_backoff or settings.EVENTS_RELAY_MAX_BACKOFF_SECONDS
        self.producer_factory = producer_factory
        self.stats = RelayStats()
        self._producer: KafkaProducer | None = None
        self._leader = False

    # --- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event, *, until_idle: bool = False) -> RelayStats:
        """Relay until `stop` is set (or, with `until_idle`, until no event is pending)."""
        backoff = 0.5
        try:
            while not stop.is_set():
                heartbeat.beat()
                try:
                    if not self._hold_leadership():
                        stop.wait(self.standby_wait)
                        continue
                    published = self.relay_batch()
                    outage("database").succeeded()
                    if published:
                        outage("kafka").succeeded()
                    backoff = 0.5
                    if published == 0:
                        if until_idle:
                            break
                        self._wait_for_events(stop)
                except (PublishFailed, DatabaseError, psycopg.Error) as exc:
                    # psycopg's own errors come from the LISTEN wait, which reads the raw connection.
                    self.stats.failures += 1
                    RELAY_FAILURES.inc()
                    dependency = "kafka" if isinstance(exc, PublishFailed) else "database"
                    # Logged once when the outage starts and once when it ends, with its length.
                    if not outage(dependency).failed(exc, what="relay"):
                        logger.debug("relay: %s; retrying in %.1fs", exc, backoff)
                    if dependency == "database":
                        self._drop_connection()
                    stop.wait(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
        finally:
            self._close_producer()
            self._release_leadership()
        return self.stats

    def relay_batch(self) -> int:
        """Publish the oldest pending events (one batch); return how many were published."""
        ids: list[int] = []
        try:
            with transaction.atomic():
                batch = list(
                    OutboxEvent.objects.select_for_update(skip_locked=True)
                    .filter(published_at__isnull=True)
                    .order_by("id")
                    .values_list("id", "event_id", "event_type", "aggregate_id", "payload")[: self.batch_size]
                )
                if not batch:
                    return 0
                ids = [row[0] for row in batch]
                try:
                    self._publish(batch)
                except Exception as exc:
                    error = f"publishing {len(batch)} events failed: {type(exc).__name__}: {exc}"
                    raise PublishFailed(error) from exc
                OutboxEvent.objects.filter(id__in=ids).update(published_at=timezone.now())
        except PublishFailed as exc:
            # Rolled back: the rows stay pending. Say so on them for the outbox browser.
            OutboxEvent.objects.filter(id__in=ids).update(
                publish_attempts=F("publish_attempts") + 1, last_error=str(exc)[:2000]
            )
            raise
        self.stats.published += len(batch)
        RELAY_PUBLISHED.inc(len(batch))
        self.stats.batches += 1
        return len(batch)

    def _publish(self, batch: list[tuple[int, UUID, str, str, bytes | memoryview]]) -> None:
        producer = self._get_producer()
        spans = []
        try:
            futures = []
            for _, event_id, event_type, aggregate_id, payload in batch:
                topic, value = topic_for_family(family_of(event_type)), bytes(payload)
                # A publish span per message, a child of the trace that recorded the event; the
                # consumers continue it from the traceparent header.
                span, trace_headers = publish_span(topic, event_type, str(event_id), value)
                spans.append(span)
                futures.append(
                    producer.send(
                        topic,
                        key=aggregate_id.encode(),
                        value=value,
                        headers=[
                            ("event_id", str(event_id).encode()),
                            ("event_type", event_type.encode()),
                            *trace_headers,
                        ],
                    )
                )
            producer.flush(timeout=30)
            for future in futures:
                future.get(timeout=0)  # raises the send's error, if any
        except Exception as exc:
            end_publish_spans(spans, exc)
            # A producer that failed mid-batch may hold half-sent state; start the next try clean.
            self._close_producer()
            raise
        end_publish_spans(spans)

    # --- leadership and waiting ---------------------------------------------------------------

    def _hold_leadership(self) -> bool:
        if connection.vendor != "postgresql":
            return True  # a single embedded process has no one to compete with
        if self._leader:
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [RELAY_LOCK_KEY])
            self._leader = bool(cursor.fetchone()[0])
            if self._leader:
                cursor.execute(f"LISTEN {OUTBOX_CHANNEL}")
                logger.info("relay: active (holding the relay lock)")
        return self._leader

    def _release_leadership(self) -> None:
        if self._leader and connection.vendor == "postgresql":
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [RELAY_LOCK_KEY])
            except DatabaseError:
                pass  # the connection is gone, and the lock with it
        self._leader = False

    def _drop_connection(self) -> None:
        # The advisory lock lives with the session; after a database error start over.
        self._leader = False
        try:
            connection.close()
        except (DatabaseError, psycopg.Error):
            connection.connection = None  # a broken socket cannot even be closed cleanly

    def _wait_for_events(self, stop: threading.Event) -> None:
        """Sleep until a transaction with new events commits, or `idle_wait` passes."""
        if connection.vendor != "postgresql":
            stop.wait(self.idle_wait)
            return
        connection.ensure_connection()
        for _ in connection.connection.notifies(timeout=self.idle_wait, stop_after=1):
            break

    # --- producer -----------------------------------------------------------------------------

    def _get_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = self.producer_factory()
        return self._producer

    def _close_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=5)
            except Exception:  # closing a broken producer must not mask the original failure
                logger.debug("relay: error closing the producer", exc_info=True)
            self._producer = None
