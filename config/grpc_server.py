"""Assembles the gRPC server from the domain apps' servicers.

Plain grpcio with a thin base rather than a framework (docs/decisions/0003-grpc-library.md): each
app may have a `grpc.py` with `register(server) -> list[str]` that adds its servicers and returns
their full service names, which the health service then reports as serving and reflection lists.

Every unary and server-streaming call passes through `serving` (wrapped around each method handler
when it is registered), outermost first:
request id, access log (with latency), domain errors as statuses, database connections (fresh,
and statements bounded by the client's deadline), then authentication and rate limits.
"""

import contextlib
import importlib
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any, NamedTuple, cast

import grpc
from asgiref.local import Local
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import OperationalError
from django.utils import timezone
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from core import errors
from core.api.request_id import current_request_id, request_id_from
from core.api.throttle_leases import Refused, leases
from core.api.throttling import SlidingWindowThrottle
from core.cache import uses_redis
from core.grpc import calls, database, initial_metadata
from core.grpc.errors import deadline_status, internal_status, status_for
from core.metrics import count_refusal

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("grpc.access")

Behavior = Callable[[Any, grpc.ServicerContext], Any]
REQUEST_ID_KEY = "x-request-id"


class Call:
    """What `serving` knows of one call: its full method name, context and request, and its
    invocation metadata (text values only, read once)."""

    __slots__ = ("context", "metadata", "method", "request")

    def __init__(self, method: str, context: grpc.ServicerContext, request: Any) -> None:
        self.method, self.context, self.request = method, context, request
        self.metadata = {key: value for key, value in context.invocation_metadata() if isinstance(value, str)}


def served(method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """`handler` with `serving` around its unary-unary or unary-stream behaviour. Applied once per
    method when the services are registered (`_Served`), not per call: a server interceptor makes
    grpcio run its pipeline and build a new handler on every call (docs/decisions/0081). One
    context manager for every concern rather than one each: a stack of them cost a cached
    GetProduct a tenth of its server CPU (docs/decisions/0077).

    A unary behaviour may return its response already serialized (`bytes`, e.g. a cached
    message): it is sent as it is, not parsed and serialized again."""
    if handler.unary_unary is not None:
        unary: Behavior = handler.unary_unary

        def unary_unary(request: Any, context: grpc.ServicerContext) -> Any:
            with serving(Call(method, context, request), unary=True):
                return unary(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=_bytes_or(handler.response_serializer),
        )
    if handler.unary_stream is not None:
        stream: Behavior = handler.unary_stream

        def unary_stream(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            with serving(Call(method, context, request)):
                yield from stream(request, context)

        return grpc.unary_stream_rpc_method_handler(
            unary_stream,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return handler  # client streams (reflection) pass as they are


class _ServedGeneric(grpc.GenericRpcHandler):
    """A generic handler's methods, served (grpcio asks it only for methods nobody registered)."""

    def __init__(self, handler: grpc.GenericRpcHandler) -> None:
        self.handler = handler
        self.known: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = self.handler.service(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        known = self.known.get(method)
        if known is None or known[0] is not handler:
            known = self.known[method] = (handler, served(method, handler))
        return known[1]


class _Served:
    """The server as the services' registration sees it (the apps' `register`, health,
    reflection): every method handler added is `served`."""

    def __init__(self, server: grpc.Server) -> None:
        self._server = server

    def add_registered_method_handlers(self, service: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        wrapped = {name: served(f"/{service}/{name}", handler) for name, handler in handlers.items()}
        self._server.add_registered_method_handlers(service, wrapped)

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers([_ServedGeneric(handler) for handler in handlers])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


def _bytes_or(serialize: Callable[[Any], bytes] | None) -> Callable[[Any], bytes] | None:
    if serialize is None:
        return None

    def serialized(response: Any) -> bytes:
        return response if type(response) is bytes else serialize(response)

    return serialized


@contextlib.contextmanager
def serving(call: Call, *, unary: bool = False) -> Iterator[None]:
    """Around the servicer of every call (a stream's until its last message), outermost first:
    1. the request id: the caller's `x-request-id` (if it looks like one) or a fresh one, on every
       log line of the call and back to the client in the initial metadata (REST's X-Request-ID);
       a unary call's goes out with its response or status (core/grpc/initial_metadata.py), a
       stream's at once;
    2. the access log: one line per call with method, status, latency, caller and peer;
    3. errors: domain errors become their status with rich details (core/grpc/errors.py), a
       statement cancelled by the deadline is DEADLINE_EXCEEDED, anything else is logged and
       INTERNAL;
    4. the database: no stale or broken connection from an earlier call on the same worker
       thread survives into this one (what Django gives each HTTP request), and no statement
       outlives the client's deadline (core/grpc/database.py: nothing to pay for a call that
       runs no statement);
    5. who calls, and the rate limits (`_caller`)."""
    context = call.context
    request_id = request_id_from(call.metadata.get(REQUEST_ID_KEY))
    request_id_token = current_request_id.set(request_id)
    if unary:
        initial_metadata.send_with_response(context, ((REQUEST_ID_KEY, request_id),))
    else:
        context.send_initial_metadata(((REQUEST_ID_KEY, request_id),))
    started = time.perf_counter()
    failed = False
    try:
        try:
            database.begin(context)
            try:
                caller_token = calls.current_caller.set(_caller(call))
                try:
                    yield
                finally:
                    calls.current_caller.reset(caller_token)
            finally:
                reset_failed = database.end()
                if reset_failed is not None:
                    logger.warning("grpc: could not reset statement_timeout", exc_info=reset_failed)
        except errors.DomainError as error:
            count_refusal(error, "grpc")
            context.abort_with_status(status_for(error))
        except calls.DeadlineExceeded:
            context.abort_with_status(deadline_status())
        except OperationalError as error:
            if _is_query_cancelled(error):
                context.abort_with_status(deadline_status())
            logger.exception("grpc: %s failed", call.method)
            context.abort_with_status(internal_status())
        except Exception as error:
            if context.code() is not None:  # the servicer aborted on purpose: keep its status
                raise
            logger.exception("grpc: %s failed: %s", call.method, error)
            context.abort_with_status(internal_status())
    except BaseException:
        failed = True
        raise
    finally:
        if access_logger.isEnabledFor(logging.INFO):  # else not even the peer is asked for
            _log_access(call, started, failed)
        current_request_id.reset(request_id_token)


def _log_access(call: Call, started: float, failed: bool) -> None:
    context = call.context
    code = context.code() or (grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK)
    user = calls.caller().user
    access_logger.info(
        "%s %s %.1fms user=%s peer=%s",
        call.method,
        getattr(code, "name", code),
        (time.perf_counter() - started) * 1000,
        user.pk if user else "-",
        context.peer(),
    )


def _is_query_cancelled(error: BaseException) -> bool:
    cause = error.__cause__
    return type(cause).__name__ == "QueryCanceled" or getattr(cause, "sqlstate", None) == "57014"


class _UserThrottle(SlidingWindowThrottle):
    scope = "user"

    def __init__(self, ident: str) -> None:
        super().__init__()
        self.ident = ident

    def identity(self, request: Any) -> str | None:
        return self.ident


class _AnonThrottle(_UserThrottle):
    scope = "anon"


def _peer_ip(peer: str) -> str:
    """ "ipv4:10.0.0.7:53122" -> "10.0.0.7"; "ipv6:[::1]:5000" -> "::1"."""
    address = peer.partition(":")[2]
    host = address.rpartition(":")[0] if address.count(":") >= 1 else address
    return host.strip("[]") or peer


class _Counted:
    """What the rate limit is given for a call (it has no HTTP request): the raw Redis keys to
    read in its round trip (`read_along`), and where their values come back."""

    __slots__ = ("read_along", "read_along_values")

    def __init__(self, keys: list[str]) -> None:
        self.read_along: Sequence[str] = keys
        self.read_along_values: list[bytes | None] | None = None


def _caller(call: Call) -> calls.Caller:
    """`authorization: Bearer <token>` with the REST API's tokens (accounts.AccessToken): a wrong,
    revoked or expired token is UNAUTHENTICATED whatever the method; no metadata is an anonymous
    call, which the servicers refuse where REST would. Then the REST API's rate limits, per user
    or per client IP (the same counters: one budget whichever API is used), counted a lease of
    calls at a time (core.api.throttle_leases)."""
    user = _user(call.metadata.get("authorization"))
    peer = call.context.peer()
    scope, ident = ("user", str(user.pk)) if user is not None else ("anon", _peer_ip(peer))
    if uses_redis():
        # Counted a lease at a time (docs/decisions/0093): most calls make no round trip for it;
        # one that does reads the method's keys along (calls.read_along_on).
        try:
            values = leases.allow(scope, ident, lambda: calls.read_along_keys(call.method, call.request))
        except Refused as refused:
            wait = max(1, math.ceil(refused.wait))
            raise errors.RateLimited("Too many calls; slow down.", retry_after=wait) from None
        return calls.Caller(user=user, peer=peer, read_along=values)
    throttle = _UserThrottle(ident) if user is not None else _AnonThrottle(ident)
    counted = _Counted(calls.read_along_keys(call.method, call.request))
    if not throttle.allow_request(cast(Any, counted), cast(Any, None)):
        raise errors.RateLimited("Too many calls; slow down.", retry_after=int(throttle.wait() or 1))
    return calls.Caller(user=user, peer=peer, read_along=counted.read_along_values)


def _user(header: str | None) -> Any:
    if header is None:
        return None
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip() or " " in key.strip():
        raise errors.Unauthenticated(
            "The authorization metadata must be `Bearer <token>`.", code="authentication_failed"
        )
    token = accounts_selectors.token_for_key(key.strip())
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        raise errors.Unauthenticated("The token is invalid or expired.", code="authentication_failed")
    accounts_services.touch_token(token, now)
    return token.user


def register_app_servicers(server: grpc.Server) -> list[str]:
    services: list[str] = []
    for app_config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{app_config.name}.grpc")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app_config.name}.grpc":
                raise  # the module exists but imports something missing: a real error
            continue
        register = getattr(module, "register", None)
        if register is not None:  # core.grpc is the servicers' toolkit, not a service
            services.extend(register(server))
    return services


class Built(NamedTuple):
    server: grpc.Server
    port: int
    health: health.HealthServicer
    services: list[str]


def _credentials() -> grpc.ServerCredentials | None:
    cert, key = settings.GRPC_TLS_CERT, settings.GRPC_TLS_KEY
    if not cert and not key:
        return None
    if not (cert and key):
        raise RuntimeError("set both GRPC_TLS_CERT and GRPC_TLS_KEY (PEM files), or neither")
    return grpc.ssl_server_credentials([(Path(key).read_bytes(), Path(cert).read_bytes())])


def keep_caches_per_thread() -> None:
    """grpcio runs every call in a fresh, empty `contextvars.Context`, and Django keeps its cache
    backends in context variables (asgiref's Local without thread_critical): each call would build
    a new cache backend and Redis client (a tenth of a cached GetProduct's CPU, measured with yappi).
    The server's worker threads are plain threads, never shared by coroutines, so the backends are
    kept per thread instead, as Django keeps database connections."""
    caches.thread_critical = True
    caches._connections = Local(thread_critical=True)  # type: ignore[attr-defined]


def build(bind: str | None = None) -> Built:
    """A configured, not yet started server: the apps' services, health per service, reflection,
    each method `served`, message and stream limits, TLS when a certificate is configured."""
    keep_caches_per_thread()
    database.install()
    initial_metadata.install()
    limit = settings.GRPC_MAX_MESSAGE_BYTES
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.GRPC_MAX_WORKERS, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
            ("grpc.max_concurrent_streams", settings.GRPC_MAX_CONCURRENT_STREAMS),
        ],
        maximum_concurrent_rpcs=settings.GRPC_MAX_CONCURRENT_RPCS,
    )
    registering = cast(grpc.Server, _Served(server))
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, registering)
    services = register_app_servicers(registering)
    for name in ["", *services]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        [*services, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], registering
    )
    address = bind or settings.GRPC_BIND
    credentials = _credentials()
    port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"cannot bind the gRPC server to {address}")
    logger.info("grpc services: %s (%s)", ", ".join(services) or "(health only)", "TLS" if credentials else "plaintext")
    return Built(server, port, health_servicer, services)


def build_server(bind: str | None = None) -> tuple[grpc.Server, int]:
    """A configured, not yet started server and the port it is bound to."""
    built = build(bind)
    return built.server, built.port


def stop_gracefully(built: Built, grace: float) -> None:
    """Health answers NOT_SERVING at once (load balancers stop sending), new calls are refused,
    calls in flight get `grace` seconds to finish (streams are cancelled then)."""
    built.health.enter_graceful_shutdown()
    built.server.stop(grace).wait()
