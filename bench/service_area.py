"""Service-area benchmark: 10 Indian facilities and ports x 4 bands (4/8/12/24 h by truck) on the road graph.

Prints, warm (best of 3): the bounded multi-source Dijkstra alone for the 10 origins, and the whole
:func:`geo.service_area.service_areas` call (Dijkstra, polygons, areas, population and facilities
inside). Anchor, in the same run and on the same CSR arrays: scipy's ``dijkstra(limit=)`` from the
same 10 nodes, alone and as the Dijkstra of the same pipeline; the band areas and reached nodes of
both are compared. Target: the whole call <= 2 s warm.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import scipy.sparse as sp
from _common import timed
from scipy.sparse.csgraph import dijkstra

HOURS = [4, 8, 12, 24]
PORTS = ["port-inmun", "port-inmaa", "port-invtz"]


def _origins():
    import geopandas as gpd
    import pandas as pd

    import layers

    facilities = layers.load("facilities")
    ports = layers.load("ports")
    frame = pd.concat(
        [facilities[facilities["country"] == "IN"].head(7), ports[ports["id"].isin(PORTS)]], ignore_index=True
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def main() -> None:
    import layers
    from geo import service_area
    from geo.network import network
    from geo.service_area import Reach, network_reach, service_areas
    from geo.settings import MODE_SPEED_KMH

    origins = _origins()
    demand = layers.load("demand")
    net = network("road")
    g = net.graph
    matrix = sp.csr_matrix((g.weight_km, g.indices, g.indptr), shape=(g.n_nodes, g.n_nodes))
    lon, lat = origins.geometry.x.to_numpy(), origins.geometry.y.to_numpy()
    nodes, access = net.snap(lon, lat, list(origins["id"]))
    limit = max(HOURS) * MODE_SPEED_KMH["road"]

    def ours():
        return [
            network_reach(g, nodes[i : i + 1], access[i : i + 1], limit_km=limit) for i in range(len(nodes))
        ]

    def theirs():
        return dijkstra(matrix, directed=True, indices=nodes, limit=limit)

    def scipy_reach(graph, sources, start_km, *, limit_km):
        """network_reach's answer computed by scipy (one source at a time, its start added)."""
        best = np.full(graph.n_nodes, np.inf)
        source = np.full(graph.n_nodes, -1)
        for i, (s, start) in enumerate(zip(sources, np.broadcast_to(start_km, sources.shape), strict=True)):
            km = dijkstra(matrix, directed=True, indices=int(s), limit=limit_km - start) + start
            better = km < best
            best[better], source[better] = km[better], i
        reached = np.flatnonzero(best <= limit_km)
        order = np.argsort(best[reached], kind="stable")
        return Reach(nodes=reached[order], km=best[reached][order], source=source[reached][order])

    def run():
        return service_areas(origins, mode="road", hours=HOURS, demand=demand, facilities=origins)

    ours()
    run()  # compile and warm
    ours_s, reaches = timed(ours, repeat=3)
    theirs_s, distances = timed(theirs, repeat=3)
    whole_s, result = timed(run, repeat=3)
    with mock.patch.object(service_area, "network_reach", scipy_reach):
        anchor_s, anchor = timed(run, repeat=3)

    same_nodes = all(
        set(r.nodes[r.km <= b]) == set(np.flatnonzero(distances[i] + access[i] <= b))
        for i, r in enumerate(reaches)
        for b in np.array(HOURS) * MODE_SPEED_KMH["road"]
    )
    print(f"road graph                        : {g.n_nodes:,} nodes, {len(g.indices):,} directed edges")
    print(
        f"origins x bands                   : {len(origins)} x {len(HOURS)} "
        f"({', '.join(map(str, HOURS))} h, up to {limit:.0f} km)"
    )
    print(f"bounded Dijkstra, ours (numba)    : {ours_s * 1000:.1f} ms for {len(nodes)} origins")
    print(
        f"scipy dijkstra(limit=), anchor    : {theirs_s * 1000:.1f} ms "
        f"-> ratio scipy / ours {theirs_s / ours_s:.2f}"
    )
    print(f"reached node sets at every band   : {'identical' if same_nodes else 'DIFFERENT'}")
    print(f"service_areas, whole call, warm   : {whole_s:.2f} s (target <= 2 s): {len(result)} polygons")
    print(f"  the same with scipy's Dijkstra  : {anchor_s:.2f} s -> ratio {anchor_s / whole_s:.2f}")
    print("band   total area km2 (ours)   (scipy)   largest difference   reached nodes equal")
    for h in HOURS:
        a = result[result["band_h"] == h]
        b = anchor[anchor["band_h"] == h]
        diff = np.max(np.abs(a["area_km2"].to_numpy() - b["area_km2"].to_numpy()) / b["area_km2"].to_numpy())
        equal = (a["reached_nodes"].to_numpy() == b["reached_nodes"].to_numpy()).all()
        print(
            f"{h:>3} h  {a['area_km2'].sum():>20,.0f}  {b['area_km2'].sum():>10,.0f}"
            f"   {diff:>17.2e}   {equal}"
        )


if __name__ == "__main__":
    main()
