"""The team workspace: layers in PostgreSQL/PostGIS (``MINERAL_ATLAS_DATABASE_URL=postgresql://...``).

Layout in the database (schema :data:`geo.settings.DATABASE_SCHEMA`, ``mineral_atlas``)
------------------------------------------------------------------------------------
``workspace_index``
    One row per layer: ``name`` (unique, any text), ``table_name`` (``ws_<32 hex digits>``), ``kind``,
    ``source``, ``saved_at``, ``features``, ``owner``, ``shared``, ``title``, ``column_names`` (JSON:
    stored column name -> original, for column names PostgreSQL cannot hold as they are).
``workspace_state``
    One row: ``generation``, raised by every committed change (the cache key of readers).
``ws_<hex>``
    One table per layer written by geopandas ``to_postgis`` (COPY): a ``geometry`` column (SRID 4326)
    with a GiST spatial index, an indexed ``_ws_row`` column keeping the order of the features.

Every change is one transaction: the new table, the index row, the drop of the table it replaces and
the new generation commit together or not at all (PostgreSQL's DDL is transactional), so the index
and the tables cannot disagree. Writers of one layer name are serialised by a transaction-level
advisory lock on the name (waiting at most the lock timeout, then :class:`geo.WorkspaceBusy`);
maintenance (check, repair, :meth:`PostGISWorkspace.locked`) takes the whole workspace exclusively.

The rules, the public API and how a layer is written are common to both backends
(:class:`app.store._base.BaseWorkspace`); this module holds the PostgreSQL side: connections, locks,
the schema and the SQL of each primitive.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from app.store._base import BaseWorkspace
from app.store._records import INDEX, STATE, Row, TableGone
from app.store._upkeep import Findings
from geo import LayerError, WorkspaceBusy
from geo.settings import DATABASE_SCHEMA, LOCAL_USER, WGS84

logger = logging.getLogger(__name__)

#: Column keeping the order of the features of a layer table.
ROW = "_ws_row"
#: Longest identifier PostgreSQL keeps, in bytes (longer ones are cut).
MAX_IDENTIFIER_BYTES = 63

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_READY: set[tuple[str, str]] = set()


def engine_for(url: str) -> Engine:
    """One pooled SQLAlchemy engine per URL and process, on psycopg 3."""
    parsed = sa.engine.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    key = parsed.render_as_string(hide_password=False)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
        return _ENGINES[key]


def dispose_engines() -> None:
    """Close every pooled connection of this process (tests, shutdown)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
        _READY.clear()


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None)


class PostGISWorkspace(BaseWorkspace):
    """Named layers of a team in a PostgreSQL/PostGIS database.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database`` (psycopg 3 is used; unix sockets as
        ``postgresql://user@/database?host=/run/postgresql``). PostGIS must be installed in the database
        (``CREATE EXTENSION postgis``, done here when the user may).
    user : str, keyword-only
        Who reads and writes.
    schema : str, keyword-only
        Schema holding the workspace (created on the first save when missing).
    reserved, lock_timeout_s
        See :class:`app.store._base.BaseWorkspace`.
    """

    def __init__(
        self,
        url: str,
        *,
        user: str = LOCAL_USER,
        schema: str = DATABASE_SCHEMA,
        reserved: Any = None,
        lock_timeout_s: float | None = None,
    ) -> None:
        super().__init__(user=user, reserved=reserved, lock_timeout_s=lock_timeout_s)
        try:
            self.engine = engine_for(url)
        except (sa.exc.ArgumentError, ValueError) as exc:
            msg = f"MINERAL_ATLAS_DATABASE_URL: not a database URL ({exc})"
            raise LayerError(msg) from None
        #: The URL without its password (for messages and logs).
        self.url = self.engine.url.render_as_string(hide_password=True)
        self.schema = schema

    def __repr__(self) -> str:
        return f"PostGISWorkspace({self.url!r}, user={self.user!r})"

    @property
    def location(self) -> str:
        return repr(self.url)

    # ------------------------------------------------------------------ SQL helpers
    def _q(self, table: str) -> str:
        prep = self.engine.dialect.identifier_preparer
        return f"{prep.quote_identifier(self.schema)}.{prep.quote_identifier(table)}"

    def _error(self, exc: BaseException, *, name: str | None = None) -> LayerError:
        state = _sqlstate(exc)
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        if state == "55P03":  # lock_not_available: lock_timeout ran out
            msg = (
                f"workspace {self.location}: busy (another save has held "
                f"{'layer ' + repr(name) if name else 'it'} for more than {self.lock_timeout_s:g} s); "
                "try again"
            )
            return WorkspaceBusy(msg)
        if isinstance(exc, sa.exc.OperationalError) and state is None or state and state.startswith("08"):
            return LayerError(f"workspace {self.location}: the database cannot be reached ({reason})")
        if name is not None:
            return LayerError(f"layer {name!r}: could not be saved ({reason}); the workspace is unchanged")
        return LayerError(f"workspace {self.location}: {reason}")

    @contextlib.contextmanager
    def _connect(self, *, name: str | None = None) -> Iterator[Connection]:
        """A connection in a transaction (committed at the end); database errors become LayerErrors."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.DBAPIError as exc:
            raise self._error(exc, name=name) from None
        except sa.exc.TimeoutError as exc:  # every pooled connection in use for longer than the pool waits
            msg = f"workspace {self.location}: busy (no free database connection: {exc}); try again"
            raise WorkspaceBusy(msg) from None

    def _exists(self, conn: Connection, table: str) -> bool:
        return bool(
            conn.execute(sa.text("SELECT to_regclass(:t) IS NOT NULL"), {"t": self._q(table)}).scalar()
        )

    def _set_lock_timeout(self, conn: Connection) -> None:
        ms = max(1, int(self.lock_timeout_s * 1000))
        conn.execute(sa.text("SELECT set_config('lock_timeout', :v, true)"), {"v": f"{ms}ms"})

    def _lock_workspace(self, conn: Connection, *, shared: bool) -> None:
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        conn.execute(sa.text(f"SELECT {fn}(hashtextextended(:s, 0))"), {"s": f"mineral-atlas:{self.schema}"})

    def _lock_name(self, conn: Connection, name: str) -> None:
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:s), hashtext(:n))"),
            {"s": f"mineral-atlas:{self.schema}", "n": name},
        )

    @contextlib.contextmanager
    def _writing(self, name: str | None) -> Iterator[Connection]:
        """A write transaction: lock timeout set, the workspace held shared and ``name`` exclusively."""
        with self._connect(name=name) as conn:
            self._set_lock_timeout(conn)
            if not getattr(self._held, "depth", 0):
                self._lock_workspace(conn, shared=True)
            self._ensure(conn)
            if name is not None:
                self._lock_name(conn, name)
            yield conn

    @contextlib.contextmanager
    def _acquire(self) -> Iterator[None]:
        """Hold the whole workspace: writers of every process wait (then report busy) until released."""
        with self._connect() as conn:
            self._set_lock_timeout(conn)
            self._lock_workspace(conn, shared=False)
            yield

    def _ensure(self, conn: Connection) -> None:
        """Create the schema, index and state tables when missing (once per process and database)."""
        key = (self.url, self.schema)
        if key in _READY and self._exists(conn, INDEX):
            return
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended('mineral-atlas:ddl', 0))"))
        has_postgis = conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar()
        if not has_postgis:
            try:
                with conn.begin_nested():
                    conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            except sa.exc.DBAPIError as exc:
                msg = (
                    f"workspace {self.location}: PostGIS is not installed in this database and could not be "
                    f"added ({str(exc.orig).splitlines()[0]}); run `CREATE EXTENSION postgis` as its owner"
                )
                raise LayerError(msg) from None
        prep = self.engine.dialect.identifier_preparer
        if not conn.execute(
            sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": self.schema}
        ).scalar():
            conn.execute(sa.text(f"CREATE SCHEMA {prep.quote_identifier(self.schema)}"))
        conn.execute(
            sa.text(
                f"CREATE TABLE IF NOT EXISTS {self._q(INDEX)} ("
                "id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, table_name text NOT NULL UNIQUE, "
                "kind text NOT NULL, source text NOT NULL DEFAULT '', saved_at text NOT NULL, "
                "features bigint NOT NULL, owner text NOT NULL, shared boolean NOT NULL DEFAULT false, "
                "title text NOT NULL, column_names jsonb)"
            )
        )
        conn.execute(sa.text(f"CREATE INDEX IF NOT EXISTS workspace_index_owner ON {self._q(INDEX)} (owner)"))
        conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {self._q(STATE)} (generation bigint NOT NULL)"))
        conn.execute(
            sa.text(
                f"INSERT INTO {self._q(STATE)} (generation) SELECT 0 "
                f"WHERE NOT EXISTS (SELECT 1 FROM {self._q(STATE)})"
            )
        )
        _READY.add(key)

    # ------------------------------------------------------------------ reading
    _COLUMNS = "name, table_name, kind, source, saved_at, features, owner, shared, title, column_names"

    @staticmethod
    def _to_row(r: Any) -> Row:
        cols = r.column_names
        if isinstance(cols, str):
            cols = json.loads(cols)
        return Row(
            name=r.name,
            table=r.table_name,
            kind=r.kind,
            source=r.source,
            saved_at=r.saved_at,
            features=int(r.features),
            owner=r.owner,
            shared=bool(r.shared),
            title=r.title,
            columns=cols or None,
        )

    def _select(
        self,
        conn: Connection,
        where: str = "",
        params: dict[str, Any] | None = None,
        *,
        for_update: bool = False,
    ) -> list[Row]:
        if not self._exists(conn, INDEX):
            return []
        lock = " FOR UPDATE" if for_update else ""
        sql = f"SELECT {self._COLUMNS} FROM {self._q(INDEX)} {where} ORDER BY id{lock}"
        return [self._to_row(r) for r in conn.execute(sa.text(sql), params or {})]

    def _rows(self) -> list[Row]:
        with self._connect() as conn:
            return self._select(conn, "WHERE owner = :u OR shared", {"u": self.user})

    def _row(self, name: str) -> Row | None:
        with self._connect() as conn:
            rows = self._select(conn, "WHERE name = :n", {"n": name})
        return rows[0] if rows else None

    def _read_in(self, conn: Connection, row: Row) -> gpd.GeoDataFrame:
        try:
            with conn.begin_nested():
                gdf = gpd.read_postgis(
                    sa.text(f'SELECT * FROM {self._q(row.table)} ORDER BY "{ROW}"'), conn, geom_col="geometry"
                )
        except (sa.exc.ProgrammingError, pd.errors.DatabaseError) as exc:
            cause = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) else exc
            if cause is not None and _sqlstate(cause) == "42P01":  # undefined_table
                raise TableGone(row.table) from None
            if isinstance(cause, sa.exc.DBAPIError):
                raise cause from None
            raise
        gdf = gdf.drop(columns=[ROW])
        if row.columns:
            gdf = gdf.rename(columns=dict(row.columns))
        gdf = gdf.set_crs(WGS84, allow_override=True) if gdf.crs is None else gdf
        return gdf.reset_index(drop=True)

    def _read(self, row: Row) -> gpd.GeoDataFrame:
        with self._connect() as conn:
            return self._read_in(conn, row)

    def _generation(self) -> int:
        with self._connect() as conn:
            if not self._exists(conn, STATE):
                return 0
            return int(conn.execute(sa.text(f"SELECT generation FROM {self._q(STATE)}")).scalar() or 0)

    # ------------------------------------------------------------------ writing
    def _bump(self, conn: Connection) -> None:
        conn.execute(sa.text(f"UPDATE {self._q(STATE)} SET generation = generation + 1"))

    @staticmethod
    def _storable(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, str] | None]:
        """Column names PostgreSQL keeps as they are; the others renamed ``col_<i>`` (mapping returned)."""
        renames: dict[str, str] = {}
        for i, column in enumerate(frame.columns):
            if column == "geometry":
                continue
            if len(column.encode("utf-8")) > MAX_IDENTIFIER_BYTES or column == ROW or "\x00" in column:
                renames[column] = f"col_{i}"
        if not renames:
            return frame, None
        return frame.rename(columns=renames), {v: k for k, v in renames.items()}

    def _write_table(
        self, conn: Connection, table: str, frame: gpd.GeoDataFrame, *, name: str
    ) -> dict[str, str] | None:
        stored, mapping = self._storable(frame)
        stored = stored.reset_index(drop=True)
        stored.index.name = ROW
        stored.to_postgis(table, conn, schema=self.schema, index=True, if_exists="fail")
        prep = self.engine.dialect.identifier_preparer
        has_gist = conn.execute(
            sa.text(
                "SELECT 1 FROM pg_indexes "
                "WHERE schemaname = :s AND tablename = :t AND indexdef ILIKE '%USING gist%'"
            ),
            {"s": self.schema, "t": table},
        ).scalar()
        if not has_gist:
            conn.execute(
                sa.text(
                    f"CREATE INDEX {prep.quote_identifier(f'idx_{table}_geometry')} "
                    f"ON {self._q(table)} USING gist (geometry)"
                )
            )
        return mapping

    def _drop_table(self, conn: Connection, table: str) -> None:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {self._q(table)}"))

    @contextlib.contextmanager
    def _writing_row(self, name: str) -> Iterator[tuple[Connection, Row | None]]:
        with self._writing(name) as conn:
            rows = self._select(conn, "WHERE name = :n", {"n": name}, for_update=True)
            yield conn, rows[0] if rows else None

    @staticmethod
    def _placeholder(column: str) -> str:
        return "CAST(:column_names AS jsonb)" if column == "column_names" else f":{column}"

    def _insert_row(self, conn: Connection, values: dict[str, Any]) -> None:
        conn.execute(
            sa.text(
                f"INSERT INTO {self._q(INDEX)} ({', '.join(values)}) "
                f"VALUES ({', '.join(map(self._placeholder, values))})"
            ),
            values,
        )

    def _update_row(self, conn: Connection, name: str, values: dict[str, Any]) -> None:
        conn.execute(
            sa.text(
                f"UPDATE {self._q(INDEX)} "
                f"SET {', '.join(f'{k} = {self._placeholder(k)}' for k in values)} "
                "WHERE name = :_name"
            ),
            {**values, "_name": name},
        )

    def _unlist(self, conn: Connection, name: str) -> None:
        conn.execute(sa.text(f"DELETE FROM {self._q(INDEX)} WHERE name = :n"), {"n": name})

    def _count(self, conn: Connection, table: str) -> int:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {self._q(table)}")).scalar_one())

    def _owned(self, conn: Connection, name: str, *, action: str) -> Row:
        rows = self._select(conn, "WHERE name = :n", {"n": name}, for_update=True)
        row = rows[0] if rows else None
        if row is None or not self._sees(row):
            seen = self._select(conn, "WHERE owner = :u OR shared", {"u": self.user})
            raise self._missing(name, [r.name for r in seen])
        self._writable(row, name, action=action)
        return row

    def _drop(self, name: str) -> None:
        with self._writing(name) as conn:
            row = self._owned(conn, name, action="delete")
            self._unlist(conn, name)
            self._drop_table(conn, row.table)
            self._bump(conn)

    def _set_shared(self, name: str, shared: bool) -> None:
        with self._writing(name) as conn:
            self._owned(conn, name, action="share" if shared else "stop sharing")
            self._update_row(conn, name, {"shared": shared})
            self._bump(conn)

    # ------------------------------------------------------------------ check and repair
    def _diagnose(self, conn: Connection) -> Findings:
        rows = self._select(conn)
        tables = set(
            conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename LIKE 'ws\\_%'"),
                {"s": self.schema},
            ).scalars()
        )
        return self._findings(conn, rows, tables, tables)

    def _check(self) -> list[str]:
        with self.locked(), self._connect() as conn:
            found = self._diagnose(conn)
        return self._problems(found)

    def _repair(self) -> list[str]:
        with self.locked(), self._writing(None) as conn:
            found = self._diagnose(conn)
            names = {r.name for r in self._select(conn)}
            fixes = self._unlist_missing(conn, found)
            fixes += self._relist_orphans(conn, found, names)
            fixes += self._recount(conn, found)
            fixes += self._rename_reserved(conn, [r.name for r in found.reserved], names)
            if fixes:
                self._bump(conn)
        for line in fixes:
            logger.warning("workspace %s: repair: %s", self.location, line)
        return fixes
