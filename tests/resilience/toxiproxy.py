"""Toxiproxy (scripts/services starts it on 127.0.0.1:8474) through its HTTP API: proxies of this
test run in front of the real PostgreSQL, Redis and Kafka, which the tests cut, slow down and
restore. The real services are never stopped: other test runs share them.

Each proxy gets a unique name and a free port (Toxiproxy picks it), so parallel test workers and
worktrees never share one; `close()` deletes it.
"""

import contextlib
import json
import os
import socket
import urllib.error
import urllib.request
import uuid
from typing import Any

UPSTREAMS = {"postgres": "127.0.0.1:5432", "redis": "127.0.0.1:6379", "kafka": "127.0.0.1:9092"}


def api_url() -> str:
    return os.environ.get("TOXIPROXY_URL", "http://127.0.0.1:8474").rstrip("/")


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{api_url()}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        reason = exc.read().decode(errors="replace")
        raise RuntimeError(f"Toxiproxy refused {method} {path}: {exc.code} {reason}") from exc
    except urllib.error.URLError as exc:
        raise RuntimeError(f"Toxiproxy at {api_url()} does not answer ({exc}); run `scripts/services up`") from exc
    return json.loads(raw) if raw.strip() else None


# Kafka tells its clients where to connect next, so a proxy in front of 9092 would see only the
# bootstrap: the broker's OUTAGE listener (deploy/kafka/server.properties) advertises 19094 instead,
# and the one proxy listening there carries all of a client's traffic.
KAFKA_OUTAGE_LISTEN = "127.0.0.1:19094"
KAFKA_OUTAGE_UPSTREAM = "127.0.0.1:9094"


class Proxy:
    def __init__(self, service: str, label: str = "", listen: str = "127.0.0.1:0", upstream: str = "") -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.name = f"test-{label or service}-{worker}-{uuid.uuid4().hex[:8]}"
        self.upstream = upstream or UPSTREAMS[service]
        created = _call(
            "POST", "/proxies", {"name": self.name, "listen": listen, "upstream": self.upstream, "enabled": True}
        )
        self.port = int(str(created["listen"]).rsplit(":", 1)[1])
        self.toxics: list[str] = []

    def cut(self) -> None:
        """The service is gone: open connections are closed, new ones refused."""
        _call("POST", f"/proxies/{self.name}", {"enabled": False})

    def restore(self) -> None:
        """The service is back and healthy: connections accepted, every toxic removed."""
        for toxic in self.toxics:
            _call("DELETE", f"/proxies/{self.name}/toxics/{toxic}")
        self.toxics.clear()
        _call("POST", f"/proxies/{self.name}", {"enabled": True})

    def _toxic(self, kind: str, attributes: dict[str, Any], stream: str = "downstream") -> None:
        name = f"{kind}-{len(self.toxics)}"
        _call(
            "POST",
            f"/proxies/{self.name}/toxics",
            {"name": name, "type": kind, "stream": stream, "attributes": attributes},
        )
        self.toxics.append(name)

    def latency(self, ms: int, jitter: int = 0) -> None:
        """Every answer of the service arrives `ms` later."""
        self._toxic("latency", {"latency": ms, "jitter": jitter})

    def reset_connections(self) -> None:
        """Connections are reset (TCP RST) as soon as data flows."""
        self._toxic("reset_peer", {"timeout": 0})

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, urllib.error.HTTPError):  # already gone
            _call("DELETE", f"/proxies/{self.name}")


def kafka_outage_proxy() -> Proxy:
    """The proxy of the broker's OUTAGE listener: a client bootstrapped at KAFKA_OUTAGE_LISTEN loses
    Kafka when it is cut, and no one else does. One per machine at a time (the broker fixes its port)."""
    host, port = KAFKA_OUTAGE_UPSTREAM.split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as exc:
        raise RuntimeError(
            f"Kafka does not listen on {KAFKA_OUTAGE_UPSTREAM}: it was started before deploy/kafka/server.properties"
            " had the OUTAGE listener; run `scripts/services down kafka && scripts/services up kafka`"
        ) from exc
    return Proxy("kafka", label="kafka-outage", listen=KAFKA_OUTAGE_LISTEN, upstream=KAFKA_OUTAGE_UPSTREAM)
