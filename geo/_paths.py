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

The module stays whole: every numba kernel shares its heap helpers and scratch-array layout.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from geo._vincenty import _one as vincenty_m


@numba.njit(cache=True, inline="always")
def _push(keys: np.ndarray, vals: np.ndarray, size: int, key: float, val: int) -> int:
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
def _pop(keys: np.ndarray, vals: np.ndarray, size: int) -> tuple[float, int, int]:
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


@numba.njit(cache=True, inline="always")
def _push4(keys: np.ndarray, vals: np.ndarray, size: int, key: float, val: int) -> int:
    """Push onto a 4-ary heap (parent of i at (i - 1) // 4), moving a hole up: the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        i = parent
    keys[i] = key
    vals[i] = val
    return size + 1


@numba.njit(cache=True, inline="always")
def _pop4(keys: np.ndarray, vals: np.ndarray, size: int) -> tuple[float, int, int]:
    """Pop the smallest key of a 4-ary heap: (key, value, new size)."""
    key, val = keys[0], vals[0]
    size -= 1
    last_key, last_val = keys[size], vals[size]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        best, best_key = first, keys[first]
        for j in range(first + 1, min(first + 4, size)):
            if keys[j] < best_key:
                best, best_key = j, keys[j]
        if last_key <= best_key:
            break
        keys[i] = best_key
        vals[i] = vals[best]
        i = best
    keys[i] = last_key
    vals[i] = last_val
    return key, val, size


@numba.njit(cache=True, inline="always")
def _angle(x: float, y: float, z: float, tx: float, ty: float, tz: float) -> float:
    """Central angle (radians) between the unit vectors (x, y, z) and (tx, ty, tz).

    Scalars, not the node array: an array passed to an inlined helper costs reference counting in
    the search loop.
    """
    chord = math.sqrt((x - tx) ** 2 + (y - ty) ** 2 + (z - tz) ** 2)
    angle: float = 2.0 * math.asin(min(chord / 2.0, 1.0))
    return angle


@numba.njit(cache=True)
def _trace(pred: np.ndarray, end: int) -> np.ndarray:
    """The nodes from the start of a search (``pred`` -1) to ``end``; empty when ``end`` is -1."""
    count = 0
    node = end
    while node != -1:
        count += 1
        node = pred[node]
    path = np.empty(count, dtype=np.int64)
    node = end
    for i in range(count - 1, -1, -1):
        path[i] = node
        node = pred[node]
    return path


@numba.njit(cache=True, inline="always")
def _reset(touched: np.ndarray, n_touched: int, dist: np.ndarray, done: np.ndarray, ids: np.ndarray) -> None:
    """Restore the scratch arrays at the ``touched`` nodes: ``dist`` inf, ``done`` False, ``ids`` -1."""
    for i in range(n_touched):
        node = touched[i]
        dist[node] = np.inf
        ids[node] = -1
        done[node] = False


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
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    xyz: np.ndarray,
    source: int,
    target: int,
    bound_radius_km: float,
    dist: np.ndarray,
    pred: np.ndarray,
    done: np.ndarray,
    keys: np.ndarray,
    vals: np.ndarray,
    touched: np.ndarray,
) -> tuple[float, np.ndarray]:
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
                bound = bound_radius_km * _angle(xyz[v, 0], xyz[v, 1], xyz[v, 2], tx, ty, tz)
                size = _push(keys, vals, size, candidate + bound, v)
    # the source is settled first and never relaxed again: its pred stays -1
    length = dist[target] if done[target] else np.inf
    path = _trace(pred, target if done[target] else -1)
    _reset(touched, n_touched, dist, done, pred)
    return length, path


@numba.njit(cache=True)
def _settle(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    source: int,
    targets: np.ndarray,
    out: np.ndarray,
    dist: np.ndarray,
    done: np.ndarray,
    is_target: np.ndarray,
    keys: np.ndarray,
    vals: np.ndarray,
    touched: np.ndarray,
) -> None:
    """Dijkstra from ``source`` until every one of ``targets`` (distinct nodes) is settled.

    Their km go into ``out`` (inf if not reached). The scratch arrays are reset before returning.
    """
    for t in targets:
        is_target[t] = True
    dist[source] = 0.0
    touched[0] = source
    n_touched = 1
    size = _push4(keys, vals, 0, 0.0, source)
    remaining = len(targets)
    while size > 0 and remaining > 0:
        d, u, size = _pop4(keys, vals, size)
        if done[u]:
            continue
        done[u] = True
        if is_target[u]:
            remaining -= 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            candidate = d + weight[e]
            if candidate < dist[v]:
                if dist[v] == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = candidate
                size = _push4(keys, vals, size, candidate, v)
    for j in range(len(targets)):
        t = targets[j]
        out[j] = dist[t] if done[t] else np.inf
        is_target[t] = False
    for i in range(n_touched):
        node = touched[i]
        dist[node] = np.inf
        done[node] = False


@numba.njit(cache=True, parallel=True)
def settle_lists(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    runs: np.ndarray,
    start: np.ndarray,
    targets: np.ndarray,
    n_threads: int,
) -> np.ndarray:
    """Dijkstra from each node of ``runs`` to its targets ``targets[start[i]:start[i + 1]]``.

    Targets of a search are distinct nodes. The searches run in parallel, each thread reusing one
    set of scratch arrays; km aligned with ``targets``.
    """
    n = len(indptr) - 1
    out = np.full(len(targets), np.inf)
    for thread in numba.prange(n_threads):
        dist = np.full(n, np.inf)
        done = np.zeros(n, dtype=np.bool_)
        is_target = np.zeros(n, dtype=np.bool_)
        keys = np.empty(len(indices) + 1)
        vals = np.empty(len(indices) + 1, dtype=np.int64)
        touched = np.empty(n, dtype=np.int64)
        for i in range(thread, len(runs), n_threads):  # runs come largest first: dealt in turn
            lo, hi = start[i], start[i + 1]
            if hi > lo:
                _settle(
                    indptr,
                    indices,
                    weight,
                    runs[i],
                    targets[lo:hi],
                    out[lo:hi],
                    dist,
                    done,
                    is_target,
                    keys,
                    vals,
                    touched,
                )
    return out


@numba.njit(cache=True)
def assign_pairs(first: np.ndarray, second: np.ndarray, proxy: np.ndarray, n_nodes: int) -> np.ndarray:
    """For each pair, whether its first node (True) or its second searches for the other.

    On an undirected graph a pair's distance comes from a search started at either end. A search
    costs about the square of its radius (the nodes within it), so pairs are taken from the longest
    (``proxy``, e.g. the straight-line distance) down and each goes to the end whose search grows
    least: a search that already reaches that far takes it for free.
    """
    radius = np.zeros(n_nodes)
    from_first = np.empty(len(first), dtype=np.bool_)
    for p in np.argsort(-proxy, kind="mergesort"):
        a, b, d = first[p], second[p], proxy[p]
        grow_a = max(d * d - radius[a] * radius[a], 0.0)
        grow_b = max(d * d - radius[b] * radius[b], 0.0)
        if grow_a <= grow_b:
            from_first[p] = True
            radius[a] = max(radius[a], d)
        else:
            from_first[p] = False
            radius[b] = max(radius[b], d)
    return from_first


@numba.njit(cache=True)
def is_symmetric(indptr: np.ndarray, indices: np.ndarray, weight: np.ndarray) -> bool:
    """Whether every edge u -> v has an edge v -> u of the same weight (an undirected graph)."""
    for u in range(len(indptr) - 1):
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            back = False
            for f in range(indptr[v], indptr[v + 1]):
                if indices[f] == u and weight[f] == weight[e]:
                    back = True
                    break
            if not back:
                return False
    return True


#: Pairs of nodes handled at once by :func:`many_to_many` (its bookkeeping takes about 100 bytes a
#: pair): larger matrices are computed in blocks of sources.
MAX_PAIRS = 4_000_000


def many_to_many(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    component: np.ndarray,
    *,
    symmetric: bool = False,
    xyz: np.ndarray | None = None,
) -> np.ndarray:
    """Km matrix (len(sources), len(targets)) of shortest paths; inf between different components.

    Each pair of distinct nodes on one component is searched once. With ``symmetric`` (every edge
    has its reverse with the same weight, as in the road, rail and sea graphs) and the nodes' unit
    vectors ``xyz``, a pair is searched from whichever end :func:`assign_pairs` picks, the straight
    line between the nodes standing for their distance: fewer and smaller searches than one from
    every source. Blocks of sources keep the bookkeeping under :data:`MAX_PAIRS` pairs.
    """
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    if len(sources) == 0 or len(targets) == 0:
        return np.full((len(sources), len(targets)), np.inf)
    us, s_inv = np.unique(sources, return_inverse=True)
    ut, t_inv = np.unique(targets, return_inverse=True)
    local = np.empty((len(us), len(ut)))
    block = max(1, MAX_PAIRS // len(ut))
    for lo in range(0, len(us), block):
        local[lo : lo + block] = _node_matrix(
            indptr, indices, weight, us[lo : lo + block], ut, component, symmetric=symmetric, xyz=xyz
        )
    out: np.ndarray = local[np.ix_(s_inv.ravel(), t_inv.ravel())]
    return out


def _node_matrix(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    us: np.ndarray,
    ut: np.ndarray,
    component: np.ndarray,
    *,
    symmetric: bool,
    xyz: np.ndarray | None,
) -> np.ndarray:
    """:func:`many_to_many` between distinct, sorted source nodes ``us`` and target nodes ``ut``."""
    # every (source node, target node) pair on one component
    a = np.repeat(np.arange(len(us)), len(ut))
    b = np.tile(np.arange(len(ut)), len(us))
    same = component[us[a]] == component[ut[b]]
    a, b = a[same], b[same]
    node_a, node_b = us[a], ut[b]
    if symmetric and xyz is not None:
        # (x, y) and (y, x) are one search: one representative per unordered pair
        key = np.minimum(node_a, node_b) * (int(max(us[-1], ut[-1])) + 1) + np.maximum(node_a, node_b)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        proxy = np.sqrt(np.sum((xyz[node_a[first]] - xyz[node_b[first]]) ** 2, axis=1))
        union, where = np.unique(np.r_[node_a[first], node_b[first]], return_inverse=True)
        from_a = assign_pairs(where[: len(first)], where[len(first) :], proxy, len(union))
        run = np.where(from_a, node_a[first], node_b[first])
        goal = np.where(from_a, node_b[first], node_a[first])
    else:
        inverse = np.arange(len(a))
        run, goal = node_a, node_b
    # group the goals by search, the largest searches first so that threads taking them in turn
    # finish together
    runs, run_of, count = np.unique(run, return_inverse=True, return_counts=True)
    largest_first = np.argsort(-count, kind="stable")
    rank = np.empty(len(runs), dtype=np.int64)
    rank[largest_first] = np.arange(len(runs))
    order = np.lexsort((goal, rank[run_of]))
    start = np.r_[0, np.cumsum(count[largest_first])].astype(np.int64)
    found = settle_lists(
        indptr, indices, weight, runs[largest_first], start, goal[order], max(1, numba.get_num_threads())
    )
    km = np.empty(len(run))
    km[order] = found
    local = np.full((len(us), len(ut)), np.inf)
    local[a, b] = km[inverse]
    return local


# ----------------------------------------------------------------------------- snapping
@numba.njit(cache=True)
def nearest_candidate(
    lon: np.ndarray, lat: np.ndarray, candidates: np.ndarray, node_lon: np.ndarray, node_lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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
    indptr: np.ndarray,
    indices: np.ndarray,
    weight_km: np.ndarray,
    layer: np.ndarray,
    unit: np.ndarray,
    xindptr: np.ndarray,
    xindices: np.ndarray,
    xcost: np.ndarray,
    xyz: np.ndarray,
    sources: np.ndarray,
    source_cost: np.ndarray,
    targets: np.ndarray,
    target_cost: np.ndarray,
    dest: np.ndarray,
    bound_per_km: float,
    dist: np.ndarray,
    pred: np.ndarray,
    done: np.ndarray,
    keys: np.ndarray,
    vals: np.ndarray,
    touched: np.ndarray,
    exit_cost: np.ndarray,
) -> tuple[float, np.ndarray]:
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
            size = _push(
                keys,
                vals,
                size,
                source_cost[i] + bound_per_km * _angle(xyz[s, 0], xyz[s, 1], xyz[s, 2], tx, ty, tz),
                s,
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
                    bound = bound_per_km * _angle(xyz[v, 0], xyz[v, 1], xyz[v, 2], tx, ty, tz)
                    size = _push(keys, vals, size, candidate + bound, v)
    path = _trace(pred, best_node)
    _reset(touched, n_touched, dist, done, pred)
    for j in range(len(targets)):
        exit_cost[targets[j]] = np.inf
    return best, path


@numba.njit(cache=True)
def path_edges(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight_km: np.ndarray,
    xindptr: np.ndarray,
    xindices: np.ndarray,
    path: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For each step of ``path``: (km, transfer edge id or -1).

    A step within a layer takes the shortest parallel edge of ``indices``; a step between layers is
    an edge of ``xindices``.
    """
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
