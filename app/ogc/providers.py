"""Where the OGC API's collections come from.

A provider is any object with the two methods of :class:`Provider`:

* ``collections()``: the :class:`Collection` descriptions (id, title, extent, properties), called on
  every request, so cheap or cached;
* ``features(collection_id)``: that collection's features as a GeoDataFrame in EPSG:4326 with an
  ``id`` column; the API does the filtering, paging and encoding, a provider does no query work.

Three are here: :class:`BuiltinLayers` (the atlas's own layers, read once per process),
:class:`FrameProvider` (any mapping of named frames, read again when its ``version`` changes: the
workspace's saved analyses plug in through it) and :class:`Providers` (several under one API).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd

import layers
from app.ogc.query import period
from geo.crs import to_wgs84
from geo.settings import PROJECT_DIR

logger = logging.getLogger(__name__)

#: The property a ``datetime`` query compares with when a layer has it: the date of the cited source.
TEMPORAL_PROPERTY = "source_date"


@dataclass(frozen=True)
class Collection:
    """What the API tells about a collection.

    Attributes
    ----------
    id : str
        Stable identifier, the path segment of its URLs and the layer name GDAL and QGIS show.
    title, description : str
        For people.
    bbox : tuple of float or None
        ``(min_lon, min_lat, max_lon, max_lat)`` of the features; None when it has none.
    interval : tuple of (str or None) or None
        First and last instant (RFC 3339) of the temporal property's values, None when it has none.
    temporal_property : str or None
        The property ``datetime`` compares with.
    properties : dict of str to str
        Property name to JSON Schema type (``string``, ``number``, ``integer``, ``boolean``): the
        queryables, each a filter parameter of the items request.
    geometry_types : tuple of str
        Geometry types present.
    count : int
        Number of features.
    attribution : str
        Credit line for the data.
    """

    id: str
    title: str
    description: str
    bbox: tuple[float, float, float, float] | None
    interval: tuple[str | None, str | None] | None
    temporal_property: str | None
    properties: dict[str, str]
    geometry_types: tuple[str, ...]
    count: int
    attribution: str = ""


@runtime_checkable
class Provider(Protocol):
    """The two methods the API calls."""

    def collections(self) -> list[Collection]:
        """Every collection, in the order the API lists them."""
        ...

    def features(self, collection_id: str) -> gpd.GeoDataFrame:
        """The collection's features in EPSG:4326 with a unique ``id`` column.

        The API reads the frame and never changes it, so a provider may hand out the same frame to
        every request.

        Raises
        ------
        KeyError
            ``collection_id`` is not one of :meth:`collections`.
        LayerError
            The collection cannot be read (the API answers 500 with the message).
        """
        ...


def _json_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "string"


def _rfc3339(instant: dt.datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def describe(
    collection_id: str,
    gdf: gpd.GeoDataFrame,
    *,
    title: str,
    description: str = "",
    attribution: str = "",
    temporal_property: str | None = TEMPORAL_PROPERTY,
) -> Collection:
    """A :class:`Collection` describing ``gdf`` (EPSG:4326): its extent, dates and properties.

    ``temporal_property`` is kept only when ``gdf`` has that column.
    """
    geoms = gdf.geometry
    present = geoms[~(geoms.isna() | geoms.is_empty)]
    bbox: tuple[float, float, float, float] | None = None
    if len(present):
        west, south, east, north = (float(v) for v in present.total_bounds)
        bbox = (west, south, east, north)
    interval = None
    if temporal_property is not None and temporal_property in gdf.columns:
        periods = [period(str(v)) for v in gdf[temporal_property].dropna().unique()]
        spans = [s for s in periods if s is not None]
        if spans:
            interval = (_rfc3339(min(s[0] for s in spans)), _rfc3339(max(s[1] for s in spans)))
    else:
        temporal_property = None
    properties = {
        str(name): _json_type(gdf[name]) for name in gdf.columns if name not in ("id", gdf.geometry.name)
    }
    return Collection(
        id=collection_id,
        title=title,
        description=description,
        bbox=bbox,
        interval=interval,
        temporal_property=temporal_property,
        properties=properties,
        geometry_types=tuple(sorted(present.geom_type.unique())),
        count=len(gdf),
        attribution=attribution,
    )


def with_ids(gdf: gpd.GeoDataFrame, *, argument: str) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326 with a unique text ``id`` column, first and as index.

    The ``id`` column when unique, else the row number from 1. A frame without CRS is an error
    (:class:`CRSError`).
    """
    gdf = to_wgs84(gdf, argument=argument)
    geometry = gdf.geometry.name
    gdf = gdf.rename(columns={c: str(c) for c in gdf.columns if c != geometry and not isinstance(c, str)})
    if "id" in gdf.columns and gdf["id"].notna().all() and gdf["id"].astype(str).is_unique:
        ids = gdf["id"].astype(str).to_numpy()
    else:
        if "id" in gdf.columns:
            gdf = gdf.rename(columns={"id": "source_id"})
        ids = np.arange(1, len(gdf) + 1).astype(str)
    gdf = gdf.drop(columns=["id"], errors="ignore")
    gdf.insert(0, "id", ids)
    return gdf.set_index(pd.Index(ids, dtype=object))


def _public_source(source: Path | str) -> str:
    """A layer's source as a reader can look it up: a file as its path in the project, else the text."""
    path = Path(source)
    if isinstance(source, Path) or path.is_absolute():
        try:
            return str(path.resolve().relative_to(PROJECT_DIR))
        except ValueError:
            return path.name
    return str(source)


class BuiltinLayers:
    """The atlas's built-in layers (:func:`layers.names`), top of the map first.

    Every built-in layer is served, the countries basemap too: it is cited data (Natural Earth, public
    domain) with ids, and an analyst without tiles in QGIS gets the same offline basemap as the atlas.

    Parameters
    ----------
    names : sequence of str, optional
        The layers served, in listing order; default every built-in layer, top of the map first.
    """

    def __init__(self, names: Sequence[str] | None = None) -> None:
        self._names = list(names) if names is not None else list(reversed(layers.names()))
        self._described: list[Collection] | None = None
        self._frames: dict[str, gpd.GeoDataFrame] = {}
        self._lock = threading.Lock()

    def collections(self) -> list[Collection]:
        """Every built-in layer served, described once per process (see :class:`Provider`)."""
        with self._lock:  # built once per process: the built-in layers do not change while it runs
            if self._described is None:
                self._described = [self._describe(name) for name in self._names]
            return self._described

    def _describe(self, name: str) -> Collection:
        spec = layers.spec(name)
        gdf = self.features(name)
        description = f"{spec.description} Source: {_public_source(spec.source)}."
        if TEMPORAL_PROPERTY in gdf.columns:
            description += (
                f" The datetime parameter filters on {TEMPORAL_PROPERTY}, the date of each record's source."
            )
        return describe(
            name,
            gdf,
            title=spec.title,
            description=description,
            attribution=spec.attribution,
        )

    def features(self, collection_id: str) -> gpd.GeoDataFrame:
        """The layer with ids, read once per process and shared: the API only reads it."""
        if collection_id not in self._names:
            raise KeyError(collection_id)
        frame = self._frames.get(collection_id)
        if frame is None:
            frame = with_ids(layers.load(collection_id), argument=f"layer {collection_id!r}")
            self._frames[collection_id] = frame
        return frame


class FrameProvider:
    """Collections from named frames, such as the analyses saved in the workspace.

    Parameters
    ----------
    frames : callable
        Returns the frames by name (any CRS; each must have one).
    version : callable, optional
        Returns a value that changes whenever the frames do (a file's modification time, a counter);
        the frames are read again only then. Without it they are read on every request.
    id_prefix : str
        Put before each name to make the collection id (keeps them apart from the built-in layers).
    title : callable, optional
        Title of a frame from its name; default the name.
    description : callable, optional
        Description of a frame from its name.

    Examples
    --------
    The workspace's saved layers, read again after each save::

        FrameProvider(
            workspace.load_all, version=lambda: workspace.path.stat().st_mtime_ns, id_prefix="saved-"
        )
    """

    def __init__(
        self,
        frames: Callable[[], Mapping[str, gpd.GeoDataFrame]],
        *,
        version: Callable[[], Hashable] | None = None,
        id_prefix: str = "",
        title: Callable[[str], str] | None = None,
        description: Callable[[str], str] | None = None,
    ) -> None:
        self._frames = frames
        self._version = version
        self._prefix = id_prefix
        self._title = title or (lambda name: name)
        self._description = description or (lambda name: f"Layer {name!r}.")
        self._lock = threading.Lock()
        self._cache: tuple[Hashable, dict[str, gpd.GeoDataFrame], list[Collection]] | None = None

    def _read(self) -> tuple[dict[str, gpd.GeoDataFrame], list[Collection]]:
        with self._lock:
            version = self._version() if self._version is not None else object()
            if self._cache is not None and self._cache[0] == version:
                return self._cache[1], self._cache[2]
            frames = {}
            for name, gdf in self._frames().items():
                cid = f"{self._prefix}{name}"
                frames[cid] = with_ids(gdf, argument=f"layer {name!r}")
            described = [
                describe(
                    cid,
                    gdf,
                    title=self._title(cid[len(self._prefix) :]),
                    description=self._description(cid[len(self._prefix) :]),
                )
                for cid, gdf in frames.items()
            ]
            self._cache = (version, frames, described)
            return frames, described

    def collections(self) -> list[Collection]:
        """Every frame, described again when ``version`` changes (see :class:`Provider`)."""
        return self._read()[1]

    def features(self, collection_id: str) -> gpd.GeoDataFrame:
        """The frame of ``collection_id`` with its ids (see :class:`Provider`)."""
        frames = self._read()[0]
        if collection_id not in frames:
            raise KeyError(collection_id)
        return frames[collection_id]


class Providers:
    """Several providers under one API, listed in order; an id already listed hides later ones."""

    def __init__(self, *providers: Provider) -> None:
        self._providers = providers

    def collections(self) -> list[Collection]:
        """The collections of every provider in order, each id once (see :class:`Provider`)."""
        seen: dict[str, Collection] = {}
        for provider in self._providers:
            for collection in provider.collections():
                if collection.id in seen:
                    logger.warning("OGC API: collection %r listed twice; the first is served", collection.id)
                    continue
                seen[collection.id] = collection
        return list(seen.values())

    def features(self, collection_id: str) -> gpd.GeoDataFrame:
        """The features of ``collection_id`` from the first provider listing it (see :class:`Provider`)."""
        for provider in self._providers:
            if any(c.id == collection_id for c in provider.collections()):
                return provider.features(collection_id)
        raise KeyError(collection_id)


__all__ = [
    "TEMPORAL_PROPERTY",
    "BuiltinLayers",
    "Collection",
    "FrameProvider",
    "Provider",
    "Providers",
    "describe",
    "with_ids",
]
