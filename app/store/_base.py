"""What every workspace backend shares: the user, the rules for names, the frames it stores, the public API.

A backend implements the storage primitives (``_rows``, ``_row``, ``_read``, ``_put``, ``_drop``,
``_set_shared``, ``_check``, ``_repair``, ``_generation``, ``locked``); this class turns them into the
public methods and holds every rule that does not depend on where the layers are kept.

It stays one module (about 450 lines, most of it the one class): the rules a backend must not
bypass (names, owners, sharing, what a stored frame may hold) read best beside the public methods
that apply them.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import logging
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import LayerError, LayerPermissionError, WorkspaceDamaged
from geo.crs import to_wgs84
from geo.export import plain_properties
from geo.settings import BUILTIN_LAYERS, LOCAL_USER, WORKSPACE_LOCK_TIMEOUT_S

logger = logging.getLogger(__name__)

#: Kinds of saved layers.
KINDS: tuple[str, ...] = ("import", "candidates", "analysis")
#: Columns of :meth:`BaseWorkspace.index`, in order.
INDEX_COLUMNS: tuple[str, ...] = (
    "name",
    "kind",
    "source",
    "saved_at",
    "features",
    "owner",
    "shared",
    "title",
)
#: Longest layer name, in characters.
MAX_NAME_CHARS = 200
#: What the user runs to find and fix a damaged workspace.
REPAIR_HINT = "run `mineral-atlas workspace --check` to see what is wrong and `--repair` to fix it"


@dataclass(frozen=True)
class Row:
    """One layer of the index, as stored (``table`` is the internal table name, never shown to users)."""

    name: str
    table: str
    kind: str
    source: str
    saved_at: str
    features: int
    owner: str
    shared: bool
    title: str
    columns: Mapping[str, str] | None = None  # stored column name -> original, where they differ

    def public(self) -> dict[str, Any]:
        """The row as :meth:`BaseWorkspace.index` shows it."""
        return {c: getattr(self, c) for c in INDEX_COLUMNS}


class TableGone(Exception):
    """A layer's table vanished while it was read (replaced or deleted by another writer meanwhile)."""


def normalize_name(name: object) -> str:
    """``name`` as stored: text in Unicode NFC (so that two spellings of "café" are one layer)."""
    if not isinstance(name, str):
        msg = f"name: expected text, got {type(name).__name__} {name!r}"
        raise LayerError(msg)
    return unicodedata.normalize("NFC", name)


def _reserved_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second (``saved_at``)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def plain_frame(gdf: gpd.GeoDataFrame, *, name: str) -> gpd.GeoDataFrame:
    """``gdf`` as a workspace stores it: EPSG:4326, columns as text names, values every store can hold.

    Lists and dicts become JSON text, dates ISO text (:func:`geo.export.plain_properties`); a text
    column holding some numbers too is stored as text; true/false values with gaps stay booleans.
    The geometry column is called ``geometry``.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"layer {name!r}: expected a GeoDataFrame, got {type(gdf).__name__}"
        raise LayerError(msg)
    frame = plain_properties(to_wgs84(gdf, argument=f"layer {name!r}"))
    if frame.geometry.name != "geometry":
        if "geometry" in frame.columns:
            msg = f"layer {name!r}: a column named 'geometry' is not its geometry; rename that column"
            raise LayerError(msg)
        frame = frame.rename_geometry("geometry")
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        msg = f"layer {name!r}: columns {', '.join(map(repr, duplicated))} appear more than once"
        raise LayerError(msg)
    for column in frame.columns:
        if column == "geometry" or frame[column].dtype != object:
            continue
        values = frame[column].dropna()
        if len(values) and all(isinstance(v, (bool, np.bool_)) for v in values):
            frame[column] = frame[column].astype("boolean" if len(values) < len(frame) else bool)
        elif len(values) and not all(isinstance(v, str) for v in values):
            frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return frame.reset_index(drop=True)


class BaseWorkspace(abc.ABC):
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
        self._reserved_keys = frozenset(_reserved_key(r) for r in self.reserved)
        self.lock_timeout_s = WORKSPACE_LOCK_TIMEOUT_S if lock_timeout_s is None else float(lock_timeout_s)

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
    def _put(self, name: str, frame: gpd.GeoDataFrame, meta: dict[str, Any], *, append: bool) -> None:
        """Write ``frame`` as layer ``name`` (appended to its rows when ``append``) in one transaction."""

    @abc.abstractmethod
    def _drop(self, name: str) -> None:
        """Remove layer ``name`` (index row and table) in one transaction."""

    @abc.abstractmethod
    def _set_shared(self, name: str, shared: bool) -> None:
        """Set the shared flag of layer ``name``."""

    @abc.abstractmethod
    def _check(self) -> list[str]:
        """Problems of the store."""

    @abc.abstractmethod
    def _repair(self) -> list[str]:
        """Fix the problems of the store; what was done."""

    @abc.abstractmethod
    def _generation(self) -> int:
        """A number that changes with every committed change."""

    @abc.abstractmethod
    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Hold the workspace's write lock (writers of other processes wait, then report busy)."""

    # ------------------------------------------------------------------ rules
    def is_reserved(self, name: str) -> bool:
        """Whether ``name`` is a built-in layer's name (case and surrounding spaces ignored)."""
        return _reserved_key(name) in self._reserved_keys

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

    def _missing(self, name: str) -> LayerError:
        names = self.names()
        shown = ", ".join(map(repr, names[:20])) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        return LayerError(f"workspace: no layer {name!r}; saved layers: {shown or 'none'}")

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
            if row is None or not (row.owner == self.user or row.shared):
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

    # ------------------------------------------------------------------ maintenance
    def check(self) -> list[str]:
        """What is wrong with the workspace, one sentence per problem (empty when it is sound).

        Finds index rows without a table, tables without an index row, feature counts that disagree,
        leftover temporary files and files that are no database at all. Changes nothing.
        """
        return self._check()

    def repair(self) -> list[str]:
        """Fix what :meth:`check` finds; one sentence per fix (empty when nothing needed fixing).

        Rows without a table are removed from the index; tables left by an interrupted save are
        dropped; tables of layers whose index row was lost are listed again (owned by the local user);
        counts are corrected; temporary files removed. A file that is no database is moved aside, never
        deleted.
        """
        return self._repair()
