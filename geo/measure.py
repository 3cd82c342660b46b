"""Measure shapes on the WGS84 ellipsoid: the length of lines, the area and perimeter of polygons.

Karney's geodesic algorithms (:class:`pyproj.Geod`, via :data:`geo.distance.GEOD`): exact to a few
nanometres per segment and correct near the poles and across the antimeridian, where a map's own
measuring tools (which use a sphere, as Leaflet's do) err by up to 0.5 %. Each vertex-to-vertex
segment is a geodesic, as a drawn shape's edges are read by :mod:`geo.select` and the corridors.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo._errors import InputError
from geo.crs import to_wgs84
from geo.distance import GEOD

#: Columns :func:`measure_frame` adds.
MEASURE_COLUMNS: tuple[str, ...] = ("shape", "length_km", "perimeter_km", "area_km2")


@dataclass(frozen=True)
class Measures:
    """The geodesic size of one shape.

    Attributes
    ----------
    shape : str
        ``point``, ``line`` or ``polygon`` (multi-part shapes as their kind).
    length_km : float
        Length of a line (0 for points and polygons).
    perimeter_km : float
        Length of a polygon's outer rings (holes not counted; 0 for points and lines).
    area_km2 : float
        Area of a polygon, holes subtracted (0 for points and lines).
    """

    shape: str
    length_km: float
    perimeter_km: float
    area_km2: float

    def text(self) -> str:
        """The measures as a reader wants them: ``"length 123 km"``, ``"area 56.7 km², perimeter 89 km"``."""
        if self.shape == "line":
            return f"length {_round(self.length_km)} km"
        if self.shape == "polygon":
            return f"area {_round(self.area_km2)} km², perimeter {_round(self.perimeter_km)} km"
        return "a point"


def _round(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.1f}"
    return f"{value:.3f}"


_KINDS = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "LinearRing": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}


def measure(geom: shapely.Geometry, *, argument: str = "geometry") -> Measures:
    """The geodesic length, perimeter and area of one lon/lat shape.

    Raises
    ------
    InputError
        An empty or missing shape, a collection, or coordinates outside lon/lat ranges.
    """
    if geom is None or not isinstance(geom, shapely.Geometry) or geom.is_empty:
        msg = f"{argument}: expected a point, line or polygon, got an empty shape"
        raise InputError(msg)
    kind = _KINDS.get(geom.geom_type)
    if kind is None:
        msg = f"{argument}: expected a point, line or polygon, got a {geom.geom_type}"
        raise InputError(msg)
    coords = shapely.get_coordinates(geom)
    for column, what, limit in ((1, "latitude", 90.0), (0, "longitude", 180.0)):
        bad = np.flatnonzero(~(np.abs(coords[:, column]) <= limit))
        if bad.size:
            value = float(coords[bad[0], column])
            msg = f"{argument}: vertex {int(bad[0]) + 1} has {what} {value:g}, outside -{limit:g}..{limit:g}"
            raise InputError(msg)
    if kind == "line":
        return Measures(kind, float(GEOD.geometry_length(geom)) / 1000.0, 0.0, 0.0)
    if kind == "polygon":
        area_m2, perimeter_m = GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
        return Measures(kind, 0.0, float(perimeter_m) / 1000.0, abs(float(area_m2)) / 1e6)
    return Measures(kind, 0.0, 0.0, 0.0)


def measure_frame(gdf: gpd.GeoDataFrame, *, argument: str = "shapes") -> gpd.GeoDataFrame:
    """``gdf`` (any CRS) in EPSG:4326 with the columns of :data:`MEASURE_COLUMNS` added.

    Raises
    ------
    InputError
        A feature without geometry or of another kind (named by its 1-based row).
    CRSError
        A frame without CRS.
    """
    out = to_wgs84(gdf, argument=argument).copy()
    rows = []
    for i, geom in enumerate(np.asarray(out.geometry.values)):
        rows.append(measure(geom, argument=f"{argument}: feature {i + 1}"))
    out["shape"] = [m.shape for m in rows]
    out["length_km"] = [m.length_km for m in rows]
    out["perimeter_km"] = [m.perimeter_km for m in rows]
    out["area_km2"] = [m.area_km2 for m in rows]
    return out
