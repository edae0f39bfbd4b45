"""Where each app contributes to a customer's data export and may hold up an erasure.

accounts sits below orders, payments and notifications, so it cannot read their data; instead each
app registers, in its AppConfig.ready, a collector of its part of the archive (read through its own
selectors) and, if it must, a check that refuses an erasure for now (an order still on its way).
The archive always holds every part of `EXPORT_PARTS`, empty when no installed app collects it.
docs/decisions/0058.
"""

from collections.abc import Callable
from typing import Any

# The parts every archive holds, in this order (a file `<part>.json` each).
EXPORT_PARTS = ("profile", "addresses", "orders", "payments", "messages")
# "messages" is collected by the notifications app (the messages sent to the customer,
# notifications.privacy); without notifications installed it is an empty list.
MESSAGES_PART = "messages"

ExportCollector = Callable[[int], Any]  # user id -> JSON-serialisable data
ErasureCheck = Callable[[int], str | None]  # user id -> why not now, or None

_collectors: dict[str, ExportCollector] = {}
_erasure_checks: dict[str, ErasureCheck] = {}


def register_export_part(part: str, collector: ExportCollector) -> None:
    if part not in EXPORT_PARTS:
        raise ValueError(f"{part!r} is not an export part; add it to accounts.privacy.EXPORT_PARTS")
    _collectors[part] = collector


def register_erasure_check(name: str, check: ErasureCheck) -> None:
    _erasure_checks[name] = check


def collect_export(user_id: int) -> dict[str, Any]:
    """Every part of the user's archive, in EXPORT_PARTS order."""
    return {part: _collectors[part](user_id) if part in _collectors else [] for part in EXPORT_PARTS}


def erasure_blockers(user_id: int) -> list[str]:
    """Why the account cannot be erased yet (empty: it can)."""
    return [reason for check in _erasure_checks.values() if (reason := check(user_id))]
