"""Throwaway servers for tests and benchmarks: PostgreSQL from Debian's packages, on 127.0.0.1.

:class:`LocalPostgres` makes a cluster in a fresh folder under /tmp with ``initdb``, starts it
on a free port of 55400-55499 and removes it on ``stop()``. PostgreSQL refuses to run as root
(as CI does), so there it runs as the unprivileged user ``nobody`` through ``runuser``; the
folder is made outside pytest's private temporary tree so that user can enter it.
"""

from __future__ import annotations

import glob
import os
import shutil
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


def free_port(taken: set[int] | None = None) -> int:
    """A port of 55400-55499 nothing listens on now (a random start, so that two test
    workers starting servers at once rarely pick the same one)."""
    start = (os.getpid() * 7) % len(PORTS)
    for i in range(len(PORTS)):
        port = PORTS[(start + i) % len(PORTS)]
        if taken and port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 55400-55499")


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
