"""Select by location: the features of one layer that lie near, inside or along those of another.

Each function returns the selected features of ``a`` with all their columns, in ``a``'s CRS, plus
what the selection measured and a ``selected_by`` column describing the selection in words (the
same text on every row, also in ``attrs["selected_by"]``), ready to be saved as a new layer.

Distances are WGS84 geodesics (:mod:`geo.proximity`, :mod:`geo.corridor`) between the nearest
parts of two features, 0 where they touch or overlap:

* point to point and point to polygon: exact (:func:`geo.proximity.within`);
* a line or a polygon's boundary is sampled every ``distance_km / 20`` (at most 10 km), which
  overestimates a distance ``d`` by at most (spacing)^2 / (8 d): under 0.1 % at the limit;
* features that intersect (in lon/lat, where GeoJSON draws edges straight) are at 0.

"Inside" is containment in lon/lat, the plane in which GeoJSON polygons are defined.
"""

from __future__ import annotations

import logging
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from geo._errors import InputError
from geo.corridor import densify_route, features_in_corridor, point_to_route
from geo.crs import to_wgs84, wgs84_geometries
from geo.proximity import within
from geo.settings import WGS84

logger = logging.getLogger(__name__)

#: Largest sample spacing along lines and polygon boundaries, km.
MAX_SPACING_KM = 10.0
#: Smallest sample spacing, km.
MIN_SPACING_KM = 0.05
_KM_PER_DEGREE = 111.32
_POINT = shapely.GeometryType.POINT
_POINTS = (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT)
_LINES = (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING)
_POLYGONS = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def _frame(gdf: gpd.GeoDataFrame, argument: str) -> gpd.GeoDataFrame:
    wgs, geoms = wgs84_geometries(gdf, argument=argument)
    types = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(types, [*_POINTS, *_LINES, *_POLYGONS]))
    if bad.size:
        row = int(bad[0])
        msg = (
            f"{argument}: feature {row + 1} ({wgs.index[row]!r}) is a {geoms[row].geom_type}; "
            "expected points, lines or polygons"
        )
        raise InputError(msg)
    return wgs


def _ids(gdf: gpd.GeoDataFrame) -> np.ndarray:
    ids = gdf["id"] if "id" in gdf.columns and gdf["id"].is_unique else gdf.index.to_series()
    return np.asarray(ids.astype(str).to_numpy(), dtype=object)


def _with_none(ids: np.ndarray) -> np.ndarray:
    """``ids`` and a last ``None``: indexing with -1 (nothing found) reads it."""
    return np.asarray([*ids.tolist(), None], dtype=object)


def _result(
    a: gpd.GeoDataFrame, keep: np.ndarray, description: str, **columns: np.ndarray
) -> gpd.GeoDataFrame:
    out = a.iloc[np.flatnonzero(keep)].copy()
    for name, values in columns.items():
        out[name] = values[keep]
    out["selected_by"] = description
    out.attrs["selected_by"] = description
    logger.info("%s: %d of %d features", description, len(out), len(a))
    return out


def _samples(geoms: np.ndarray, spacing_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along each geometry, with the position of the geometry each belongs to.

    A point itself, a line's vertices and a polygon's boundary, densified to ``spacing_km``.
    Returns lon, lat and owner position.
    """
    types = shapely.get_type_id(geoms)
    shapes = np.where(np.isin(types, _POLYGONS), shapely.boundary(geoms), geoms)
    dense = np.where(np.isin(types, _POINTS), shapes, shapely.segmentize(shapes, spacing_km / _KM_PER_DEGREE))
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    return coords[:, 0].copy(), coords[:, 1].copy(), owner


def _nearest_km(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, limit_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic km from each feature of ``a`` to the nearest feature of ``b``, and which one.

    ``inf`` km and position -1 where no feature of ``b`` lies within ``limit_km``.
    """
    a_geoms, b_geoms = np.asarray(a.geometry.values), np.asarray(b.geometry.values)
    best = np.full(len(a), np.inf)
    which = np.full(len(a), -1, dtype=np.int64)

    def offer(owner: np.ndarray, km: np.ndarray, target: np.ndarray) -> None:
        if not len(owner):
            return
        order = np.lexsort((km, owner))
        owner, km, target = owner[order], km[order], target[order]
        first = np.r_[True, owner[1:] != owner[:-1]]
        owner, km, target = owner[first], km[first], target[first]
        better = km < best[owner]
        best[owner[better]] = km[better]
        which[owner[better]] = target[better]

    # overlapping or touching features: 0
    hit_a, hit_b = shapely.STRtree(b_geoms).query(a_geoms, predicate="intersects")
    offer(hit_a, np.zeros(len(hit_a)), hit_b)
    spacing = min(max(limit_km / 20.0, MIN_SPACING_KM), MAX_SPACING_KM)
    lon, lat, owner = _samples(a_geoms, spacing)
    samples = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs=WGS84)
    b_types = shapely.get_type_id(b_geoms)
    polygons = np.flatnonzero(np.isin(b_types, _POLYGONS))
    points = np.flatnonzero(np.isin(b_types, _POINTS))
    point_xy, point_owner = shapely.get_coordinates(b_geoms[points], return_index=True)
    targets = [
        (gpd.GeoDataFrame(geometry=b_geoms[polygons], crs=WGS84), polygons),
        (gpd.GeoDataFrame(geometry=shapely.points(point_xy), crs=WGS84), points[point_owner]),
    ]
    for frame, positions in targets:
        if not len(frame):
            continue
        pairs = within(samples, frame, radius_m=limit_km * 1000.0)
        offer(
            owner[pairs["source_id"].to_numpy(dtype=np.int64)],
            pairs["distance_m"].to_numpy(dtype=np.float64) / 1000.0,
            positions[pairs["target_id"].to_numpy(dtype=np.int64)],
        )
    for j in np.flatnonzero(np.isin(b_types, _LINES)):
        for part in shapely.get_parts(b_geoms[j]):
            dense, chainage = densify_route(part, spacing_km=spacing)
            km, _, _ = point_to_route(lon, lat, dense, chainage, max_km=limit_km)
            near = np.flatnonzero(km <= limit_km)
            offer(owner[near], km[near], np.full(near.size, j))
    best[best > limit_km] = np.inf
    which[~np.isfinite(best)] = -1
    return best, which


def select_within_distance(
    a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, distance_km: float, b_name: str = "the other layer"
) -> gpd.GeoDataFrame:
    """The features of ``a`` within ``distance_km`` (geodesic) of any feature of ``b``.

    Parameters
    ----------
    a, b : GeoDataFrame
        Points, lines or polygons, any CRS (each must have one).
    distance_km : float, keyword-only
        The distance, km (>= 0; 0 selects the features that touch or overlap one of ``b``).
    b_name : str, keyword-only
        Name of ``b`` in ``selected_by``.

    Returns
    -------
    GeoDataFrame
        The selected features of ``a`` (``a``'s CRS and columns), plus ``distance_km`` (to the
        nearest feature of ``b``), ``nearest_id`` (its ``id``, else its index label) and
        ``selected_by`` ("within 50 km of ports (geodesic)").

    Raises
    ------
    InputError
        A negative or non-numeric distance, a feature without geometry or of another type.
    CRSError
        A frame without CRS.
    """
    if (
        isinstance(distance_km, bool)
        or not isinstance(distance_km, (int, float, np.integer, np.floating))
        or not np.isfinite(distance_km)
        or distance_km < 0
    ):
        msg = f"distance_km: expected a distance in km >= 0, got {distance_km!r}"
        raise InputError(msg)
    wa, wb = _frame(a, "a"), _frame(b, "b")
    description = f"within {float(distance_km):g} km of {b_name} (geodesic)"
    if wa.empty or wb.empty:
        return _result(
            a,
            np.zeros(len(a), dtype=bool),
            description,
            distance_km=np.zeros(len(a)),
            nearest_id=np.zeros(len(a), dtype=object),
        )
    km, which = _nearest_km(wa, wb, float(distance_km))
    nearest = _with_none(_ids(wb))[which]  # -1 (none within the distance) reads the None
    return _result(a, np.isfinite(km), description, distance_km=km, nearest_id=nearest)


def select_inside(
    a: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    *,
    predicate: Literal["inside", "intersects"] = "inside",
    polygons_name: str = "the polygons",
) -> gpd.GeoDataFrame:
    """The features of ``a`` inside (or intersecting) any polygon of ``polygons``.

    Parameters
    ----------
    a : GeoDataFrame
        Points, lines or polygons, any CRS.
    polygons : GeoDataFrame
        Polygons, any CRS (a drawn region, a country, a district layer).
    predicate : {"inside", "intersects"}, keyword-only
        ``inside``: the whole feature lies in a polygon (its boundary included); ``intersects``:
        any part of it does.
    polygons_name : str, keyword-only
        Name of ``polygons`` in ``selected_by``.

    Returns
    -------
    GeoDataFrame
        The selected features of ``a`` plus ``inside_id`` (the first polygon holding each, by its
        ``id``, else its index label) and ``selected_by`` ("inside Uttar Pradesh").
    """
    if predicate not in ("inside", "intersects"):
        msg = f"predicate: expected 'inside' or 'intersects', got {predicate!r}"
        raise InputError(msg)
    wa, wp = _frame(a, "a"), _frame(polygons, "polygons")
    kinds = shapely.get_type_id(np.asarray(wp.geometry.values))
    bad = np.flatnonzero(~np.isin(kinds, _POLYGONS))
    if bad.size:
        row = int(bad[0])
        kind = wp.geometry.iloc[row].geom_type
        msg = f"polygons: feature {row + 1} ({wp.index[row]!r}) is a {kind}; expected polygons"
        raise InputError(msg)
    description = f"{'inside' if predicate == 'inside' else 'intersecting'} {polygons_name}"
    first = np.full(len(wa), -1, dtype=np.int64)
    if len(wa) and len(wp):
        hit_a, hit_p = shapely.STRtree(np.asarray(wp.geometry.values)).query(
            np.asarray(wa.geometry.values), predicate="covered_by" if predicate == "inside" else "intersects"
        )
        order = np.lexsort((hit_p, hit_a))
        hit_a, hit_p = hit_a[order], hit_p[order]
        lead = np.r_[True, hit_a[1:] != hit_a[:-1]] if len(hit_a) else np.zeros(0, dtype=bool)
        first[hit_a[lead]] = hit_p[lead]
    ids = _with_none(_ids(wp))  # position -1 reads the None
    return _result(a, first >= 0, description, inside_id=ids[first])


def select_along_route(
    a: gpd.GeoDataFrame,
    route: shapely.Geometry | gpd.GeoDataFrame,
    *,
    width_km: float,
    route_name: str = "the route",
) -> gpd.GeoDataFrame:
    """The features of ``a`` within ``width_km`` of a route, ordered along it (a corridor).

    Parameters
    ----------
    a : GeoDataFrame
        Any features, any CRS.
    route : LineString, MultiLineString or GeoDataFrame of lines (a route's legs)
        In lon/lat when a geometry; legs are joined into one line.
    width_km : float, keyword-only
        Half-width of the corridor, km.
    route_name : str, keyword-only
        Name of the route in ``selected_by``.

    Returns
    -------
    GeoDataFrame
        :func:`geo.corridor.features_in_corridor`'s columns (``distance_to_route_km``,
        ``chainage_km``, ``side``) and ``selected_by`` ("within 25 km of the route reasi-noida-road").
    """
    if isinstance(route, gpd.GeoDataFrame):
        legs = to_wgs84(route, argument="route")
        coords = [
            shapely.get_coordinates(g) for g in legs.geometry.values if g is not None and not g.is_empty
        ]
        if not coords:
            msg = "route: expected at least one line, got none"
            raise InputError(msg)
        joined = np.vstack(coords)
        keep = np.r_[True, np.any(np.diff(joined, axis=0) != 0, axis=1)]
        route = shapely.LineString(joined[keep]) if keep.sum() >= 2 else shapely.LineString()
    out = features_in_corridor(route, a, width_km=width_km)
    description = f"within {float(width_km):g} km of the route {route_name} (geodesic)"
    out["selected_by"] = description
    out.attrs["selected_by"] = description
    return out
