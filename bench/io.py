"""Import benchmark: peak memory and time of ``geo.io.read_layer`` on a large GeoJSON and a large CSV.

The files are generated in a temporary folder, seeded: ``N_GEOJSON`` point features with five
properties (about 190 bytes a feature) and a CSV of ``N_CSV`` rows (id, name, lat, lon, kind,
capacity). Each import runs in a fresh subprocess, which reports its peak resident set size
(``VmHWM``) above the interpreter with the libraries imported, and its wall time; each runs
``REPEAT`` times, and the best time and the largest peak count.

Anchors, in the same run and the same kind of subprocess: ``pyogrio.read_dataframe`` (GeoJSON,
no checks) and ``pandas.read_csv`` + ``geopandas.points_from_xy`` (CSV, no checks). Prints MB per
million features, the ratio to the file size and to the anchor.

Targets: less memory than the anchor for GeoJSON, at most 1.25x the anchor's for CSV (whose
anchor checks nothing). Before streaming (``geo.io`` at commit df27ade, the same files, measured
the same way): GeoJSON 2,156 MB per million features, CSV 622 MB per million rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

N_GEOJSON = 1_000_000
N_CSV = 2_000_000
REPEAT = 2  # each import runs twice (fresh processes): best time, largest peak
KINDS = ("recycling", "refining", "cathode", "smelter", "port")

# Peak memory is the child's VmHWM (its own high-water mark: ``ru_maxrss`` would carry the parent's
# resident size over fork and exec, and the parent has just written the files).
CHILD = r"""
import sys, time
kind, path = sys.argv[1], sys.argv[2]
import geopandas, pandas, pyogrio, pyarrow.csv
sys.path.insert(0, {root!r})
import geo.io
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key + ":"))
base = status("VmRSS")
start = time.perf_counter()
if kind == "ours":
    n = len(geo.io.read_layer(path))
elif kind == "anchor-geojson":
    n = len(pyogrio.read_dataframe(path))
else:
    frame = pandas.read_csv(path)
    points = geopandas.points_from_xy(frame["lon"], frame["lat"])
    n = len(geopandas.GeoDataFrame(frame, geometry=points, crs=4326))
seconds = time.perf_counter() - start
print(n, seconds, base / 1024, status("VmHWM") / 1024)
"""


def write_geojson(path: Path, n: int, *, seed: int) -> None:
    """``n`` point features over India's bounding box with five properties, seeded."""
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(68.0, 97.0, n), rng.uniform(8.0, 37.0, n)
    capacity = rng.integers(100, 100_000, n)
    kind = rng.integers(0, len(KINDS), n)
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"type":"FeatureCollection","features":[\n')
        for i in range(n):
            props = {
                "id": f"site-{i}",
                "name": f"Site {i}",
                "kind": KINDS[kind[i]],
                "capacity_t": int(capacity[i]),
                "country": "IN",
            }
            sep = ",\n" if i else ""
            fh.write(
                f'{sep}{{"type":"Feature","properties":{json.dumps(props)},'
                f'"geometry":{{"type":"Point","coordinates":[{lon[i]:.6f},{lat[i]:.6f}]}}}}'
            )
        fh.write("\n]}\n")


def write_csv(path: Path, n: int, *, seed: int) -> None:
    """``n`` rows: id, name, lat, lon, kind, capacity_t, seeded."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": [f"site-{i}" for i in range(n)],
            "name": [f"Site {i}" for i in range(n)],
            "lat": np.round(rng.uniform(8.0, 37.0, n), 6),
            "lon": np.round(rng.uniform(68.0, 97.0, n), 6),
            "kind": np.asarray(KINDS)[rng.integers(0, len(KINDS), n)],
            "capacity_t": rng.integers(100, 100_000, n),
        }
    )
    frame.to_csv(path, index=False)


def run(kind: str, path: Path, *, repeat: int = REPEAT) -> tuple[int, float, float]:
    """Features read, best seconds and largest peak MB above the child's baseline of ``repeat`` runs."""
    code = CHILD.format(root=str(Path(__file__).resolve().parent.parent))
    best, largest, n = float("inf"), 0.0, 0
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code, kind, str(path)], capture_output=True, text=True, check=False
        )
        if out.returncode:
            raise SystemExit(f"bench/io.py: {kind} on {path.name} failed:\n{out.stderr[-2000:]}")
        got, seconds, base, peak = out.stdout.split()
        n, best, largest = int(got), min(best, float(seconds)), max(largest, float(peak) - float(base))
    return n, best, largest


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="mineral-atlas-bench-io-") as folder:
        tmp = Path(folder)
        cases = [
            ("GeoJSON", tmp / "points.geojson", N_GEOJSON, write_geojson, "anchor-geojson"),
            ("CSV", tmp / "points.csv", N_CSV, write_csv, "anchor-csv"),
        ]
        for label, path, n, writer, anchor in cases:
            writer(path, n, seed=7)
            size_mb = path.stat().st_size / 2**20
            got, ours_s, ours_mb = run("ours", path)
            assert got == n, (label, got, n)
            _, anchor_s, anchor_mb = run(anchor, path)
            per_m = ours_mb / (n / 1e6)
            print(f"{label:8s} {n:>9,} features, file {size_mb:,.0f} MB")
            print(
                f"  read_layer : {ours_s:6.1f} s, peak +{ours_mb:,.0f} MB = {per_m:,.0f} MB per million "
                f"features, {ours_mb / size_mb:.1f}x the file"
            )
            what = (
                "pyogrio.read_dataframe" if anchor == "anchor-geojson" else "pandas.read_csv + points_from_xy"
            )
            print(f"  anchor     : {anchor_s:6.1f} s, peak +{anchor_mb:,.0f} MB ({what})")
            target = 1.0 if label == "GeoJSON" else 1.25
            verdict = "met" if ours_mb / anchor_mb <= target else "NOT MET"
            print(
                f"  ratio      : time {ours_s / anchor_s:.2f}x, memory {ours_mb / anchor_mb:.2f}x the anchor "
                f"(target <= {target:g}x: {verdict})"
            )


if __name__ == "__main__":
    main()
