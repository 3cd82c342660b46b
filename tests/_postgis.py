"""A throwaway PostgreSQL 15 + PostGIS 3 cluster for the tests (Debian's packages, `make postgis`).

``initdb`` runs in a temporary folder; the server listens only on a unix socket in that folder (on a
free port number, so that it can never meet another cluster) and is stopped and removed afterwards.
PostgreSQL refuses to run as root: as root, the cluster runs as the ``postgres`` system user that the
Debian package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
DATABASE = "atlas"


def missing() -> str | None:
    """Why no cluster can be started here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"{PG_BIN / 'initdb'} is missing (`make postgis` installs postgresql-15)"
    if not POSTGIS_CONTROL.exists():
        return f"{POSTGIS_CONTROL} is missing (`make postgis` installs postgresql-15-postgis-3)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, but there is no 'postgres' system user to run the cluster as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], *, as_user: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    if as_user:
        cmd = ["runuser", "-u", as_user, "--", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, cwd=cwd)
    if result.returncode != 0:
        msg = f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        raise RuntimeError(msg)
    return result


@contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster with a PostGIS database; yield its SQLAlchemy URL; stop and remove it."""
    as_user = "postgres" if os.geteuid() == 0 else None
    # /tmp, not pytest's tmp_path: the postgres user cannot enter root's private pytest folders
    root = Path(tempfile.mkdtemp(prefix="mineral-atlas-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if as_user:
        account = pwd.getpwnam(as_user)
        for path in (root, sockets):
            os.chown(path, account.pw_uid, account.pw_gid)
    user = as_user or pwd.getpwuid(os.geteuid()).pw_name
    port = _free_port()
    started = False
    try:
        _run(
            [str(PG_BIN / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"],
            as_user=as_user,
            cwd=root,
        )
        options = f"-c listen_addresses='' -c unix_socket_directories={sockets} -p {port} -c fsync=off"
        _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "server.log"),
                "-w",
                "start",
            ],
            as_user=as_user,
            cwd=root,
        )
        started = True
        psql = [
            str(PG_BIN / "psql"),
            "-h",
            str(sockets),
            "-p",
            str(port),
            "-U",
            user,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
        ]
        _run([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DATABASE}"], as_user=as_user, cwd=root)
        _run([*psql, "-d", DATABASE, "-c", "CREATE EXTENSION postgis"], as_user=as_user, cwd=root)
        yield f"postgresql://{user}@/{DATABASE}?host={sockets}&port={port}"
    finally:
        if started:
            _run(
                [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                as_user=as_user,
                cwd=root,
            )
        shutil.rmtree(root, ignore_errors=True)
