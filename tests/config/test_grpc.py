"""The gRPC server assembles and answers the standard health service over a real channel."""

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from config.grpc_server import build_server


def test_the_grpc_server_reports_serving() -> None:
    server, port = build_server("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            try:
                stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
                raise AssertionError("an unknown service must not report serving")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND
    finally:
        server.stop(0)
