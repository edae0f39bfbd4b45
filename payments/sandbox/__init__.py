"""The sandbox payment provider ("test cards"): a stand-in for a real provider's servers, with its
client gateway, its provider-side tables, its admin pages and its Celery workers.

The payments core never imports it: settings name its gateway class in PAYMENTS_GATEWAYS
(`payments.sandbox.gateway.TestCardGateway`), and PaymentsConfig plugs in its models, admin and
tasks, and the demo data lists its test cards. The sandbox uses the core as a provider and its
client would: the gateway base, the signing scheme, and the webhook service it delivers to
in-process when no WEBHOOK_URL is set.
"""
