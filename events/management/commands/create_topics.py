from typing import Any

from django.core.management.base import BaseCommand

from events.kafka import TOPIC_BY_FAMILY, ensure_topics


class Command(BaseCommand):
    help = "Create the Kafka topics of the event families (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = ensure_topics()
        for name in TOPIC_BY_FAMILY.values():
            state = "created" if name in created else "exists"
            self.stdout.write(f"{name}: {state}")
