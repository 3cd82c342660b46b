"""Geodesic primitives on the WGS84 ellipsoid, vectorised.

Exact distances: Vincenty's inverse formula compiled with numba (agrees with Karney's algorithm in
:class:`pyproj.Geod` to under 0.1 mm), with Karney's algorithm for the nearly antipodal pairs where
Vincenty does not converge. Candidate searches use unit vectors on a sphere built from geodetic
lon/lat; the bounds below turn a spherical distance into a guaranteed bracket of the ellipsoidal one.

Bracket: for any two points, ``SPHERE_LOWER * s <= d <= SPHERE_UPPER * s`` where ``d`` is the WGS84
geodesic distance and ``s = EARTH_RADIUS_M * central_angle`` on the unit sphere of geodetic
coordinates. The extremes are the smallest and largest radii of curvature of the ellipsoid,
``a(1 - e^2) = 6,335,439 m`` (meridian at the equator) and ``a^2 / b = 6,399,594 m`` (at the poles),
over the mean radius: 0.99442 and 1.00449; we keep a margin of 1e-4 (checked on 2 million random
pairs in ``tests/test_distance.py``).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo._vincenty import inverse_m

#: The WGS84 ellipsoid.
GEOD: Final = pyproj.Geod(ellps="WGS84")
#: Mean Earth radius (IUGG R1), metres.
EARTH_RADIUS_M: Final[float] = 6_371_008.8
#: Lower and upper factor from spherical to ellipsoidal distance (see the module docstring).
SPHERE_LOWER: Final[float] = 0.9943
SPHERE_UPPER: Final[float] = 1.0046
#: Smallest meridian radius of curvature of WGS84, a(1 - e^2) (at the equator), metres: a geodesic
#: of length r changes latitude by at most r / this (radians).
MERIDIAN_RADIUS_MIN_M: Final[float] = 6_335_439.327
#: Metres per degree along a lon/lat straight line, an upper bound (the largest is ~111.7 km).
MAX_M_PER_DEGREE: Final[float] = 111_700.0
#: Polygon distances: boundary vertex spacing as a share of the distance (error <= share**2 / 8).
POLYGON_SPACING_SHARE: Final[float] = 0.05
#: Polygon distances: smallest boundary vertex spacing, metres.
POLYGON_MIN_SPACING_M: Final[float] = 0.05

_THREAD_MIN = 50_000


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 3) unit vectors of geodetic (lon, lat) degrees on the unit sphere."""
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def chord_to_sphere_m(chord: np.ndarray | float) -> np.ndarray:
    """Spherical distance (metres, mean radius) of a unit-sphere chord."""
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord, dtype=np.float64) / 2.0, 0.0, 1.0))


def sphere_m_to_chord(distance_m: np.ndarray | float) -> np.ndarray:
    """Unit-sphere chord of a spherical distance in metres (capped at the diameter)."""
    angle = np.minimum(np.asarray(distance_m, dtype=np.float64) / EARTH_RADIUS_M, math.pi)
    return 2.0 * np.sin(angle / 2.0)


def geodesic_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Ellipsoidal (WGS84) geodesic distances in metres, element-wise.

    Vincenty's inverse formula, compiled and parallel (:mod:`geo._vincenty`), agrees with Karney's
    algorithm (pyproj.Geod) to under 0.1 mm; the few nearly antipodal pairs where it does not
    converge are computed with Karney's algorithm through pyproj.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        Degrees; broadcast against each other.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in (lon1, lat1, lon2, lat2)]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [
        np.ascontiguousarray(a if a.shape == shape else np.broadcast_to(a, shape)).ravel() for a in arrays
    ]
    out = inverse_m(*flat)
    failed = np.flatnonzero(np.isnan(out))
    if failed.size:
        out[failed] = karney_m(*(a[failed] for a in flat))
    return out.reshape(shape)


def karney_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Geodesic distances in metres by Karney's algorithm (pyproj.Geod), split over threads."""
    n = np.asarray(lon1).size
    workers = min(os.cpu_count() or 1, 8)
    if n < _THREAD_MIN or workers == 1:
        return _inv(lon1, lat1, lon2, lat2)
    bounds = np.linspace(0, n, workers + 1, dtype=np.int64)
    out = np.empty(n)

    def run(i: int) -> None:
        lo, hi = bounds[i], bounds[i + 1]
        out[lo:hi] = _inv(lon1[lo:hi], lat1[lo:hi], lon2[lo:hi], lat2[lo:hi])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, range(workers)))
    return out


def _inv(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2, return_back_azimuth=False)[2], dtype=np.float64)


def point_polygon_m(lon: float, lat: float, polygon: BaseGeometry) -> float:
    """Geodesic distance in metres from a point to a polygon (0 inside or on the boundary).

    The boundary (straight lines in lon/lat, as GeoJSON defines them) is densified until its
    vertex spacing is at most ``POLYGON_SPACING_SHARE`` of the distance, then the nearest vertex is
    found with exact geodesics. The overestimate is at most ``spacing**2 / (8 d)``: under 0.04 % of
    the distance, or under a millimetre within a metre of the boundary.

    Parameters
    ----------
    lon, lat : float
        The point, degrees.
    polygon : shapely Polygon or MultiPolygon
        In lon/lat degrees; not crossing the antimeridian (split it first, as the export does).
    """
    if shapely.contains_xy(polygon, lon, lat) or shapely.intersects_xy(polygon.boundary, lon, lat):
        return 0.0
    boundary = polygon.boundary
    coords = shapely.get_coordinates(boundary)
    best = float(np.min(geodesic_m(lon, lat, coords[:, 0], coords[:, 1])))
    while True:
        spacing_m = max(POLYGON_MIN_SPACING_M, POLYGON_SPACING_SHARE * best)
        dense = shapely.get_coordinates(shapely.segmentize(boundary, spacing_m / MAX_M_PER_DEGREE))
        refined = float(np.min(geodesic_m(lon, lat, dense[:, 0], dense[:, 1])))
        # the spacing came from an upper bound of the distance: repeat until it fits the one found
        if spacing_m <= max(POLYGON_MIN_SPACING_M, POLYGON_SPACING_SHARE * refined) * 1.001:
            return refined
        best = refined


def points_polygon_m(lon: np.ndarray, lat: np.ndarray, polygon: BaseGeometry) -> np.ndarray:
    """Geodesic distances in metres from many points to one polygon (0 inside), vectorised.

    The boundary is densified to a vertex spacing ``s`` (about 1/20,000 of its length, at least
    10 m); the exact distance to each point's nearest boundary vertices on the sphere (kd-tree on
    unit vectors) overestimates by at most ``s**2 / (8 d)`` (the spacing) plus a second-order term
    from the sphere choosing the vertex: moving along the boundary by ``x`` changes the distance by
    ``x**2 / (2 d)``, and the ellipsoid's minimum is at most ``0.007 d`` away (its scale varies
    with azimuth by under 0.7 %), so that term is under ``2.5e-5 d``. Together under 0.1 % once
    ``d >= 3.5 s``; points nearer than that fall back to :func:`point_polygon_m`.
    """
    from scipy.spatial import cKDTree

    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    out = np.zeros(len(lon))
    inside = shapely.contains_xy(polygon, lon, lat)
    todo = np.flatnonzero(~inside)
    if todo.size == 0:
        return out
    boundary = polygon.boundary
    length_m = float(np.sum(geodesic_m(*_segment_ends(boundary))))
    spacing_m = max(10.0, length_m / 20_000.0)
    dense = shapely.get_coordinates(shapely.segmentize(boundary, spacing_m / MAX_M_PER_DEGREE))
    tree = cKDTree(unit_vectors(dense[:, 0], dense[:, 1]))
    k = min(3, len(dense))
    _, idx = tree.query(unit_vectors(lon[todo], lat[todo]), k, workers=-1)
    idx = idx.reshape(todo.size, k)
    # exact distances to the few vertices nearest on the sphere: the vertex nearest on the
    # ellipsoid may lie elsewhere along the boundary, but where the distance along the boundary
    # is flat, so the excess is second order (under 3e-5 of the distance; see the docstring)
    best = geodesic_m(lon[todo, None], lat[todo, None], dense[idx, 0], dense[idx, 1]).min(axis=1)
    out[todo] = best
    close = todo[best < 3.5 * spacing_m]
    for i in close:
        out[i] = point_polygon_m(lon[i], lat[i], polygon)
    return out


def _segment_ends(boundary: BaseGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    parts = getattr(boundary, "geoms", [boundary])
    starts, ends = [], []
    for part in parts:
        c = shapely.get_coordinates(part)
        starts.append(c[:-1])
        ends.append(c[1:])
    a, b = np.vstack(starts), np.vstack(ends)
    return a[:, 0], a[:, 1], b[:, 0], b[:, 1]
