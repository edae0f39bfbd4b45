"""scripts/gen_proto: the committed generated code matches the .proto files, and the check notices
when it does not."""

import importlib
import shutil
import subprocess
from pathlib import Path

from tests.support import REPO

GEN_PROTO = REPO / "scripts" / "gen_proto"


def gen_proto(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GEN_PROTO), *args], capture_output=True, text=True, timeout=120, check=False)


def test_generated_code_is_fresh() -> None:
    result = gen_proto("--check")
    assert result.returncode == 0, f"run scripts/gen_proto and commit the result:\n{result.stderr}"


def test_every_generated_module_imports_with_the_installed_runtime() -> None:
    # The generated code refuses a protobuf runtime older than the protoc that produced it.
    modules = sorted((REPO / "proto").rglob("*_pb2.py"))
    assert modules
    for path in modules:
        relative = path.relative_to(REPO)
        module = importlib.import_module(".".join(relative.with_suffix("").parts))
        assert module.DESCRIPTOR.name == relative.as_posix().replace("_pb2.py", ".proto")


def copy_of_the_contracts(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "proto", root / "proto", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_check_fails_on_stale_missing_and_orphaned_code_and_regeneration_fixes_it(tmp_path: Path) -> None:
    root = copy_of_the_contracts(tmp_path)
    assert gen_proto("--check", "--root", str(root)).returncode == 0

    orders = root / "proto/events/v1/orders.proto"
    orders.write_text(
        orders.read_text().replace(
            "  google.protobuf.Timestamp cancelled_at = 5;\n",
            "  google.protobuf.Timestamp cancelled_at = 5;\n  string note = 6;\n",
        )
    )
    (root / "proto/events/v1/users_pb2.pyi").unlink()
    (root / "proto/events/v1/gone_pb2.py").write_text("# left over from a deleted gone.proto\n")

    result = gen_proto("--check", "--root", str(root))
    assert result.returncode == 1
    assert "stale     proto/events/v1/orders_pb2.py" in result.stderr
    assert "stale     proto/events/v1/orders_pb2.pyi" in result.stderr
    assert "missing   proto/events/v1/users_pb2.pyi" in result.stderr
    assert "orphaned  proto/events/v1/gone_pb2.py" in result.stderr
    assert "payments_pb2" not in result.stderr
    assert "Run scripts/gen_proto" in result.stderr
    # --check changes nothing
    assert not (root / "proto/events/v1/users_pb2.pyi").exists()

    assert gen_proto("--root", str(root)).returncode == 0
    assert "note" in (root / "proto/events/v1/orders_pb2.pyi").read_text()
    assert not (root / "proto/events/v1/gone_pb2.py").exists()
    assert gen_proto("--check", "--root", str(root)).returncode == 0


def test_files_that_declare_a_service_also_get_grpc_code(tmp_path: Path) -> None:
    root = copy_of_the_contracts(tmp_path)
    (root / "proto/echo.proto").write_text(
        'syntax = "proto3";\npackage commerce.echo.v1;\n'
        "message Ping { string text = 1; }\n"
        "service Echo {\n  rpc Say(Ping) returns (Ping);\n}\n"
    )
    assert gen_proto("--check", "--root", str(root)).returncode == 1
    assert gen_proto("--root", str(root)).returncode == 0
    assert "class EchoStub" in (root / "proto/echo_pb2_grpc.py").read_text()
    assert not list((root / "proto/events").rglob("*_pb2_grpc.py"))
    assert gen_proto("--check", "--root", str(root)).returncode == 0


def test_a_proto_that_does_not_compile_fails_the_check(tmp_path: Path) -> None:
    root = copy_of_the_contracts(tmp_path)
    users = root / "proto/events/v1/users.proto"
    users.write_text(users.read_text().replace("string email = 2;", "string email = 1;", 1))
    result = gen_proto("--check", "--root", str(root))
    assert result.returncode == 2
    assert "users.proto" in result.stderr
    assert "protoc failed" in result.stderr
