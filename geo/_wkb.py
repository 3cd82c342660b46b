"""Nesting depth of WKB geometries, read without recursion and compiled with numba.

GEOS parses WKB (and WKT) recursively: a GeometryCollection nested some 100,000 levels deep
overflows the C stack and kills the process. :func:`wkb_depths` walks the headers and counts of
every geometry of an Arrow binary column (ISO and extended WKB, either byte order, Z/M) with an
explicit stack, so that deep files are refused before GEOS sees them.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _u32(data: np.ndarray, pos: int | np.int64, little: bool | np.bool_) -> np.int64:
    """The unsigned 32-bit integer at ``data[pos:pos + 4]`` in the byte order given (as int64)."""
    b0, b1, b2, b3 = (
        np.int64(data[pos]),
        np.int64(data[pos + 1]),
        np.int64(data[pos + 2]),
        np.int64(data[pos + 3]),
    )
    if little:
        return b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)
    return b3 | (b2 << 8) | (b1 << 16) | (b0 << 24)


@numba.njit(cache=True)
def wkb_depths(data: np.ndarray, offsets: np.ndarray, limit: int) -> np.ndarray:
    """Deepest nesting of collections (Multi* and GeometryCollection) of each WKB geometry.

    Parameters
    ----------
    data : numpy.ndarray of uint8
        The WKB bytes of all geometries, back to back (an Arrow binary array's data buffer).
    offsets : numpy.ndarray of int64
        Start of each geometry in ``data``, and the end of the last (``len(geometries) + 1`` values).
    limit : int
        The walk of a geometry stops once its depth passes ``limit`` (so the answer is at most
        ``limit + 1``).

    Returns
    -------
    numpy.ndarray of int64
        Depth per geometry: 0 for a point, line or polygon (or an empty collection), 1 for a
        collection of those. Malformed WKB ends the walk; the WKB reader then reports it.
    """
    n = offsets.size - 1
    out = np.zeros(n, dtype=np.int64)
    stack = np.zeros(limit + 2, dtype=np.int64)
    for i in range(n):
        pos, end = np.int64(offsets[i]), np.int64(offsets[i + 1])
        top, deepest = 0, 0
        while pos + 5 <= end:
            little = data[pos] == 1
            code = _u32(data, pos + 1, little)
            pos += 5
            if code & 0x20000000:  # extended WKB: an SRID follows
                pos += 4
            plain = code & 0x0FFFFFFF
            base, iso = plain % 1000, plain // 1000
            dims = 2
            if iso == 1 or iso == 3 or (code & 0x80000000):
                dims += 1
            if iso == 2 or iso == 3 or (code & 0x40000000):
                dims += 1
            if base == 1:
                pos += 8 * dims
            elif base == 2:
                if pos + 4 > end:
                    break
                pos += 4 + 8 * dims * _u32(data, pos, little)
            elif base == 3:
                if pos + 4 > end:
                    break
                rings = _u32(data, pos, little)
                pos += 4
                for _ in range(rings):
                    if pos + 4 > end:
                        break
                    pos += 4 + 8 * dims * _u32(data, pos, little)
            elif 4 <= base <= 7:
                if pos + 4 > end:
                    break
                parts = _u32(data, pos, little)
                pos += 4
                if parts > 0:
                    stack[top] = parts
                    top += 1
                    deepest = max(deepest, top)
                    if deepest > limit:
                        break
                    continue
            else:
                break
            finished = True  # one geometry read: was it the last of its collection(s)?
            while top > 0:
                stack[top - 1] -= 1
                if stack[top - 1] > 0:
                    finished = False
                    break
                top -= 1
            if finished:
                break
        out[i] = deepest
    return out
