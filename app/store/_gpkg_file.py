"""The workspace's GeoPackage file: its write lock, connections, layout and upgrades.

Writers hold an exclusive ``fcntl`` lock on ``<workspace>.lock`` beside the file (waiting at most the lock
timeout, then :class:`geo.WorkspaceBusy`); every change is one ``BEGIN IMMEDIATE`` transaction, rolled
back when anything in it fails. The file is created beside its final place and renamed into it; an
index written by an earlier version (one layer per name, no owners) is upgraded in place on the next
write; a file that is no database is moved aside by the repair, never deleted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.store import _gpkg_sql
from app.store._base import BaseWorkspace
from app.store._records import INDEX, REPAIR_HINT, STATE, Row
from geo import LayerError, WorkspaceBusy, WorkspaceDamaged
from geo.settings import LOCAL_USER

logger = logging.getLogger(__name__)

#: Metadata tables that name a layer table in their ``table_name`` column (children first).
_META_TABLES = (
    "gpkg_geometry_columns",
    "gpkg_extensions",
    "gpkg_ogr_contents",
    "gpkg_data_columns",
    "gpkg_metadata_reference",
    "gpkg_contents",
)
_INDEX_DDL = (
    f"CREATE TABLE {INDEX} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name TEXT NOT NULL, "
    "table_name TEXT NOT NULL, kind TEXT NOT NULL, source TEXT, saved_at TEXT, features INTEGER, owner TEXT, "
    "shared BOOLEAN, title TEXT, column_names TEXT)"
)
#: Columns added to an index written by earlier versions (one GeoPackage layer per name, no owners).
_LEGACY_ADDED = {
    "table_name": "TEXT",
    "owner": "TEXT",
    "shared": "BOOLEAN",
    "title": "TEXT",
    "column_names": "TEXT",
}
#: Bytes the WAL file is cut back to after a large write.
_WAL_LIMIT_BYTES = 64 * 1024 * 1024
#: Page cache of a write transaction, KiB (large layers write faster with a larger cache).
_CACHE_KIB = 64 * 1024

_q = _gpkg_sql.q


class GeoPackageFile(BaseWorkspace):
    """The file of a GeoPackage workspace: its lock, connections, index rows and layout."""

    #: The GeoPackage.
    path: Path
    #: The lock file serialising writers (beside the workspace).
    lock_path: Path

    # ------------------------------------------------------------------ lock
    @contextlib.contextmanager
    def _acquire(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o664)
        try:
            deadline = time.monotonic() + self.lock_timeout_s
            pause = 0.002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        msg = (
                            f"workspace {self.location}: busy (another save has held it for more than "
                            f"{self.lock_timeout_s:g} s); try again"
                        )
                        raise WorkspaceBusy(msg) from None
                    time.sleep(min(pause, left))
                    pause = min(pause * 2, 0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ connections
    def _damaged(self, exc: BaseException | str) -> WorkspaceDamaged:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        msg = f"workspace {self.location}: not readable ({reason}); it was left as it is; {REPAIR_HINT}"
        return WorkspaceDamaged(msg)

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection to the file (autocommit: transactions are explicit); errors become LayerErrors.

        An open transaction is rolled back when the block raises.
        """
        uri = self.path.resolve().as_uri() + ("?mode=rw" if write else "?mode=ro")
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=self.lock_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._damaged(exc) from None
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
                msg = f"workspace {self.location}: busy ({text}); try again"
                raise WorkspaceBusy(msg) from None
            if write and not any(
                k in text for k in ("malformed", "not a database", "no such table: workspace")
            ):
                msg = f"workspace {self.location}: could not be written ({text}); it is unchanged"
                raise LayerError(msg) from None
            raise self._damaged(exc) from None
        finally:
            if conn.in_transaction:
                conn.rollback()
            conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), rolled back when the block raises."""
        with self._connect(write=True) as conn:
            conn.execute(f"PRAGMA journal_size_limit = {_WAL_LIMIT_BYTES}")
            conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")

    @staticmethod
    def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({_q(table)})")]

    @staticmethod
    def _tables(conn: sqlite3.Connection) -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _select(self, conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()) -> list[Row]:
        columns = set(self._columns(conn, INDEX))
        if not columns:
            msg = (
                f"workspace {self.location}: not a Mineral Atlas workspace (no {INDEX} table); {REPAIR_HINT}"
            )
            raise WorkspaceDamaged(msg)

        def col(name: str, default: str) -> str:
            return _q(name) if name in columns else default

        sql = (
            f"SELECT name, {col('table_name', 'name')}, kind, source, saved_at, features, "
            f"{col('owner', '?')}, {col('shared', '1')}, {col('title', 'name')}, "
            f"{col('column_names', 'NULL')} "
            f"FROM {INDEX} {where} ORDER BY fid"
        )
        args = ((LOCAL_USER,) if "owner" not in columns else ()) + params
        return [
            Row(
                name=name,
                table=table or name,
                kind=kind or "import",
                source=source or "",
                saved_at=saved_at or "",
                features=int(features or 0),
                owner=owner or LOCAL_USER,
                shared=bool(shared),
                title=title or name,
                columns=json.loads(cols) if cols else None,
            )
            for name, table, kind, source, saved_at, features, owner, shared, title, cols in conn.execute(
                sql, args
            )
        ]

    def _select_one(self, conn: sqlite3.Connection, name: str) -> Row | None:
        rows = self._select(conn, "WHERE name = ?", (name,))
        return rows[0] if rows else None

    def _names_in(self, conn: sqlite3.Connection) -> set[str]:
        return {r[0] for r in conn.execute(f"SELECT name FROM {INDEX}")}

    # ------------------------------------------------------------------ index rows and tables
    def _insert_row(self, conn: sqlite3.Connection, values: dict[str, Any]) -> None:
        conn.execute(
            f"INSERT INTO {INDEX} ({', '.join(map(_q, values))}) VALUES ({', '.join('?' for _ in values)})",
            tuple(values.values()),
        )

    def _update_row(self, conn: sqlite3.Connection, name: str, values: dict[str, Any]) -> None:
        conn.execute(
            f"UPDATE {INDEX} SET {', '.join(f'{_q(c)} = ?' for c in values)} WHERE name = ?",
            (*values.values(), name),
        )

    def _unlist(self, conn: sqlite3.Connection, name: str) -> None:
        conn.execute(f"DELETE FROM {INDEX} WHERE name = ?", (name,))

    def _count(self, conn: sqlite3.Connection, table: str) -> int:
        return int(conn.execute(f"SELECT COUNT(*) FROM {_q(table)}").fetchone()[0])

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        conn.execute(f"UPDATE {STATE} SET generation = generation + 1")

    def _drop_table(self, conn: sqlite3.Connection, table: str) -> None:
        """Drop a layer table with its R-tree and GeoPackage metadata (inside the caller's transaction)."""
        tables = self._tables(conn)
        if "gpkg_geometry_columns" in tables:
            for (column,) in conn.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)", (table,)
            ).fetchall():
                conn.execute(f"DROP TABLE IF EXISTS {_q(f'rtree_{table}_{column}')}")
        conn.execute(f"DROP TABLE IF EXISTS {_q(table)}")
        for meta in _META_TABLES:
            if meta in tables:
                conn.execute(f"DELETE FROM {meta} WHERE lower(table_name) = lower(?)", (table,))

    # ------------------------------------------------------------------ layout
    def _temp_files(self) -> list[Path]:
        """Temporary files of interrupted writes (this version's and earlier versions')."""
        if not self.path.parent.exists():
            return []
        return sorted(self.path.parent.glob(f".{self.path.name}.*"))

    def _clean_temp_files(self) -> list[str]:
        done = []
        for tmp in self._temp_files():
            tmp.unlink(missing_ok=True)
            done.append(f"removed the temporary file {tmp.name!r} left by an interrupted write")
            logger.warning("workspace %s: %s", self.location, done[-1])
        return done

    def _create(self) -> None:
        """Create an empty workspace file (written beside it, then renamed into place)."""
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:12]}.gpkg")
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                _gpkg_sql.create_skeleton(conn)
                self._add_index(conn)
                conn.execute("PRAGMA journal_mode=WAL")
            finally:
                conn.close()
            os.replace(tmp, self.path)
        finally:
            for leftover in self.path.parent.glob(f"{tmp.name}*"):
                leftover.unlink(missing_ok=True)
        logger.info("workspace %s: created", self.location)

    def _add_index(self, conn: sqlite3.Connection) -> None:
        """The index table, registered in the GeoPackage, with its unique indexes and the generation table."""
        conn.execute(_INDEX_DDL)
        _gpkg_sql.register_attributes(conn, INDEX, "Mineral Atlas: the layers of the workspace")
        self._add_schema(conn)

    @staticmethod
    def _add_schema(conn: sqlite3.Connection) -> None:
        """Unique indexes of the index table and the generation table (idempotent)."""
        conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX}_name ON {INDEX}(name)")
        conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX}_table_name ON {INDEX}(table_name)")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {STATE} (generation INTEGER NOT NULL)")
        if conn.execute(f"SELECT COUNT(*) FROM {STATE}").fetchone()[0] == 0:
            conn.execute(f"INSERT INTO {STATE} (generation) VALUES (0)")
        _gpkg_sql.register_attributes(conn, STATE, "Mineral Atlas: generation of the workspace")

    def _upgrade(self, conn: sqlite3.Connection) -> list[str]:
        """Bring an index written by an earlier version to the current layout (inside a transaction)."""
        columns = self._columns(conn, INDEX)
        missing = [c for c in _LEGACY_ADDED if c not in columns]
        done: list[str] = []
        if missing:
            for column in missing:
                conn.execute(f"ALTER TABLE {INDEX} ADD COLUMN {_q(column)} {_LEGACY_ADDED[column]}")
            # earlier versions had one user and showed every layer to everybody: keep showing them
            conn.execute(
                f"UPDATE {INDEX} SET table_name = COALESCE(table_name, name), owner = COALESCE(owner, ?), "
                "shared = COALESCE(shared, 1), title = COALESCE(title, name)",
                (LOCAL_USER,),
            )
            done.append(f"upgraded the index of an earlier version (layers owned by {LOCAL_USER!r}, shared)")
        self._add_schema(conn)
        return done + self._rename_all_reserved(conn)

    def _rename_all_reserved(self, conn: sqlite3.Connection) -> list[str]:
        """Rename every layer named like a built-in layer, in the order of the names; what was done."""
        names = self._names_in(conn)
        return self._rename_reserved(conn, [n for n in sorted(names) if self.is_reserved(n)], names)

    def _prepare(self) -> list[str]:
        """Under the lock: remove stale temporary files, create or upgrade the file. What was done."""
        done = self._clean_temp_files()
        if not self.path.exists():
            self._create()
            return done
        with self._connect(write=True) as conn:
            columns = self._columns(conn, INDEX)
            if not columns:
                self._select(conn)  # raises: not a workspace
            if not set(_LEGACY_ADDED) <= set(columns) or STATE not in self._tables(conn):
                conn.execute("BEGIN IMMEDIATE")
                upgraded = self._upgrade(conn)
                self._bump(conn)
                conn.execute("COMMIT")
                for line in upgraded:
                    logger.warning("workspace %s: %s", self.location, line)
                done += upgraded
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                try:  # readers that never wait; needs a moment without readers, so tried on every write
                    conn.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError as exc:
                    logger.info(
                        "workspace %s: stays in rollback-journal mode for now (%s)", self.location, exc
                    )
        return done

    def _move_aside(self, reason: str) -> list[str]:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.stem}.damaged-{stamp}{self.path.suffix}")
        os.replace(self.path, target)
        for suffix in ("-wal", "-shm", "-journal"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
        return [
            f"moved the damaged workspace ({reason}) to {str(target)!r}; a new one is created on the "
            "next save"
        ]
