"""Site-selection benchmark: scoring a res-7 H3 grid over India, and a p-median.

Prints the grid's wall time and peak RSS (4 criteria: feedstock within 200 km, km to lithium
blocks, ports and existing recyclers/refiners; the road/rail criterion and the dask engine are not
built yet), and the build + solve time of a p-median with 200 candidates x 1,000 demand points.
Targets: grid <= 10 s and <= 2 GB peak; p-median <= 30 s.
"""

from __future__ import annotations

import numpy as np

from _common import country_polygon, peak_rss_mb, random_points_in, timed

WEIGHTS = {"feedstock": 0.4, "lithium_blocks": 0.2, "port": 0.2, "competition": 0.2}


def main() -> None:
    import geopandas as gpd

    import layers
    from geo.siting import candidate_grid, solve_allocation, suitability
    from geo.proximity import distance_matrix

    india = country_polygon("IN")
    facilities = layers.load("facilities")
    inputs = dict(
        demand=layers.load("demand"), blocks=layers.load("lithium_blocks"), ports=layers.load("ports"),
        facilities=facilities[facilities["kind"].isin(["recycling", "refining"])],
    )
    grid_s, cells = timed(lambda: candidate_grid(india, resolution=7))
    score_s, scored = timed(lambda: suitability(cells, **inputs, weights=WEIGHTS))
    rss = peak_rss_mb()

    lon, lat = random_points_in(india, 1200, seed=5)
    cand = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[:200], lat[:200]), crs="EPSG:4326")
    dem = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[200:], lat[200:]), crs="EPSG:4326")
    weights = np.random.default_rng(6).integers(1, 100, len(dem)).astype(float)

    def p_median():
        cost = distance_matrix(dem, cand).to_numpy() / 1000.0
        return solve_allocation(cost, weights, k=10)

    pm_s, result = timed(p_median)
    print(f"res-7 India grid             : {len(cells):,} cells, built in {grid_s:.2f} s")
    print(f"scoring (4 criteria, pandas) : {score_s:.2f} s; grid + scoring {grid_s + score_s:.2f} s (target <= 10 s)")
    print(f"peak RSS                     : {rss:.0f} MiB (target <= 2048 MiB)")
    print(f"p-median 200 x 1,000, k=10   : {pm_s:.2f} s build + solve (target <= 30 s), objective {result.objective:,.0f}")
    print("dask engine                  : not built yet")


if __name__ == "__main__":
    main()
