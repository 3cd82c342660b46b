"""Routing on real transport networks, offline: road, rail, sea and road-sea-road (multimodal).

Networks come from PyPI data packages (see :mod:`geo._graphs`): the OpenStreetMap-derived world
highway and railway graphs of scgraph-data and searoute's maritime network. Edge weights are WGS84
geodesic kilometres between the graph's nodes. Points are snapped to the nearest node (exact
geodesic distance) of a connected component of at least ``MIN_COMPONENT_NODES[mode]`` nodes, and
the straight off-network access leg is reported (``access_km``) and included in ``length_km``.
Shortest paths are exact: A* with a spherical lower bound, or Dijkstra for matrices (:mod:`geo._paths`).

Route metrics per leg: ``hours`` from ``MODE_SPEED_KMH``, ``tonne_km`` for the given tonnage and
``co2e_t`` from ``MODE_KG_CO2E_PER_TKM`` (sources in :mod:`geo.settings`). Sea legs carry
``land_crossing_km``: how far the path runs over Natural Earth 1:50m land (searoute's lanes cut a
few corners; canals such as Suez count too).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from geo._errors import InputError
from geo._graphs import Graph, load_graph
from geo._paths import astar, many_to_many, workspace
from geo.crs import to_wgs84
from geo.distance import EARTH_RADIUS_M, GEOD, SPHERE_LOWER, geodesic_m, unit_vectors
from geo.settings import MAX_ACCESS_KM, MIN_COMPONENT_NODES, MODE_KG_CO2E_PER_TKM, MODE_SPEED_KMH, WGS84

logger = logging.getLogger(__name__)

#: Modes of :func:`route`; ``multimodal`` is road -> port -> sea -> port -> road.
MODES: tuple[str, ...] = ("road", "rail", "sea", "multimodal")
#: What multimodal port choice minimises.
OBJECTIVES: tuple[str, ...] = ("co2e", "hours", "km")
#: Lower bound of the geodesic per unit of central angle, km (admissible A* heuristic).
BOUND_RADIUS_KM = EARTH_RADIUS_M * SPHERE_LOWER / 1000.0
#: Nodes considered when snapping: the nearest on the sphere, then the exact geodesic decides.
SNAP_CANDIDATES = 8
#: The output CRS, built once (making a pyproj CRS costs more than a warm A* query).
_CRS = pyproj.CRS(WGS84)
#: Per-thread A* scratch arrays, by mode (Streamlit serves sessions from several threads).
_SCRATCH = threading.local()
LEG_COLUMNS = [
    "leg",
    "mode",
    "from_name",
    "to_name",
    "network_km",
    "access_km",
    "length_km",
    "hours",
    "tonne_km",
    "co2e_t",
    "land_crossing_km",
    "geometry",
]


@dataclass(frozen=True)
class Network:
    """A mode's graph with a snapping index over its major components."""

    graph: Graph
    tree: cKDTree
    tree_nodes: np.ndarray

    @property
    def mode(self) -> str:
        return self.graph.mode

    def shortest(self, source: int, target: int) -> tuple[float, np.ndarray]:
        """A* between two nodes with this thread's reusable scratch arrays: (km, node ids)."""
        g = self.graph
        scratch = getattr(_SCRATCH, g.mode, None)
        if scratch is None:
            scratch = workspace(g.n_nodes, len(g.indices))
            setattr(_SCRATCH, g.mode, scratch)
        return astar(g.indptr, g.indices, g.weight_km, g.xyz, source, target, BOUND_RADIUS_KM, *scratch)

    def snap(self, lon: np.ndarray, lat: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Nearest usable node of each point and the geodesic access distance (km).

        Raises
        ------
        InputError
            A point farther than ``MAX_ACCESS_KM[mode]`` from the network, naming it and the mode.
        """
        lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
        k = min(SNAP_CANDIDATES, len(self.tree_nodes))
        _, idx = self.tree.query(unit_vectors(lon, lat), k)
        candidates = self.tree_nodes[idx.reshape(len(lon), k)]
        g = self.graph
        km = geodesic_m(lon[:, None], lat[:, None], g.lon[candidates], g.lat[candidates]) / 1000.0
        best = np.argmin(km, axis=1)
        nodes = candidates[np.arange(len(lon)), best]
        access = km[np.arange(len(lon)), best]
        too_far = np.flatnonzero(access > MAX_ACCESS_KM[self.mode])
        if too_far.size:
            i = too_far[0]
            msg = (
                f"{labels[i]} ({lon[i]:.4f}, {lat[i]:.4f}): no {self.mode} network within "
                f"{MAX_ACCESS_KM[self.mode]:.0f} km (nearest node {access[i]:.0f} km away){_hint(self.mode, lon[i], lat[i])}"
            )
            raise InputError(msg)
        return nodes, access


def _hint(mode: str, lon: float, lat: float) -> str:
    on_land = _on_land(lon, lat)
    if mode == "sea" and on_land:
        return "; the point is inland: use mode 'multimodal' to reach the sea by road"
    if mode != "sea" and not on_land:
        return "; the point is at sea"
    return ""


@cache
def _land() -> shapely.Geometry:
    """Natural Earth 1:50m land (the countries layer), prepared."""
    import layers  # lazy: the countries layer reads and repairs the shipped TopoJSON

    land = shapely.union_all(layers.load("countries").geometry.values)
    shapely.prepare(land)
    return land


def _on_land(lon: float, lat: float) -> bool:
    return bool(shapely.contains_xy(_land(), lon, lat))


@cache
def network(mode: str) -> Network:
    """The network of ``mode`` (road, rail, sea), loaded once per process (cached on disk)."""
    if mode not in ("road", "rail", "sea"):
        msg = f"mode: expected one of road, rail, sea, got {mode!r}"
        raise InputError(msg)
    graph = load_graph(mode)
    usable = np.flatnonzero(graph.component_size >= MIN_COMPONENT_NODES[mode])
    return Network(graph=graph, tree=cKDTree(graph.xyz[usable]), tree_nodes=usable)


def access_km(lon: np.ndarray, lat: np.ndarray, *, mode: str = "road", workers: int = 1) -> np.ndarray:
    """Geodesic km from each point (lon/lat arrays) to the nearest node of the mode's network.

    Nodes of the components that routing uses (see :func:`network`), found by chord distance on the
    unit sphere and measured on the ellipsoid. A node, not the nearest point of an edge: between
    nodes far apart (a long straight highway) the figure is an upper bound.
    """
    net = network(mode)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    _, idx = net.tree.query(unit_vectors(lon, lat), 1, workers=workers)
    nodes = net.tree_nodes[idx]
    return geodesic_m(lon, lat, net.graph.lon[nodes], net.graph.lat[nodes]) / 1000.0


# ----------------------------------------------------------------------------- inputs
def _point(value, argument: str) -> tuple[float, float]:
    if not isinstance(value, shapely.Point) or value.is_empty:
        msg = f"{argument}: expected a shapely Point in lon/lat, got {getattr(value, 'geom_type', type(value).__name__)}"
        raise InputError(msg)
    lon, lat = value.x, value.y
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"{argument}: ({lon}, {lat}) is not a lon/lat position (lon -180..180, lat -90..90)"
        raise InputError(msg)
    return lon, lat


def _check_mode(mode: str, allowed: tuple[str, ...] = MODES) -> str:
    if mode not in allowed:
        msg = f"mode: expected one of {', '.join(allowed)}, got {mode!r}"
        raise InputError(msg)
    return mode


def _frame_points(gdf: gpd.GeoDataFrame, argument: str) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat of each feature: the point, or a representative point inside a polygon or line."""
    gdf = to_wgs84(gdf, argument=argument)
    if gdf.geometry.is_empty.any() or gdf.geometry.isna().any():
        bad = gdf.index[gdf.geometry.is_empty | gdf.geometry.isna()][0]
        msg = f"{argument}: feature {bad!r} has no geometry"
        raise InputError(msg)
    points = shapely.point_on_surface(gdf.geometry.values)
    return shapely.get_x(points), shapely.get_y(points)


# ----------------------------------------------------------------------------- single legs
def _path(
    net: Network, a: tuple[float, float], b: tuple[float, float], na: int, nb: int
) -> tuple[float, np.ndarray]:
    g = net.graph
    if g.component[na] != g.component[nb]:
        return np.inf, np.empty((0, 2))
    km, nodes = net.shortest(na, nb)
    coords = np.vstack([[a], np.column_stack([g.lon[nodes], g.lat[nodes]]), [b]])
    return float(km), coords


def _unwrap(coords: np.ndarray) -> np.ndarray:
    """Continuous longitudes (a trans-Pacific path goes past 180 instead of jumping back)."""
    out = coords.copy()
    out[:, 0] = np.degrees(np.unwrap(np.radians(out[:, 0])))
    return out


def _land_crossing_km(coords: np.ndarray) -> float:
    """Geodesic length of the path's parts over land (km), coordinates in -180..180."""
    jump = np.flatnonzero(np.abs(np.diff(coords[:, 0])) > 180) + 1
    parts = [p for p in np.split(coords, jump) if len(p) > 1]
    if not parts:
        return 0.0
    lines = shapely.segmentize(shapely.MultiLineString(parts), 0.05)
    over = shapely.intersection(lines, _land())
    return float(GEOD.geometry_length(over)) / 1000.0 if not over.is_empty else 0.0


def _leg(mode: str, a, b, names: tuple[str, str], *, tonnes: float, index: int = 0) -> dict:
    net = network(mode)
    nodes, access = net.snap(np.array([a[0], b[0]]), np.array([a[1], b[1]]), list(names))
    km, coords = _path(net, a, b, int(nodes[0]), int(nodes[1]))
    if not np.isfinite(km):
        msg = f"no {mode} connection between {names[0]} and {names[1]}: they lie on separate {mode} networks"
        raise InputError(msg)
    length = km + float(access.sum())
    return {
        "leg": index,
        "mode": mode,
        "from_name": names[0],
        "to_name": names[1],
        "network_km": km,
        "access_km": float(access.sum()),
        "length_km": length,
        "hours": length / MODE_SPEED_KMH[mode],
        "tonne_km": length * tonnes,
        "co2e_t": length * tonnes * MODE_KG_CO2E_PER_TKM[mode] / 1000.0,
        "land_crossing_km": _land_crossing_km(coords[1:-1]) if mode == "sea" else np.nan,
        "geometry": shapely.LineString(_unwrap(coords)),
    }


def route(
    origin: shapely.Point,
    destination: shapely.Point,
    *,
    mode: str,
    tonnes: float = 1.0,
    ports: gpd.GeoDataFrame | None = None,
    objective: str = "co2e",
    names: tuple[str, str] = ("origin", "destination"),
) -> gpd.GeoDataFrame:
    """Shortest route between two points on a real network, one row per leg.

    Parameters
    ----------
    origin, destination : shapely.Point
        Lon/lat degrees (EPSG:4326).
    mode : {"road", "rail", "sea", "multimodal"}, keyword-only
        ``multimodal`` is road to a port, sea to another port, road to the destination; the two
        ports are chosen among ``ports`` to minimise ``objective`` over the whole chain.
    tonnes : float, keyword-only
        Cargo mass for ``tonne_km`` and ``co2e_t``.
    ports : GeoDataFrame, optional, keyword-only
        Candidate ports for ``multimodal`` (default: the ports layer); a ``name`` column labels legs.
    objective : {"co2e", "hours", "km"}, keyword-only
        What the multimodal port choice minimises.
    names : (str, str), keyword-only
        Labels of origin and destination in legs and error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``leg``, ``mode``, ``from_name``, ``to_name``, ``network_km``,
        ``access_km`` (off-network legs at both ends), ``length_km`` (their sum), ``hours``,
        ``tonne_km``, ``co2e_t`` (tonnes CO2e) and ``land_crossing_km`` (sea legs; NaN on land).
        Geometry runs from origin to destination with continuous longitudes.

    Raises
    ------
    InputError
        Bad points, mode, tonnes or objective; a point off the network (at sea for road/rail,
        inland for sea); no connection between the two (different continents by road).
    """
    a, b = _point(origin, "origin"), _point(destination, "destination")
    _check_mode(mode)
    if not (isinstance(tonnes, (int, float)) and np.isfinite(tonnes) and tonnes > 0):
        msg = f"tonnes: expected a positive number, got {tonnes!r}"
        raise InputError(msg)
    if mode != "multimodal":
        rows = [_leg(mode, a, b, names, tonnes=tonnes)]
    else:
        rows = _multimodal(a, b, names, tonnes=tonnes, ports=ports, objective=objective)
    columns = {c: [r[c] for r in rows] for c in LEG_COLUMNS if c != "geometry"}
    return gpd.GeoDataFrame(columns, geometry=gpd.array.from_shapely([r["geometry"] for r in rows], crs=_CRS))


# ----------------------------------------------------------------------------- multimodal
def _unit_cost(mode: str, objective: str) -> float:
    return {"co2e": MODE_KG_CO2E_PER_TKM[mode], "hours": 1.0 / MODE_SPEED_KMH[mode], "km": 1.0}[objective]


def _usable(net: Network, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Snap without raising: (node, access km), with access inf where the network is too far."""
    k = min(SNAP_CANDIDATES, len(net.tree_nodes))
    _, idx = net.tree.query(unit_vectors(lon, lat), k)
    cand = net.tree_nodes[idx.reshape(len(lon), k)]
    km = geodesic_m(lon[:, None], lat[:, None], net.graph.lon[cand], net.graph.lat[cand]) / 1000.0
    best = np.argmin(km, axis=1)
    nodes, access = cand[np.arange(len(lon)), best], km[np.arange(len(lon)), best]
    return nodes, np.where(access <= MAX_ACCESS_KM[net.mode], access, np.inf)


def _default_ports() -> gpd.GeoDataFrame:
    import layers  # lazy: the ports layer joins data/ports.csv with searoute's port table

    return layers.load("ports")


def _multimodal(a, b, names, *, tonnes: float, ports, objective: str) -> list[dict]:
    if objective not in OBJECTIVES:
        msg = f"objective: expected one of {', '.join(OBJECTIVES)}, got {objective!r}"
        raise InputError(msg)
    ports = _default_ports() if ports is None else ports
    if len(ports) == 0:
        msg = "ports: multimodal routing needs at least two candidate ports, got none"
        raise InputError(msg)
    plon, plat = _frame_points(ports, "ports")
    labels = [str(n) for n in (ports["name"] if "name" in ports else ports.index)]
    road, sea = network("road"), network("sea")
    ends, ends_access = road.snap(np.array([a[0], b[0]]), np.array([a[1], b[1]]), list(names))
    port_road, port_road_access = _usable(road, plon, plat)
    port_sea, port_sea_access = _usable(sea, plon, plat)
    g, s = road.graph, sea.graph
    road_km = many_to_many(g.indptr, g.indices, g.weight_km, ends, port_road, g.component)
    road_km = road_km + ends_access[:, None] + port_road_access[None, :]
    sea_km = many_to_many(s.indptr, s.indices, s.weight_km, port_sea, port_sea, s.component)
    sea_km = sea_km + port_sea_access[:, None] + port_sea_access[None, :]
    np.fill_diagonal(sea_km, np.inf)
    r, c = _unit_cost("road", objective), _unit_cost("sea", objective)
    cost = r * road_km[0][:, None] + c * sea_km + r * road_km[1][None, :]
    p, q = np.unravel_index(np.argmin(cost), cost.shape)
    if not np.isfinite(cost[p, q]):
        msg = f"no multimodal route from {names[0]} to {names[1]}: no two ports are reachable by road from each and connected by sea"
        raise InputError(msg)
    pa, pb = (plon[p], plat[p]), (plon[q], plat[q])
    logger.info("multimodal %s -> %s via %s and %s", names[0], names[1], labels[p], labels[q])
    return [
        _leg("road", a, pa, (names[0], labels[p]), tonnes=tonnes, index=0),
        _leg("sea", pa, pb, (labels[p], labels[q]), tonnes=tonnes, index=1),
        _leg("road", pb, b, (labels[q], names[1]), tonnes=tonnes, index=2),
    ]


# ----------------------------------------------------------------------------- matrices, totals
def network_distance_matrix(
    origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, mode: str, off_network: str = "error"
) -> pd.DataFrame:
    """Shortest network distance in km between every origin and destination.

    Each feature is represented by its point (a point inside polygons and lines); its access leg
    to the network is included. Dijkstra runs from every origin in parallel and stops once every
    destination on its component is settled.

    Parameters
    ----------
    origins, destinations : GeoDataFrame
        Any CRS (required).
    mode : {"road", "rail", "sea"}, keyword-only
    off_network : {"error", "inf"}, keyword-only
        A feature farther from the network than ``MAX_ACCESS_KM[mode]`` raises (default), or gets
        ``inf`` in every cell of its row or column.

    Returns
    -------
    pandas.DataFrame
        km, indexed by ``origins.index``, columns ``destinations.index``; ``inf`` where no
        connection exists (separate networks).

    Raises
    ------
    InputError
        Unknown mode, empty geometry, or a feature off the network (named by its index).
    CRSError
        A frame without a CRS.
    """
    _check_mode(mode, ("road", "rail", "sea"))
    if off_network not in ("error", "inf"):
        msg = f"off_network: expected 'error' or 'inf', got {off_network!r}"
        raise InputError(msg)
    net = network(mode)
    olon, olat = _frame_points(origins, "origins")
    dlon, dlat = _frame_points(destinations, "destinations")
    if off_network == "error":
        onodes, oacc = net.snap(olon, olat, [f"origins[{i!r}]" for i in origins.index])
        dnodes, dacc = net.snap(dlon, dlat, [f"destinations[{i!r}]" for i in destinations.index])
    else:
        (onodes, oacc), (dnodes, dacc) = _usable(net, olon, olat), _usable(net, dlon, dlat)
    g = net.graph
    km = many_to_many(g.indptr, g.indices, g.weight_km, onodes, dnodes, g.component)
    km = km + oacc[:, None] + dacc[None, :]
    return pd.DataFrame(km, index=origins.index, columns=destinations.index)


def route_totals(legs: gpd.GeoDataFrame) -> dict[str, float]:
    """Sum of ``length_km``, ``hours``, ``tonne_km`` and ``co2e_t`` over a route's legs."""
    return {c: float(legs[c].sum()) for c in ("length_km", "hours", "tonne_km", "co2e_t")}


def join_legs(legs: gpd.GeoDataFrame) -> shapely.LineString:
    """One LineString (lon/lat, continuous longitudes) through a route's legs in ``leg`` order."""
    if len(legs) == 0:
        msg = "legs: expected at least one leg, got none"
        raise InputError(msg)
    ordered = (
        to_wgs84(legs, argument="legs").sort_values("leg")
        if "leg" in legs
        else to_wgs84(legs, argument="legs")
    )
    parts = [shapely.get_coordinates(g) for g in ordered.geometry.values]
    coords = np.vstack(parts)
    keep = np.r_[True, np.any(np.diff(coords, axis=0) != 0, axis=1)]
    return shapely.LineString(_unwrap(coords[keep]))
