"""GetProduct over gRPC against the REST product detail, same data, same machine, one run.

    make bench NAME=grpc_vs_rest [ARGS="--seconds 10 --clients 8 --workers 2"]

Creates a scratch database (dropped afterwards) with the demo data plus generated products, then
serves the same settings two ways with the same number of server processes: gunicorn (sync
workers) for `GET /api/v1/catalog/products/<id>/`, and as many `manage.py run_grpc` processes
sharing one port (SO_REUSEPORT, grpcio's default on Linux) for `CatalogService/GetProduct`. Both
answer from the catalog cache in Redis, as in production. The same number of client processes
call each in turn (twice, interleaved); prints req/s, p50/p99 latency and the gRPC/REST ratio.

Then the floor: the same clients against as many bare grpcio servers (the same thread pool, no
interceptor, no Django, one method answering a real GetProduct response's bytes). What grpcio's
Python server and client cost alone bounds the ratio any servicer could reach here; the gap
between the floor and GetProduct is what the project's own steps cost. run_grpc serves on
grpcio's sync (thread pool) server, so that is "grpcio floor"; "grpcio aio floor" is the same
bare method as a coroutine on `grpc.aio.server`, the other server grpcio offers, measured so the
choice between them (docs/decisions/0090) can be checked again on a quiet machine
(`--no-aio-floor` leaves it out).
"""

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent import futures
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog_listing import PYTHON, REPO, fetch, free_port, gunicorn, prepare, scratch_database

THREADS = 4  # each gRPC server process's worker threads (run_grpc's GRPC_MAX_WORKERS)
PRODUCT_IDS = (
    "from catalog.selectors import visible_products; "
    "print(' '.join(str(pk) for pk in visible_products().values_list('pk', flat=True)[:50]))"
)


@contextmanager
def grpc_servers(env: dict[str, str], workers: int, log: Path) -> Iterator[int]:
    port = free_port()
    with ExitStack() as stack:
        out = stack.enter_context(log.open("wb"))
        processes = [
            subprocess.Popen(
                [PYTHON, "manage.py", "run_grpc", "--bind", f"127.0.0.1:{port}", "--grace", "1"],
                cwd=REPO,
                env={**env, "GRPC_MAX_WORKERS": "4"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            for _ in range(workers)
        ]
        try:
            import grpc
            from grpc_health.v1 import health_pb2, health_pb2_grpc

            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=60, wait_for_ready=True
                )
            time.sleep(2)  # the other processes bind too
            yield port
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)


def floor_server(port: int, response: bytes, threads: int) -> None:
    """A bare grpcio server: GetProduct answers `response` as it is, nothing else runs."""
    import grpc

    def get_product(request: bytes, context: grpc.ServicerContext) -> bytes:
        return response

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads))
    server.add_generic_rpc_handlers([floor_handler(get_product)])
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    server.wait_for_termination()


def aio_floor_server(port: int, response: bytes, threads: int) -> None:
    """The same bare method as a coroutine on grpc.aio's server (its event loop; no thread pool)."""
    import asyncio

    import grpc

    async def get_product(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return response

    async def serve() -> None:
        server = grpc.aio.server()
        server.add_generic_rpc_handlers([floor_handler(get_product)])
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        await server.wait_for_termination()

    asyncio.run(serve())


def floor_handler(get_product: Any) -> Any:
    import grpc

    from proto.catalog.v1 import catalog_pb2

    return grpc.method_handlers_generic_handler(
        catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
        {"GetProduct": grpc.unary_unary_rpc_method_handler(get_product)},
    )


@contextmanager
def floor_servers(response: bytes, workers: int, serve: Any = floor_server) -> Iterator[int]:
    """`workers` bare servers sharing one port, with run_grpc's thread pool as the bench sets it."""
    port = free_port()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=serve, args=(port, response, THREADS), daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()
    try:
        import grpc
        from grpc_health.v1 import health_pb2

        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel, suppress(grpc.RpcError):
            channel.unary_unary("/grpc.health.v1.Health/Check")(
                health_pb2.HealthCheckRequest().SerializeToString(), timeout=60, wait_for_ready=True
            )
        time.sleep(2)  # the other processes bind too
        yield port
    finally:
        for process in processes:
            process.terminate()
            process.join(timeout=30)


def product_bytes(port: int, product_id: int) -> bytes:
    import grpc

    from proto.catalog.v1 import catalog_pb2, catalog_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        return stub.GetProduct(catalog_pb2.GetProductRequest(product_id=product_id), timeout=10).SerializeToString()


def grpc_client(port: int, ids: list[int], seconds: float, results: Any) -> None:
    import grpc

    from proto.catalog.v1 import catalog_pb2, catalog_pb2_grpc

    latencies: list[float] = []
    errors = 0
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.so_reuseport", 0)]) as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        deadline = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            started = time.perf_counter()
            try:
                stub.GetProduct(catalog_pb2.GetProductRequest(product_id=ids[n % len(ids)]), timeout=10)
            except grpc.RpcError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
    results.put((latencies, errors))


def rest_client(port: int, ids: list[int], seconds: float, results: Any) -> None:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        started = time.perf_counter()
        try:
            status, _, _ = fetch(port, f"/api/v1/catalog/products/{ids[n % len(ids)]}/")
        except OSError:
            errors += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        errors += status != 200
    results.put((latencies, errors))


def load(target: Any, port: int, ids: list[int], seconds: float, clients: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")  # grpc does not survive fork
    results: Any = context.Queue()
    processes = [context.Process(target=target, args=(port, ids, seconds, results)) for _ in range(clients)]
    for process in processes:
        process.start()
    latencies: list[float] = []
    errors = 0
    for _ in processes:
        part, part_errors = results.get()
        latencies += part
        errors += part_errors
    for process in processes:
        process.join()
    cuts = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / seconds, "p50": cuts[49], "p99": cuts[98], "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes")
    parser.add_argument("--workers", type=int, default=2, help="server processes of each kind")
    parser.add_argument("--products", type=int, default=50, help="generated products on top of the demo data")
    parser.add_argument("--no-aio-floor", action="store_true", help="leave out the grpc.aio floor")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit('run with DATABASE_URL (Postgres) and REDIS_URL set: eval "$(scripts/services env)"')
    logs = REPO / "bench" / "results"
    logs.mkdir(exist_ok=True)
    with scratch_database(database_url) as bench_db:
        env = {
            **os.environ,
            "DATABASE_URL": bench_db,
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            "LOG_LEVEL": "WARNING",
            "KAFKA_BOOTSTRAP_SERVERS": "",
            "API_RATE_ANON": "100000000/min",
            "API_RATE_USER": "100000000/min",
        }
        print(f"preparing {bench_db.rsplit('/', 1)[1]}: migrate, demo data, {args.products} generated products")
        prepare(env, args.products)
        listed = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", PRODUCT_IDS],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        ids = [int(word) for word in listed.strip().splitlines()[-1].split()]
        with (
            gunicorn(env, args.workers, logs / "rest.log") as rest,
            grpc_servers(env, args.workers, logs / "grpc.log") as grpc_port,
        ):
            for product_id in ids:  # warm the cache entries of both
                assert fetch(rest, f"/api/v1/catalog/products/{product_id}/")[0] == 200
            load(grpc_client, grpc_port, ids, 1, 1)
            response = product_bytes(grpc_port, ids[0])
            with ExitStack() as floors:
                targets = {"REST detail": (rest_client, rest), "gRPC GetProduct": (grpc_client, grpc_port)}
                targets["grpcio floor"] = (grpc_client, floors.enter_context(floor_servers(response, args.workers)))
                if not args.no_aio_floor:
                    aio_port = floors.enter_context(floor_servers(response, args.workers, aio_floor_server))
                    targets["grpcio aio floor"] = (grpc_client, aio_port)
                for name, (client, port) in targets.items():
                    if name != "REST detail":  # its cache entries are warm already
                        load(client, port, ids, 1, 1)
                runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
                for _ in range(2):
                    for name, (client, port) in targets.items():
                        runs[name].append(load(client, port, ids, args.seconds, args.clients))

    print(
        f"\n{args.clients} client processes x {args.seconds:.0f} s, twice; {args.workers} server processes each "
        f"(gunicorn sync workers / run_grpc); {os.cpu_count()} CPUs shared by servers and clients\n"
    )
    print(f"{'':18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    summary = {}
    for name, results in runs.items():
        merged = {key: statistics.mean(r[key] for r in results) for key in results[0]}
        merged["errors"] = sum(r["errors"] for r in results)
        summary[name] = merged
        print(f"{name:18}{merged['rps']:9.0f}{merged['p50']:9.2f}{merged['p99']:9.2f}{merged['errors']:8.0f}")
    rest_rps = summary["REST detail"]["rps"]
    print(f"\nratio gRPC / REST throughput: {summary['gRPC GetProduct']['rps'] / rest_rps:.2f}")
    floor = summary["grpcio floor"]["rps"] / rest_rps
    print(f"ratio grpcio floor / REST (the most any servicer could reach here): {floor:.2f}")
    if "grpcio aio floor" in summary:
        print(f"ratio grpcio aio floor / REST: {summary['grpcio aio floor']['rps'] / rest_rps:.2f}")


if __name__ == "__main__":
    main()
