"""Site-selection benchmark: scoring a res-7 H3 grid over India, pandas and dask engines, and a p-median.

Each engine runs in a fresh process (so peak memory is its own): the grid is built, then scored on
five criteria (feedstock within 200 km, km to lithium blocks, ports, existing recyclers/refiners
and the road network).
The dask engine runs on a local dask.distributed cluster of 2 workers, once as threads of the client
process and once as 2 worker processes; its peak RSS is the larger of the client process and the
largest worker. Then the build + solve time of a p-median with
200 candidates x 1,000 demand points (geodesic cost matrix) for k = 10 and 20, and the anchor: spopt's
PMedian on the same matrix, solved by HiGHS through PuLP.
Targets: grid + scoring <= 10 s and <= 2 GB peak; p-median <= 30 s.

Scaling curves, each size in a fresh process (peak RSS = that process's ``VmHWM``, the interpreter,
the layers and the road network included): grid + scoring (pandas engine) at H3 resolutions 5, 6
and 7 over India and at resolution 8 over a 6 x 6 degree box of central India (76-82 E, 18-24 N;
India at res 8 would be about 4.2 million cells, some 5 GB), with the box at res 7 beside it; the
p-median (200 candidates x 1,000 demand points) at k = 5, 10, 20, 40 (``--full``: every 5 from 5
to 40; ``--quick``: 5 and 10, and no res 8).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import numpy as np
from _common import (
    child_result,
    country_polygon,
    fresh,
    load_note,
    peak_rss_mb,
    print_scaling,
    random_points_in,
    say,
    timed,
)

from geo.settings import DEFAULT_WEIGHTS

#: engine runs, each in a fresh process: pandas, and dask on a local cluster of 2 workers, as threads
#: of one process and as 2 processes
ENGINES = {
    "pandas": "pandas",
    "dask-threads": "dask, 2 worker threads",
    "dask-processes": "dask, 2 worker processes",
}


def _inputs():
    import layers

    facilities = layers.load("facilities")
    return dict(
        demand=layers.load("demand"),
        blocks=layers.load("lithium_blocks"),
        ports=layers.load("ports"),
        facilities=facilities[facilities["kind"].isin(["recycling", "refining"])],
    )


def run_engine(engine: str) -> None:
    """Child process: build and score the grid with one engine, print JSON figures."""
    from geo.siting import candidate_grid, hexagons, suitability

    inputs = _inputs()
    grid_s, cells = timed(lambda: candidate_grid(country_polygon("IN"), resolution=7, geometry="centre"))
    if engine.startswith("dask"):
        from distributed import Client, LocalCluster

        processes = engine == "dask-processes"
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            score_s, scored = timed(
                lambda: suitability(cells, **inputs, weights=DEFAULT_WEIGHTS, engine="dask")
            )
            workers_mb = max(
                client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024).values()
            )
    else:
        score_s, scored = timed(lambda: suitability(cells, **inputs, weights=DEFAULT_WEIGHTS))
        workers_mb = 0.0
    top = scored["cell"].head(100).tolist()
    rss_mb = max(peak_rss_mb(), workers_mb)
    hex_s = timed(lambda: hexagons(scored))[0] if engine == "pandas" else 0.0
    print(
        json.dumps(
            {
                "cells": len(cells),
                "grid_s": grid_s,
                "score_s": score_s,
                "hex_s": hex_s,
                "rss_mb": rss_mb,
                "hex_rss_mb": peak_rss_mb(),
                "top": top,
            }
        )
    )


#: Resolution 8 runs on this box of central India (lon/lat): India at res 8 is ~4.2 million cells.
BOX = (76.0, 18.0, 82.0, 24.0)
#: (resolution, region) of the suitability curve; res 7 over India comes from the pandas engine run.
SUITABILITY_RUNS = ((5, "IN"), (6, "IN"), (7, "box"), (8, "box"))
P_MEDIAN_K = (5, 10, 20, 40)
P_MEDIAN_K_FULL = (5, 10, 15, 20, 25, 30, 35, 40)


def run_suitability(resolution: int, region: str) -> None:
    """Child process: grid + scoring (pandas engine) at one resolution; JSON figures."""
    import shapely

    from geo.siting import candidate_grid, suitability

    inputs = _inputs()
    polygon = country_polygon("IN") if region == "IN" else shapely.box(*BOX)
    grid_s, cells = timed(lambda: candidate_grid(polygon, resolution=resolution, geometry="centre"))
    score_s, _ = timed(lambda: suitability(cells, **inputs, weights=DEFAULT_WEIGHTS))
    child_result({"size": len(cells), "seconds": grid_s + score_s, "grid_s": grid_s, "score_s": score_s})


def _p_median_inputs():
    import geopandas as gpd

    from geo.proximity import distance_matrix

    india = country_polygon("IN")
    lon, lat = random_points_in(india, 1200, seed=5)
    cand = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[:200], lat[:200]), crs="EPSG:4326")
    dem = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[200:], lat[200:]), crs="EPSG:4326")
    weights = np.random.default_rng(6).integers(1, 100, len(dem)).astype(float)
    return (lambda: distance_matrix(dem, cand).to_numpy() / 1000.0), weights


def run_p_median(k: int) -> None:
    """Child process: build + solve the p-median at one k; JSON figures."""
    from geo.siting import solve_allocation

    cost, weights = _p_median_inputs()
    seconds, result = timed(lambda: solve_allocation(cost(), weights, k=k))
    child_result({"size": k, "seconds": seconds, "objective": result.objective})


def _child(engine: str) -> dict:
    out = subprocess.run([sys.executable, __file__, engine], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(*, quick: bool, full: bool) -> None:
    say("machine", f"{load_note()} (at the start)")
    figures = {engine: _child(engine) for engine in ENGINES}
    cost, weights = _p_median_inputs()
    ks = (5, 10) if quick else P_MEDIAN_K_FULL if full else P_MEDIAN_K
    pm = {k: fresh(__file__, "pmedian", str(k)) for k in ks}
    anchor_s, anchor_objective = timed(lambda: _spopt_p_median(cost(), weights, 10))
    p = figures["pandas"]
    say("res-7 India grid (cell centres)", f"{p['cells']:,} cells, built in {p['grid_s']:.2f} s")
    for engine, label in ENGINES.items():
        f = figures[engine]
        say(
            f"scoring, {label}",
            f"{f['score_s']:.2f} s; grid + scoring {f['grid_s'] + f['score_s']:.2f} s (target <= 10 s); "
            f"peak RSS {f['rss_mb']:.0f} MiB (target <= 2048)",
        )
        if engine != "pandas":
            say(
                "  / pandas scoring time",
                f"{f['score_s'] / p['score_s']:.2f}; same top 100 cells: {f['top'] == p['top']}",
            )
    say(
        "hexagons of all cells (export)",
        f"{p['hex_s']:.2f} s, peak RSS then {p['hex_rss_mb']:.0f} MiB; "
        "built only for the cells shown or written",
    )
    for k in (10, 20):
        if k in pm:
            say(
                f"p-median 200 x 1,000, k={k}",
                f"{pm[k]['seconds']:.2f} s build + solve (target <= 30 s), "
                f"objective {pm[k]['objective']:,.0f}",
            )
    same = abs(anchor_objective - pm[10]["objective"]) <= 1e-4 * anchor_objective
    say(
        "spopt PMedian + HiGHS, k=10",
        f"{anchor_s:.2f} s, objective {anchor_objective:,.0f} -> ours {anchor_s / pm[10]['seconds']:.0f}x "
        f"faster, same optimum: {same}",
    )
    say("machine", f"{load_note()} (after the engine runs)")

    rows = [
        {
            "size": p["cells"],
            "size_text": f"{p['cells']:,}",
            "seconds": p["grid_s"] + p["score_s"],
            "peak_mib": p["rss_mb"],
            "what": "res 7, India",
        }
    ]
    for resolution, region in SUITABILITY_RUNS:
        if quick and resolution == 8:
            continue
        f = fresh(__file__, "suitability", str(resolution), region)
        f["size_text"] = f"{f['size']:,}"
        f["what"] = f"res {resolution}, " + ("India" if region == "IN" else "central India box")
        rows.append(f)
    rows.sort(key=lambda r: r["size"])
    for r in rows:
        r["grid_text"] = f"{r.get('grid_s', p['grid_s']):.2f}"
    print_scaling(
        "suitability (grid + scoring, pandas engine), H3 cells, a fresh process per size",
        "cells",
        rows,
        extra=[("what", "resolution, region"), ("grid_text", "of which grid s")],
    )
    rows = []
    for k, f in pm.items():
        f["size_text"] = f"k = {k}"
        f["objective_text"] = f"{f['objective']:,.0f}"
        rows.append(f)
    print_scaling(
        "p-median, 200 candidates x 1,000 demand points, build + solve, a fresh process per k",
        "k",
        rows,
        extra=[("objective_text", "objective")],
    )
    say("machine", f"{load_note()} (after the scaling runs)")


def _spopt_p_median(cost, weights, k) -> float:
    """The anchor: spopt's PMedian on the whole matrix, solved by HiGHS through PuLP."""
    import pulp
    from spopt.locate import PMedian

    problem = PMedian.from_cost_matrix(cost, weights, p_facilities=k).solve(pulp.HiGHS(msg=False))
    return float(pulp.value(problem.problem.objective))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child" and sys.argv[2] == "suitability":
        run_suitability(int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) > 2 and sys.argv[1] == "--child" and sys.argv[2] == "pmedian":
        run_p_median(int(sys.argv[3]))
    elif len(sys.argv) > 1 and not sys.argv[1].startswith("--"):
        run_engine(sys.argv[1])
    else:
        main(quick="--quick" in sys.argv, full="--full" in sys.argv)
