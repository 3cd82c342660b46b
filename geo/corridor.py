"""Corridor analysis: what lies within a width of a route, where along it, and on which side.

Geodesically correct for routes of any length: across UTM zones, the antimeridian and oceans.

Method
------
A route's edges are the geodesics between its vertices (for the dense polylines of real roads and
sea lanes the difference from straight lon/lat edges is negligible). The route is densified along
them (vertex spacing at most ``ROUTE_SPACING_KM`` and a tenth of the width). For each feature
point the segment whose chord passes nearest in earth-centred cartesian coordinates (a chord of at
most 2 km lies within 8 cm of the ellipsoid) is found exactly with a tree of bounding spheres over
the route's segments (:mod:`geo._corridor`), which rejects a point far from the route after a few
sphere tests; the closest point of that chord is lifted to the surface, and its distance is then
measured exactly on the ellipsoid. No projection and no lon/lat interpolation is involved, so the
error is the same at any latitude, a route through a pole included: under 0.005 % against a
geodesic reference densified to 100 m (``tests/test_corridor.py``, 55-83 degrees N and a route
over the North Pole; ``bench/corridor.py`` measures it too).

The corridor polygon is the union of buffers of route pieces of at most ``PIECE_KM`` km, each made
in an azimuthal equidistant projection centred on its piece. The error of such a buffer grows with
the square of the distance from the centre, about (d / R)^2 / 6 for d = piece half-length + width:
under 0.1 % for widths up to 500 km. Pieces that cross the antimeridian are cut there.

The module stays whole: the polygon, the features inside and the summary share one densified
route and its chainage.
"""

from __future__ import annotations

import logging
import math
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo._corridor import build_tree, ecef, point_to_route_kernel
from geo._errors import InputError
from geo.crs import to_wgs84
from geo.distance import (
    GEOD,
    MERIDIAN_RADIUS_MIN_M,
    _geodesic_m,
    check_geometries_lonlat,
    check_lonlat,
    karney_m,
)
from geo.export import split_antimeridian
from geo.settings import WGS84

logger = logging.getLogger(__name__)

#: A route: a LineString in lon/lat, or a one-row GeoDataFrame/GeoSeries with a CRS.
RouteLike: TypeAlias = shapely.LineString | shapely.MultiLineString | gpd.GeoDataFrame | gpd.GeoSeries

#: Largest vertex spacing of the densified route, km.
ROUTE_SPACING_KM = 2.0
#: Length of the route pieces buffered in one local projection, km.
PIECE_KM = 200.0
#: Vertices per corridor-buffer quarter circle.
BUFFER_RESOLUTION = 16
_A = 6378137.0
_E2 = 6.69437999014e-3


# ----------------------------------------------------------------------------- inputs
def _route_line(route: RouteLike, argument: str = "route") -> shapely.LineString:
    """A LineString in lon/lat from a LineString or a one-row GeoDataFrame/GeoSeries (with CRS)."""
    if isinstance(route, (gpd.GeoDataFrame, gpd.GeoSeries)):
        frame = route if isinstance(route, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=route)
        frame = to_wgs84(frame, argument=argument)
        if len(frame) != 1:
            msg = f"{argument}: expected one route, got {len(frame)} rows"
            raise InputError(msg)
        geom = frame.geometry.iloc[0]
    else:
        geom = route
    if isinstance(geom, shapely.MultiLineString):
        merged = shapely.line_merge(geom)
        geom = (
            merged if merged.geom_type == "LineString" else shapely.LineString(shapely.get_coordinates(geom))
        )
    if not isinstance(geom, shapely.LineString) or geom.is_empty:
        kind = getattr(geom, "geom_type", type(geom).__name__)
        msg = f"{argument}: expected a LineString in lon/lat, got {kind}"
        raise InputError(msg)
    coords = shapely.get_coordinates(geom)
    _check_route_vertices(coords, argument)
    keep = np.r_[True, np.any(np.diff(coords, axis=0) != 0, axis=1)]  # drop repeated vertices
    coords = coords[keep]
    if len(coords) < 2:
        msg = f"{argument}: the route has fewer than two distinct vertices"
        raise InputError(msg)
    return shapely.LineString(coords)


def _check_route_vertices(coords: np.ndarray, argument: str) -> None:
    """Check the route's vertices: finite, latitudes within -90..90.

    Longitudes may run past +/-180 (a route kept continuous across the antimeridian, as
    :func:`geo.network.route` returns it).
    """
    check_lonlat(coords[:, 0], coords[:, 1], argument=argument, continuous=True)


def _check_width(width_km: float) -> float:
    if (
        isinstance(width_km, bool)
        or not isinstance(width_km, (int, float, np.integer, np.floating))
        or not np.isfinite(width_km)
        or width_km <= 0
    ):
        msg = f"width_km: expected a width in km > 0, got {width_km!r}"
        raise InputError(msg)
    return float(width_km)


def densify_route(
    route: shapely.LineString, *, spacing_km: float = ROUTE_SPACING_KM
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices along the route's geodesics at most ``spacing_km`` apart, and their chainage in km.

    Returns
    -------
    (coords, chainage_km)
        (n, 2) lon/lat with continuous longitudes (they may pass +/-180), and (n,) km from the start.
    """
    coords = shapely.get_coordinates(route)
    _check_route_vertices(coords, "route")
    lon1, lat1, lon2, lat2 = coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1]
    length_km = _geodesic_m(lon1, lat1, lon2, lat2) / 1000.0
    n_inner = np.maximum(np.ceil(length_km / spacing_km).astype(np.int64) - 1, 0)
    out = [coords[:1]]
    for i in range(len(coords) - 1):  # only the edges longer than the spacing get inner vertices
        if n_inner[i] > 0:
            out.append(np.asarray(GEOD.npts(lon1[i], lat1[i], lon2[i], lat2[i], int(n_inner[i]))))
        out.append(coords[i + 1 : i + 2])
    dense = np.vstack(out) if n_inner.any() else coords.copy()
    steps = np.diff(dense[:, 0])
    dense[1:, 0] -= 360.0 * np.cumsum(np.round(steps / 360.0))  # continuous across the antimeridian
    seg_km = _geodesic_m(dense[:-1, 0], dense[:-1, 1], dense[1:, 0], dense[1:, 1]) / 1000.0
    return dense, np.r_[0.0, np.cumsum(seg_km)]


# ----------------------------------------------------------------------------- point to route
def _ecef(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    """(n, 3) earth-centred cartesian coordinates (metres) of points on the WGS84 ellipsoid."""
    lon_deg = np.ascontiguousarray(lon_deg, dtype=np.float64)
    lat_deg = np.ascontiguousarray(lat_deg, dtype=np.float64)
    out: np.ndarray = ecef(lon_deg, lat_deg)
    return out


class RouteIndex:
    """A densified route ready for point queries, built once per route.

    Its vertices in earth-centred coordinates and a tree of bounding spheres over its segments (see
    :mod:`geo._corridor`).

    Parameters
    ----------
    dense, chainage_km : numpy.ndarray
        From :func:`densify_route`.
    """

    def __init__(self, dense: np.ndarray, chainage_km: np.ndarray) -> None:
        if len(dense) < 2:
            msg = "route: the route has fewer than two distinct vertices"
            raise InputError(msg)
        self.vertices = _ecef(dense[:, 0], dense[:, 1])
        self.chainage_km = np.ascontiguousarray(chainage_km, dtype=np.float64)
        self.centre, self.radius, self.padded = build_tree(self.vertices)
        chord_m = np.sqrt(np.sum(np.diff(self.vertices, axis=0) ** 2, axis=1))
        # how far a segment's geodesic can bow away from its chord (s^2 / 8R; x1.01 for s vs chord)
        self.bow_m = float(np.max(chord_m)) ** 2 * 1.01 / (8.0 * MERIDIAN_RADIUS_MIN_M) + 1e-3

    def query(
        self, lon: np.ndarray, lat: np.ndarray, *, max_km: float | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`point_to_route` on this route, for checked lon/lat arrays."""
        lon = np.ascontiguousarray(lon, dtype=np.float64)
        lat = np.ascontiguousarray(lat, dtype=np.float64)
        bound_m = np.inf if max_km is None else max_km * 1000.0 + self.bow_m
        distance_km, chain, side = point_to_route_kernel(
            lon, lat, self.vertices, self.chainage_km, self.centre, self.radius, self.padded, bound_m
        )
        failed = np.flatnonzero(np.isnan(distance_km))
        if failed.size:  # nearly antipodal to its nearest route point: Karney's algorithm
            near = self._nearest_lonlat(lon[failed], lat[failed], chain[failed])
            distance_km[failed] = karney_m(lon[failed], lat[failed], near[:, 0], near[:, 1]) / 1000.0
        return distance_km, chain, side

    def _nearest_lonlat(self, lon: np.ndarray, lat: np.ndarray, chain: np.ndarray) -> np.ndarray:
        """lon/lat of the route point at ``chain`` km (the closest point found), lifted to the surface."""
        seg = np.clip(np.searchsorted(self.chainage_km, chain, side="right") - 1, 0, len(self.vertices) - 2)
        span = self.chainage_km[seg + 1] - self.chainage_km[seg]
        t = np.where(span > 0, (chain - self.chainage_km[seg]) / np.where(span > 0, span, 1.0), 0.0)
        xyz = self.vertices[seg] + t[:, None] * (self.vertices[seg + 1] - self.vertices[seg])
        near_lon, near_lat = _geodetic(xyz[:, 0], xyz[:, 1], xyz[:, 2])
        return np.column_stack((near_lon, near_lat))


def _geodetic(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon, lat (degrees) of cartesian points at or near the ellipsoid's surface.

    Bowring (1976); for points within metres of the surface the error is far below a millimetre.
    """
    b = _A * math.sqrt(1.0 - _E2)
    ep2 = _E2 / (1.0 - _E2)
    p = np.hypot(x, y)
    theta = np.arctan2(z * _A, p * b)
    lat = np.arctan2(z + ep2 * b * np.sin(theta) ** 3, p - _E2 * _A * np.cos(theta) ** 3)
    return np.degrees(np.arctan2(y, x)), np.degrees(lat)


def point_to_route(
    lon: np.ndarray,
    lat: np.ndarray,
    dense: np.ndarray,
    chainage_km: np.ndarray,
    *,
    max_km: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance (km), chainage (km) and side (+1 left, -1 right of travel) of points from a densified route.

    For each point the segment whose chord (in earth-centred cartesian coordinates; a chord of at
    most 2 km lies within 8 cm of the ellipsoid) passes nearest is found exactly with a tree of
    bounding spheres over the route's segments; its closest point is lifted to the surface and the
    distance to it is measured exactly on the ellipsoid. No map projection or lon/lat
    interpolation is involved, so the result holds at any latitude, a route through a pole included.

    Parameters
    ----------
    lon, lat : array_like
        The points, degrees.
    dense, chainage_km : numpy.ndarray
        From :func:`densify_route`.
    max_km : float, optional, keyword-only
        Points certainly farther than this (their straight-line distance to every segment is
        larger) are not refined: their distance is ``inf``, chainage NaN and side 0.

    Raises
    ------
    InputError
        For a NaN, infinite or out-of-range point (``points``, with its 0-based index).
    """
    lon, lat = check_lonlat(lon, lat, argument="points")
    lon, lat = np.atleast_1d(lon).ravel(), np.atleast_1d(lat).ravel()
    return RouteIndex(dense, chainage_km).query(lon, lat, max_km=max_km)


# ----------------------------------------------------------------------------- public API
def features_in_corridor(
    route: RouteLike, features: gpd.GeoDataFrame, *, width_km: float
) -> gpd.GeoDataFrame:
    """The features within ``width_km`` of a route, ordered along it.

    Parameters
    ----------
    route : shapely LineString or one-row GeoDataFrame
        The route in lon/lat (a GeoDataFrame may be in any CRS; it must have one).
    features : geopandas.GeoDataFrame
        Any geometries, any CRS (it must have one). Lines and polygons are measured at their
        nearest vertex after densification to the route spacing; a polygon the route enters is at 0.
    width_km : float, keyword-only
        Half-width of the corridor: the largest distance from the route kept, km.

    Returns
    -------
    geopandas.GeoDataFrame
        The features within the width with all their columns, plus ``distance_to_route_km``
        (geodesic), ``chainage_km`` (distance along the route from its origin to the closest point)
        and ``side`` (``left``/``right`` of travel, ``on`` for a feature on the route); ordered by
        chainage; in the features' CRS.
    """
    width = _check_width(width_km)
    line = _route_line(route)
    gdf = to_wgs84(features, argument="features")
    if gdf.empty:
        return features.iloc[0:0].assign(distance_to_route_km=[], chainage_km=[], side=[])
    dense, chainage = densify_route(line, spacing_km=min(ROUTE_SPACING_KM, width / 10.0))
    index = RouteIndex(dense, chainage)
    geoms = np.asarray(gdf.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        msg = f"features: feature {gdf.index[np.flatnonzero(missing)[0]]!r} has no geometry"
        raise InputError(msg)
    is_point = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    all_points = bool(is_point.all())
    xy = shapely.get_coordinates(geoms if all_points else geoms[is_point])
    if not all_points or not (np.all(np.abs(xy[:, 0]) <= 180.0) and np.all(np.abs(xy[:, 1]) <= 90.0)):
        check_geometries_lonlat(geoms, argument="features", labels=gdf.index)
    distance = np.empty(len(gdf))
    chain = np.empty(len(gdf))
    side = np.zeros(len(gdf), dtype=np.int64)
    if is_point.any():
        distance[is_point], chain[is_point], side[is_point] = index.query(xy[:, 0], xy[:, 1], max_km=width)
    if not all_points:
        route_geom = split_antimeridian(shapely.LineString(dense))
        for pos in np.flatnonzero(~is_point):
            vertices = shapely.get_coordinates(
                shapely.segmentize(geoms[pos], min(ROUTE_SPACING_KM, width / 10.0) / 111.0)
            )
            d, c, s = index.query(vertices[:, 0], vertices[:, 1])
            best = int(np.argmin(d))
            distance[pos], chain[pos], side[pos] = d[best], c[best], s[best]
            if geoms[pos].intersects(route_geom):
                distance[pos], side[pos] = 0.0, 0
    keep = np.flatnonzero(distance <= width)
    keep = keep[np.argsort(chain[keep], kind="stable")]  # ordered along the route
    out = features.take(keep)
    out["distance_to_route_km"] = distance[keep]
    out["chainage_km"] = chain[keep]
    out["side"] = np.array(["right", "on", "left"], dtype=object)[side[keep] + 1]
    return out


def corridor_polygon(route: RouteLike, *, width_km: float) -> shapely.Geometry:
    """The area within ``width_km`` of the route, in lon/lat (WGS84), correct to 0.1 % of the width.

    Parameters
    ----------
    route : shapely LineString or one-row GeoDataFrame
        The route in lon/lat.
    width_km : float, keyword-only
        Half-width of the corridor, km.

    Returns
    -------
    shapely Polygon or MultiPolygon
        Cut at the antimeridian where the corridor crosses it (see the module docstring for the method).
    """
    width = _check_width(width_km)
    line = _route_line(route)
    dense, chainage = densify_route(line, spacing_km=min(ROUTE_SPACING_KM, max(width / 4.0, 0.05)))
    total = chainage[-1]
    n_pieces = max(1, int(math.ceil(total / PIECE_KM)))
    bounds = np.searchsorted(chainage, np.linspace(0.0, total, n_pieces + 1)[1:-1])
    pieces = []
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, len(dense) - 1], strict=True):
        part = dense[start : stop + 1]
        if len(part) < 2:
            continue
        centre = part[len(part) // 2]
        aeqd = pyproj.CRS.from_proj4(
            f"+proj=aeqd +lat_0={centre[1]} +lon_0={centre[0]} +ellps=WGS84 +units=m"
        )
        forward = pyproj.Transformer.from_crs(WGS84, aeqd, always_xy=True)
        back = pyproj.Transformer.from_crs(aeqd, WGS84, always_xy=True)
        x, y = forward.transform(part[:, 0], part[:, 1])
        buffer = shapely.LineString(np.column_stack((x, y))).buffer(
            width * 1000.0, quad_segs=BUFFER_RESOLUTION
        )
        # densify the outline so each edge is short enough to stay straight in lon/lat
        buffer = shapely.segmentize(buffer, max(width * 1000.0 / 8.0, 500.0))
        ring = shapely.get_coordinates(buffer.exterior)
        lon, lat = back.transform(ring[:, 0], ring[:, 1])
        lon = centre[0] + ((np.asarray(lon) - centre[0] + 180.0) % 360.0 - 180.0)
        pieces.append(split_antimeridian(shapely.make_valid(shapely.Polygon(np.column_stack((lon, lat))))))
    return shapely.union_all(pieces)


def corridor_summary(
    route: RouteLike,
    layers: dict[str, gpd.GeoDataFrame],
    *,
    width_km: float,
    other_route: RouteLike | None = None,
) -> dict[str, object]:
    """Counts and totals of what a corridor reaches, and its overlap with another corridor.

    Parameters
    ----------
    route : LineString or one-row GeoDataFrame
        The route.
    layers : dict of name to GeoDataFrame
        Feature layers to count (any CRS each).
    width_km : float, keyword-only
        Half-width of the corridor, km.
    other_route : LineString or one-row GeoDataFrame, optional, keyword-only
        A second route: the overlap of the two corridors is reported.

    Returns
    -------
    dict
        ``route_km``, ``width_km``, ``area_km2`` (geodesic), ``counts`` (a DataFrame of
        layer, kind, features), ``population`` (sum of a ``population`` column over the features
        inside, for demand points), and with ``other_route``: ``shared_km`` (length of this route
        inside the other corridor), ``overlap_km2`` (geodesic area of the two corridors' overlap).
    """
    width = _check_width(width_km)
    line = _route_line(route)
    _, chainage = densify_route(line)
    polygon = corridor_polygon(line, width_km=width)
    rows = []
    population = 0.0
    for name, gdf in layers.items():
        inside = features_in_corridor(line, gdf, width_km=width)
        kinds = (
            inside["kind"].fillna("")
            if "kind" in inside.columns
            else pd.Series([""] * len(inside), index=inside.index)
        )
        for kind, count in kinds.value_counts(sort=False).items():
            rows.append({"layer": name, "kind": kind, "features": int(count)})
        if "population" in inside.columns:
            population += float(pd.to_numeric(inside["population"], errors="coerce").fillna(0).sum())
    summary: dict[str, object] = {
        "route_km": float(chainage[-1]),
        "width_km": width,
        "area_km2": geodesic_area_km2(polygon),
        "counts": pd.DataFrame(rows, columns=["layer", "kind", "features"]),
        "population": population,
    }
    if other_route is not None:
        other = _route_line(other_route, "other_route")
        other_polygon = corridor_polygon(other, width_km=width)
        dense, chain = densify_route(line)
        mid = (dense[:-1] + dense[1:]) / 2.0
        mid[:, 0] = (mid[:, 0] + 180.0) % 360.0 - 180.0
        inside = shapely.contains_xy(other_polygon, mid[:, 0], mid[:, 1])
        summary["shared_km"] = float(np.sum(np.diff(chain)[inside]))
        summary["overlap_km2"] = geodesic_area_km2(polygon.intersection(other_polygon))
    return summary


def geodesic_area_km2(geom: shapely.Geometry) -> float:
    """Area of a lon/lat polygon on the WGS84 ellipsoid, km^2."""
    if geom.is_empty:
        return 0.0
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6
