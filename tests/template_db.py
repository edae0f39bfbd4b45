"""Builds the template database of a test run: `python -m tests.template_db NAME` drops NAME if it
exists, creates it and applies every migration, as Django's test runner would for a test database.

scripts/test runs it beside the linters; tests/settings.py then has every pytest process create
its own test database as a copy of NAME. A copy is a file copy inside PostgreSQL (about a second),
where migrating takes each process 15 s or more of CPU, four at once on two CPUs.
"""

import os
import sys


def build(name: str) -> None:
    os.environ.pop("TEST_DATABASE_TEMPLATE", None)  # the template itself is migrated, not copied
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    connection.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.template_db NAME")
    build(sys.argv[1])
