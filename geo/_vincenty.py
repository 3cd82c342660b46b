"""Vincenty's inverse formula on WGS84, compiled with numba and run in parallel.

Used by :func:`geo.distance.geodesic_m` as the fast path for the ellipsoidal geodesic distance.
Iterating to 1e-12 rad makes it agree with Karney's algorithm (pyproj.Geod) to well under a
millimetre; pairs where it does not converge (nearly antipodal points) come back as NaN and are
computed with pyproj instead.

Reference: T. Vincenty, "Direct and inverse solutions of geodesics on the ellipsoid with
application of nested equations", Survey Review 23 (176), 1975.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_A = 6378137.0
_F = 1 / 298.257223563
_B = _A * (1 - _F)
_TOL = 1e-12
_MAX_ITER = 200
_D2R = math.pi / 180.0


@numba.njit(cache=True, fastmath=False)
def reduced_latitude(lat: float) -> tuple[float, float]:
    """Sine and cosine of the reduced latitude of ``lat`` degrees (the same numbers :func:`_one` uses)."""
    u = math.atan((1 - _F) * math.tan(lat * _D2R)) if abs(lat) < 90.0 else math.copysign(math.pi / 2, lat)
    return math.sin(u), math.cos(u)


@numba.njit(cache=True, fastmath=False)
def _one(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    if lon1 == lon2 and lat1 == lat2:
        return 0.0
    sin_u1, cos_u1 = reduced_latitude(lat1)
    sin_u2, cos_u2 = reduced_latitude(lat2)
    return from_reduced(lon1, sin_u1, cos_u1, lon2, sin_u2, cos_u2)


@numba.njit(cache=True, fastmath=False)
def from_reduced(
    lon1: float, sin_u1: float, cos_u1: float, lon2: float, sin_u2: float, cos_u2: float
) -> float:
    """Compute :func:`_one` from longitudes and the reduced latitudes' sines and cosines.

    Those come from :func:`reduced_latitude`, once per point when a point is measured against many.
    """
    l_diff = (((lon2 - lon1) + 540.0) % 360.0 - 180.0) * _D2R
    # start from the first-order solution lambda = L / (1 - f cos u1 cos u2) of short lines rather
    # than L: about one iteration fewer (the converged value is the same)
    lam = l_diff / (1.0 - _F * cos_u1 * cos_u2) if abs(l_diff) < 1.5 else l_diff
    sin_sigma = cos_sigma = sigma = cos2_alpha = cos_2sm = 0.0
    for _ in range(_MAX_ITER):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        t1 = cos_u2 * sin_lam
        t2 = cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam
        sin_sigma = math.sqrt(t1 * t1 + t2 * t2)
        if sin_sigma == 0.0:
            return 0.0
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1.0 - sin_alpha * sin_alpha
        cos_2sm = cos_sigma - 2.0 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha != 0.0 else 0.0
        c = _F / 16.0 * cos2_alpha * (4.0 + _F * (4.0 - 3.0 * cos2_alpha))
        lam_prev = lam
        lam = l_diff + (1.0 - c) * _F * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm))
        )
        if abs(lam - lam_prev) < _TOL:
            break
    else:
        return math.nan
    if abs(lam) > math.pi:
        return math.nan  # outside the formula's domain (antipodal region): leave it to Karney
    u_sq = cos2_alpha * (_A * _A - _B * _B) / (_B * _B)
    big_a = 1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)))
    big_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)))
    delta = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4.0
            * (
                cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                - big_b
                / 6.0
                * cos_2sm
                * (-3.0 + 4.0 * sin_sigma * sin_sigma)
                * (-3.0 + 4.0 * cos_2sm * cos_2sm)
            )
        )
    )
    return _B * big_a * (sigma - delta)


@numba.njit(cache=True, parallel=True)
def inverse_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Element-wise geodesic distances in metres (NaN where the iteration does not converge)."""
    n = lon1.size
    out = np.empty(n)
    for i in numba.prange(n):
        out[i] = _one(lon1[i], lat1[i], lon2[i], lat2[i])
    return out
