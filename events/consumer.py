"""The base of event consumers: a group name and one handler method per event type.

    class SalesProjection(EventConsumer):
        group = "reports.sales"

        def on_order_created(self, event: ConsumedEvent) -> None: ...

A handler runs inside the transaction that also records the event in the group's inbox, so its
database effect happens exactly once however often Kafka delivers the event. Handlers must not
call other systems; they may send domain signals (recorded in the outbox, same transaction).
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from django.apps import apps
from google.protobuf.message import Message

from events.contracts import EVENT_TYPES, family_of
from events.kafka import topic_for_family
from proto.events.v1.envelope_pb2 import EventEnvelope

_registry: dict[str, type["EventConsumer"]] = {}


@dataclass(frozen=True)
class ConsumedEvent:
    envelope: EventEnvelope
    payload: Message

    @property
    def event_id(self) -> str:
        return self.envelope.event_id

    @property
    def event_type(self) -> str:
        return self.envelope.event_type


class EventConsumer:
    group: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.group:
            raise TypeError(f"{cls.__name__} must name its consumer group")
        if not cls.handled_types():
            raise TypeError(f"{cls.__name__} handles no event type (methods on_<family>_<event>)")
        _registry[cls.group] = cls

    @classmethod
    def handled_types(cls) -> list[str]:
        return [t for t in EVENT_TYPES if callable(getattr(cls, handler_name(t), None))]

    @classmethod
    def topics(cls) -> list[str]:
        return sorted({topic_for_family(family_of(t)) for t in cls.handled_types()})

    def handler_for(self, event_type: str) -> Callable[[ConsumedEvent], None] | None:
        handler: Callable[[ConsumedEvent], None] | None = getattr(self, handler_name(event_type), None)
        return handler


def handler_name(event_type: str) -> str:
    return "on_" + event_type.replace(".", "_")


def discover_consumers() -> dict[str, type[EventConsumer]]:
    """Import every app's `consumers` module; return the consumer classes by group."""
    for app_config in apps.get_app_configs():
        try:
            importlib.import_module(f"{app_config.name}.consumers")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app_config.name}.consumers":
                raise
    return dict(_registry)
