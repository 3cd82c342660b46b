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

The file itself (lock, connections, index rows, creation and upgrade) is handled by
:class:`app.store._gpkg_file.GeoPackageFile`, the tables' encoding by :mod:`app.store._gpkg_sql`; the
rules and the public API common to every backend by :class:`app.store._base.BaseWorkspace`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd

from app.store import _gpkg_sql
from app.store._gpkg_file import GeoPackageFile
from app.store._records import INDEX, REPAIR_HINT, STATE, TABLE_PREFIX, Row, TableGone
from app.store._upkeep import Findings
from geo import WorkspaceDamaged
from geo.settings import LOCAL_USER, workspace_path

logger = logging.getLogger(__name__)


class Workspace(GeoPackageFile):
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

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r}, user={self.user!r})"

    @property
    def location(self) -> str:
        return repr(str(self.path))

    # ------------------------------------------------------------------ reading
    def _all_rows(self) -> list[Row]:
        if not self.path.exists():
            return []
        with self._connect() as conn:
            return self._select(conn)

    def _rows(self) -> list[Row]:
        return [r for r in self._all_rows() if self._sees(r)]

    def _row(self, name: str) -> Row | None:
        if not self.path.exists():
            return None
        with self._connect() as conn:
            return self._select_one(conn, name)

    def _read_in(self, conn: sqlite3.Connection, row: Row) -> gpd.GeoDataFrame:
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
            return self._read_in(conn, current)

    def _generation(self) -> int:
        if not self.path.exists():
            return 0
        with self._connect() as conn:
            if STATE not in self._tables(conn):
                return 0
            return int(conn.execute(f"SELECT generation FROM {STATE}").fetchone()[0])

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def _writing_row(self, name: str) -> Iterator[tuple[sqlite3.Connection, Row | None]]:
        with self.locked():
            self._prepare()
            with self._transaction() as conn:
                yield conn, self._select_one(conn, name)

    def _write_table(
        self, conn: sqlite3.Connection, table: str, frame: gpd.GeoDataFrame, *, name: str
    ) -> dict[str, str] | None:
        return _gpkg_sql.write_table(conn, table, frame, description=name)

    def _visible(self, conn: sqlite3.Connection, name: str) -> Row:
        row = self._select_one(conn, name)
        if row is None or not self._sees(row):
            raise self._missing(name)
        return row

    def _drop(self, name: str) -> None:
        if not self.path.exists():
            raise self._missing(name)
        with self.locked(), self._transaction() as conn:
            row = self._visible(conn, name)
            self._writable(row, name, action="delete")
            self._unlist(conn, name)
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
                self._update_row(conn, name, {"shared": int(shared)})
                self._bump(conn)

    # ------------------------------------------------------------------ check and repair
    def _diagnose(self, conn: sqlite3.Connection) -> Findings:
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
        return self._findings(conn, rows, tables, layer_tables, has_index=has_index)

    def _examine(self) -> Findings | str:
        """What :meth:`_diagnose` finds in the file, or why the file cannot be read."""
        try:
            with self._connect() as conn:
                return self._diagnose(conn)
        except WorkspaceDamaged as exc:
            return str(exc).split(f"; {REPAIR_HINT}")[0]

    def _check(self) -> list[str]:
        with self.locked():
            problems = [
                f"temporary file {tmp.name!r} was left by an interrupted write" for tmp in self._temp_files()
            ]
            if not self.path.exists():
                return problems
            found = self._examine()
            if isinstance(found, str):
                return [*problems, found]
            if not found.has_index:
                problems.append(f"workspace {self.location}: the index table {INDEX!r} is missing")
            return problems + self._problems(found)

    def _repair(self) -> list[str]:
        with self.locked():
            fixes = self._clean_temp_files()
            if not self.path.exists():
                return fixes
            found = self._examine()
            if isinstance(found, str):
                return fixes + self._move_aside(found)
            if not found.has_index:
                with self._transaction() as conn:
                    self._add_index(conn)
                fixes.append(f"recreated the missing index table {INDEX!r}")
            fixes += self._prepare()
            with self._transaction() as conn:
                fixes += self._fix(conn, found)
                if fixes:
                    self._bump(conn)
            for line in fixes:
                logger.warning("workspace %s: repair: %s", self.location, line)
            return fixes

    def _fix(self, conn: sqlite3.Connection, found: Findings) -> list[str]:
        """Fix what :meth:`_diagnose` found (inside the caller's transaction); what was done."""
        fixes = self._unlist_missing(conn, found)
        names = self._names_in(conn)
        fixes += self._relist_orphans(conn, found, names)
        fixes += self._recount(conn, found)
        return fixes + self._rename_all_reserved(conn)
