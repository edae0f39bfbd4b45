import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from core.probes import serve_probes
from core.roles import RELAY, claim_role
from core.tracing import init_tracing
from events.applying import InfrastructureFailure
from events.dispatch import dispatch_pending
from events.kafka import kafka_configured
from events.relay import OutboxRelay


class Command(BaseCommand):
    help = (
        "Publish committed outbox events to Kafka. Long-running; one relay is active per database "
        "(others wait as standbys). Stops cleanly on SIGTERM. Without Kafka (EVENTS_IN_PROCESS_DISPATCH) it "
        "delivers the events still pending to the consumers in-process, once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="exit when no event is pending")
        parser.add_argument("--batch-size", type=int, help="events per Kafka flush and commit")

    def handle(self, *args: Any, **options: Any) -> None:
        if not kafka_configured():
            if not settings.EVENTS_IN_PROCESS_DISPATCH:
                raise CommandError("KAFKA_BOOTSTRAP_SERVERS is not set: there is nowhere to relay to")
            self._dispatch_in_process()
            return
        logging.getLogger("events").setLevel(logging.INFO)
        serve_probes(claim_role(RELAY))  # /healthz, /readyz, /metrics on PROBE_PORT, when set
        init_tracing(RELAY)  # when OTEL_EXPORTER_OTLP_ENDPOINT is set
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        relay = OutboxRelay(batch_size=options["batch_size"])
        self.stdout.write("relay: starting")
        stats = relay.run(stop, until_idle=options["once"])
        self.stdout.write(
            f"relay: stopped after publishing {stats.published} events in {stats.batches} batches "
            f"({stats.failures} failed attempts)"
        )

    def _dispatch_in_process(self) -> None:
        # The embedded mode delivers after each commit; this catches up on what a failure left pending.
        try:
            stats = dispatch_pending()
        except (InfrastructureFailure, DatabaseError) as exc:
            raise CommandError(f"events stay pending: {exc}") from exc
        self.stdout.write(
            f"relay: no Kafka; delivered {stats.delivered} pending events in-process ({stats.applied} applied, "
            f"{stats.duplicates} duplicates, {stats.dead_lettered} dead-lettered)"
        )
