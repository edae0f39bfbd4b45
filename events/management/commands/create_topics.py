from typing import Any

from django.core.management.base import BaseCommand

from events.kafka import all_topics, ensure_topics


class Command(BaseCommand):
    help = "Create the Kafka topics of the event families and the dead letters (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = ensure_topics()
        for name in all_topics():
            state = "created" if name in created else "exists"
            self.stdout.write(f"{name}: {state}")
