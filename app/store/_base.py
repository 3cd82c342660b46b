"""What every workspace backend shares: the user, the rules for names, the public API, how a layer is written.

A backend implements the storage primitives (``_rows``, ``_row``, ``_read``, ``_read_in``,
``_writing_row``, ``_write_table``, ``_insert_row``, ``_update_row``, ``_unlist``, ``_drop_table``,
``_bump``, ``_drop``, ``_set_shared``, ``_generation``, ``_acquire``, and for maintenance ``_count``,
``_check``, ``_repair``); this class turns them into the public methods and holds every rule that does
not depend on where the layers are kept. The index row, the rules for names and the frame as stored are
in :mod:`app.store._records`; check and repair in :mod:`app.store._upkeep`.
"""

from __future__ import annotations

import abc
import contextlib
import json
import logging
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import geopandas as gpd
import pandas as pd

from app.store._records import (
    INDEX_COLUMNS,
    KINDS,
    MAX_NAME_CHARS,
    REPAIR_HINT,
    TABLE_PREFIX,
    Row,
    TableGone,
    normalize_name,
    now_iso,
    plain_frame,
    reserved_key,
)
from app.store._upkeep import Upkeep
from geo import LayerError, LayerPermissionError, WorkspaceDamaged
from geo.settings import BUILTIN_LAYERS, LOCAL_USER, WGS84, WORKSPACE_LOCK_TIMEOUT_S

logger = logging.getLogger(__name__)


class BaseWorkspace(Upkeep):
    """Named layers of one team: each user's own, plus those others shared (read-only).

    Parameters
    ----------
    user : str, keyword-only
        Who reads and writes: the owner of what they save.
    reserved : iterable of str, keyword-only, optional
        Names no layer may take (compared without case and surrounding spaces); default
        :data:`geo.settings.BUILTIN_LAYERS`.
    lock_timeout_s : float, keyword-only, optional
        Seconds a write waits for another one before :class:`geo.WorkspaceBusy`; default
        :data:`geo.settings.WORKSPACE_LOCK_TIMEOUT_S`.
    """

    def __init__(
        self,
        *,
        user: str = LOCAL_USER,
        reserved: Iterable[str] | None = None,
        lock_timeout_s: float | None = None,
    ) -> None:
        if not isinstance(user, str) or not user.strip():
            msg = f"user: expected a non-empty user name, got {user!r}"
            raise LayerError(msg)
        self.user = user
        self.reserved = tuple(BUILTIN_LAYERS if reserved is None else reserved)
        self._reserved_keys = frozenset(reserved_key(r) for r in self.reserved)
        self.lock_timeout_s = WORKSPACE_LOCK_TIMEOUT_S if lock_timeout_s is None else float(lock_timeout_s)
        self._held = threading.local()  # depth of locked() in this thread

    # ------------------------------------------------------------------ backend primitives
    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the workspace lives, for messages (a path, or a URL without its password)."""

    @abc.abstractmethod
    def _rows(self) -> list[Row]:
        """The rows this user may see (own or shared), in saving order."""

    @abc.abstractmethod
    def _row(self, name: str) -> Row | None:
        """The row of layer ``name`` whoever owns it, or None."""

    @abc.abstractmethod
    def _read(self, row: Row) -> gpd.GeoDataFrame:
        """The table of ``row``; raises :class:`TableGone` when it does not exist."""

    @abc.abstractmethod
    def _read_in(self, conn: Any, row: Row) -> gpd.GeoDataFrame:
        """The table of ``row`` read through ``conn``; raises :class:`TableGone` when it does not exist."""

    @abc.abstractmethod
    def _writing_row(self, name: str) -> contextlib.AbstractContextManager[tuple[Any, Row | None]]:
        """A write transaction in which no other writer changes layer ``name``, committed at the end.

        Yields the connection and the index row of ``name`` (None when there is none).
        """

    @abc.abstractmethod
    def _write_table(
        self, conn: Any, table: str, frame: gpd.GeoDataFrame, *, name: str
    ) -> dict[str, str] | None:
        """Write ``frame`` as the new table ``table`` of layer ``name``.

        Returns stored column name -> original for the columns stored under another name, or None.
        """

    @abc.abstractmethod
    def _drop_table(self, conn: Any, table: str) -> None:
        """Drop a layer table (its index row stays)."""

    @abc.abstractmethod
    def _bump(self, conn: Any) -> None:
        """Raise the generation (the last step of every change)."""

    @abc.abstractmethod
    def _drop(self, name: str) -> None:
        """Remove layer ``name`` (index row and table) in one transaction."""

    @abc.abstractmethod
    def _set_shared(self, name: str, shared: bool) -> None:
        """Set the shared flag of layer ``name``."""

    @abc.abstractmethod
    def _generation(self) -> int:
        """A number that changes with every committed change."""

    @abc.abstractmethod
    def _acquire(self) -> contextlib.AbstractContextManager[None]:
        """Take the workspace's write lock across processes, released at the end.

        Writers of other processes wait at most ``lock_timeout_s``, then raise :class:`geo.WorkspaceBusy`.
        """

    # ------------------------------------------------------------------ rules
    def is_reserved(self, name: str) -> bool:
        """Whether ``name`` is a built-in layer's name (case and surrounding spaces ignored)."""
        return reserved_key(name) in self._reserved_keys

    def validate_name(self, name: object) -> str:
        """``name`` normalised, or :class:`LayerError` saying why it cannot be a layer name."""
        name = normalize_name(name)
        if not name.strip():
            msg = f"name: {name!r} cannot be a workspace layer name (it is empty)"
            raise LayerError(msg)
        if len(name) > MAX_NAME_CHARS:
            msg = (
                f"name: {name[:40]!r}... is {len(name)} characters long; at most {MAX_NAME_CHARS} are allowed"
            )
            raise LayerError(msg)
        control = [c for c in name if unicodedata.category(c) in ("Cc", "Cs")]
        if control:
            msg = (
                f"name: {name!r} cannot be a workspace layer name (it holds control character {control[0]!r})"
            )
            raise LayerError(msg)
        if self.is_reserved(name):
            msg = (
                f"name: {name!r} is the name of a built-in layer ({', '.join(self.reserved)} are reserved); "
                "save it under another name"
            )
            raise LayerError(msg)
        return name

    def unique_name(self, name: str) -> str:
        """``name`` if a layer may be saved under it, else the first free ``"name (2)"``, ``"name (3)"``...

        Taken names include other users' private layers (whose owners are not revealed) and built-in
        layer names.
        """
        base = normalize_name(name).strip() or "layer"
        base = base[: MAX_NAME_CHARS - 8]
        candidate, n = base, 1
        while self.is_reserved(candidate) or self._row(candidate) is not None:
            n += 1
            candidate = f"{base} ({n})"
        return candidate

    def _writable(self, row: Row | None, name: str, *, action: str) -> None:
        """Raise unless this user may ``action`` (replace, append to, delete, share) layer ``name``."""
        if row is None or row.owner == self.user:
            return
        if row.shared:
            msg = (
                f"layer {name!r} belongs to {row.owner!r} and is shared read-only: you cannot {action} it"
                + ("; save a copy under another name" if action in ("replace", "append to") else "")
            )
        else:
            msg = f"name: {name!r} is taken by a layer of another user; save it under another name"
        raise LayerPermissionError(msg)

    def _sees(self, row: Row | None) -> bool:
        """Whether this user sees the layer of ``row`` (own or shared); False for None."""
        return row is not None and (row.owner == self.user or row.shared)

    def _missing(self, name: str, names: list[str] | None = None) -> LayerError:
        """The error for a layer ``name`` this user does not see, listing ``names`` (default: all seen)."""
        names = self.names() if names is None else names
        shown = ", ".join(map(repr, names[:20])) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        return LayerError(f"workspace: no layer {name!r}; saved layers: {shown or 'none'}")

    # ------------------------------------------------------------------ lock
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the workspace's write lock; re-entrant within one thread of this object.

        Writers of every process wait until it is released.

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
        with self._acquire():
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    # ------------------------------------------------------------------ reading
    def index(self) -> pd.DataFrame:
        """One row per layer this user sees (own and shared), in saving order.

        Columns ``name``, ``kind``, ``source``, ``saved_at`` (ISO 8601 UTC), ``features``, ``owner``,
        ``shared`` (bool) and ``title``.
        """
        rows = [r.public() for r in self._rows()]
        frame = pd.DataFrame(rows, columns=list(INDEX_COLUMNS))
        return frame.astype({"features": "int64", "shared": "bool"})

    def names(self) -> list[str]:
        """Names of the layers this user sees, in saving order."""
        return [r.name for r in self._rows()]

    def version(self) -> int:
        """A number that changes whenever any layer is saved, replaced, shared or deleted (cache key)."""
        return self._generation()

    def load(self, name: str) -> gpd.GeoDataFrame:
        """The layer ``name`` (EPSG:4326), own or shared.

        Raises
        ------
        LayerError
            When this user has no such layer (other users' private layers do not exist for them).
        WorkspaceDamaged
            When the index names a table that is missing.
        """
        name = normalize_name(name)
        seen: str | None = None
        for _ in range(5):
            row = self._row(name)
            if row is None or not self._sees(row):
                raise self._missing(name)
            if row.table == seen:
                break  # the same table twice: it is really missing
            seen = row.table
            try:
                gdf = self._read(row)
            except TableGone:
                continue  # replaced or deleted meanwhile: look again
            gdf.attrs["name"] = name
            return gdf
        msg = (
            f"workspace {self.location}: layer {name!r} is in the index but its table is missing; "
            f"{REPAIR_HINT}"
        )
        raise WorkspaceDamaged(msg)

    def load_all(self) -> dict[str, gpd.GeoDataFrame]:
        """Every layer this user sees, by name."""
        out: dict[str, gpd.GeoDataFrame] = {}
        for name in self.names():
            try:
                out[name] = self.load(name)
            except WorkspaceDamaged:
                raise
            except LayerError:
                continue  # deleted by its owner meanwhile
        return out

    # ------------------------------------------------------------------ writing
    def save(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str = "import",
        source: str = "",
        title: str | None = None,
        shared: bool = False,
    ) -> None:
        """Save layer ``name``, or replace this user's layer of that name, in one transaction.

        Parameters
        ----------
        name : str
            Any text (markup, spaces and Unicode are kept as data) except a built-in layer's name.
        gdf : geopandas.GeoDataFrame
            Features in any CRS (it must have one); stored in EPSG:4326.
        kind : str, keyword-only
            One of :data:`KINDS`.
        source : str, keyword-only
            Where the features came from (a file name, an analysis).
        title : str, keyword-only, optional
            Title shown to users; default the name.
        shared : bool, keyword-only
            Whether other users see the layer (read-only).

        Raises
        ------
        LayerError
            For an empty, reserved or over-long name, an unknown kind, or a frame that cannot be stored.
        LayerPermissionError
            When another user's layer has this name.
        WorkspaceBusy
            When another write holds the workspace longer than the lock timeout.
        CRSError
            When ``gdf`` has no CRS.
        """
        self._write(name, gdf, kind=kind, source=source, title=title, shared=shared, append=False)

    def append(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str = "candidates",
        source: str = "",
        title: str | None = None,
        shared: bool | None = None,
    ) -> None:
        """Add features to this user's layer ``name`` (created when absent), in one transaction.

        ``shared`` None keeps the layer's sharing as it is (not shared when new). Raises as :meth:`save`.
        """
        self._write(name, gdf, kind=kind, source=source, title=title, shared=shared, append=True)

    def _write(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str,
        source: str,
        title: str | None,
        shared: bool | None,
        append: bool,
    ) -> None:
        name = self.validate_name(name)
        if kind not in KINDS:
            msg = f"kind: expected one of {', '.join(KINDS)}, got {kind!r}"
            raise LayerError(msg)
        frame = plain_frame(gdf, name=name)
        meta = {
            "kind": kind,
            "source": str(source or ""),
            "title": None if title is None else str(title),
            "shared": None if shared is None else bool(shared),
            "owner": self.user,
        }
        self._put(name, frame, meta, append=append)
        logger.info(
            "workspace %s: %s %r (%d features) for %s",
            self.location,
            "appended to" if append else "saved",
            name,
            len(frame),
            self.user,
        )

    def _put(self, name: str, frame: gpd.GeoDataFrame, meta: dict[str, Any], *, append: bool) -> None:
        """Write ``frame`` as layer ``name`` (appended to its rows when ``append``) in one transaction.

        The layer gets a new table; its index row then names it and the table it replaces is dropped,
        all in the same transaction, so readers see the old layer or the new one and never a mix.
        """
        with self._writing_row(name) as (conn, row):
            self._writable(row, name, action="append to" if append else "replace")
            if append and row is not None:
                try:
                    old = self._read_in(conn, row)
                except TableGone:
                    msg = f"workspace {self.location}: layer {name!r} has no table; {REPAIR_HINT}"
                    raise WorkspaceDamaged(msg) from None
                frame = gpd.GeoDataFrame(pd.concat([old, frame], ignore_index=True), crs=WGS84)
            shared = meta["shared"] if meta["shared"] is not None else bool(row and row.shared)
            title = meta["title"] or (row.title if append and row is not None else name)
            table = f"{TABLE_PREFIX}{uuid.uuid4().hex}"
            mapping = self._write_table(conn, table, frame, name=name)
            values = {
                "table_name": table,
                "kind": meta["kind"],
                "source": meta["source"],
                "saved_at": now_iso(),
                "features": len(frame),
                "owner": meta["owner"],
                "shared": shared,
                "title": title,
                "column_names": json.dumps(mapping) if mapping else None,
            }
            if row is None:
                self._insert_row(conn, {"name": name, **values})
            else:
                self._update_row(conn, name, values)
                self._drop_table(conn, row.table)
            self._bump(conn)

    def delete(self, name: str) -> None:
        """Remove this user's layer ``name``.

        Raises
        ------
        LayerError
            When this user sees no such layer.
        LayerPermissionError
            When the layer is another user's (shared) layer.
        """
        self._drop(normalize_name(name))
        logger.info("workspace %s: deleted %r for %s", self.location, name, self.user)

    def share(self, name: str, shared: bool = True) -> None:
        """Share this user's layer ``name`` with the team (read-only for them), or stop sharing it."""
        self._set_shared(normalize_name(name), bool(shared))
