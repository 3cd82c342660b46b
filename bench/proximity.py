"""Proximity benchmark: exact geodesic nearest for 1,000,000 points over India x 1,000 facilities.

Anchor, in the same run: geopandas ``sjoin_nearest`` in EPSG:7755 (India LCC), the usual planar way.
Prints our time, the anchor's time (reprojection from lon/lat + sjoin_nearest, and sjoin_nearest
alone), the ratios, our maximum distance error against ``pyproj.Geod.inv`` on a 10,000-pair sample,
how often the planar answer picked a different nearest facility than the exact one and its distance
error, and peak RSS. Targets: >= 2.5x faster than the anchor, max error < 1 m, peak RSS < 1.5 GB.
"""

from __future__ import annotations

import numpy as np
from _common import country_polygon, peak_rss_mb, random_points_in, timed

N_POINTS = 1_000_000
N_FACILITIES = 1_000
SAMPLE = 10_000


def main() -> None:
    import geopandas as gpd
    import pyproj

    from geo.proximity import nearest

    india = country_polygon("IN")
    lon, lat = random_points_in(india, N_POINTS, seed=1)
    flon, flat = random_points_in(india, N_FACILITIES, seed=2)
    sources = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    targets = gpd.GeoDataFrame(geometry=gpd.points_from_xy(flon, flat), crs="EPSG:4326")

    cold, _ = timed(lambda: nearest(sources.iloc[:1000], targets))  # compiles the numba kernel once
    ours_s, result = timed(lambda: nearest(sources, targets), repeat=3)
    ours_rss = peak_rss_mb()

    reproject_s, (src_p, tgt_p) = timed(lambda: (sources.to_crs("EPSG:7755"), targets.to_crs("EPSG:7755")))
    sjoin_s, joined = timed(lambda: gpd.sjoin_nearest(src_p, tgt_p, distance_col="planar_m"))
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()

    rng = np.random.default_rng(3)
    sample = rng.choice(len(result), SAMPLE, replace=False)
    rows = result.iloc[sample]
    geod = pyproj.Geod(ellps="WGS84")
    _, _, ref = geod.inv(
        lon[rows["source_id"]], lat[rows["source_id"]], flon[rows["target_id"]], flat[rows["target_id"]]
    )
    max_err = float(np.max(np.abs(rows["distance_m"].to_numpy() - ref)))

    exact_target = result.sort_values("source_id")["target_id"].to_numpy()
    planar_target = joined["index_right"].to_numpy()
    differ = float(np.mean(exact_target != planar_target))
    exact_d = result.sort_values("source_id")["distance_m"].to_numpy()
    _, _, planar_geodesic = geod.inv(lon, lat, flon[planar_target], flat[planar_target])
    planar_rel_err = np.abs(joined["planar_m"].to_numpy() - planar_geodesic) / np.maximum(
        planar_geodesic, 1.0
    )
    anchor_s = reproject_s + sjoin_s

    print(f"points x facilities          : {N_POINTS:,} x {N_FACILITIES:,} (uniform over India, seeded)")
    print(
        f"ours (geo.proximity.nearest) : {ours_s:.3f} s warm (first call with compilation: {cold:.2f} s on 1,000 points)"
    )
    print(f"anchor reproject to EPSG:7755: {reproject_s:.3f} s")
    print(f"anchor sjoin_nearest         : {sjoin_s:.3f} s")
    print(f"ratio vs reproject+sjoin     : {anchor_s / ours_s:.2f}x faster (target >= 2.5x)")
    print(f"ratio vs sjoin_nearest alone : {sjoin_s / ours_s:.2f}x faster")
    print(f"max error vs pyproj.Geod.inv : {max_err * 1000:.3f} mm on {SAMPLE:,} pairs (target < 1 m)")
    print(f"planar picked another nearest: {differ * 100:.2f} % of points")
    print(
        f"planar distance error        : median {np.median(planar_rel_err) * 100:.2f} %, max {np.max(planar_rel_err) * 100:.2f} %"
    )
    print(f"exact nearest distance       : median {np.median(exact_d) / 1000:.1f} km")
    print(
        f"peak RSS after ours          : {ours_rss:.0f} MiB (target < 1536 MiB); after anchor {peak_rss_mb():.0f} MiB"
    )


if __name__ == "__main__":
    main()
