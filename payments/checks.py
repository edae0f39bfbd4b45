"""Deployment check (`manage.py check --deploy`): every enabled gateway that receives webhooks
can verify them. (The sandbox gateway needs no check of its own: outside DEBUG it is enabled only
when PAYMENTS_ENABLED_GATEWAYS names it.)"""

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from payments.gateways import gateway_names, get_gateway


@register(Tags.security, deploy=True)
def check_webhook_secrets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    for name in gateway_names():
        gateway = get_gateway(name)
        if gateway.supports_webhooks and not gateway.webhook_secrets:
            found.append(
                Error(
                    f"The {name} gateway has no webhook secret, so every webhook it sends is refused.",
                    hint=f"Set PAYMENTS_{name.upper()}_WEBHOOK_SECRETS (or its WEBHOOK_SECRETS option).",
                    id="payments.E001",
                )
            )
    return found
