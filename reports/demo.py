"""Demo data of reports: the history behind its charts is loaded by `manage.py load_demo_history`
(config/demo_history.py), which `make run` calls after `load_demo_data`."""


def load() -> list[str]:
    return ["Reports: `manage.py load_demo_history` adds 120 days of order history for the charts (make run does)."]
