"""The embedded workspace: one GeoPackage written as a database.

Layout of the file
------------------
``workspace_index``
    One row per layer: ``name`` (any text, stored as data), ``table_name`` (the internal table,
    ``ws_<32 hex digits>``), ``kind``, ``source``, ``saved_at``, ``features``, ``owner``, ``shared``,
    ``title``, ``column_names`` (JSON: stored column name -> original, where SQLite needed another).
    Unique on ``name`` and on ``table_name``.
``workspace_state``
    One row: ``generation``, raised by every committed change (the cache key of readers).
``ws_<hex>``
    One standard GeoPackage feature table per layer (with its R-tree index up to
    :data:`app.store._gpkg_sql.RTREE_MAX_FEATURES` features), never changed once written:
    replacing a layer writes a new table.

How a write stays whole
-----------------------
Writers hold an exclusive ``fcntl`` lock on ``<workspace>.lock`` beside the file (waiting at most the lock
timeout, then :class:`geo.WorkspaceBusy`). A save is ONE SQLite transaction: the new table, its
index row, the drop of the table it replaces and the new generation commit together or not at all, so
the index and the tables cannot disagree and a killed process leaves nothing half-written. Nothing
else in the file is rewritten: saving 2 features costs the same beside a 450,000-feature layer as alone.
The file is in SQLite's WAL mode: readers take no lock and read one consistent snapshot.

The file is read and written with Python's ``sqlite3`` only, never through GDAL in the same process
(see :mod:`app.store._gpkg_sql` for why); GDAL, QGIS and pyogrio read it as any GeoPackage.

This module is the one backend class (about 600 lines) and stays whole: its lock, connections,
transactions, check and repair work on the same file and the same index and are only safe read
together; the table encoding is already apart, in :mod:`app.store._gpkg_sql`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from app.store import _gpkg_sql
from app.store._base import REPAIR_HINT, BaseWorkspace, Row, TableGone, now_iso
from geo import LayerError, WorkspaceBusy, WorkspaceDamaged
from geo.settings import LOCAL_USER, WGS84, workspace_path

logger = logging.getLogger(__name__)

INDEX = "workspace_index"
STATE = "workspace_state"
#: Prefix of the internal layer tables.
TABLE_PREFIX = "ws_"
#: GeoPackage, SQLite and GDAL tables that are no layer.
_SYSTEM_PREFIXES = ("gpkg_", "rtree_", "sqlite_", "gdal_")
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


class Workspace(BaseWorkspace):
    """Named layers of a team kept in one GeoPackage, safe for concurrent writers of many processes.

    Parameters
    ----------
    path : path, optional
        The GeoPackage; default :func:`geo.settings.workspace_path` (env ``MINERAL_ATLAS_WORKSPACE``).
        Created on the first save; a workspace written by an earlier version is upgraded in place.
    user : str, keyword-only
        Who reads and writes (default the local user of a single-person installation).
    reserved, lock_timeout_s
        See :class:`app.store._base.BaseWorkspace`.

    Examples
    --------
    >>> ws = Workspace("/tmp/ws.gpkg", user="alice")  # doctest: +SKIP
    >>> ws.save("Reasi blocks <draft>", gdf, kind="analysis", shared=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        user: str = LOCAL_USER,
        reserved: Any = None,
        lock_timeout_s: float | None = None,
    ) -> None:
        super().__init__(user=user, reserved=reserved, lock_timeout_s=lock_timeout_s)
        self.path = Path(path) if path is not None else workspace_path()
        #: The lock file serialising writers (beside the workspace).
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._held = threading.local()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r}, user={self.user!r})"

    @property
    def location(self) -> str:
        return repr(str(self.path))

    # ------------------------------------------------------------------ lock
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the workspace's write lock; re-entrant within one thread of this object.

        Raises
        ------
        WorkspaceBusy
            When another writer holds it for longer than ``lock_timeout_s``.
        """
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
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
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
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

    # ------------------------------------------------------------------ reading
    def _all_rows(self) -> list[Row]:
        if not self.path.exists():
            return []
        with self._connect() as conn:
            return self._select(conn)

    def _rows(self) -> list[Row]:
        return [r for r in self._all_rows() if r.owner == self.user or r.shared]

    def _row(self, name: str) -> Row | None:
        if not self.path.exists():
            return None
        with self._connect() as conn:
            return self._select_one(conn, name)

    def _read_table(self, conn: sqlite3.Connection, row: Row) -> gpd.GeoDataFrame:
        try:
            gdf = _gpkg_sql.read_table(conn, row.table)
        except KeyError:
            raise TableGone(row.table) from None
        if row.columns:
            gdf = gdf.rename(columns=dict(row.columns))
        return gdf

    def _read(self, row: Row) -> gpd.GeoDataFrame:
        with self._connect() as conn:
            conn.execute("BEGIN")  # one snapshot: the row and its table as committed together
            current = self._select_one(conn, row.name)
            if current is None or current.table != row.table:
                raise TableGone(row.table)
            return self._read_table(conn, current)

    def _generation(self) -> int:
        if not self.path.exists():
            return 0
        with self._connect() as conn:
            if STATE not in self._tables(conn):
                return 0
            return int(conn.execute(f"SELECT generation FROM {STATE}").fetchone()[0])

    # ------------------------------------------------------------------ writing
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
                conn.execute(_INDEX_DDL)
                _gpkg_sql.register_attributes(conn, INDEX, "Mineral Atlas: the layers of the workspace")
                self._add_schema(conn)
                conn.execute("PRAGMA journal_mode=WAL")
            finally:
                conn.close()
            os.replace(tmp, self.path)
        finally:
            for leftover in self.path.parent.glob(f"{tmp.name}*"):
                leftover.unlink(missing_ok=True)
        logger.info("workspace %s: created", self.location)

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
        return done + self._rename_reserved(conn)

    def _rename_reserved(self, conn: sqlite3.Connection) -> list[str]:
        done = []
        names = {r[0] for r in conn.execute(f"SELECT name FROM {INDEX}")}
        for name in sorted(names):
            if not self.is_reserved(name):
                continue
            new, n = f"{name} (saved)", 1
            while new in names or self.is_reserved(new):
                n += 1
                new = f"{name} (saved {n})"
            conn.execute(f"UPDATE {INDEX} SET name = ?, title = ? WHERE name = ?", (new, new, name))
            names.add(new)
            done.append(f"renamed layer {name!r} to {new!r}: {name!r} is a built-in layer's name")
        return done

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

    def _put(self, name: str, frame: gpd.GeoDataFrame, meta: dict[str, Any], *, append: bool) -> None:
        with self.locked():
            self._prepare()
            with self._transaction() as conn:
                row = self._select_one(conn, name)
                self._writable(row, name, action="append to" if append else "replace")
                if append and row is not None:
                    try:
                        old = self._read_table(conn, row)
                    except TableGone:
                        msg = f"workspace {self.location}: layer {name!r} has no table; {REPAIR_HINT}"
                        raise WorkspaceDamaged(msg) from None
                    frame = gpd.GeoDataFrame(pd.concat([old, frame], ignore_index=True), crs=WGS84)
                shared = meta["shared"] if meta["shared"] is not None else bool(row and row.shared)
                title = meta["title"] or (row.title if append and row is not None else name)
                table = f"{TABLE_PREFIX}{uuid.uuid4().hex}"
                mapping = _gpkg_sql.write_table(conn, table, frame, description=name)
                values = {
                    "table_name": table,
                    "kind": meta["kind"],
                    "source": meta["source"],
                    "saved_at": now_iso(),
                    "features": len(frame),
                    "owner": meta["owner"],
                    "shared": int(shared),
                    "title": title,
                    "column_names": json.dumps(mapping) if mapping else None,
                }
                if row is None:
                    cols = ["name", *values]
                    conn.execute(
                        f"INSERT INTO {INDEX} ({', '.join(map(_q, cols))}) "
                        f"VALUES ({', '.join('?' for _ in cols)})",
                        (name, *values.values()),
                    )
                else:
                    conn.execute(
                        f"UPDATE {INDEX} SET {', '.join(f'{_q(c)} = ?' for c in values)} WHERE name = ?",
                        (*values.values(), name),
                    )
                    self._drop_table(conn, row.table)
                self._bump(conn)

    def _visible(self, conn: sqlite3.Connection, name: str) -> Row:
        row = self._select_one(conn, name)
        if row is None or not (row.owner == self.user or row.shared):
            raise self._missing(name)
        return row

    def _drop(self, name: str) -> None:
        if not self.path.exists():
            raise self._missing(name)
        with self.locked(), self._transaction() as conn:
            row = self._visible(conn, name)
            self._writable(row, name, action="delete")
            conn.execute(f"DELETE FROM {INDEX} WHERE name = ?", (name,))
            self._drop_table(conn, row.table)
            self._bump(conn)

    def _set_shared(self, name: str, shared: bool) -> None:
        if not self.path.exists():
            raise self._missing(name)
        with self.locked():
            self._prepare()
            with self._transaction() as conn:
                row = self._visible(conn, name)
                self._writable(row, name, action="share" if shared else "stop sharing")
                conn.execute(f"UPDATE {INDEX} SET shared = ? WHERE name = ?", (int(shared), name))
                self._bump(conn)

    # ------------------------------------------------------------------ check and repair
    def _diagnose(self, conn: sqlite3.Connection) -> dict[str, Any]:
        """What is inconsistent between the index and the tables (read-only)."""
        status = conn.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {status}")
        tables = self._tables(conn)
        if "gpkg_contents" not in tables:
            raise sqlite3.DatabaseError("a SQLite file, but not a GeoPackage")
        has_index = INDEX in tables
        rows = self._select(conn) if has_index else []
        registered = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")} & tables
        layer_tables = (registered | {t for t in tables if t.startswith(TABLE_PREFIX)}) - {INDEX, STATE}
        counts = []
        for r in rows:
            if r.table in tables:
                n = conn.execute(f"SELECT COUNT(*) FROM {_q(r.table)}").fetchone()[0]
                if n != r.features:
                    counts.append((r, n))
        return {
            "has_index": has_index,
            "missing": [r for r in rows if r.table not in tables],
            "orphans": sorted(layer_tables - {r.table for r in rows}),
            "counts": counts,
            "reserved": [r for r in rows if self.is_reserved(r.name)],
        }

    def _check(self) -> list[str]:
        with self.locked():
            problems = [
                f"temporary file {tmp.name!r} was left by an interrupted write" for tmp in self._temp_files()
            ]
            if not self.path.exists():
                return problems
            try:
                with self._connect() as conn:
                    found = self._diagnose(conn)
            except WorkspaceDamaged as exc:
                return [*problems, str(exc).split(f"; {REPAIR_HINT}")[0]]
            if not found["has_index"]:
                problems.append(f"workspace {self.location}: the index table {INDEX!r} is missing")
            problems += [
                f"layer {r.name!r} (owner {r.owner!r}) is in the index but its table {r.table!r} is missing"
                for r in found["missing"]
            ]
            problems += [f"table {t!r} holds no layer of the index" for t in found["orphans"]]
            problems += [
                f"layer {r.name!r}: the index counts {r.features} features, its table holds {n}"
                for r, n in found["counts"]
            ]
            problems += [f"layer {r.name!r} has the name of a built-in layer" for r in found["reserved"]]
            return problems

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

    def _repair(self) -> list[str]:
        with self.locked():
            fixes = self._clean_temp_files()
            if not self.path.exists():
                return fixes
            try:
                with self._connect() as conn:
                    found = self._diagnose(conn)
            except WorkspaceDamaged as exc:
                return fixes + self._move_aside(str(exc).split(f"; {REPAIR_HINT}")[0])
            if not found["has_index"]:
                with self._transaction() as conn:
                    conn.execute(_INDEX_DDL)
                    _gpkg_sql.register_attributes(conn, INDEX, "Mineral Atlas: the layers of the workspace")
                    self._add_schema(conn)
                fixes.append(f"recreated the missing index table {INDEX!r}")
            fixes += self._prepare()
            with self._transaction() as conn:
                fixes += self._fix(conn, found)
                if fixes:
                    self._bump(conn)
            for line in fixes:
                logger.warning("workspace %s: repair: %s", self.location, line)
            return fixes

    def _fix(self, conn: sqlite3.Connection, found: dict[str, Any]) -> list[str]:
        """Fix what :meth:`_diagnose` found (inside the caller's transaction); what was done."""
        fixes = []
        for r in found["missing"]:
            conn.execute(f"DELETE FROM {INDEX} WHERE name = ?", (r.name,))
            fixes.append(
                f"removed layer {r.name!r} (owner {r.owner!r}) from the index: its table was missing"
            )
        names = {r[0] for r in conn.execute(f"SELECT name FROM {INDEX}")}
        for table in found["orphans"]:
            # a save is one transaction, so a table without its row lost the row to some damage: keep it
            base = f"recovered {table}" if table.startswith(TABLE_PREFIX) else table
            name, n = base, 1
            while name in names or self.is_reserved(name):
                n += 1
                name = f"{base} ({n})"
            names.add(name)
            count = conn.execute(f"SELECT COUNT(*) FROM {_q(table)}").fetchone()[0]
            conn.execute(
                f"INSERT INTO {INDEX} "
                "(name, table_name, kind, source, saved_at, features, owner, shared, title) "
                "VALUES (?, ?, 'import', ?, ?, ?, ?, 0, ?)",
                (name, table, f"recovered table {table}", now_iso(), count, LOCAL_USER, name),
            )
            fixes.append(f"listed table {table!r} again as layer {name!r} (owner {LOCAL_USER!r}, not shared)")
        for r, n in found["counts"]:
            conn.execute(f"UPDATE {INDEX} SET features = ? WHERE name = ?", (n, r.name))
            fixes.append(f"layer {r.name!r}: corrected the feature count from {r.features} to {n}")
        return fixes + self._rename_reserved(conn)
