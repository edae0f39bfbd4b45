"""Protobuf contracts (gRPC services and domain event payloads) and the Python code generated from them."""
