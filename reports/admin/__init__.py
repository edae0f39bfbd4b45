"""The Reports section of the back office: the catalogue with "run now", the runs with their files,
a page per report family with its charts next to the tables, and the warehouses' replenishment
policies. Each staff member sees the families their role grants (reports.catalogue)."""

from reports.admin import projection, runs

__all__ = ["projection", "runs"]
