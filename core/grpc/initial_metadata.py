"""A unary call's initial metadata (the request id) sent with its response, not on its own.

`ServicerContext.send_initial_metadata` starts a batch of its own: one more HTTP/2 HEADERS frame
written by the server, read by the client, and one more completion for grpcio's Python server
loop. A bare grpcio server that sent one 16-byte header that way spent about 20% more CPU per call
and its clients about 10% more (docs/decisions/0081). grpcio sends the initial metadata with the
response and status anyway when none was sent before; it just has no public way to add to it. So
the metadata is kept on the call's state and grpcio's `_get_initial_metadata` (through which every
initial metadata goes: the response's, an abort's, a servicer's own `send_initial_metadata`) adds
it, once.

Where that hook is not there (another grpcio, a context wrapped by tracing), the metadata is sent
at once, as before: the client sees the same metadata either way."""

from collections.abc import Callable
from typing import Any

import grpc
from grpc import _server as grpc_server_internals

Metadata = tuple[tuple[str, str], ...]

_ATTRIBUTE = "commerce_initial_metadata"
_original: Callable[[Any, Any], Any] | None = getattr(grpc_server_internals, "_get_initial_metadata", None)
_installed = False


def _with_kept(state: Any, metadata: Any) -> Any:
    kept = getattr(state, _ATTRIBUTE, None)
    if kept is not None:
        setattr(state, _ATTRIBUTE, None)
        metadata = kept if metadata is None else (*kept, *metadata)
    assert _original is not None
    return _original(state, metadata)


def install() -> bool:
    """Hooks grpcio (once per process); False where it cannot (the metadata is then sent alone)."""
    global _installed
    if _original is None:
        return False
    grpc_server_internals._get_initial_metadata = _with_kept
    _installed = True
    return True


def send_with_response(context: grpc.ServicerContext, metadata: Metadata) -> None:
    """`metadata` goes out with the call's first message or its status, whichever comes first."""
    state = getattr(context, "_state", None)
    if _installed and state is not None and getattr(state, "initial_metadata_allowed", False):
        setattr(state, _ATTRIBUTE, metadata)
    else:
        context.send_initial_metadata(metadata)
