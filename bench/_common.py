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


# ----------------------------------------------------------------------------- scaling curves
def status_mib(key: str) -> float:
    """A figure of this process from ``/proc/self/status`` (``VmHWM``: peak RSS; ``VmRSS``), MiB.

    A fresh process's ``VmHWM`` is its own peak (``ru_maxrss`` would carry the parent's size over
    fork and exec).
    """
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key + ":")) / 1024


def child_result(figures: dict[str, Any]) -> None:
    """Print a child's figures as the JSON line :func:`fresh` reads, with its peak RSS."""
    import json

    print(json.dumps({**figures, "peak_mib": status_mib("VmHWM")}))


def fresh(script: str, *args: str) -> dict[str, Any]:
    """Run ``python script --child args...`` in a fresh process; the figures it printed last (JSON)."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, script, "--child", *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{script} --child {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def fit_exponent(sizes: Any, values: Any) -> float:
    """Slope of log(value) on log(size), least squares: value ~ size ** slope."""
    x, y = np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(values, dtype=float))
    return float(np.polyfit(x, y, 1)[0])


def load_note() -> str:
    """The machine and its load now: cores and the 1-, 5- and 15-minute load averages."""
    import os

    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.1f} / {five:.1f} / {fifteen:.1f}"


def print_scaling(
    title: str, size_label: str, rows: list[dict[str, Any]], *, extra: list[tuple[str, str]] = ()
) -> None:
    """A scaling table: size, seconds, peak RSS of the fresh process per size, extra columns, and the
    fitted exponents of time and peak RSS (``extra``: (key, heading) pairs, values preformatted)."""
    columns = [("size_text", size_label), ("seconds_text", "seconds"), ("peak_text", "peak RSS MiB")]
    columns += list(extra)
    for row in rows:
        row["seconds_text"] = f"{row['seconds']:.3f}"
        row["peak_text"] = f"{row['peak_mib']:.0f}"
    widths = [max(len(heading), *(len(str(r.get(key, ""))) for r in rows)) for key, heading in columns]
    print(title)
    print("  " + " | ".join(f"{heading:>{w}}" for (_, heading), w in zip(columns, widths, strict=True)))
    for row in rows:
        cells = (f"{str(row.get(key, '')):>{w}}" for (key, _), w in zip(columns, widths, strict=True))
        print("  " + " | ".join(cells))
    sizes = [r["size"] for r in rows]
    time_exp = fit_exponent(sizes, [r["seconds"] for r in rows])
    rss_exp = fit_exponent(sizes, [r["peak_mib"] for r in rows])
    print(
        f"  fitted exponent (log-log least squares): time ~ {size_label}^{time_exp:.2f}, "
        f"peak RSS ~ {size_label}^{rss_exp:.2f}"
    )


def say(label: str, text: str) -> None:
    """Print one figure: its label padded to a column, then the text."""
    print(f"{label:<29}: {text}")
