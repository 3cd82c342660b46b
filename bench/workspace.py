"""Workspace benchmark: save 2 features into a workspace that holds a 450,000-feature layer.

Anchor, in the same run: the previous workspace's way of saving, reimplemented here (read every layer,
write the index and every layer into a temporary GeoPackage with pyogrio, rename it over the old one),
on a copy of the same workspace. Prints the time of one small save each way, their ratio, the time of
loading the large layer both ways (ours reads the table with sqlite3, the anchor with pyogrio), and
whether the large table was left untouched by our save. Target: the small save >= 50x faster than the
anchor, and independent of the size of the other layers.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import country_polygon, peak_rss_mb, random_points_in, timed

N_LARGE = 450_000


def full_rewrite(path: Path, name: str, gdf) -> None:
    """The previous workspace's save: every layer read and written again into a new file."""
    import pandas as pd
    import pyogrio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        index = pd.DataFrame(pyogrio.read_dataframe(path, layer="workspace_index", read_geometry=False))
        layers = {n: pyogrio.read_dataframe(path, layer=n, datetime_as_string=True) for n in index["name"]}
    layers[name] = gdf
    index = index.set_index("name")
    index.loc[name] = {
        "kind": "import",
        "source": "bench",
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "features": len(gdf),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(index.reset_index(), tmp, layer="workspace_index", driver="GPKG")
        for n, frame in layers.items():
            pyogrio.write_dataframe(frame, tmp, layer=n, driver="GPKG")
    os.replace(tmp, path)


def main() -> None:
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    from app.store import Workspace

    india = country_polygon("IN")
    lon, lat = random_points_in(india, N_LARGE, seed=1)
    rng = np.random.default_rng(2)
    large = gpd.GeoDataFrame(
        {
            "name": [f"site {i}" for i in range(N_LARGE)],
            "capacity_t": rng.integers(100, 50_000, N_LARGE),
            "score": rng.random(N_LARGE),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    small = large.iloc[:2].copy()

    with tempfile.TemporaryDirectory(prefix="mineral-atlas-bench-workspace-") as folder:
        ours_path, anchor_path = (
            Path(folder, "ours", "workspace.gpkg"),
            Path(folder, "anchor", "workspace.gpkg"),
        )
        ws = Workspace(ours_path)
        create_s, _ = timed(lambda: ws.save("large", large))

        # the anchor's workspace: the previous layout (an index layer, one GeoPackage layer per name)
        anchor_path.parent.mkdir()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            index = pd.DataFrame(
                {
                    "name": ["large"],
                    "kind": ["import"],
                    "source": ["bench"],
                    "saved_at": ["-"],
                    "features": [N_LARGE],
                }
            )
            pyogrio.write_dataframe(index, anchor_path, layer="workspace_index", driver="GPKG")
            pyogrio.write_dataframe(large, anchor_path, layer="large", driver="GPKG")

        conn = sqlite3.connect(ours_path)
        (table,) = conn.execute("SELECT table_name FROM workspace_index WHERE name = 'large'").fetchone()
        state = f'SELECT count(*), min(fid), max(fid), sum(capacity_t) FROM "{table}"'
        before = conn.execute(state).fetchone(), ours_path.stat().st_ino
        conn.close()

        counter = iter(range(1_000_000))
        ours_s, _ = timed(lambda: ws.save(f"two {next(counter)}", small), repeat=5)
        anchor_s, _ = timed(lambda: full_rewrite(anchor_path, f"two {next(counter)}", small), repeat=2)
        conn = sqlite3.connect(ours_path)
        after = conn.execute(state).fetchone(), ours_path.stat().st_ino
        conn.close()

        load_s, loaded = timed(lambda: ws.load("large"), repeat=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio_s, _ = timed(lambda: pyogrio.read_dataframe(anchor_path, layer="large"), repeat=2)
        same = bool(
            (loaded["name"].to_numpy() == large["name"].to_numpy()).all()
            and np.allclose(loaded.geometry.x, large.geometry.x)
        )

        print(f"large layer                  : {N_LARGE:,} points over India (seeded), 3 columns")
        print(f"first save of the large layer: {create_s:8.2f} s")
        print(f"save 2 features, ours        : {ours_s * 1000:8.1f} ms (best of 5)")
        print(f"save 2 features, full rewrite: {anchor_s * 1000:8.1f} ms (best of 2; the previous workspace)")
        print(f"ratio (rewrite / ours)       : {anchor_s / ours_s:8.1f} x  (target >= 50 x)")
        print(f"large table untouched        : {before == after} (same rows, same file inode)")
        print(f"load the large layer, ours   : {load_s:8.2f} s; pyogrio {pyogrio_s:.2f} s; same data: {same}")
        print(f"peak RSS                     : {peak_rss_mb():8.0f} MiB")


if __name__ == "__main__":
    main()
