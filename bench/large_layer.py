"""A 1,000,000-point layer in the workspace must not take the service down (issue: limits that protect
everyone): a new session's first paint and the bytes it receives, with the layer shown, against the
same server with an empty workspace (the anchor), in one run.

Targets: map document (websocket payload) <= 5 MB, first paint <= 5 s on a warmed server.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# bench/app.py's server and visit helpers (loaded by path: the project has an ``app`` package too)
_spec = importlib.util.spec_from_file_location("bench_app", HERE / "app.py")
assert _spec and _spec.loader
bench_app = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_app)

N_POINTS = 1_000_000


def _workspace(folder: Path, *, with_layer: bool) -> Path:
    from app.store import open_workspace  # the project's app package (ROOT on sys.path)

    path = folder / ("big.gpkg" if with_layer else "empty.gpkg")
    if with_layer:
        rng = np.random.default_rng(0)
        points = gpd.GeoDataFrame(
            {"name": np.arange(N_POINTS).astype(str)},
            geometry=gpd.points_from_xy(rng.uniform(68, 97, N_POINTS), rng.uniform(8, 35, N_POINTS)),
            crs="EPSG:4326",
        )
        os.environ["MINERAL_ATLAS_WORKSPACE"] = str(path)
        start = time.perf_counter()
        open_workspace(user="local").save("million points", points, kind="import", source="bench")
        print(f"saved {N_POINTS:,} points to the workspace in {time.perf_counter() - start:.1f} s")
    return path


def _measure(browser, workspace: Path) -> dict[str, float]:
    os.environ["MINERAL_ATLAS_WORKSPACE"] = str(workspace)
    proc, url, ready_s = bench_app._serve("asgi")
    try:
        warm = browser.new_context(viewport={"width": 1400, "height": 1000})
        bench_app._visit(warm, url)  # the first visitor reads the layer into the shared cache
        warm.close()
        runs = []
        for _ in range(3):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            runs.append(bench_app._visit(context, url))
            context.close()
        return {
            "ready_s": ready_s,
            "paint_s": float(np.median([r["paint_s"] for r in runs])),
            "ws_mb": float(np.median([r["ws_mb"] for r in runs])),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        anchor = _measure(browser, _workspace(Path(tmp), with_layer=False))
        big = _measure(browser, _workspace(Path(tmp), with_layer=True))
        browser.close()
    print(f"{'':32} {'empty workspace':>16} {'1 M points':>12}  target")
    print(f"{'new session first paint (s)':32} {anchor['paint_s']:16.2f} {big['paint_s']:12.2f}  <= 5")
    print(f"{'map document, websocket (MB)':32} {anchor['ws_mb']:16.2f} {big['ws_mb']:12.2f}  <= 5")
    print(f"ratio first paint 1 M / empty: {big['paint_s'] / anchor['paint_s']:.2f}")


if __name__ == "__main__":
    main()
