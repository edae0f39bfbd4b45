import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.probes import serve_probes
from core.roles import CONSUMER, claim_role
from core.tracing import init_tracing
from events.consumer import discover_consumers
from events.consuming import ConsumerRunner


class Command(BaseCommand):
    help = "Run one consumer group: apply events from Kafka once each. Stops cleanly on SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--group", required=True, help="the consumer group (see --list)")
        parser.add_argument("--until-idle", action="store_true", help="exit once caught up")

    def handle(self, *args: Any, **options: Any) -> None:
        consumers = discover_consumers()
        consumer_class = consumers.get(options["group"])
        if consumer_class is None:
            known = ", ".join(sorted(consumers)) or "none"
            raise CommandError(f"unknown consumer group {options['group']!r}; known groups: {known}")
        logging.getLogger("events").setLevel(logging.INFO)
        serve_probes(claim_role(CONSUMER))  # /healthz, /readyz, /metrics on PROBE_PORT, when set
        init_tracing(CONSUMER)  # when OTEL_EXPORTER_OTLP_ENDPOINT is set
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        consumer = consumer_class()
        self.stdout.write(f"consumer {consumer.group}: consuming {', '.join(consumer.topics())}")
        stats = ConsumerRunner(consumer).run(stop, until_idle=options["until_idle"])
        self.stdout.write(
            f"consumer {consumer.group}: stopped; applied {stats.applied}, duplicates {stats.duplicates}, "
            f"skipped {stats.skipped}, dead-lettered {stats.dead_lettered}"
        )
