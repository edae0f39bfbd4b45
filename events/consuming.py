"""Runs an EventConsumer against Kafka: at least once, effects once, poison messages set aside.

For every polled batch, each message is applied through the group's inbox (events.services.
apply_event), and only after those database commits are the offsets committed to Kafka. A message
that cannot be parsed, has an unknown type, or whose handler keeps failing after N attempts goes
to the dead-letter topic (and the DeadLetter table) and the consumer moves on. A database outage
is not the message's fault: the consumer rewinds, backs off and tries again without giving up.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from core.metrics import CONSUMER_EVENTS, observe_consumer_lag
from core.outages import outage
from core.probes import heartbeat
from events.applying import HandlerGaveUp, InfrastructureFailure, apply_with_retries
from events.consumer import ConsumedEvent, EventConsumer
from events.contracts import InvalidEventPayload, UnknownEventType, unpack_envelope
from events.kafka import build_producer, dead_letter_topic, kafka_configured, kafka_group_id
from events.services import record_dead_letter
from events.tracing import consuming, header_trace_context

logger = logging.getLogger(__name__)


class ConsumerNotIdle(RuntimeError):
    """A run until idle did not catch up in time (Kafka never assigned or never served the
    partitions): the message says where each partition stands."""


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    dead_lettered: int = 0


class ConsumerRunner:
    def __init__(
        self,
        consumer: EventConsumer,
        *,
        max_attempts: int | None = None,
        retry_backoff: float = 0.2,
        poll_timeout_ms: int = 500,
    ) -> None:
        if not kafka_configured():
            raise RuntimeError("KAFKA_BOOTSTRAP_SERVERS is not set: there is nothing to consume")
        self.consumer = consumer
        self.max_attempts = max_attempts or settings.EVENTS_CONSUMER_MAX_ATTEMPTS
        self.retry_backoff = retry_backoff
        self.poll_timeout_ms = poll_timeout_ms
        self.stats = ConsumerStats()
        self._kafka: KafkaConsumer | None = None
        self._dead_letter_producer: KafkaProducer | None = None

    def run(self, stop: threading.Event, *, until_idle: bool = False, idle_within: float = 120.0) -> ConsumerStats:
        """Consume until `stop` is set (or, with `until_idle`, until a poll brings nothing and the
        group's positions reach the partitions' ends; if that takes more than `idle_within`
        seconds, a batch run fails loudly with where it stands rather than spinning on)."""
        kafka = self._connect()
        backoff = 0.5
        idle_by = time.monotonic() + idle_within
        try:
            while not stop.is_set():
                heartbeat.beat()
                try:
                    polled = kafka.poll(timeout_ms=self.poll_timeout_ms)
                    records = [record for batch in polled.values() for record in batch]
                    observe_consumer_lag(self.consumer.group, kafka)
                    if not records:
                        if until_idle and self._caught_up(kafka):
                            break
                        if until_idle and time.monotonic() > idle_by:
                            raise ConsumerNotIdle(self._standing(kafka))
                        continue
                    self._process_batch(kafka, records)
                    outage("database").succeeded()
                    outage("kafka").succeeded()
                    backoff = 0.5
                except (InfrastructureFailure, KafkaError) as exc:
                    # Logged once when the outage starts and once when it ends, with its length.
                    # Offsets not committed are delivered again; the inbox drops what was applied.
                    dependency = "database" if isinstance(exc, InfrastructureFailure) else "kafka"
                    if not outage(dependency).failed(exc, what=f"consumer {self.consumer.group}"):
                        logger.debug("consumer %s: %s; retrying in %.1fs", self.consumer.group, exc, backoff)
                    if dependency == "database":
                        connection.close()
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
        finally:
            kafka.close(autocommit=False)
            if self._dead_letter_producer is not None:
                self._dead_letter_producer.close(timeout=5)
        return self.stats

    def _standing(self, kafka: KafkaConsumer) -> str:
        assigned = sorted(kafka.assignment())
        ends = kafka.end_offsets(assigned) if assigned else {}
        where = ", ".join(f"{tp.topic}[{tp.partition}] at {kafka.position(tp)} of {ends.get(tp)}" for tp in assigned)
        return f"consumer {self.consumer.group} not caught up: {where or 'no partition assigned'}"

    @staticmethod
    def _caught_up(kafka: KafkaConsumer) -> bool:
        assigned = list(kafka.assignment())
        if not assigned:
            return False  # still joining the group
        ends = kafka.end_offsets(assigned)
        return all(kafka.position(tp) >= ends[tp] for tp in assigned)

    def _connect(self) -> KafkaConsumer:
        self._kafka = KafkaConsumer(
            *self.consumer.topics(),
            bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
            client_id=f"{settings.KAFKA_CLIENT_ID}-{self.consumer.group}",
            group_id=kafka_group_id(self.consumer.group),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
        )
        # The group's leader assigns partitions from the metadata it has when it joins (at the
        # first poll). A consumer that rejoins a group at once (a batch run right after another)
        # could join before its metadata named the topics, get no partition, and wait for the
        # next refresh (5 minutes): so the topics' metadata is fetched first.
        for topic in self.consumer.topics():
            self._kafka.partitions_for_topic(topic)
        return self._kafka

    def _process_batch(self, kafka: KafkaConsumer, records: list[ConsumerRecord]) -> None:
        done: dict[TopicPartition, int] = {}
        try:
            for record in records:
                self.process(record)
                done[TopicPartition(record.topic, record.partition)] = record.offset + 1
        except InfrastructureFailure:
            # Rewind every partition to its first unprocessed message so none is skipped.
            rewind: dict[TopicPartition, int] = {}
            for record in records:
                partition = TopicPartition(record.topic, record.partition)
                if record.offset >= done.get(partition, -1):
                    rewind.setdefault(partition, record.offset)
            for partition, offset in rewind.items():
                kafka.seek(partition, offset)
            raise
        finally:
            if done:
                kafka.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in done.items()})

    def process(self, record: ConsumerRecord) -> None:
        """Apply one message, or set it aside; raises InfrastructureFailure to retry it later."""
        try:
            envelope, payload = unpack_envelope(record.value)
        except (InvalidEventPayload, UnknownEventType) as exc:
            self._dead_letter(record, exc.code, str(exc), attempts=1)
            return
        if self.consumer.handler_for(envelope.event_type) is None:
            self.stats.skipped += 1  # another group's business
            return
        event = ConsumedEvent(envelope, payload)
        try:
            with consuming(
                self.consumer.group,
                envelope,
                carrier=header_trace_context(record.headers),
                **{
                    "messaging.destination.name": record.topic,
                    "messaging.destination.partition.id": str(record.partition),
                    "messaging.kafka.offset": record.offset,
                },
            ):
                applied = apply_with_retries(
                    self.consumer, event, max_attempts=self.max_attempts, retry_backoff=self.retry_backoff
                )
        except HandlerGaveUp as exc:
            self._dead_letter(
                record, exc.code, exc.error, exc.attempts, event_id=envelope.event_id, event_type=envelope.event_type
            )
            return
        if applied:
            self.stats.applied += 1
        else:
            self.stats.duplicates += 1
        CONSUMER_EVENTS.labels(self.consumer.group, "applied" if applied else "duplicate").inc()

    def _dead_letter(
        self, record: ConsumerRecord, code: str, error: str, attempts: int, *, event_id: str = "", event_type: str = ""
    ) -> None:
        headers = list(record.headers or [])
        header_map = dict(headers)
        event_type = event_type or header_map.get("event_type", b"").decode("utf-8", "replace")
        event_id = event_id or header_map.get("event_id", b"").decode("utf-8", "replace")
        try:
            record_dead_letter(
                consumer_group=self.consumer.group,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                value=record.value,
                headers=headers,
                error_code=code,
                error=error,
                attempts=attempts,
                event_id=event_id,
                event_type=event_type,
            )
            if self._dead_letter_producer is None:
                self._dead_letter_producer = build_producer(max_block_ms=5_000)
            self._dead_letter_producer.send(
                dead_letter_topic(),
                key=record.key,
                value=record.value,
                headers=[
                    *headers,
                    ("dlq_original_topic", record.topic.encode()),
                    ("dlq_original_partition", str(record.partition).encode()),
                    ("dlq_original_offset", str(record.offset).encode()),
                    ("dlq_consumer_group", self.consumer.group.encode()),
                    ("dlq_error_code", code.encode()),
                    ("dlq_error", error[:1000].encode()),
                ],
            ).get(timeout=20)
        except DatabaseError as exc:
            raise InfrastructureFailure(f"database unavailable: {exc}") from exc
        except Exception as exc:
            self._dead_letter_producer = None  # rebuilt clean on the next try
            raise InfrastructureFailure(f"dead-letter topic unavailable: {exc}") from exc
        self.stats.dead_lettered += 1
        logger.warning(
            "consumer %s: dead-lettered %s[%d]@%d: %s %s",
            self.consumer.group,
            record.topic,
            record.partition,
            record.offset,
            code,
            error,
        )
