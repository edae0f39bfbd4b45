import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from events.kafka import kafka_configured
from events.relay import OutboxRelay


class Command(BaseCommand):
    help = (
        "Publish committed outbox events to Kafka. Long-running; one relay is active per database "
        "(others wait as standbys). Stops cleanly on SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="exit when no event is pending")
        parser.add_argument("--batch-size", type=int, help="events per Kafka flush and commit")

    def handle(self, *args: Any, **options: Any) -> None:
        if not kafka_configured():
            raise CommandError("KAFKA_BOOTSTRAP_SERVERS is not set: there is nowhere to relay to")
        logging.getLogger("events").setLevel(logging.INFO)
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
