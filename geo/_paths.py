"""Shortest-path kernels on CSR arrays, compiled with numba.

* :func:`astar` — one origin, one destination. The bound is the great-circle distance on a sphere of
  radius ``bound_radius_km`` (Earth's mean radius times :data:`geo.distance.SPHERE_LOWER`), never
  more than the WGS84 geodesic, so it is admissible and consistent for edges weighted by geodesic
  length: the path is exactly the shortest.
* :func:`many_to_many` — Dijkstra from each origin (in parallel), stopping once every destination
  node of the origin's component is settled.
* :func:`astar_layers` — A* over a graph of several layers (road, rail, sea, ports) joined by
  transfer edges, from several start nodes to several end nodes, with a per-layer price per km.
* :func:`nearest_candidate` — the exact (Vincenty) nearest of a few candidate nodes per point.

Both use a binary heap with lazy deletion on preallocated arrays; no Python in the loop.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from geo._vincenty import _one as vincenty_m


@numba.njit(cache=True, inline="always")
def _push(keys, vals, size, key, val):
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        vals[parent], vals[i] = vals[i], vals[parent]
        i = parent
    return size + 1


@numba.njit(cache=True, inline="always")
def _pop(keys, vals, size):
    key, val = keys[0], vals[0]
    size -= 1
    keys[0], vals[0] = keys[size], vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            child = left + 1
        if keys[i] <= keys[child]:
            break
        keys[child], keys[i] = keys[i], keys[child]
        vals[child], vals[i] = vals[i], vals[child]
        i = child
    return key, val, size


def workspace(n_nodes: int, n_edges: int) -> tuple[np.ndarray, ...]:
    """Scratch arrays for :func:`astar`, reused across queries (one set per thread)."""
    return (
        np.full(n_nodes, np.inf),
        np.full(n_nodes, -1, dtype=np.int64),
        np.zeros(n_nodes, dtype=np.bool_),
        np.empty(n_edges + 1),
        np.empty(n_edges + 1, dtype=np.int64),
        np.empty(n_nodes, dtype=np.int64),
    )


@numba.njit(cache=True)
def astar(
    indptr, indices, weight, xyz, source, target, bound_radius_km, dist, pred, done, keys, vals, touched
):
    """Shortest path ``source`` -> ``target``: (length in km or inf, node sequence).

    ``dist``, ``pred``, ``done``, ``keys``, ``vals``, ``touched`` come from :func:`workspace`; the
    nodes reached are reset before returning, so one allocation serves every query.
    """
    tx, ty, tz = xyz[target, 0], xyz[target, 1], xyz[target, 2]
    dist[source] = 0.0
    touched[0] = source
    n_touched = 1
    size = _push(keys, vals, 0, 0.0, source)
    while size > 0:
        _, u, size = _pop(keys, vals, size)
        if done[u]:
            continue
        done[u] = True
        if u == target:
            break
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if done[v]:
                continue
            candidate = dist[u] + weight[e]
            if candidate < dist[v]:
                if dist[v] == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = candidate
                pred[v] = u
                chord = math.sqrt((xyz[v, 0] - tx) ** 2 + (xyz[v, 1] - ty) ** 2 + (xyz[v, 2] - tz) ** 2)
                bound = 2.0 * bound_radius_km * math.asin(min(chord / 2.0, 1.0))
                size = _push(keys, vals, size, candidate + bound, v)
    length = dist[target] if done[target] else np.inf
    count = 0
    if done[target]:
        count = 1
        node = target
        while node != source:
            node = pred[node]
            count += 1
    path = np.empty(count, dtype=np.int64)
    node = target
    for i in range(count - 1, -1, -1):
        path[i] = node
        node = pred[node]
    for i in range(n_touched):
        node = touched[i]
        dist[node] = np.inf
        pred[node] = -1
        done[node] = False
    return length, path


@numba.njit(cache=True)
def _one_to_many(indptr, indices, weight, source, targets, wanted):
    """Distances from ``source`` to ``targets`` (inf where not reached); ``wanted`` distinct targets to settle."""
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    done = np.zeros(n, dtype=np.bool_)
    is_target = np.zeros(n, dtype=np.bool_)
    for t in targets:
        is_target[t] = True
    keys = np.empty(len(indices) + 1)
    vals = np.empty(len(indices) + 1, dtype=np.int64)
    dist[source] = 0.0
    size = _push(keys, vals, 0, 0.0, source)
    remaining = wanted
    while size > 0 and remaining > 0:
        d, u, size = _pop(keys, vals, size)
        if done[u]:
            continue
        done[u] = True
        if is_target[u]:
            remaining -= 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            candidate = d + weight[e]
            if candidate < dist[v]:
                dist[v] = candidate
                size = _push(keys, vals, size, candidate, v)
    out = np.empty(len(targets))
    for j in range(len(targets)):
        out[j] = dist[targets[j]] if done[targets[j]] else np.inf
    return out


@numba.njit(cache=True, parallel=True)
def many_to_many(indptr, indices, weight, sources, targets, component):
    """km matrix (len(sources), len(targets)); inf between different components."""
    out = np.full((len(sources), len(targets)), np.inf)
    for i in numba.prange(len(sources)):
        s = sources[i]
        mine = targets[component[targets] == component[s]]
        if len(mine) == 0:
            continue
        wanted = len(np.unique(mine))
        row = _one_to_many(indptr, indices, weight, s, mine, wanted)
        k = 0
        for j in range(len(targets)):
            if component[targets[j]] == component[s]:
                out[i, j] = row[k]
                k += 1
    return out


# ----------------------------------------------------------------------------- snapping
@numba.njit(cache=True)
def nearest_candidate(lon, lat, candidates, node_lon, node_lat):
    """For each point, the candidate node (row of ``candidates``) nearest on the WGS84 ellipsoid.

    Serial Vincenty distances (a handful per point: cheaper than starting a parallel region).
    Returns (node ids, km); a candidate whose distance does not converge (nearly antipodal) is
    skipped.
    """
    n, k = candidates.shape
    nodes = np.empty(n, dtype=np.int64)
    km = np.empty(n)
    for i in range(n):
        best, best_node = np.inf, candidates[i, 0]
        for j in range(k):
            c = candidates[i, j]
            d = vincenty_m(lon[i], lat[i], node_lon[c], node_lat[c])
            if d < best:
                best, best_node = d, c
        nodes[i] = best_node
        km[i] = best / 1000.0
    return nodes, km


# ----------------------------------------------------------------------------- intermodal
@numba.njit(cache=True)
def astar_layers(
    indptr,
    indices,
    weight_km,
    layer,
    unit,
    xindptr,
    xindices,
    xcost,
    xyz,
    sources,
    source_cost,
    targets,
    target_cost,
    dest,
    bound_per_km,
    dist,
    pred,
    done,
    keys,
    vals,
    touched,
    exit_cost,
):
    """Cheapest path from any of ``sources`` to the destination point through any of ``targets``.

    The graph is two CSR adjacencies over the same nodes: ``indptr/indices/weight_km`` (edges within
    a layer, priced ``weight_km * unit[layer[u]]``) and ``xindptr/xindices/xcost`` (transfers and
    access links between layers, priced ``xcost``). A path starts at ``sources[i]`` having paid
    ``source_cost[i]`` and ends at ``targets[j]`` paying ``target_cost[j]`` more. The bound
    ``bound_per_km * (sphere lower bound of the km to dest)`` never exceeds the remaining cost when
    every edge costs at least ``bound_per_km`` per geodesic km, so the answer is exact.

    ``exit_cost`` is a scratch array of +inf (restored before returning). Returns (cost or inf,
    node sequence).
    """
    tx, ty, tz = dest[0], dest[1], dest[2]
    n_touched = 0
    size = 0
    for j in range(len(targets)):
        t = targets[j]
        exit_cost[t] = min(exit_cost[t], target_cost[j])
    for i in range(len(sources)):
        s = sources[i]
        if source_cost[i] < dist[s]:
            if dist[s] == np.inf:
                touched[n_touched] = s
                n_touched += 1
            dist[s] = source_cost[i]
            chord = math.sqrt((xyz[s, 0] - tx) ** 2 + (xyz[s, 1] - ty) ** 2 + (xyz[s, 2] - tz) ** 2)
            size = _push(
                keys, vals, size, source_cost[i] + bound_per_km * 2.0 * math.asin(min(chord / 2.0, 1.0)), s
            )
    best, best_node = np.inf, -1
    while size > 0:
        key, u, size = _pop(keys, vals, size)
        if key >= best:
            break
        if done[u]:
            continue
        done[u] = True
        if exit_cost[u] < np.inf and dist[u] + exit_cost[u] < best:
            best, best_node = dist[u] + exit_cost[u], u
        price = unit[layer[u]]
        for part in range(2):
            lo = indptr[u] if part == 0 else xindptr[u]
            hi = indptr[u + 1] if part == 0 else xindptr[u + 1]
            for e in range(lo, hi):
                v = indices[e] if part == 0 else xindices[e]
                if done[v]:
                    continue
                candidate = dist[u] + (weight_km[e] * price if part == 0 else xcost[e])
                if candidate < dist[v]:
                    if dist[v] == np.inf:
                        touched[n_touched] = v
                        n_touched += 1
                    dist[v] = candidate
                    pred[v] = u
                    chord = math.sqrt((xyz[v, 0] - tx) ** 2 + (xyz[v, 1] - ty) ** 2 + (xyz[v, 2] - tz) ** 2)
                    bound = bound_per_km * 2.0 * math.asin(min(chord / 2.0, 1.0))
                    size = _push(keys, vals, size, candidate + bound, v)
    count = 0
    node = best_node
    while node != -1:
        count += 1
        node = pred[node]
    path = np.empty(count, dtype=np.int64)
    node = best_node
    for i in range(count - 1, -1, -1):
        path[i] = node
        node = pred[node]
    for i in range(n_touched):
        node = touched[i]
        dist[node] = np.inf
        pred[node] = -1
        done[node] = False
    for j in range(len(targets)):
        exit_cost[targets[j]] = np.inf
    return best, path


@numba.njit(cache=True)
def path_edges(indptr, indices, weight_km, xindptr, xindices, path):
    """For each step of ``path``: (km, transfer edge id or -1). A step within a layer takes the
    shortest parallel edge of ``indices``; a step between layers is an edge of ``xindices``."""
    m = max(len(path) - 1, 0)
    km = np.empty(m)
    extra = np.full(m, -1, dtype=np.int64)
    for i in range(m):
        u, v = path[i], path[i + 1]
        best = np.inf
        for e in range(indptr[u], indptr[u + 1]):
            if indices[e] == v and weight_km[e] < best:
                best = weight_km[e]
        if best == np.inf:
            for e in range(xindptr[u], xindptr[u + 1]):
                if xindices[e] == v:
                    extra[i] = e
                    break
        km[i] = best
    return km, extra
