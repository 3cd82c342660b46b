"""Exact k-nearest point targets on the WGS84 ellipsoid, compiled with numba.

A kd-tree of the targets' unit vectors (on the sphere of geodetic coordinates) proposes, for each
source, its ``k + 1`` nearest targets by chord; the first ``k`` are measured exactly (Vincenty,
:mod:`geo._vincenty`). The bracket of :mod:`geo.distance` (``SPHERE_LOWER * s <= d``) certifies the
answer: when the k-th exact distance is no more than the lowest possible ellipsoidal distance of the
``(k + 1)``-th candidate, no target left out can be nearer. Otherwise every target whose chord lies
within the bound of the k-th exact distance is measured and the k best kept: the answer equals
brute force either way, ties ranked by target position.

One pass per source, in parallel chunks, without intermediate arrays: the tree search, the exact
distances and the certificate run together.

The module stays whole: the kd-tree and cube-face cell paths share the compiled certificate and
Vincenty refinement, and numba needs them in one compilation unit.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from geo._vincenty import from_reduced, reduced_latitude

#: Targets per kd-tree leaf.
LEAF_SIZE = 8
#: Sources per parallel task.
_CHUNK = 2048
_D2R = math.pi / 180.0

#: A kd-tree of :func:`build_kdtree`: (order, points, lo, hi, start, child).
KdTree = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: Candidate cells of :func:`build_cells`: (grid, first_child, cand_start, cand_pos).
Cells = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@numba.njit(cache=True)
def build_kdtree(xyz: np.ndarray) -> KdTree:
    """A kd-tree over (n, 3) points, split at the median of the widest axis, leaves of :data:`LEAF_SIZE`.

    Returns
    -------
    (order, points, lo, hi, start, child)
        ``order``: original index of each point in tree order; ``points``: the points in tree order;
        per node: bounding box ``lo``/``hi`` (n_nodes, 3), ``start`` (n_nodes + 1 entries are not
        needed: a node holds ``points[start[i, 0]:start[i, 1]]``) and ``child`` (left, right; -1 for a
        leaf). Node 0 is the root.
    """
    n = len(xyz)
    order = np.arange(n)
    max_nodes = 2 * max(1, (n + LEAF_SIZE - 1) // LEAF_SIZE) * 2 + 1
    lo = np.zeros((max_nodes, 3))
    hi = np.zeros((max_nodes, 3))
    start = np.zeros((max_nodes, 2), dtype=np.int64)
    child = np.full((max_nodes, 2), -1, dtype=np.int64)
    stack = np.empty(max_nodes, dtype=np.int64)
    n_nodes = 1
    start[0, 0], start[0, 1] = 0, n
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        a, b = start[node, 0], start[node, 1]
        for c in range(3):
            mn, mx = np.inf, -np.inf
            for i in range(a, b):
                v = xyz[order[i], c]
                mn = min(mn, v)
                mx = max(mx, v)
            lo[node, c], hi[node, c] = mn, mx
        if b - a <= LEAF_SIZE:
            continue
        axis = 0
        for c in range(1, 3):
            if hi[node, c] - lo[node, c] > hi[node, axis] - lo[node, axis]:
                axis = c
        part = order[a:b]
        keys = np.empty(b - a)
        for i in range(b - a):
            keys[i] = xyz[part[i], axis]
        part = part[np.argsort(keys, kind="mergesort")]
        order[a:b] = part
        mid = a + (b - a) // 2
        left, right = n_nodes, n_nodes + 1
        n_nodes += 2
        start[left, 0], start[left, 1] = a, mid
        start[right, 0], start[right, 1] = mid, b
        child[node, 0], child[node, 1] = left, right
        stack[top] = left
        stack[top + 1] = right
        top += 2
    points = np.empty((n, 3))
    for i in range(n):
        points[i] = xyz[order[i]]
    return (
        order,
        points,
        lo[:n_nodes].copy(),
        hi[:n_nodes].copy(),
        start[:n_nodes].copy(),
        child[:n_nodes].copy(),
    )


@numba.njit(cache=True, inline="always")
def _box_d2(qx: float, qy: float, qz: float, lo: np.ndarray, hi: np.ndarray, node: int) -> float:
    """Squared distance from q to the node's bounding box."""
    dx = max(lo[node, 0] - qx, 0.0, qx - hi[node, 0])
    dy = max(lo[node, 1] - qy, 0.0, qy - hi[node, 1])
    dz = max(lo[node, 2] - qz, 0.0, qz - hi[node, 2])
    d2: float = dx * dx + dy * dy + dz * dz
    return d2


@numba.njit(cache=True, inline="always")
def _insert(keys: np.ndarray, ids: np.ndarray, size: int, cap: int, key: float, ident: int) -> int:
    """Insert (key, ident) into the sorted prefix of length ``size`` (at most ``cap`` kept); new size."""
    if size == cap and (key > keys[size - 1] or (key == keys[size - 1] and ident >= ids[size - 1])):
        return size
    pos = size if size < cap else cap - 1
    while pos > 0 and (keys[pos - 1] > key or (keys[pos - 1] == key and ids[pos - 1] > ident)):
        if pos < cap:
            keys[pos] = keys[pos - 1]
            ids[pos] = ids[pos - 1]
        pos -= 1
    keys[pos] = key
    ids[pos] = ident
    return min(size + 1, cap)


@numba.njit(cache=True, inline="always")
def _chord2(points: np.ndarray, i: int, qx: float, qy: float, qz: float) -> float:
    """Squared chord from q to the point at kd-tree position ``i``."""
    d2: float = (points[i, 0] - qx) ** 2 + (points[i, 1] - qy) ** 2 + (points[i, 2] - qz) ** 2
    return d2


@numba.njit(cache=True, inline="always")
def _next_leaf(
    qx: float,
    qy: float,
    qz: float,
    bound2: float,
    nearest_first: bool,
    lo: np.ndarray,
    hi: np.ndarray,
    child: np.ndarray,
    stack: np.ndarray,
    top: int,
) -> tuple[int, int]:
    """Pop the search ``stack`` down to the next leaf whose box lies within squared chord ``bound2`` of q.

    Internal nodes on the way push their children (with ``nearest_first`` the nearer one is popped
    first). Returns (leaf, new top); leaf -1 once the stack is empty. A search starts with
    ``stack[0] = 0`` (the root) and top 1.
    """
    while top > 0:
        top -= 1
        node = stack[top]
        if _box_d2(qx, qy, qz, lo, hi, node) > bound2:
            continue
        left = child[node, 0]
        if left < 0:
            return node, top
        right = child[node, 1]
        if nearest_first and _box_d2(qx, qy, qz, lo, hi, left) <= _box_d2(qx, qy, qz, lo, hi, right):
            stack[top] = right
            stack[top + 1] = left
        else:
            stack[top] = left
            stack[top + 1] = right
        top += 2
    return -1, top


@numba.njit(cache=True, inline="always")
def _keep_exact(
    lon: float,
    su: float,
    cu: float,
    t: int,
    tlon: np.ndarray,
    tsu: np.ndarray,
    tcu: np.ndarray,
    max_m: float,
    k: int,
    best_d: np.ndarray,
    best_i: np.ndarray,
    size: int,
) -> int:
    """Measure target ``t`` exactly; keep it among the k best (distance, target) within ``max_m``; new size.

    A target whose Vincenty iteration did not converge is kept with distance -1: it is measured by
    Karney's algorithm afterwards (see :func:`_unconverged`).
    """
    d = from_reduced(lon, su, cu, tlon[t], tsu[t], tcu[t])
    if math.isnan(d):
        d = -1.0
    elif d > max_m:
        return size
    return _insert(best_d, best_i, size, k, d, t)


@numba.njit(cache=True, inline="always")
def _unconverged(best_d: np.ndarray, size: int) -> bool:
    """Whether one of the first ``size`` kept distances is -1 (Vincenty did not converge)."""
    for j in range(size):
        if best_d[j] < 0.0:
            return True
    return False


@numba.njit(cache=True)
def _knn_chord(
    qx: float,
    qy: float,
    qz: float,
    m: int,
    bound2: float,
    tree: KdTree,
    stack: np.ndarray,
    keys: np.ndarray,
    ids: np.ndarray,
) -> int:
    """The ``m`` nearest targets by squared chord within ``bound2``; their count.

    Sorted into ``keys`` (squared chords) and ``ids`` (target indices; ties by index).
    """
    order, points, lo, hi, start, child = tree
    size = 0
    stack[0] = 0
    top = 1
    while True:
        worst = keys[m - 1] if size == m else bound2
        node, top = _next_leaf(qx, qy, qz, worst, True, lo, hi, child, stack, top)
        if node < 0:
            return size
        for i in range(start[node, 0], start[node, 1]):
            d2 = _chord2(points, i, qx, qy, qz)
            if d2 <= bound2:
                size = _insert(keys, ids, size, m, d2, order[i])


@numba.njit(cache=True)
def _exact_within(
    lon: float,
    su: float,
    cu: float,
    qx: float,
    qy: float,
    qz: float,
    chord2: float,
    max_m: float,
    k: int,
    tree: KdTree,
    tlon: np.ndarray,
    tsu: np.ndarray,
    tcu: np.ndarray,
    stack: np.ndarray,
    best_d: np.ndarray,
    best_i: np.ndarray,
) -> int:
    """The k best (distance, target) by exact distance over every target within squared chord ``chord2``."""
    order, points, lo, hi, start, child = tree
    size = 0
    stack[0] = 0
    top = 1
    while True:
        node, top = _next_leaf(qx, qy, qz, chord2, False, lo, hi, child, stack, top)
        if node < 0:
            return size
        for i in range(start[node, 0], start[node, 1]):
            if _chord2(points, i, qx, qy, qz) <= chord2:
                size = _keep_exact(lon, su, cu, order[i], tlon, tsu, tcu, max_m, k, best_d, best_i, size)


# ----------------------------------------------------------------------------- candidate cells
# Many sources, few targets: a quadtree over the six faces of a cube (gnomonic coordinates, so cell
# edges are great circles) is refined where targets are dense, and each leaf cell stores every target
# that can be among the m nearest (by chord) of any point inside it. A source then finds its cell by
# descending the quadtree and scans that short list instead of searching the kd-tree.
#: A cell is split while its radius exceeds this share of the m-th nearest target distance.
CELL_SHARE = 0.5
#: Longest candidate list kept; a cell with more falls back to the kd-tree search.
MAX_CANDIDATES = 96
#: Cells per side of a cube face at the first level, and of a cell when it is split.
ROOT_FAN = 32
FAN = 4


@numba.njit(cache=True, inline="always")
def _face_uv(x: float, y: float, z: float) -> tuple[int, float, float]:
    """Cube face (0..5: +x, -x, +y, -y, +z, -z) and gnomonic coordinates (-1..1) of a direction."""
    ax, ay, az = abs(x), abs(y), abs(z)
    if ax >= ay and ax >= az:
        inv = 1.0 / ax
        return (0 if x > 0.0 else 1), y * inv, z * inv
    if ay >= az:
        inv = 1.0 / ay
        return (2 if y > 0.0 else 3), x * inv, z * inv
    inv = 1.0 / az
    return (4 if z > 0.0 else 5), x * inv, y * inv


@numba.njit(cache=True, inline="always")
def _face_vector(face: int, u: float, v: float) -> tuple[float, float, float]:
    """Unit vector of gnomonic coordinates (u, v) on a cube face."""
    if face == 0:
        x, y, z = 1.0, u, v
    elif face == 1:
        x, y, z = -1.0, u, v
    elif face == 2:
        x, y, z = u, 1.0, v
    elif face == 3:
        x, y, z = u, -1.0, v
    elif face == 4:
        x, y, z = u, v, 1.0
    else:
        x, y, z = u, v, -1.0
    norm = math.sqrt(x * x + y * y + z * z)
    return x / norm, y / norm, z / norm


@numba.njit(cache=True)
def _count_within(
    c: np.ndarray,
    r2: float,
    limit: int,
    tree: KdTree,
    stack: np.ndarray,
    out: np.ndarray,
    offset: int,
) -> int:
    """Count the targets within squared chord ``r2`` of the unit vector ``c``, up to ``limit`` and one more.

    Their kd-tree positions are written from ``out[offset]`` on while ``out`` is long enough.
    """
    _, points, lo, hi, start, child = tree
    cx, cy, cz = c[0], c[1], c[2]
    count = 0
    stack[0] = 0
    top = 1
    while count <= limit:
        node, top = _next_leaf(cx, cy, cz, r2, False, lo, hi, child, stack, top)
        if node < 0:
            break
        for i in range(start[node, 0], start[node, 1]):
            if _chord2(points, i, cx, cy, cz) <= r2:
                if offset + count < len(out):
                    out[offset + count] = i
                count += 1
    return count


@numba.njit(cache=True)
def build_cells(m: int, cap: np.ndarray, cap_chord: float, max_cells: int, tree: KdTree) -> Cells:
    """The candidate cells for sources inside the cap (unit centre ``cap``, chord radius ``cap_chord``).

    Each cube face is cut into :data:`ROOT_FAN` x :data:`ROOT_FAN` cells, and a cell into
    :data:`FAN` x :data:`FAN` while it is large against the distance to its m-th nearest target
    (and fewer than ``max_cells`` cells exist).

    Returns
    -------
    (grid, first_child, cand_start, cand_pos)
        Per cell: (u0, v0, width of a child cell, its inverse) in ``grid`` and its first child (-1 for a leaf;
        cell ``f`` is face ``f``); the range of its candidates in ``cand_pos`` (kd-tree positions of
        the targets). A leaf without a list (outside the cap, or too many candidates) has an empty
        range and sends its sources to the kd-tree.
    """
    size = max_cells + 6 + 6 * ROOT_FAN * ROOT_FAN
    grid = np.empty((size, 4))
    face = np.empty(size, dtype=np.int64)
    first_child = np.full(size, -1, dtype=np.int64)
    reach2 = np.full(size, -1.0)
    centre = np.empty((size, 3))
    n_cells = 6
    for f in range(6):
        face[f] = f
        grid[f, 0], grid[f, 1], grid[f, 2] = -1.0, -1.0, 2.0 / ROOT_FAN
        n_cells = _split(f, ROOT_FAN, grid, face, first_child, n_cells)
    stack = np.empty(256, dtype=np.int64)
    keys = np.empty(m)
    ids = np.empty(m, dtype=np.int64)
    i = 6
    while i < n_cells:
        f, u0, v0, width = face[i], grid[i, 0], grid[i, 1], grid[i, 2] * FAN
        cx, cy, cz = _face_vector(f, u0 + 0.5 * width, v0 + 0.5 * width)
        centre[i, 0], centre[i, 1], centre[i, 2] = cx, cy, cz
        r2 = 0.0  # the farthest point of a gnomonic cell from its centre is a corner
        for du in (0.0, width):
            for dv in (0.0, width):
                x, y, z = _face_vector(f, u0 + du, v0 + dv)
                r2 = max(r2, (x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2)
        r = math.sqrt(r2) * (1.0 + 1e-9) + 1e-12
        to_cap = math.sqrt((cx - cap[0]) ** 2 + (cy - cap[1]) ** 2 + (cz - cap[2]) ** 2)
        if to_cap > cap_chord + r:  # no source inside
            i += 1
            continue
        found = _knn_chord(cx, cy, cz, m, np.inf, tree, stack, keys, ids)
        d_m = math.sqrt(keys[found - 1])
        if r > CELL_SHARE * d_m and width > 1e-7 and n_cells + FAN * FAN <= size:
            n_cells = _split(i, FAN, grid, face, first_child, n_cells)
        else:
            reach = (d_m + 2.0 * r) * (1.0 + 1e-9) + 1e-12
            reach2[i] = reach * reach
        i += 1
    grid[:n_cells, 3] = 1.0 / grid[:n_cells, 2]
    cand_start, cand_pos = _candidates(n_cells, centre, reach2, tree)
    return grid[:n_cells].copy(), first_child[:n_cells].copy(), cand_start, cand_pos


@numba.njit(cache=True, inline="always")
def _split(
    cell: int, fan: int, grid: np.ndarray, face: np.ndarray, first_child: np.ndarray, n_cells: int
) -> int:
    """Cut a cell into ``fan`` x ``fan`` children, numbered from ``n_cells`` on; the new number of cells.

    The children are spaced by the cell's child width (``grid[cell, 2]``); theirs is that over :data:`FAN`.
    """
    first_child[cell] = n_cells
    u0, v0, step = grid[cell, 0], grid[cell, 1], grid[cell, 2]
    for q in range(fan * fan):
        face[n_cells] = face[cell]
        grid[n_cells, 0] = u0 + (q % fan) * step
        grid[n_cells, 1] = v0 + (q // fan) * step
        grid[n_cells, 2] = step / FAN
        n_cells += 1
    return n_cells


@numba.njit(cache=True, parallel=True)
def _candidates(
    n_cells: int, centre: np.ndarray, reach2: np.ndarray, tree: KdTree
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate lists of the leaf cells (``reach2`` >= 0): (cand_start, cand_pos) of :func:`build_cells`."""
    counts = np.zeros(n_cells, dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    for i in numba.prange(n_cells):
        stack = np.empty(256, dtype=np.int64)
        if reach2[i] >= 0.0:
            c = _count_within(centre[i], reach2[i], MAX_CANDIDATES, tree, stack, empty, 0)
            counts[i] = c if c <= MAX_CANDIDATES else 0
    cand_start = np.zeros(n_cells + 1, dtype=np.int64)
    for i in range(n_cells):
        cand_start[i + 1] = cand_start[i] + counts[i]
    cand_pos = np.empty(cand_start[n_cells], dtype=np.int64)
    for i in numba.prange(n_cells):
        stack = np.empty(256, dtype=np.int64)
        if counts[i] > 0:
            _count_within(
                centre[i],
                reach2[i],
                MAX_CANDIDATES,
                tree,
                stack,
                cand_pos[: cand_start[i + 1]],
                cand_start[i],
            )
    return cand_start, cand_pos


@numba.njit(cache=True)
def reduced_latitudes(lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sines and cosines of the reduced latitudes of ``lat`` degrees (see :mod:`geo._vincenty`)."""
    su, cu = np.empty(len(lat)), np.empty(len(lat))
    for i in range(len(lat)):
        su[i], cu[i] = reduced_latitude(lat[i])
    return su, cu


@numba.njit(cache=True)
def source_cap(slon: np.ndarray, slat: np.ndarray) -> tuple[np.ndarray, float]:
    """A spherical cap holding every source: unit centre and chord radius (2: the whole sphere)."""
    n = len(slon)
    sx = sy = sz = 0.0
    for s in range(n):
        lam, phi = slon[s] * _D2R, slat[s] * _D2R
        cos_phi = math.cos(phi)
        sx += cos_phi * math.cos(lam)
        sy += cos_phi * math.sin(lam)
        sz += math.sin(phi)
    norm = math.sqrt(sx * sx + sy * sy + sz * sz)
    centre = np.zeros(3)
    if norm < 1e-9 * max(n, 1):
        centre[2] = 1.0
        return centre, 2.0 + 1e-9
    centre[0], centre[1], centre[2] = sx / norm, sy / norm, sz / norm
    worst = 0.0
    for s in range(n):
        lam, phi = slon[s] * _D2R, slat[s] * _D2R
        cos_phi = math.cos(phi)
        d2 = (
            (cos_phi * math.cos(lam) - centre[0]) ** 2
            + (cos_phi * math.sin(lam) - centre[1]) ** 2
            + (math.sin(phi) - centre[2]) ** 2
        )
        worst = max(worst, d2)
    return centre, math.sqrt(worst) * (1.0 + 1e-9) + 1e-12


@numba.njit(cache=True, inline="always")
def _cell_of(qx: float, qy: float, qz: float, grid: np.ndarray, first_child: np.ndarray) -> int:
    """The leaf cell holding a direction."""
    f, u, v = _face_uv(qx, qy, qz)
    cell = f
    fan = ROOT_FAN
    while first_child[cell] >= 0:
        inv_step = grid[cell, 3]
        iu = min(max(int((u - grid[cell, 0]) * inv_step), 0), fan - 1)
        iv = min(max(int((v - grid[cell, 1]) * inv_step), 0), fan - 1)
        cell = first_child[cell] + iu + fan * iv
        fan = FAN
    return cell


@numba.njit(cache=True, inline="always")
def _knn_cell(
    qx: float,
    qy: float,
    qz: float,
    m: int,
    bound2: float,
    cell: int,
    cand_start: np.ndarray,
    cand_pos: np.ndarray,
    order: np.ndarray,
    points: np.ndarray,
    keys: np.ndarray,
    ids: np.ndarray,
) -> int:
    """:func:`_knn_chord` over a cell's candidate list."""
    size = 0
    for j in range(cand_start[cell], cand_start[cell + 1]):
        i = cand_pos[j]
        d2 = (points[i, 0] - qx) ** 2 + (points[i, 1] - qy) ** 2 + (points[i, 2] - qz) ** 2
        if d2 <= bound2:
            size = _insert(keys, ids, size, m, d2, order[i])
    return size


@numba.njit(cache=True, parallel=True)
def nearest_kernel(
    slon: np.ndarray,
    slat: np.ndarray,
    tlon: np.ndarray,
    tsu: np.ndarray,
    tcu: np.ndarray,
    k: int,
    max_m: float,
    bound2: float,
    lower_factor: float,
    radius_m: float,
    tree: KdTree,
    cells: Cells,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """K nearest targets of each source: (target index or -1, metres or inf, Karney flag).

    The candidate cells (:func:`build_cells`; :func:`no_cells`: none) or else the kd-tree propose the
    m = k + 1 nearest by chord. ``bound2`` is the squared chord of ``max_m`` (inf: no limit);
    ``lower_factor * radius_m`` turns a central angle into the lowest possible ellipsoidal
    distance. A row flagged for Karney holds a target whose Vincenty iteration did not converge
    (nearly antipodal), with distance -1: the caller measures it and re-ranks the row.
    """
    order, points, _, _, _, _ = tree
    grid, first_child, cand_start, cand_pos = cells
    n = len(slon)
    n_tgt = len(tlon)
    out_i = np.full((n, k), -1, dtype=np.int64)
    out_d = np.full((n, k), np.inf)
    redo = np.zeros(n, dtype=np.bool_)
    m = min(k + 1, n_tgt)
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    for chunk in numba.prange(n_chunks):
        stack = np.empty(256, dtype=np.int64)
        keys = np.empty(m)
        ids = np.empty(m, dtype=np.int64)
        best_d = np.empty(k)
        best_i = np.empty(k, dtype=np.int64)
        for s in range(chunk * _CHUNK, min(n, (chunk + 1) * _CHUNK)):
            lam, phi = slon[s] * _D2R, slat[s] * _D2R
            cos_phi = math.cos(phi)
            qx, qy, qz = cos_phi * math.cos(lam), cos_phi * math.sin(lam), math.sin(phi)
            found = -1
            if len(first_child) > 0:  # candidate cells were built: the source's cell list, if it has one
                cell = _cell_of(qx, qy, qz, grid, first_child)
                if cand_start[cell + 1] > cand_start[cell]:
                    found = _knn_cell(
                        qx, qy, qz, m, bound2, cell, cand_start, cand_pos, order, points, keys, ids
                    )
            if found < 0:
                found = _knn_chord(qx, qy, qz, m, bound2, tree, stack, keys, ids)
            # exact distances of the first k by chord (at most k: every one not beyond max_m is kept)
            su, cu = reduced_latitude(slat[s])
            size = 0
            for j in range(min(found, k)):
                size = _keep_exact(slon[s], su, cu, ids[j], tlon, tsu, tcu, max_m, k, best_d, best_i, size)
            flagged = _unconverged(best_d, size)
            # settled when every target within the bound was a candidate (found < m, or m <= k: all
            # targets), or by the certificate: the k-th exact distance is below the lowest possible
            # distance of the first candidate left out
            settled = found < m or m <= k or flagged
            kth = best_d[k - 1] if size == k else np.inf
            if not settled:
                chord = math.sqrt(keys[m - 1])
                lowest = 2.0 * math.asin(min(chord / 2.0, 1.0)) * radius_m * lower_factor
                settled = kth < lowest or lowest > max_m
            if not settled:
                # measure every target that could beat the k-th: chord within the bound of the k-th
                limit = min(kth, max_m)
                angle = min(limit / (radius_m * lower_factor), math.pi)
                c = 2.0 * math.sin(angle / 2.0) * (1.0 + 1e-12)
                size = _exact_within(
                    slon[s],
                    su,
                    cu,
                    qx,
                    qy,
                    qz,
                    min(c * c, bound2),
                    max_m,
                    k,
                    tree,
                    tlon,
                    tsu,
                    tcu,
                    stack,
                    best_d,
                    best_i,
                )
                flagged = _unconverged(best_d, size)
            for j in range(size):
                out_i[s, j] = best_i[j]
                out_d[s, j] = best_d[j]
            redo[s] = flagged
    return out_i, out_d, redo


def no_cells() -> Cells:
    """Empty candidate cells: :func:`nearest_kernel` searches the kd-tree for every source."""
    return (
        np.empty((0, 4)),
        np.empty(0, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.empty(0, dtype=np.int64),
    )
