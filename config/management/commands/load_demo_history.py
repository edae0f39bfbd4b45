"""`manage.py load_demo_history`: 120 days of demo order history for the reports (config/demo_history.py)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from config import demo_history as demo


class Command(BaseCommand):
    help = "Add deterministic demo order history for the reports' charts (after load_demo_data). Runs once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=demo.DAYS)
        parser.add_argument("--customers", type=int, default=demo.CUSTOMERS)

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for line in demo.load_history(days=options["days"], customers=options["customers"]):
            self.stdout.write(line)
