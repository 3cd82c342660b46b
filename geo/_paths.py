"""Shortest-path kernels on CSR arrays, compiled with numba.

* :func:`astar` — one origin, one destination. The bound is the great-circle distance on a sphere of
  radius ``bound_radius_km`` (Earth's mean radius times :data:`geo.distance.SPHERE_LOWER`), never
  more than the WGS84 geodesic, so it is admissible and consistent for edges weighted by geodesic
  length: the path is exactly the shortest.
* :func:`many_to_many` — Dijkstra from each origin (in parallel), stopping once every destination
  node of the origin's component is settled.

Both use a binary heap with lazy deletion on preallocated arrays; no Python in the loop.
"""

from __future__ import annotations

import math

import numba
import numpy as np


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
