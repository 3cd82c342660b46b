"""Kernels of the service areas (:mod:`geo.service_area`), compiled with numba.

* :func:`bounded_dijkstra` — Dijkstra from several source nodes at once, each with its own start
  cost, stopping at a limit: every node whose shortest distance is at most the limit is settled,
  with the source that reaches it first. One pass serves every band up to the limit.
* :func:`band_grid` (:func:`band_grids` for several in parallel) — one band of a service area on
  a grid: along reached network pieces (samples every half cell) the network cost, spread off
  the network as a cone (cost + straight distance) up to a width, as a signed value whose zero
  level is the band's edge.

The heap and the scratch-array helpers are those of :mod:`geo._paths` (binary heap, lazy deletion,
preallocated).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from geo._paths import _pop, _push, _reset

#: Network pieces of :func:`band_grid`: (x0, y0, x1, y1, reach_m, length_m, cost0_km), arrays.
Pieces = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: A grid of :func:`band_grid`: (gx0, gy0, cell_m, nx, ny).
Frame = tuple[float, float, float, int, int]


def workspace(n_nodes: int, n_edges: int) -> tuple[np.ndarray, ...]:
    """Scratch arrays of :func:`bounded_dijkstra`, reused across calls (one set per thread).

    dist (inf), label (-1), done (False), heap keys, heap values, touched nodes, settled nodes.
    """
    return (
        np.full(n_nodes, np.inf),
        np.full(n_nodes, -1, dtype=np.int64),
        np.zeros(n_nodes, dtype=np.bool_),
        np.empty(n_edges + n_nodes + 1),
        np.empty(n_edges + n_nodes + 1, dtype=np.int64),
        np.empty(n_nodes, dtype=np.int64),
        np.empty(n_nodes, dtype=np.int64),
    )


@numba.njit(cache=True)
def bounded_dijkstra(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    sources: np.ndarray,
    start: np.ndarray,
    limit: float,
    dist: np.ndarray,
    label: np.ndarray,
    done: np.ndarray,
    keys: np.ndarray,
    vals: np.ndarray,
    touched: np.ndarray,
    settled: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes within ``limit`` of the nearest source: (nodes, km, source position), by distance.

    ``start[i]`` is the cost already spent when the search enters ``sources[i]`` (its access leg);
    a source node listed twice keeps its least start. Ties between sources go to the first pushed.
    The scratch arrays come from :func:`workspace` and are reset before returning.
    """
    n_touched = 0
    size = 0
    for i in range(len(sources)):
        s = sources[i]
        if start[i] > limit:
            continue
        if dist[s] == np.inf:
            touched[n_touched] = s
            n_touched += 1
        if start[i] < dist[s]:
            dist[s] = start[i]
            label[s] = i
            size = _push(keys, vals, size, start[i], s)
    n_settled = 0
    while size > 0:
        d, u, size = _pop(keys, vals, size)
        if done[u]:
            continue
        if d > limit:
            break
        done[u] = True
        settled[n_settled] = u
        n_settled += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if done[v]:
                continue
            candidate = d + weight[e]
            if candidate < dist[v] and candidate <= limit:
                if dist[v] == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = candidate
                label[v] = label[u]
                size = _push(keys, vals, size, candidate, v)
    nodes = settled[:n_settled].copy()
    km = np.empty(n_settled)
    source = np.empty(n_settled, dtype=np.int64)
    for i in range(n_settled):
        km[i] = dist[nodes[i]]
        source[i] = label[nodes[i]]
    _reset(touched, n_touched, dist, done, label)
    return nodes, km, source


@numba.njit(cache=True, parallel=True)
def band_grids(
    pieces: Pieces, frame: Frame, width_m: float, budgets_km: np.ndarray, far_km: float
) -> np.ndarray:
    """:func:`band_grid` for several budgets at once, in parallel: an array (bands, ny, nx)."""
    nx, ny = frame[3], frame[4]
    out = np.empty((len(budgets_km), ny, nx))
    for b in numba.prange(len(budgets_km)):
        out[b] = band_grid(pieces, frame, width_m, budgets_km[b], far_km)
    return out


@numba.njit(cache=True)
def band_grid(pieces: Pieces, frame: Frame, width_m: float, budget_km: float, far_km: float) -> np.ndarray:
    """Signed reach of each grid cell for one band: <= 0 inside, > 0 outside, in km.

    ``pieces`` are (x0, y0, x1, y1, reach_m, length_m, cost0_km), ``frame`` (gx0, gy0, cell_m, nx, ny).
    Piece ``i`` runs from (x0, y0) towards (x1, y1) (planar metres; the whole edge is ``length_m[i]``
    long on the ground) and is reached for its first ``reach_m[i]`` metres, its cost growing from
    ``cost0_km[i]`` by the distance along it. A sample every half cell along each piece, of cost
    ``c``, gives each cell at straight distance ``r`` the value ``max(c + r - budget, r - width)``:
    zero on the circle of radius ``min(budget - c, width)``, rising with slope 1 on both sides, so
    that linear interpolation between cells places the band's edge (the zero level) to well within
    a cell. Each cell keeps the least value; cells more than ``width`` + 2 cells from every sample
    keep ``far_km``, and values above two cells (never needed) may be left higher. Cell (row j,
    column i) has its centre at (gx0 + i * cell_m, gy0 + j * cell_m).
    """
    x0, y0, x1, y1, reach_m, length_m, cost0_km = pieces
    gx0, gy0, cell_m, nx, ny = frame
    grid = np.full((ny, nx), far_km)
    step = cell_m / 2.0
    # values above two cells are never needed: the edge lies between cells of values around zero
    keep_km = 2.0 * cell_m / 1000.0
    width_km = width_m / 1000.0
    for p in range(len(x0)):
        reach = reach_m[p]
        if reach < 0.0 or cost0_km[p] - budget_km > keep_km:
            continue
        dx = x1[p] - x0[p]
        dy = y1[p] - y0[p]
        # the planar edge may be a little longer or shorter than the ground one: scale along it
        scale = 1.0 / length_m[p] if length_m[p] > 0.0 else 0.0
        n = int(math.ceil(reach / step)) + 1 if reach > 0.0 else 1
        for k in range(n):
            along = reach * k / (n - 1) if n > 1 else 0.0
            over = cost0_km[p] + along / 1000.0 - budget_km
            if over > keep_km:
                break  # the cost only grows along the piece
            t = along * scale
            px = x0[p] + t * dx
            py = y0[p] + t * dy
            # beyond this radius the sample's value exceeds keep_km
            radius_m = (min(width_km, -over) + keep_km) * 1000.0
            radius = int(math.ceil(radius_m / cell_m))
            radius2 = radius_m * radius_m
            ci = int(round((px - gx0) / cell_m))
            cj = int(round((py - gy0) / cell_m))
            for j in range(max(cj - radius, 0), min(cj + radius + 1, ny)):
                cy = gy0 + j * cell_m - py
                for i in range(max(ci - radius, 0), min(ci + radius + 1, nx)):
                    cx = gx0 + i * cell_m - px
                    d2 = cx * cx + cy * cy
                    if d2 > radius2:
                        continue
                    r = math.sqrt(d2) / 1000.0
                    value = max(over + r, r - width_km)
                    if value < grid[j, i]:
                        grid[j, i] = value
    return grid
