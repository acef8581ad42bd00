"""Throwaway servers for tests and benchmarks, on 127.0.0.1: PostgreSQL from Debian's
packages and a Spark Connect server from pyspark's own jars.

:class:`LocalPostgres` makes a cluster in a fresh folder under /tmp with ``initdb``, starts it
on a free port of 55400-55499 and removes it on ``stop()``. PostgreSQL refuses to run as root
(as CI does), so there it runs as the unprivileged user ``nobody`` through ``runuser``; the
folder is made outside pytest's private temporary tree so that user can enter it.

:class:`LocalSparkConnect` runs Spark's Connect server (``spark-submit --class
...SparkConnectServer`` from pyspark's ``bin/``, local[2], nothing downloaded) in a process
group of its own, on free ports of 18200-18299, and kills the group on ``stop()``.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PORTS = range(55400, 55500)
USER = "forcestat"


def postgres_bin() -> Path | None:
    """Folder of Debian's newest PostgreSQL server binaries (or those on PATH), or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port(taken: set[int] | None = None, ports: range = PORTS) -> int:
    """A port of ``ports`` (55400-55499) nothing listens on now (a random start, so that two
    test workers starting servers at once rarely pick the same one)."""
    start = (os.getpid() * 7) % len(ports)
    for i in range(len(ports)):
        port = ports[(start + i) % len(ports)]
        if taken and port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


class LocalPostgres:
    """A PostgreSQL server of our own in a temporary folder; ``url`` connects to it."""

    def __init__(self, *, durable: bool = False, shared_buffers: str = "128MB") -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql)")
        self.bin = bindir
        self.durable = durable
        self.shared_buffers = shared_buffers
        self.dir = Path(tempfile.mkdtemp(prefix="forcestat-pg-", dir="/tmp"))
        self.data = self.dir / "data"
        self.port = 0
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse root
            shutil.chown(self.dir, user="nobody")
            self.as_user = ["runuser", "-u", "nobody", "--"]

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_user, *args], check=check, capture_output=True, text=True, cwd=self.dir
        )

    def start(self) -> LocalPostgres:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        settings = [
            "listen_addresses=127.0.0.1",
            f"unix_socket_directories={self.dir}",
            f"shared_buffers={self.shared_buffers}",
            "max_connections=40",
        ]
        if not self.durable:  # a test server: no need to survive a power cut
            settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        taken: set[int] = set()
        for _attempt in range(5):
            self.port = free_port(taken)
            opts = " ".join(f"-c {s}" for s in settings) + f" -p {self.port}"
            done = self._run(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                opts,
                "-l",
                str(self.dir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if done.returncode == 0:
                return self
            taken.add(self.port)  # another process took the port first: try the next
            time.sleep(0.5)
        log = (self.dir / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{log}")

    def create_database(self, name: str) -> str:
        """Create database ``name`` (dropping any of that name) and return its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            con.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def stop(self) -> None:
        if self.port:
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop", check=False
            )
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


CONNECT_PORTS = range(18200, 18300)
CONNECT_SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"


def spark_connect_jar() -> Path | None:
    """pyspark's Spark Connect server jar, or None (pyspark missing, or built without it)."""
    try:
        import pyspark
    except ImportError:
        return None
    jars = sorted((Path(pyspark.__file__).parent / "jars").glob("spark-connect_*.jar"))
    return jars[-1] if jars else None


class LocalSparkConnect:
    """A Spark Connect server of our own (``local[2]``); ``url`` is its ``sc://`` address.

    Its working folder is a fresh one under /tmp, so a client that hands it a relative path
    would be caught; its JVM runs in ``timezone`` (a force's cluster is rarely in UTC), so a
    client that does not set Spark's session time zone would be caught too.
    """

    def __init__(self, *, timezone: str = "Europe/London", memory: str = "1g") -> None:
        import pyspark

        self.submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
        self.timezone = timezone
        self.memory = memory
        self.dir = Path(tempfile.mkdtemp(prefix="forcestat-sc-", dir="/tmp"))
        self.log = self.dir / "server.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        taken: set[int] = set()
        ports = []
        for _ in range(3):  # Connect's gRPC, the driver's RPC, the block manager
            ports.append(free_port(taken, CONNECT_PORTS))
            taken.add(ports[-1])
        self.port, driver, blocks = ports
        conf = {
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.ui.enabled": "false",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.port": str(driver),
            "spark.blockManager.port": str(blocks),
            "spark.port.maxRetries": "8",
            "spark.ui.showConsoleProgress": "false",
        }
        args = [str(self.submit), "--master", "local[2]", "--driver-memory", self.memory]
        args += ["--driver-java-options", f"-Duser.timezone={self.timezone}"]
        for k, v in conf.items():
            args += ["--conf", f"{k}={v}"]
        return [*args, "--class", CONNECT_SERVER, "spark-internal"]

    def start(self, timeout: float = 180.0) -> LocalSparkConnect:
        env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "TZ": self.timezone}
        env["SPARK_HOME"] = str(self.submit.parent.parent)  # pyspark's jars, not another Spark
        for name in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "PYSPARK_SUBMIT_ARGS"):
            env.pop(name, None)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends the JVM too
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with socket.socket() as s:
                s.settimeout(1)
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.5)
        tail = self.log.read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"the Spark Connect server did not start on {self.port}:\n{tail}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> LocalSparkConnect:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
