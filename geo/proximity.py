"""Exact geodesic proximity: nearest targets, pairs within a radius, distance matrices.

Every distance is the WGS84 ellipsoidal geodesic (Karney's algorithm, as in :class:`pyproj.Geod`),
in metres, anywhere on Earth: across the antimeridian, near the poles, between continents. No
projected CRS is used.

Method (:mod:`geo._knn`, one compiled pass per source): a kd-tree of the targets' unit vectors, or
for many sources per target a quadtree of candidate cells, proposes the k + 1 nearest targets on the
sphere; the first k are measured exactly. The bracket of :mod:`geo.distance` (an ellipsoidal
distance lies within 0.57 % below and 0.46 % above the spherical one) certifies the answer: a source
is settled when its k-th exact distance is below the lowest possible ellipsoidal distance of the
first candidate left out; otherwise every target that could beat it is measured. The result equals
brute force. Polygon targets (lithium blocks) use the distance to the polygon,
0 inside, within 0.1 % (see :func:`geo.distance.points_polygon_m`); :func:`within` prunes them
with spherical caps around each polygon.

The module stays whole: nearest, within and distance matrices share one candidate search and
one certificate; the compiled pass lives in :mod:`geo._knn`.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo._errors import InputError
from geo._knn import build_cells, build_kdtree, nearest_kernel, no_cells, reduced_latitudes, source_cap
from geo.crs import to_wgs84
from geo.distance import (
    EARTH_RADIUS_M,
    GEOD,
    SPHERE_LOWER,
    _geodesic_m,
    check_geometries_lonlat,
    check_lonlat,
    geodesic_m,
    points_polygon_m,
    sphere_m_to_chord,
    unit_vectors,
)
from geo.settings import WGS84

logger = logging.getLogger(__name__)

NEAREST_COLUMNS = ["source_id", "target_id", "rank", "distance_m"]
#: Column flagging a placeholder location (a point standing for a region or a country).
APPROXIMATE = "approximate_location"
WITHIN_COLUMNS = ["source_id", "target_id", "distance_m"]
#: Candidate cells (:mod:`geo._knn`) are built for at least this many sources, and this many per target.
CELLS_MIN_SOURCES = 20_000
CELLS_SOURCES_PER_TARGET = 8
_POINT = shapely.GeometryType.POINT
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


# ----------------------------------------------------------------------------- input checks
def _frame(gdf: gpd.GeoDataFrame, argument: str) -> gpd.GeoDataFrame:
    wgs = to_wgs84(gdf, argument=argument) if not (gdf.crs is not None and gdf.crs.equals(WGS84)) else gdf
    missing = shapely.is_missing(wgs.geometry.values) | shapely.is_empty(wgs.geometry.values)
    if missing.any():
        label = wgs.index[np.flatnonzero(missing)[0]]
        msg = f"{argument}: feature {label!r} has no geometry"
        raise InputError(msg)
    check_geometries_lonlat(wgs.geometry.values, argument=argument, labels=wgs.index)
    return wgs


def _point_frame(gdf: gpd.GeoDataFrame, argument: str) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """:func:`_frame` and :func:`_points` in one: the frame in WGS84 and its points' lon, lat.

    The coordinates are read once; errors come in the same order (no geometry, unusable
    coordinates, then geometries that are not points).
    """
    wgs = to_wgs84(gdf, argument=argument) if not (gdf.crs is not None and gdf.crs.equals(WGS84)) else gdf
    geoms = np.asarray(wgs.geometry.values)
    all_points = bool(np.all(shapely.get_type_id(geoms) == _POINT))  # a missing geometry has type -1
    xy = shapely.get_coordinates(geoms) if all_points else np.empty((0, 2))
    if not all_points or len(xy) != len(geoms):  # not all points, or some empty
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if missing.any():
            label = wgs.index[np.flatnonzero(missing)[0]]
            msg = f"{argument}: feature {label!r} has no geometry"
            raise InputError(msg)
        check_geometries_lonlat(geoms, argument=argument, labels=wgs.index)
        _points(wgs, argument)  # raises: names the first feature that is not a point
    lon, lat = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    if not (np.all(np.abs(lon) <= 180.0) and np.all(np.abs(lat) <= 90.0)):  # False for NaN too
        check_geometries_lonlat(geoms, argument=argument, labels=wgs.index)
    return wgs, lon, lat


def _type_name(geom: shapely.Geometry) -> str:
    return str(geom.geom_type)


def _points(gdf: gpd.GeoDataFrame, argument: str) -> tuple[np.ndarray, np.ndarray]:
    geoms = np.asarray(gdf.geometry.values)
    bad = np.flatnonzero(shapely.get_type_id(geoms) != _POINT)
    if bad.size:
        kind = _type_name(geoms[bad[0]])
        msg = f"{argument}: expected Point geometries, feature {gdf.index[bad[0]]!r} is a {kind}"
        raise InputError(msg)
    xy = shapely.get_coordinates(geoms)
    return xy[:, 0].copy(), xy[:, 1].copy()


def _target_kinds(gdf: gpd.GeoDataFrame, argument: str) -> tuple[np.ndarray, np.ndarray]:
    geoms = np.asarray(gdf.geometry.values)
    types = shapely.get_type_id(geoms)
    is_point = types == _POINT
    is_poly = np.isin(types, _POLYGONAL)
    bad = np.flatnonzero(~(is_point | is_poly))
    if bad.size:
        kind = _type_name(geoms[bad[0]])
        msg = f"{argument}: expected Point or Polygon geometries, feature {gdf.index[bad[0]]!r} is a {kind}"
        raise InputError(msg)
    return np.flatnonzero(is_point), np.flatnonzero(is_poly)


def _check_distance(value: float | None, argument: str, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not np.isfinite(value)
        or value < 0
    ):
        msg = f"{argument}: expected a distance in metres >= 0, got {value!r}"
        raise InputError(msg)


# ----------------------------------------------------------------------------- array solvers
def nearest_points(
    src_lon: np.ndarray,
    src_lat: np.ndarray,
    tgt_lon: np.ndarray,
    tgt_lat: np.ndarray,
    *,
    k: int = 1,
    max_distance_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """K nearest point targets of each source point, exact on the ellipsoid.

    One compiled pass per source (:mod:`geo._knn`): kd-tree candidates by chord, exact distances,
    and the certificate that no target left out can be nearer.

    Returns
    -------
    (index, distance_m) : two (n_sources, k) arrays
        Target positions (-1 where fewer than k targets lie within ``max_distance_m``) and metres
        (inf there), each row sorted by distance, then by target position.
    """
    src_lon, src_lat = check_lonlat(src_lon, src_lat, argument="src_lon/src_lat")
    tgt_lon, tgt_lat = check_lonlat(tgt_lon, tgt_lat, argument="tgt_lon/tgt_lat")
    src_lon, src_lat, tgt_lon, tgt_lat = (
        np.ascontiguousarray(np.atleast_1d(a), dtype=np.float64).ravel()
        for a in (src_lon, src_lat, tgt_lon, tgt_lat)
    )
    n_src, n_tgt = len(src_lon), len(tgt_lon)
    if n_src == 0 or n_tgt == 0:
        return np.full((n_src, k), -1, dtype=np.int64), np.full((n_src, k), np.inf)
    tree = build_kdtree(unit_vectors(tgt_lon, tgt_lat))
    m = min(k + 1, n_tgt)
    if n_src >= CELLS_MIN_SOURCES and n_src >= CELLS_SOURCES_PER_TARGET * n_tgt:
        step = max(1, n_src // 20_000)  # a cap around a sample: sources outside use the kd-tree
        cap, cap_chord = source_cap(src_lon[::step], src_lat[::step])
        cap_chord = min(2.0, cap_chord * 1.1)
        max_cells = max(1024, n_src // 16)
        cells = build_cells(m, cap, cap_chord, max_cells, tree)
    else:  # few sources per target: the kd-tree alone
        cells = no_cells()
    max_m = np.inf if max_distance_m is None else float(max_distance_m)
    bound = np.inf if max_distance_m is None else float(sphere_m_to_chord(max_m / SPHERE_LOWER)) * (1 + 1e-12)
    tsu, tcu = reduced_latitudes(tgt_lat)
    idx, dist, redo = nearest_kernel(
        src_lon,
        src_lat,
        tgt_lon,
        tsu,
        tcu,
        k,
        max_m,
        bound * bound,
        SPHERE_LOWER,
        EARTH_RADIUS_M,
        tree,
        cells,
    )
    again = np.flatnonzero(redo)
    if again.size:  # a nearly antipodal candidate: Vincenty did not converge; Karney's algorithm
        logger.debug("nearest: %d sources measured with Karney's algorithm", again.size)
        idx[again], dist[again] = _nearest_points_karney(
            src_lon[again], src_lat[again], tgt_lon, tgt_lat, k=k, max_distance_m=max_distance_m
        )
    return idx, dist


def _nearest_points_karney(
    src_lon: np.ndarray,
    src_lat: np.ndarray,
    tgt_lon: np.ndarray,
    tgt_lat: np.ndarray,
    *,
    k: int,
    max_distance_m: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force :func:`nearest_points`, for the few sources with a nearly antipodal candidate.

    Distances by :func:`geo.distance.geodesic_m` (Karney's algorithm where Vincenty's does not converge).
    """
    out_i = np.empty((len(src_lon), k), dtype=np.int64)
    out_d = np.empty((len(src_lon), k))
    rows = max(1, 1_000_000 // len(tgt_lon))
    for lo in range(0, len(src_lon), rows):
        sl = slice(lo, lo + rows)
        d = _geodesic_m(src_lon[sl, None], src_lat[sl, None], tgt_lon[None, :], tgt_lat[None, :])
        if max_distance_m is not None:
            d[d > max_distance_m] = np.inf
        order = np.lexsort((np.broadcast_to(np.arange(len(tgt_lon)), d.shape), d), axis=1)[:, :k]
        best = np.take_along_axis(d, order, axis=1)
        out_i[sl], out_d[sl] = np.where(np.isfinite(best), order, -1), best
    return out_i, out_d


def _caps(polygons: list[shapely.Geometry]) -> tuple[np.ndarray, np.ndarray]:
    """Centre unit vector and angular radius (radians) of a spherical cap around each polygon."""
    centres = np.empty((len(polygons), 3))
    radii = np.empty(len(polygons))
    for j, poly in enumerate(polygons):
        coords = shapely.get_coordinates(poly)
        vec = unit_vectors(coords[:, 0], coords[:, 1])
        centre = vec.mean(axis=0)
        centre /= np.linalg.norm(centre)
        centres[j] = centre
        radii[j] = float(np.max(np.arccos(np.clip(vec @ centre, -1.0, 1.0))))
    # edges are lon/lat lines, not great circles: widen the cap a little to hold their bulge
    return centres, radii * 1.01 + 1e-5


def _polygon_lower_bounds(query: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Lowest possible ellipsoidal distance (m) from each query point to each polygon's cap."""
    angle = np.arccos(np.clip(query @ centres.T, -1.0, 1.0))
    lower: np.ndarray = np.maximum(angle - radii, 0.0) * EARTH_RADIUS_M * SPHERE_LOWER * (1 - 1e-9)
    return lower


def nearest_polygons(
    src_lon: np.ndarray,
    src_lat: np.ndarray,
    polygons: list[shapely.Geometry],
    *,
    k: int = 1,
    max_distance_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """K nearest polygons of each source point (distance 0 inside). Same returns as :func:`nearest_points`."""
    src_lon, src_lat = check_lonlat(src_lon, src_lat, argument="src_lon/src_lat")
    n_src = len(src_lon)
    out_idx = np.full((n_src, k), -1, dtype=np.int64)
    out_d = np.full((n_src, k), np.inf)
    if not polygons:
        return out_idx, out_d
    limit = np.inf if max_distance_m is None else max_distance_m
    centres, radii = _caps(polygons)
    chunk = max(1, 2_000_000 // len(polygons))
    for start in range(0, n_src, chunk):
        sl = slice(start, start + chunk)
        lon, lat = src_lon[sl], src_lat[sl]
        # each point measures its polygons nearest-cap first and skips those whose cap lower bound
        # is beyond its k-th distance so far (or the limit): they cannot be among its k nearest
        lower = _polygon_lower_bounds(unit_vectors(lon, lat), centres, radii)
        visit = np.argsort(lower, axis=1, kind="stable")
        d = np.full(lower.shape, np.inf)
        kth = np.full(len(lon), limit)
        rows = np.arange(len(lon))
        for step in range(len(polygons)):
            poly = visit[:, step]
            active = np.flatnonzero(lower[rows, poly] <= kth)
            if active.size == 0:
                break
            for j in np.unique(poly[active]):
                these = active[poly[active] == j]
                d[these, j] = points_polygon_m(lon[these], lat[these], polygons[j])
            if step + 1 >= k:
                kth = np.minimum(np.partition(d, k - 1, axis=1)[:, k - 1], limit)
        d[d > limit] = np.inf
        order = np.lexsort((np.broadcast_to(np.arange(len(polygons)), d.shape), d), axis=1)[:, :k]
        best = np.take_along_axis(d, order, axis=1)
        out_idx[sl] = np.where(np.isfinite(best), order, -1)
        out_d[sl] = best
    return out_idx, out_d


# ----------------------------------------------------------------------------- public API
def nearest(
    sources: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, *, k: int = 1, max_distance_m: float | None = None
) -> pd.DataFrame:
    """The k nearest targets of every source, by WGS84 geodesic distance.

    Parameters
    ----------
    sources : geopandas.GeoDataFrame
        Point features, any CRS (it must have one).
    targets : geopandas.GeoDataFrame
        Point and/or polygon features, any CRS; a polygon's distance is 0 for a source inside it.
    k : int, keyword-only
        How many targets per source, 1 to ``len(targets)``.
    max_distance_m : float, optional, keyword-only
        Ignore targets farther than this many metres (a source may then get fewer than k rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``source_id`` and ``target_id`` (index labels of the inputs), ``rank`` (1 = nearest)
        and ``distance_m``; ordered by source, then rank. Equal distances rank by target order.

    Raises
    ------
    CRSError
        An input has no CRS.
    InputError
        ``k`` or ``max_distance_m`` out of range, non-point sources, other geometries than points
        and polygons among the targets, or a feature without geometry.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        msg = f"k: expected a whole number >= 1, got {k!r}"
        raise InputError(msg)
    _check_distance(max_distance_m, "max_distance_m", allow_none=True)
    src, lon, lat = _point_frame(sources, "sources")
    tgt = _frame(targets, "targets")
    if src.empty or tgt.empty:
        return pd.DataFrame(
            {
                c: pd.Series(dtype="float64" if c == "distance_m" else "int64" if c == "rank" else "object")
                for c in NEAREST_COLUMNS
            }
        )
    if k > len(tgt):
        msg = f"k: {k} is larger than the number of targets ({len(tgt)})"
        raise InputError(msg)
    point_pos, poly_pos = _target_kinds(tgt, "targets")
    parts_i, parts_d = [], []
    if point_pos.size:
        kp = min(k, point_pos.size)
        tx, ty = _points(tgt.iloc[point_pos], "targets")
        idx, d = nearest_points(lon, lat, tx, ty, k=kp, max_distance_m=max_distance_m)
        parts_i.append(np.where(idx >= 0, point_pos[np.maximum(idx, 0)], -1))
        parts_d.append(d)
    if poly_pos.size:
        kp = min(k, poly_pos.size)
        idx, d = nearest_polygons(
            lon, lat, list(tgt.geometry.to_numpy()[poly_pos]), k=kp, max_distance_m=max_distance_m
        )
        parts_i.append(np.where(idx >= 0, poly_pos[np.maximum(idx, 0)], -1))
        parts_d.append(d)
    if len(parts_i) == 1:  # one kind of target: rows already ranked by distance, then position
        idx, dist = parts_i[0], parts_d[0]
    else:
        idx = np.concatenate(parts_i, axis=1)
        dist = np.concatenate(parts_d, axis=1)
        order = np.lexsort((np.where(idx >= 0, idx, len(tgt)), dist), axis=1)[:, :k]
        idx = np.take_along_axis(idx, order, axis=1)
        dist = np.take_along_axis(dist, order, axis=1)
    if k == 1 and bool(np.all(idx >= 0)):
        rows, ranks = np.arange(len(idx)), np.zeros(len(idx), dtype=np.int64)
    else:
        rows, ranks = np.nonzero(idx >= 0)
    return pd.DataFrame(
        {
            "source_id": src.index.to_numpy()[rows],
            "target_id": tgt.index.to_numpy()[idx[rows, ranks]],
            "rank": (ranks + 1).astype("int64"),
            "distance_m": dist[rows, ranks],
        },
        copy=False,  # fresh arrays: no copy into one block (a tenth of a second per million rows)
    )


def within(sources: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, *, radius_m: float) -> pd.DataFrame:
    """Every (source, target) pair no more than ``radius_m`` metres apart (geodesic).

    Parameters
    ----------
    sources : geopandas.GeoDataFrame
        Point features, any CRS (it must have one).
    targets : geopandas.GeoDataFrame
        Point and/or polygon features (distance 0 inside a polygon).
    radius_m : float, keyword-only
        The radius in metres, >= 0.

    Returns
    -------
    pandas.DataFrame
        ``source_id``, ``target_id``, ``distance_m``; ordered by source, then distance.
    """
    _check_distance(radius_m, "radius_m", allow_none=False)
    src = _frame(sources, "sources")
    tgt = _frame(targets, "targets")
    if src.empty or tgt.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="float64" if c == "distance_m" else "object") for c in WITHIN_COLUMNS}
        )
    lon, lat = _points(src, "sources")
    point_pos, poly_pos = _target_kinds(tgt, "targets")
    s_parts, t_parts, d_parts = [], [], []
    query = unit_vectors(lon, lat)
    if point_pos.size:
        tx, ty = _points(tgt.iloc[point_pos], "targets")
        tree = cKDTree(unit_vectors(tx, ty), leafsize=8)
        chord = float(sphere_m_to_chord(radius_m / SPHERE_LOWER)) * (1 + 1e-12)
        hits = tree.query_ball_point(query, chord, workers=-1, return_sorted=False)
        counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        s = np.repeat(np.arange(len(hits)), counts)
        t = np.fromiter((j for h in hits for j in h), dtype=np.int64, count=int(counts.sum()))
        d = _geodesic_m(lon[s], lat[s], tx[t], ty[t])
        keep = d <= radius_m
        s_parts.append(s[keep])
        t_parts.append(point_pos[t[keep]])
        d_parts.append(d[keep])
    if poly_pos.size:
        polygons = list(tgt.geometry.to_numpy()[poly_pos])
        centres, radii = _caps(polygons)
        lower = _polygon_lower_bounds(query, centres, radii)
        rows, cols = np.nonzero(lower <= radius_m)
        d = np.zeros(len(rows))
        for j in np.unique(cols):
            mine = cols == j
            d[mine] = points_polygon_m(lon[rows[mine]], lat[rows[mine]], polygons[j])
        keep = d <= radius_m if d.size else np.zeros(0, dtype=bool)
        s_parts.append(rows[keep])
        t_parts.append(poly_pos[cols[keep]])
        d_parts.append(d[keep] if d.size else d)
    s_all, t_all, d_all = (np.concatenate(p) if p else np.zeros(0) for p in (s_parts, t_parts, d_parts))
    order = np.lexsort((t_all, d_all, s_all))
    s, t, d = s_all[order].astype(np.int64), t_all[order].astype(np.int64), d_all[order]
    return pd.DataFrame(
        {"source_id": src.index.to_numpy()[s], "target_id": tgt.index.to_numpy()[t], "distance_m": d},
        copy=False,
    )


def distance_matrix(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> pd.DataFrame:
    """Geodesic distances in metres from every point of ``a`` to every feature of ``b``.

    Parameters
    ----------
    a : geopandas.GeoDataFrame
        Point features, any CRS (it must have one).
    b : geopandas.GeoDataFrame
        Point and/or polygon features (distance 0 inside a polygon).

    Returns
    -------
    pandas.DataFrame
        Shape (len(a), len(b)), indexed by ``a``'s index, columns ``b``'s index, values in metres.
    """
    src = _frame(a, "a")
    tgt = _frame(b, "b")
    out = np.zeros((len(src), len(tgt)))
    if len(src) and len(tgt):
        lon, lat = _points(src, "a")
        point_pos, poly_pos = _target_kinds(tgt, "b")
        if point_pos.size:
            tx, ty = _points(tgt.iloc[point_pos], "b")
            out[:, point_pos] = _geodesic_m(lon[:, None], lat[:, None], tx[None, :], ty[None, :])
        for j in poly_pos:
            out[:, j] = points_polygon_m(lon, lat, tgt.geometry.iloc[j])
    return pd.DataFrame(out, index=src.index, columns=tgt.index)


# ----------------------------------------------------------------------------- result geometry
def geodesic_line(
    lon1: float, lat1: float, lon2: float, lat2: float, *, spacing_m: float = 50_000.0
) -> shapely.LineString:
    """The geodesic from (lon1, lat1) to (lon2, lat2): a LineString with a vertex every ``spacing_m`` metres.

    Longitudes are kept continuous along the line (they may pass +/-180); the GeoJSON export and the
    map split such lines at the antimeridian.

    Raises
    ------
    InputError
        For a NaN, infinite or out-of-range coordinate (see :func:`geo.distance.geodesic_m`).
    """
    distance = float(geodesic_m(*(np.asarray(v) for v in (lon1, lat1, lon2, lat2))))
    n_inner = int(min(500, distance // spacing_m))
    inner = GEOD.npts(lon1, lat1, lon2, lat2, n_inner) if n_inner > 0 else []
    coords = np.array([(lon1, lat1), *inner, (lon2, lat2)], dtype=np.float64)
    steps = np.diff(coords[:, 0])
    coords[1:, 0] -= 360.0 * np.cumsum(np.round(steps / 360.0))
    return shapely.LineString(coords)


def geodesic_circle(lon: float, lat: float, radius_m: float, *, n_vertices: int = 180) -> shapely.Polygon:
    """A geodesic circle (range ring): the points ``radius_m`` metres from (lon, lat) on the ellipsoid.

    Raises
    ------
    InputError
        If ``radius_m`` is not a positive distance, or the centre is not a usable lon/lat.
    """
    lon, lat = (float(v) for v in check_lonlat(lon, lat, argument="lon/lat"))
    _check_distance(radius_m, "radius_m", allow_none=False)
    if radius_m <= 0:
        msg = f"radius_m: expected a distance in metres > 0, got {radius_m!r}"
        raise InputError(msg)
    azimuths = np.linspace(0.0, 360.0, n_vertices, endpoint=False)
    lons, lats, _ = GEOD.fwd(
        np.full(n_vertices, lon), np.full(n_vertices, lat), azimuths, np.full(n_vertices, radius_m)
    )
    lons = np.asarray(lons)
    lons = lons[0] + ((lons - lons[0] + 180.0) % 360.0 - 180.0)  # continuous around the antimeridian
    return shapely.Polygon(np.column_stack((lons, lats))[::-1])


def nearest_lines(
    sources: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, result: pd.DataFrame, *, label: str = "name"
) -> gpd.GeoDataFrame:
    """Geodesic lines from each source to its targets in a :func:`nearest` or :func:`within` result.

    Parameters
    ----------
    sources, targets : geopandas.GeoDataFrame
        The frames the result was computed from (their index labels are the result's ids).
    result : pandas.DataFrame
        Output of :func:`nearest` or :func:`within`.
    label : str, keyword-only
        Column of the frames copied as ``source_name`` / ``target_name`` when present.

    Returns
    -------
    geopandas.GeoDataFrame
        The result's columns plus ``distance_km``, the names, ``source_approximate_location`` /
        ``target_approximate_location`` when the frames carry an ``approximate_location`` flag
        (placeholder locations, see ``layers.analysis_targets``), and a geodesic LineString to the
        target's nearest point (its location for points; the polygon's nearest vertex otherwise),
        in EPSG:4326.
    """
    src = _frame(sources, "sources")
    tgt = _frame(targets, "targets")
    out = result.copy()
    out["distance_km"] = out["distance_m"] / 1000.0
    if label in src.columns:
        out.insert(1, "source_name", src.loc[out["source_id"], label].to_numpy())
    if label in tgt.columns:
        out.insert(
            3 if label in src.columns else 2, "target_name", tgt.loc[out["target_id"], label].to_numpy()
        )
    for frame, side in ((src, "source"), (tgt, "target")):  # results that used a placeholder say so
        if APPROXIMATE in frame.columns:
            flags = frame[APPROXIMATE].fillna(False).astype(bool)
            out[f"{side}_{APPROXIMATE}"] = flags.loc[out[f"{side}_id"]].to_numpy()
    lines = []
    for sid, tid in zip(out["source_id"], out["target_id"], strict=True):
        a = src.geometry.loc[sid]
        b = tgt.geometry.loc[tid]
        if b.geom_type != "Point":
            coords = shapely.get_coordinates(b.boundary)
            d = geodesic_m(a.x, a.y, coords[:, 0], coords[:, 1])
            b = shapely.Point(coords[int(np.argmin(d))]) if not shapely.contains_xy(b, a.x, a.y) else a
        lines.append(geodesic_line(a.x, a.y, b.x, b.y))
    return gpd.GeoDataFrame(out, geometry=lines, crs=WGS84)
