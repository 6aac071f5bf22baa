"""A throw-away PostgreSQL server on a temporary directory and a free port (tests, benchmarks,
trying the warehouse path on a laptop).

It runs the server binaries of the machine (Debian: ``apt-get install postgresql``; they live
in ``/usr/lib/postgresql/<version>/bin``) with ``initdb`` and ``pg_ctl``: trust authentication
on 127.0.0.1 only, no fsync (the data die with the directory). PostgreSQL refuses to run as
root; as root the server runs as the ``postgres`` system user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import PostgresUnavailable


def server_bin_dir() -> Path:
    """Folder holding ``initdb`` and ``pg_ctl``: on the PATH, else the newest Debian install."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if versions:
        return Path(versions[-1]).parent
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl): install them, e.g. "
        "`apt-get install postgresql` on Debian"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def temporary_postgres(database: str = "salesops"):
    """Start a PostgreSQL server, yield its SQLAlchemy URL, stop it and delete its files.

    Examples
    --------
    >>> from salesops_models.warehouse.local_server import temporary_postgres
    >>> with temporary_postgres() as url:                 # doctest: +SKIP
    ...     print(url)
    postgresql+psycopg://salesops@127.0.0.1:54321/salesops
    """
    bindir = server_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="salesops-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    log = root / "server.log"

    def run(cmd: list[str]) -> None:
        done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True)
        if done.returncode:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{tail}"
            )

    try:
        run([str(bindir / "initdb"), "-D", str(data), "-U", "salesops", "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync"])  # fmt: skip
        opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        opts += " -c synchronous_commit=off -c full_page_writes=off"
        run([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "start"])
        try:
            run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "salesops",
                 database])  # fmt: skip
            yield f"postgresql+psycopg://salesops@127.0.0.1:{port}/{database}"
        finally:
            subprocess.run(
                _as_server_user(
                    [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
                ),
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
