import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from config.grpc_server import build, stop_gracefully
from config.observability import init_process
from core.roles import GRPC, claim_role


class Command(BaseCommand):
    help = "Serve the gRPC endpoints of the domain apps (and the standard health service)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", help="host:port (default: settings.GRPC_BIND)")
        parser.add_argument("--grace", type=float, default=10.0, help="seconds to finish calls on stop")

    def handle(self, *args: Any, **options: Any) -> None:
        init_process(claim_role(GRPC))  # tracing patches grpc.server, so before build()
        built = build(options["bind"])
        built.server.start()
        self.stdout.write(f"gRPC server listening on port {built.port}: {', '.join(built.services)}")
        stopping = threading.Event()

        def stop(signum: int, frame: Any) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        stopping.wait()
        self.stdout.write("gRPC server stopping")
        stop_gracefully(built, options["grace"])
