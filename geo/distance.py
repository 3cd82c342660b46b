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
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Final

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike
from shapely.geometry.base import BaseGeometry

from geo._errors import InputError
from geo._vincenty import inverse_m

if TYPE_CHECKING:
    import pandas as pd

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


# ----------------------------------------------------------------------------- input checks
def _degrees(values: ArrayLike, *, argument: str, what: str, limit: float) -> np.ndarray:
    """``values`` as a float array, checked to be finite and within +/-``limit`` degrees."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{argument}: expected {what}s in degrees (numbers), got {values!r}"
        raise InputError(msg) from None
    ok = np.abs(array) <= limit  # False for NaN too
    if not ok.all():
        flat = int(np.flatnonzero(~ok.ravel())[0])
        value = float(array.ravel()[flat])
        where = "" if array.ndim == 0 else f" at index {_index(flat, array.shape)} (0-based)"
        problem = "is not a finite number" if not np.isfinite(value) else f"is outside -{limit:g}..{limit:g}"
        msg = f"{argument}: {what} {value:g}{where} {problem}"
        raise InputError(msg)
    return array


def _index(flat: int, shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return str(flat)
    return str(tuple(int(i) for i in np.unravel_index(flat, shape)))


#: Largest longitude magnitude accepted where longitudes may be continuous across the antimeridian
#: (a route's vertices, geodesic distance arguments): one turn either side of -180..180.
CONTINUOUS_LON_LIMIT: Final[float] = 540.0


def check_lonlat(
    lon: ArrayLike, lat: ArrayLike, *, argument: str, continuous: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes as float arrays, after checking that they are usable coordinates.

    Every value must be a finite number, longitudes within -180..180 and latitudes within -90..90
    degrees (a NaN or a latitude of 95 is refused, never read as the pole).

    Parameters
    ----------
    lon, lat : array_like
        Degrees (any shape; scalars too).
    argument : str, keyword-only
        What the points are (e.g. ``"origin"``), named in the error.
    continuous : bool, keyword-only
        Accept longitudes up to +/-:data:`CONTINUOUS_LON_LIMIT` (a line kept continuous across the
        antimeridian, 181 meaning -179).

    Returns
    -------
    (lon, lat) : two numpy.ndarray of float64

    Raises
    ------
    InputError
        Naming ``argument``, the 0-based index of the first bad value in its array (the position,
        not a user-facing row number) and the value, e.g. ``"origin: latitude 95 at index 3
        (0-based) is outside -90..90"``.
    """
    return (
        _degrees(
            lon, argument=argument, what="longitude", limit=CONTINUOUS_LON_LIMIT if continuous else 180.0
        ),
        _degrees(lat, argument=argument, what="latitude", limit=90.0),
    )


def check_geometries_lonlat(
    geoms: ArrayLike | Sequence[BaseGeometry],
    *,
    argument: str,
    labels: pd.Index | Sequence[Hashable] | None = None,
) -> None:
    """Check that every coordinate of ``geoms`` (shapely geometries in lon/lat) is usable.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        E.g. ``gdf.geometry.values`` of a frame in EPSG:4326.
    argument : str, keyword-only
        The frame's argument name, used in the error.
    labels : sequence, optional, keyword-only
        Index labels of the features, quoted in the error next to the 0-based position.

    Raises
    ------
    InputError
        ``"<argument>: feature 3 (0-based position; label 'x') has latitude 95 (vertex 0), outside
        -90..90"``, or ``... is not a finite number``.
    """
    coords, index = shapely.get_coordinates(np.asarray(geoms), return_index=True)
    for column, what, limit in ((1, "latitude", 90.0), (0, "longitude", 180.0)):
        ok = np.abs(coords[:, column]) <= limit
        if ok.all():
            continue
        row = int(np.flatnonzero(~ok)[0])
        feature = int(index[row])
        vertex = row - int(np.searchsorted(index, feature))
        value = float(coords[row, column])
        label = "" if labels is None else f"; label {labels[feature]!r}"
        problem = "is not a finite number" if not np.isfinite(value) else f"is outside -{limit:g}..{limit:g}"
        msg = (
            f"{argument}: feature {feature} (0-based position{label}) has {what} {value:g} "
            f"(vertex {vertex}), which {problem}"
        )
        raise InputError(msg)


# ----------------------------------------------------------------------------- distances
def geodesic_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Ellipsoidal (WGS84) geodesic distances in metres, element-wise.

    Vincenty's inverse formula, compiled and parallel (:mod:`geo._vincenty`), agrees with Karney's
    algorithm (pyproj.Geod) to under 0.1 mm; the few nearly antipodal pairs where it does not
    converge are computed with Karney's algorithm through pyproj.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        Degrees; broadcast against each other. Latitudes within -90..90; longitudes within
        -180..180, or continuous across the antimeridian up to +/-:data:`CONTINUOUS_LON_LIMIT`.

    Raises
    ------
    InputError
        For a NaN, infinite or out-of-range coordinate, naming the argument (``lat1`` ...) and the
        0-based index of the value in it, e.g. ``"lat1: latitude nan is not a finite number"``.
    """
    lon1, lon2 = (
        _degrees(v, argument=n, what="longitude", limit=CONTINUOUS_LON_LIMIT)
        for v, n in ((lon1, "lon1"), (lon2, "lon2"))
    )
    lat1, lat2 = (
        _degrees(v, argument=n, what="latitude", limit=90.0) for v, n in ((lat1, "lat1"), (lat2, "lat2"))
    )
    return _geodesic_m(lon1, lat1, lon2, lat2)


def _geodesic_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """:func:`geodesic_m` without the input checks, for coordinates already checked."""
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
    lon, lat = (float(v) for v in check_lonlat(lon, lat, argument="lon/lat"))
    if shapely.contains_xy(polygon, lon, lat) or shapely.intersects_xy(polygon.boundary, lon, lat):
        return 0.0
    boundary = polygon.boundary
    coords = shapely.get_coordinates(boundary)
    best = float(np.min(_geodesic_m(lon, lat, coords[:, 0], coords[:, 1])))
    while True:
        spacing_m = max(POLYGON_MIN_SPACING_M, POLYGON_SPACING_SHARE * best)
        dense = shapely.get_coordinates(shapely.segmentize(boundary, spacing_m / MAX_M_PER_DEGREE))
        refined = float(np.min(_geodesic_m(lon, lat, dense[:, 0], dense[:, 1])))
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

    lon, lat = check_lonlat(lon, lat, argument="lon/lat")
    out = np.zeros(len(lon))
    inside = shapely.contains_xy(polygon, lon, lat)
    todo = np.flatnonzero(~inside)
    if todo.size == 0:
        return out
    boundary = polygon.boundary
    length_m = float(np.sum(_geodesic_m(*_segment_ends(boundary))))
    spacing_m = max(10.0, length_m / 20_000.0)
    dense = shapely.get_coordinates(shapely.segmentize(boundary, spacing_m / MAX_M_PER_DEGREE))
    tree = cKDTree(unit_vectors(dense[:, 0], dense[:, 1]))
    k = min(3, len(dense))
    _, idx = tree.query(unit_vectors(lon[todo], lat[todo]), k, workers=-1)
    idx = idx.reshape(todo.size, k)
    # exact distances to the few vertices nearest on the sphere: the vertex nearest on the
    # ellipsoid may lie elsewhere along the boundary, but where the distance along the boundary
    # is flat, so the excess is second order (under 3e-5 of the distance; see the docstring)
    best = _geodesic_m(lon[todo, None], lat[todo, None], dense[idx, 0], dense[idx, 1]).min(axis=1)
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
