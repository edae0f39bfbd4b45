"""Tests of the protobuf contracts, their generated code and the event registry."""
