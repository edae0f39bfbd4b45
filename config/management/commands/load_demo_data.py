import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Load each app's demo data (its `demo.load()`), in the order of INSTALLED_APPS, so a "
        "newcomer sees the suite working. Safe to run again: nothing is duplicated."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for app_config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{app_config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_config.name}.demo":
                    raise
                continue
            for line in module.load():
                self.stdout.write(f"[{app_config.label}] {line}")
