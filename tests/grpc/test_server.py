"""The assembled server: reflection and health name every service, the REST API's rate limits
apply, and a graceful stop reports NOT_SERVING before it refuses calls."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from config.grpc_server import Built, build, stop_gracefully
from proto.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.grpc.support import failure

SERVICES = [
    "commerce.catalog.v1.CatalogService",
    "commerce.delivery.v1.DeliveryService",
    "commerce.inventory.v1.InventoryService",
    "commerce.orders.v1.OrderService",
]


def test_reflection_lists_every_service_and_health_reports_each(grpc_server: Built, channel: grpc.Channel) -> None:
    assert sorted(grpc_server.services) == SERVICES
    listed = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert listed == {*SERVICES, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}
    health = health_pb2_grpc.HealthStub(channel)
    for service in ["", *SERVICES]:
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


@pytest.mark.django_db
def test_anonymous_calls_share_the_rest_rate_limit_per_client_ip(channel: grpc.Channel, settings: object) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"}  # type: ignore[attr-defined]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}  # type: ignore[attr-defined]
    catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
    for _ in range(2):
        assert (
            failure(catalog.GetProduct, catalog_pb2.GetProductRequest(product_id=1)).code == grpc.StatusCode.NOT_FOUND
        )
    limited = failure(catalog.GetProduct, catalog_pb2.GetProductRequest(product_id=1))
    assert (limited.code, limited.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "rate_limited")
    assert limited.retry_seconds and limited.retry_seconds >= 1
    assert limited.metadata == {"retry_after_seconds": str(limited.retry_seconds)}


def test_a_graceful_stop_reports_not_serving_first() -> None:
    built = build("127.0.0.1:0")
    built.server.start()
    with grpc.insecure_channel(f"127.0.0.1:{built.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        service = health_pb2.HealthCheckRequest(service=SERVICES[0])
        assert health.Check(service, timeout=5).status == health_pb2.HealthCheckResponse.SERVING
        built.health.enter_graceful_shutdown()
        assert health.Check(service, timeout=5).status == health_pb2.HealthCheckResponse.NOT_SERVING
        stop_gracefully(built, 0)
        with pytest.raises(grpc.RpcError) as stopped:
            health.Check(service, timeout=2)
        assert stopped.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
