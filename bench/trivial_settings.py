"""The suite's settings with a one-view URLconf: the baseline of bench/catalog_listing.py (the same
middleware, the same gunicorn, nothing but a tiny JSON response)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.trivial_urls"
