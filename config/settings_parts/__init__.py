"""The groups of settings that config/settings.py reads, one module a concern.

Each module reads its own environment variables, with the defaults the README documents. A module
takes what it derives from (DEBUG, DATA_DIR, REDIS_URL, the beat schedule and task routes that
several apps add to) from the modules before it, never from config.settings, which imports them all
in the order the settings were once written in one file: later ones extend what earlier ones set
(CELERY_BEAT_SCHEDULE, CELERY_TASK_ROUTES).
"""
