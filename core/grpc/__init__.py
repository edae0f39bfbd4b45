"""What every app's gRPC servicers share: the caller of the current call and what it may do
(calls.py), domain errors as gRPC statuses with rich details (errors.py), page tokens (pages.py)
and idempotency keys (idempotency.py). The server itself is assembled in config/grpc_server.py.

No `register()` here: config.grpc_server registers the servicers of the domain apps only.
"""
