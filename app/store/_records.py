"""What every workspace backend stores and the rules it keeps: the index row, names, the frame as stored.

The names of the workspace's own tables (:data:`INDEX`, :data:`STATE`, the ``ws_<hex>`` layer tables)
are the same in every backend.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from geo import LayerError
from geo.crs import to_wgs84
from geo.export import plain_properties

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
#: The index table (one row per layer) and the state table (one row: the generation).
INDEX = "workspace_index"
STATE = "workspace_state"
#: Prefix of the internal layer tables (``ws_<32 hex digits>``).
TABLE_PREFIX = "ws_"


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


def reserved_key(name: str) -> str:
    """``name`` as compared with the reserved names: NFC, without surrounding spaces, case folded."""
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
