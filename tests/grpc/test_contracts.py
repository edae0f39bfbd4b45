"""The gRPC service contracts: one versioned package per app, each with its generated stubs."""

import importlib

import pytest

from tests.support import REPO

SERVICES = {
    "catalog": ("CatalogService", {"GetProduct", "BatchGetProducts", "ListProducts", "SearchProducts"}),
    "inventory": ("InventoryService", {"GetAvailability", "BatchGetAvailability", "AdjustStock", "ReceiveStock"}),
    "delivery": ("DeliveryService", {"ListSlots", "GetShipment"}),
    "orders": ("OrderService", {"GetOrder", "ListOrders", "CancelOrder", "WatchOrder"}),
}


@pytest.mark.parametrize("app", sorted(SERVICES))
def test_each_app_contract_is_a_versioned_package_with_its_stubs(app: str) -> None:
    service, methods = SERVICES[app]
    assert (REPO / "proto" / app / "v1" / f"{app}.proto").is_file()
    messages = importlib.import_module(f"proto.{app}.v1.{app}_pb2")
    stubs = importlib.import_module(f"proto.{app}.v1.{app}_pb2_grpc")
    descriptor = messages.DESCRIPTOR.services_by_name[service]
    assert descriptor.full_name == f"commerce.{app}.v1.{service}"
    assert {method.name for method in descriptor.methods} == methods
    assert hasattr(stubs, f"{service}Stub") and hasattr(stubs, f"add_{service}Servicer_to_server")


def test_watch_order_is_the_one_server_stream() -> None:
    from proto.orders.v1 import orders_pb2

    streaming = [
        (service.name, method.name)
        for module in [orders_pb2]
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
        if method.server_streaming or method.client_streaming
    ]
    assert streaming == [("OrderService", "WatchOrder")]
