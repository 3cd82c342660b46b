"""Point-to-route kernels of :mod:`geo.corridor`, compiled with numba.

The densified route's segments are chords between consecutive vertices in earth-centred cartesian
coordinates (metres). A binary tree of bounding spheres over runs of consecutive segments (a route is
spatially coherent along its length) lets each point skip every part of the route whose sphere lies
farther than the nearest segment found so far, or than the corridor's bound: a point far from the
route is rejected after a handful of sphere tests, a point near it examines a few leaves of
:data:`LEAF_SEGMENTS` segments. The closest segment is exact (the same chord distance as examining
every segment); only it is lifted to the surface and measured on the ellipsoid.

Bounds are in metres of straight-line (3-D) distance. A geodesic on the surface is never shorter than
the straight line between its ends, and a route segment of length ``s`` lies within ``s**2 / (8 R)``
of its chord (``R`` the smallest radius of curvature of WGS84), so a point whose chord distance to
every segment exceeds ``max_m + s**2 / (8 R)`` is farther than ``max_m`` from the route.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from geo._vincenty import _one as vincenty_m

#: Segments per leaf of the bounding-sphere tree.
LEAF_SEGMENTS = 8
#: Points per parallel task.
_CHUNK = 4096
_A = 6378137.0
_E2 = 6.69437999014e-3
_B = _A * math.sqrt(1.0 - _E2)
_EP2 = _E2 / (1.0 - _E2)
_D2R = math.pi / 180.0


@numba.njit(cache=True)
def ecef(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    """(n, 3) earth-centred cartesian coordinates (metres) of points on the WGS84 ellipsoid."""
    n = len(lon_deg)
    out = np.empty((n, 3))
    for i in range(n):
        lam, phi = lon_deg[i] * _D2R, lat_deg[i] * _D2R
        sin_phi, cos_phi = math.sin(phi), math.cos(phi)
        big_n = _A / math.sqrt(1.0 - _E2 * sin_phi * sin_phi)
        out[i, 0] = big_n * cos_phi * math.cos(lam)
        out[i, 1] = big_n * cos_phi * math.sin(lam)
        out[i, 2] = big_n * (1.0 - _E2) * sin_phi
    return out


@numba.njit(cache=True)
def build_tree(vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Bounding spheres of a complete binary tree over runs of consecutive segments.

    Node 1 is the root, node ``i`` has children ``2i`` and ``2i + 1``; leaves are nodes
    ``n_leaves_padded .. 2 * n_leaves_padded - 1``, leaf ``j`` holding segments
    ``j * LEAF_SEGMENTS`` up to the next leaf's first (segment ``s`` joins vertices ``s`` and ``s + 1``).

    Returns
    -------
    (centre, radius, n_leaves_padded)
        (2 P, 3) centres and (2 P,) radii in metres (-1 for an empty node), and P.
    """
    n_seg = len(vertices) - 1
    n_leaves = (n_seg + LEAF_SEGMENTS - 1) // LEAF_SEGMENTS
    padded = 1
    while padded < n_leaves:
        padded *= 2
    centre = np.zeros((2 * padded, 3))
    radius = np.full(2 * padded, -1.0)
    first = np.empty(2 * padded, dtype=np.int64)
    last = np.empty(2 * padded, dtype=np.int64)  # vertex range lo..hi inclusive
    for j in range(padded):
        node = padded + j
        first[node] = j * LEAF_SEGMENTS
        last[node] = min((j + 1) * LEAF_SEGMENTS, n_seg)
    for node in range(padded - 1, 0, -1):
        first[node] = first[2 * node]
        last[node] = last[2 * node + 1]
    for node in range(1, 2 * padded):
        lo, hi = first[node], last[node]
        if lo >= n_seg:
            continue
        # centre: middle of the vertices' bounding box; radius: farthest vertex (the chords between
        # them lie in their convex hull, so inside the sphere)
        for c in range(3):
            mn, mx = vertices[lo, c], vertices[lo, c]
            for v in range(lo + 1, hi + 1):
                mn = min(mn, vertices[v, c])
                mx = max(mx, vertices[v, c])
            centre[node, c] = 0.5 * (mn + mx)
        r2 = 0.0
        for v in range(lo, hi + 1):
            dx = vertices[v, 0] - centre[node, 0]
            dy = vertices[v, 1] - centre[node, 1]
            dz = vertices[v, 2] - centre[node, 2]
            r2 = max(r2, dx * dx + dy * dy + dz * dz)
        radius[node] = math.sqrt(r2) * (1.0 + 1e-12) + 1e-6
    return centre, radius, padded


@numba.njit(cache=True, inline="always")
def _closest(
    px: float,
    py: float,
    pz: float,
    vertices: np.ndarray,
    n_seg: int,
    centre: np.ndarray,
    radius: np.ndarray,
    padded: int,
    bound_m: float,
    stack: np.ndarray,
) -> tuple[float, int, float]:
    """(squared chord distance, segment, t) of the chord nearest to p within ``bound_m``; segment -1: none."""
    best = bound_m * bound_m if bound_m < np.inf else np.inf
    best_seg, best_t = -1, 0.0
    stack[0] = 1
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        r = radius[node]
        if r < 0.0:
            continue
        dx, dy, dz = px - centre[node, 0], py - centre[node, 1], pz - centre[node, 2]
        lower = math.sqrt(dx * dx + dy * dy + dz * dz) - r
        if lower > 0.0 and lower * lower >= best:
            continue
        if node >= padded:
            lo = (node - padded) * LEAF_SEGMENTS
            hi = min(lo + LEAF_SEGMENTS, n_seg)
            for s in range(lo, hi):
                ax, ay, az = vertices[s, 0], vertices[s, 1], vertices[s, 2]
                ux, uy, uz = vertices[s + 1, 0] - ax, vertices[s + 1, 1] - ay, vertices[s + 1, 2] - az
                wx, wy, wz = px - ax, py - ay, pz - az
                u2 = ux * ux + uy * uy + uz * uz
                t = (wx * ux + wy * uy + wz * uz) / u2 if u2 > 0.0 else 0.0
                t = min(max(t, 0.0), 1.0)
                wx -= t * ux
                wy -= t * uy
                wz -= t * uz
                d2 = wx * wx + wy * wy + wz * wz
                if d2 < best or (d2 == best and s < best_seg):  # ties: the earlier segment
                    best, best_seg, best_t = d2, s, t
        else:
            # the nearer child is examined first (pushed last)
            left, right = 2 * node, 2 * node + 1
            lx, ly, lz = px - centre[left, 0], py - centre[left, 1], pz - centre[left, 2]
            rx, ry, rz = px - centre[right, 0], py - centre[right, 1], pz - centre[right, 2]
            if lx * lx + ly * ly + lz * lz <= rx * rx + ry * ry + rz * rz:
                stack[top] = right
                stack[top + 1] = left
            else:
                stack[top] = left
                stack[top + 1] = right
            top += 2
    return best, best_seg, best_t


@numba.njit(cache=True, parallel=True)
def point_to_route_kernel(
    lon: np.ndarray,
    lat: np.ndarray,
    vertices: np.ndarray,
    chainage_km: np.ndarray,
    centre: np.ndarray,
    radius: np.ndarray,
    padded: int,
    bound_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance (km), chainage (km) and side (+1 left, -1 right) of each point from the route.

    Distance ``inf`` beyond ``bound_m`` of chord distance, NaN where Vincenty's iteration did not
    converge; see :func:`geo.corridor.point_to_route`.
    """
    n = len(lon)
    n_seg = len(vertices) - 1
    distance_km = np.full(n, np.inf)
    chain = np.full(n, np.nan)
    side = np.zeros(n, dtype=np.int64)
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    for chunk in numba.prange(n_chunks):
        stack = np.empty(128, dtype=np.int64)
        for i in range(chunk * _CHUNK, min(n, (chunk + 1) * _CHUNK)):
            lam, phi = lon[i] * _D2R, lat[i] * _D2R
            sin_phi, cos_phi = math.sin(phi), math.cos(phi)
            big_n = _A / math.sqrt(1.0 - _E2 * sin_phi * sin_phi)
            px = big_n * cos_phi * math.cos(lam)
            py = big_n * cos_phi * math.sin(lam)
            pz = big_n * (1.0 - _E2) * sin_phi
            _, s, t = _closest(px, py, pz, vertices, n_seg, centre, radius, padded, bound_m, stack)
            if s < 0:
                continue
            ux = vertices[s + 1, 0] - vertices[s, 0]
            uy = vertices[s + 1, 1] - vertices[s, 1]
            uz = vertices[s + 1, 2] - vertices[s, 2]
            cx, cy, cz = vertices[s, 0] + t * ux, vertices[s, 1] + t * uy, vertices[s, 2] + t * uz
            # lift the chord's closest point to the surface (Bowring 1976)
            p = math.hypot(cx, cy)
            theta = math.atan2(cz * _A, p * _B)
            near_lat = math.atan2(cz + _EP2 * _B * math.sin(theta) ** 3, p - _E2 * _A * math.cos(theta) ** 3)
            near_lon = math.atan2(cy, cx)
            distance_km[i] = vincenty_m(lon[i], lat[i], near_lon / _D2R, near_lat / _D2R) / 1000.0
            chain[i] = chainage_km[s] + t * (chainage_km[s + 1] - chainage_km[s])
            # left of travel when (p - c) . (c x u) > 0, the closest point's radius vector standing for "up"
            cross = (
                (px - cx) * (cy * uz - cz * uy)
                + (py - cy) * (cz * ux - cx * uz)
                + (pz - cz) * (cx * uy - cy * ux)
            )
            side[i] = 1 if cross > 0.0 else (-1 if cross < 0.0 else 0)
    return distance_km, chain, side
