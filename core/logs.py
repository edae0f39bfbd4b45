"""JSON log lines (LOG_FORMAT=json): one object per line with the request id and, when tracing
is on, the trace and span ids, so a log search jumps to the trace and back."""

import json
import logging
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import get_current_span

from core.api.request_id import current_request_id


def current_trace_ids() -> tuple[str, str]:
    """(trace id, span id) of the current OpenTelemetry span, or ("-", "-")."""
    context = get_current_span().get_span_context()
    if not context.is_valid:
        return "-", "-"
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


class TraceIdFilter(logging.Filter):
    """Adds `request_id`, `trace_id` and `span_id` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        record.trace_id, record.span_id = current_trace_ids()
        return True


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "trace_id": getattr(record, "trace_id", "-"),
            "span_id": getattr(record, "span_id", "-"),
        }
        for key, value in vars(record).items():  # extra={...} fields travel along
            if key not in _STANDARD and key not in line:
                line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
