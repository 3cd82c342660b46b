"""Routing benchmark on the world highway graph (scgraph-data world_highways, 560,282 nodes).

Prints: the first build (parse + geodesic weights + cache write) and the cold load from the cache in
a fresh process; p50/p95 of 200 random mainland-India origin-destination routes, warm; a 220 x 220
India road distance matrix with its unreachable pairs. Anchor, in the same run and on the same graph
arrays: scgraph 3.x (C++ core) ``get_shortest_path`` and ``distance_matrix``, where it installs.
Targets: p50 route <= 10 ms warm; 220 x 220 matrix <= 1 s with no unreachable pairs; cold load <= 3 s.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from _common import country_polygon, timed

COLD = "import time; t = time.perf_counter(); from geo.network import network; network('road'); print(time.perf_counter() - t)"


def _fresh_process(code: str, cache_dir: str) -> float:
    env = {**os.environ, "MINERAL_ATLAS_CACHE_DIR": cache_dir}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return float(out.stdout.strip().splitlines()[-1])


def _scgraph_anchor(graph, lon, lat, mlon, mlat, n_routes: int):
    try:
        from scgraph import GeoGraph
    except ImportError:
        return None
    adjacency = [
        dict(zip(graph.indices[a:b].tolist(), graph.weight_km[a:b].tolist(), strict=True))
        for a, b in zip(graph.indptr[:-1], graph.indptr[1:], strict=True)
    ]
    geograph = GeoGraph(graph=adjacency, nodes=np.column_stack([graph.lat, graph.lon]).tolist())
    times, failed = [], 0
    for i in range(n_routes):
        start = time.perf_counter()
        try:
            geograph.get_shortest_path(
                origin_node={"latitude": lat[2 * i], "longitude": lon[2 * i]},
                destination_node={"latitude": lat[2 * i + 1], "longitude": lon[2 * i + 1]},
            )
        except RuntimeError:  # it snaps to the nearest node, sometimes on a cut-off fragment
            failed += 1
        times.append(time.perf_counter() - start)
    nodes = [{"latitude": a, "longitude": o} for o, a in zip(mlon, mlat, strict=True)]
    matrix_s, matrix = timed(lambda: geograph.distance_matrix(nodes))
    unreachable = sum(v is None for row in matrix for v in row)
    return np.array(times) * 1000, failed, matrix_s, unreachable


def main() -> None:
    import shapely

    from geo.network import network, network_distance_matrix, route

    with tempfile.TemporaryDirectory() as empty:
        build_s = _fresh_process(COLD, empty)  # no cache: parse the package, write the cache
        cold_s = _fresh_process(COLD, empty)  # from the cache just written
    network("road")
    graph = network("road").graph

    # origins and destinations: Indian cities of 100,000+ people (the demand layer), seeded draws; the
    # mainland only (the largest polygon of the country), as the targets ask
    import layers

    india = max(getattr(country_polygon("IN"), "geoms", [country_polygon("IN")]), key=lambda p: p.area)
    cities = layers.load("demand")
    cities = cities[shapely.contains_xy(india, cities.geometry.x, cities.geometry.y)]
    rng = np.random.default_rng(11)
    pairs = rng.choice(len(cities), size=(200, 2))
    lon = cities.geometry.x.to_numpy()[pairs.ravel()]
    lat = cities.geometry.y.to_numpy()[pairs.ravel()]
    sample = rng.choice(len(cities), size=220, replace=False)
    times = []
    for i in range(200):
        a, b = shapely.Point(lon[2 * i], lat[2 * i]), shapely.Point(lon[2 * i + 1], lat[2 * i + 1])
        start = time.perf_counter()
        route(a, b, mode="road")
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    net = network("road")
    path_times = []
    for i in range(200):  # the path alone (snap + A*), without building the legs' GeoDataFrame
        start = time.perf_counter()
        nodes, _ = net.snap(lon[2 * i : 2 * i + 2], lat[2 * i : 2 * i + 2], ["a", "b"])
        net.shortest(int(nodes[0]), int(nodes[1]))
        path_times.append(time.perf_counter() - start)
    path_ms = np.array(path_times) * 1000
    pts = cities.iloc[sample]
    mlon, mlat = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    network_distance_matrix(pts.head(2), pts.head(2), mode="road")  # compile once
    matrix_s, km = timed(lambda: network_distance_matrix(pts, pts, mode="road"))
    unreachable = int(np.isinf(km.to_numpy()).sum())

    print(f"world_highways                 : {graph.n_nodes:,} nodes, {len(graph.indices):,} directed edges")
    print(f"first build (parse + cache)    : {build_s:.2f} s")
    print(f"cold load from cache           : {cold_s:.2f} s (target <= 3 s)")
    print(
        f"200 India routes, warm         : p50 {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms (target p50 <= 10 ms)"
    )
    print(
        f"  of which snap + A* only      : p50 {np.median(path_ms):.2f} ms, p95 {np.percentile(path_ms, 95):.2f} ms"
    )
    print(
        f"220 x 220 India matrix         : {matrix_s:.2f} s, {unreachable} unreachable pairs (target <= 1 s, 0 unreachable)"
    )
    with contextlib.redirect_stdout(io.StringIO()):  # scgraph prints its failures
        anchor = _scgraph_anchor(graph, lon, lat, mlon, mlat, 200)
    if anchor is None:
        print("scgraph anchor                 : not installed")
        return
    sc_ms, sc_failed, sc_matrix_s, sc_unreachable = anchor
    print(
        f"scgraph 3.x routes, same graph : p50 {np.median(sc_ms):.2f} ms, p95 {np.percentile(sc_ms, 95):.2f} ms, {sc_failed} of 200 failed (not connected)"
    )
    print(
        f"  ratio scgraph / ours at p50  : {np.median(sc_ms) / np.median(ms):.2f} (whole route with its GeoDataFrame), {np.median(sc_ms) / np.median(path_ms):.2f} (snap + A* only)"
    )
    print(
        f"scgraph 3.x 220 x 220 matrix   : {sc_matrix_s:.2f} s, {sc_unreachable} unreachable -> ours {sc_matrix_s / matrix_s:.1f}x faster"
    )


if __name__ == "__main__":
    main()
