"""Helpers shared by the benchmarks: seeded random points inside a country, timing, peak memory."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely

#: The project's folder.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def country_polygon(iso2: str) -> shapely.Geometry:
    """The country's Natural Earth polygon from the countries layer."""
    import layers

    countries = layers.load("countries")
    return countries.loc[countries["country"] == iso2, "geometry"].iloc[0]


def random_points_in(polygon: shapely.Geometry, n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform (in lon/lat) random points inside ``polygon``, seeded."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    lon_parts, lat_parts, have = [], [], 0
    while have < n:
        lon = rng.uniform(minx, maxx, 2 * n)
        lat = rng.uniform(miny, maxy, 2 * n)
        inside = shapely.contains_xy(polygon, lon, lat)
        lon_parts.append(lon[inside])
        lat_parts.append(lat[inside])
        have += int(inside.sum())
    return np.concatenate(lon_parts)[:n], np.concatenate(lat_parts)[:n]


def timed(fn: Callable[[], Any], *, repeat: int = 1) -> tuple[float, Any]:
    """Best wall time in seconds of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
