"""Writes of the reports app: the sales projection (fed by order events) and report runs."""

from reports.services.projection import InvalidSalesFigure, record_order_cancelled, record_order_placed, shop_day
from reports.services.runs import execute_run, generate, purge_expired_runs, request_run, request_scheduled_run

__all__ = [
    "InvalidSalesFigure",
    "execute_run",
    "generate",
    "purge_expired_runs",
    "record_order_cancelled",
    "record_order_placed",
    "request_run",
    "request_scheduled_run",
    "shop_day",
]
