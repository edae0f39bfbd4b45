"""Assembles the gRPC server from the domain apps' servicers.

Plain grpcio with a thin base rather than a framework (docs/decisions/0003-grpc-library.md): each
app may have a `grpc.py` with `register(server) -> list[str]` that adds its servicers and returns
their full service names, which the health service then reports as serving.
"""

import importlib
import logging
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
from django.apps import apps
from django.conf import settings
from django.db import close_old_connections
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

logger = logging.getLogger(__name__)


class DatabaseConnectionInterceptor(grpc.ServerInterceptor):
    """Gives each call what Django gives each HTTP request: no stale or broken connection from a
    previous call on the same worker thread survives into this one."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary

        def unary_unary(request: Any, context: grpc.ServicerContext) -> Any:
            close_old_connections()
            try:
                return inner(request, context)
            finally:
                close_old_connections()

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def register_app_servicers(server: grpc.Server) -> list[str]:
    services: list[str] = []
    for app_config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{app_config.name}.grpc")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app_config.name}.grpc":
                raise  # the module exists but imports something missing: a real error
            continue
        services.extend(module.register(server))
    return services


def build_server(bind: str | None = None) -> tuple[grpc.Server, int]:
    """A configured, not yet started server and the port it is bound to."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.GRPC_MAX_WORKERS),
        interceptors=[DatabaseConnectionInterceptor()],
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    services = register_app_servicers(server)
    for name in ["", *services]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port(bind or settings.GRPC_BIND)
    if port == 0:
        raise RuntimeError(f"cannot bind the gRPC server to {bind or settings.GRPC_BIND}")
    logger.info("grpc services: %s", ", ".join(services) or "(health only)")
    return server, port
