"""The payment gateways enabled in settings.PAYMENTS_GATEWAYS, by name.

Adding a provider is one Gateway subclass plus one settings entry; see README.md (Payments).
"""

from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from django.utils.module_loading import import_string

from payments.errors import UnknownGateway
from payments.gateways.base import Gateway


def _configured() -> Mapping[str, Mapping[str, Any]]:
    return cast(Mapping[str, Mapping[str, Any]], settings.PAYMENTS_GATEWAYS)


def gateway_names() -> list[str]:
    return list(_configured())


def gateway_options(name: str) -> Mapping[str, Any]:
    """The settings entry of an enabled gateway (empty when it is not enabled)."""
    return _configured().get(name, {})


def get_gateway(name: str) -> Gateway:
    options = _configured().get(name)
    if options is None:
        raise UnknownGateway(
            f"There is no payment gateway {name!r}.", fields={"gateway": [f"Not one of {', '.join(gateway_names())}."]}
        )
    gateway_class = import_string(options["CLASS"])
    if not (isinstance(gateway_class, type) and issubclass(gateway_class, Gateway)):
        raise TypeError(f"{options['CLASS']} is not a payments Gateway")
    return gateway_class(name, options)
