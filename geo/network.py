"""Routing on real transport networks, offline: road, rail, sea, and all three as one intermodal graph.

Networks come from PyPI data packages (see :mod:`geo._graphs`): the OpenStreetMap-derived world
highway and railway graphs of scgraph-data and searoute's maritime network, with the cited patches
of ``data/network_patches.geojson`` (links those graphs lack, such as the Honshu-Shikoku bridges).
Edge weights are WGS84 geodesic kilometres between the graph's nodes. Points are snapped to the
nearest node (exact geodesic distance) of a connected component of at least
``MIN_COMPONENT_NODES[mode]`` nodes, and the straight off-network access leg is reported
(``access_km``) and included in ``length_km``. Shortest paths are exact: A* with a spherical lower
bound, or Dijkstra for matrices (:mod:`geo._paths`).

``mode="multimodal"`` searches one intermodal graph (:mod:`geo._intermodal`): road, rail and sea as
layers joined by transfer edges (road <-> sea at the ports the caller passes, road <-> rail at rail
junctions next to a road), each transfer with the handling time, cost and CO2e of
:data:`geo.settings.TRANSFER`. It returns the cheapest combination for the objective (km, hours,
t CO2e or freight cost), so it is never worse than road or rail alone: an inland pair comes out
as road, rail or road + rail. A multimodal route starts and ends on land (road or rail access) and
reaches the sea only through a port, paying the port transfer; ``mode="sea"`` answers the
port-to-port question (its access legs priced as sea, no port handling) and can look cheaper.

Route metrics per leg: ``hours`` from ``MODE_SPEED_KMH``, ``tonne_km`` for the given tonnage,
``co2e_t`` from ``MODE_KG_CO2E_PER_TKM`` and ``cost_usd`` from ``MODE_USD_PER_TKM`` (sources in
:mod:`geo.settings`); the transfer into a leg is in its ``transfer_*`` columns.

Sea legs carry ``land_crossing_km``: how far the path runs over land (searoute's lanes cut a few
corners). Land is the polygon the caller passes (the countries layer's union), which covers lakes
and rivers too (it reported 1,831 km of "land" from Westport, Ireland to Kingston, Ontario).
Natural Earth's lakes are not shipped and no PyPI data package offers them, so the lakes are taken
from the sea graph itself: a searoute edge with an end inside the land polygon is an inland
waterway that searoute models on purpose (the Great Lakes and the St Lawrence, the Suez, Panama and
Kiel canals, river ports), water by construction; those edges, widened by
:data:`WATERWAY_MARGIN_DEG`, are taken out of the land before measuring. What is left counts: lanes
that leave the open sea to cut across a peninsula or an island.

The module stays whole: it is the one public face of routing (snapping, single-mode and
multimodal routes, matrices, metrics); the graphs, kernels, intermodal graph and legs frame are
already private modules beside it.
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

from geo import _intermodal, settings
from geo._errors import InputError
from geo._graphs import Graph, load_graph
from geo._legs import FLOAT_COLUMNS, NAMES, frame
from geo._paths import astar, is_symmetric, many_to_many, nearest_candidate, path_edges, workspace
from geo.crs import to_wgs84
from geo.distance import GEOD, geodesic_m, unit_vectors
from geo.settings import MAX_ACCESS_KM, MIN_COMPONENT_NODES, WGS84, cache_dir

logger = logging.getLogger(__name__)

__all__ = [
    "LEG_COLUMNS",
    "MODES",
    "OBJECTIVES",
    "access_km",
    "cache_dir",
    "join_legs",
    "network",
    "network_distance_matrix",
    "route",
    "route_totals",
    "route_transfers",
]

#: Modes of :func:`route`; ``multimodal`` is the cheapest combination of road, rail and sea.
MODES: tuple[str, ...] = ("road", "rail", "sea", "multimodal")
#: What a multimodal route minimises: t CO2e, hours, km or freight cost (US dollars).
OBJECTIVES: tuple[str, ...] = ("co2e", "hours", "km", "cost")
#: Lower bound of the geodesic per unit of central angle, km (admissible A* heuristic).
BOUND_RADIUS_KM = _intermodal.BOUND_RADIUS_KM
#: Nodes considered when snapping: the nearest on the sphere, then the exact geodesic decides.
SNAP_CANDIDATES = 8
#: The output CRS, built once (making a pyproj CRS costs more than a warm A* query).
_CRS = pyproj.CRS(WGS84)
#: Per-thread A* scratch arrays, by mode (Streamlit serves sessions from several threads).
_SCRATCH = threading.local()
#: Columns of a route's legs frame, in order.
LEG_COLUMNS: list[str] = NAMES
_F = {name: i for i, name in enumerate(FLOAT_COLUMNS)}


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

    def nearest(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest usable node of each point and its geodesic km; ``inf`` km beyond ``MAX_ACCESS_KM``."""
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        k = min(SNAP_CANDIDATES, len(self.tree_nodes))
        _, idx = self.tree.query(unit_vectors(lon, lat), k)
        candidates = self.tree_nodes[idx.reshape(len(lon), k)]
        nodes, km = nearest_candidate(lon, lat, candidates, self.graph.lon, self.graph.lat)
        return nodes, np.where(km <= MAX_ACCESS_KM[self.mode], km, np.inf)

    def snap(
        self, lon: np.ndarray, lat: np.ndarray, labels: list[str], *, land: shapely.Geometry | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest usable node of each point and the geodesic access distance (km).

        Raises
        ------
        InputError
            A point farther than ``MAX_ACCESS_KM[mode]`` from the network, naming it and the mode
            (and, given ``land``, whether it lies inland or at sea).
        """
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        nodes, access = self.nearest(lon, lat)
        too_far = np.flatnonzero(~np.isfinite(access))
        if too_far.size:
            i = too_far[0]
            k = min(SNAP_CANDIDATES, len(self.tree_nodes))
            _, idx = self.tree.query(unit_vectors(lon[i : i + 1], lat[i : i + 1]), k)
            _, km = nearest_candidate(
                lon[i : i + 1],
                lat[i : i + 1],
                self.tree_nodes[idx.reshape(1, k)],
                self.graph.lon,
                self.graph.lat,
            )
            msg = (
                f"{labels[i]} ({lon[i]:.4f}, {lat[i]:.4f}): no {self.mode} network within "
                f"{MAX_ACCESS_KM[self.mode]:.0f} km (nearest node {km[0]:.0f} km away)"
                f"{_hint(self.mode, lon[i], lat[i], land)}"
            )
            raise InputError(msg)
        return nodes, access


def _hint(mode: str, lon: float, lat: float, land: shapely.Geometry | None) -> str:
    if land is None:
        return ""
    on_land = bool(shapely.contains_xy(_prepared(land), lon, lat))
    if mode == "sea" and on_land:
        return "; the point is inland: use mode 'multimodal' to reach the sea by road"
    if mode != "sea" and not on_land:
        return "; the point is at sea"
    return ""


def _prepared(land: shapely.Geometry) -> shapely.Geometry:
    if not shapely.is_prepared(land):
        shapely.prepare(land)
    return land


@cache
def network(mode: str) -> Network:
    """The network of ``mode`` (road, rail, sea), loaded once per process (cached on disk)."""
    if mode not in ("road", "rail", "sea"):
        msg = f"mode: expected one of road, rail, sea, got {mode!r}"
        raise InputError(msg)
    graph = load_graph(mode)
    usable = np.flatnonzero(graph.component_size >= MIN_COMPONENT_NODES[mode])
    return Network(graph=graph, tree=cKDTree(graph.xyz[usable]), tree_nodes=usable)


@cache
def _symmetric(mode: str) -> bool:
    """Whether the mode's graph is undirected (checked once per process; the source graphs are)."""
    g = network(mode).graph
    return bool(is_symmetric(g.indptr, g.indices, g.weight_km))


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
def _point(value: object, argument: str) -> tuple[float, float]:
    if not isinstance(value, shapely.Point) or value.is_empty:
        kind = getattr(value, "geom_type", type(value).__name__)
        msg = f"{argument}: expected a shapely Point in lon/lat, got {kind}"
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


def _check_land(land: object) -> shapely.Geometry | None:
    if land is None:
        return None
    if not isinstance(land, shapely.Geometry) or land.geom_type not in ("Polygon", "MultiPolygon"):
        kind = getattr(land, "geom_type", type(land).__name__)
        msg = f"land: expected a shapely (Multi)Polygon in lon/lat, got {kind}"
        raise InputError(msg)
    return _prepared(land)


# ----------------------------------------------------------------------------- land crossing
#: Margin around searoute's inland waterway edges that counts as water, degrees (about 25 km; less
#: east-west at high latitudes): wide enough for a river or lake that the land polygon covers.
WATERWAY_MARGIN_DEG = 0.25
_SEA_LAND: dict[int, tuple[shapely.Geometry, shapely.Geometry]] = {}
_SEA_LAND_LOCK = threading.Lock()


def _sea_land(land: shapely.Geometry) -> shapely.Geometry:
    """``land`` minus the inland waterways that searoute sails on, prepared (cached per polygon).

    A waterway is a sea-graph edge with an end inside ``land`` (the Great Lakes and the St
    Lawrence, canals, river ports), widened by :data:`WATERWAY_MARGIN_DEG`; see the module docstring.
    """
    with _SEA_LAND_LOCK:
        cached = _SEA_LAND.get(id(land))
        if cached is not None and cached[0] is land:
            return cached[1]
        g = network("sea").graph
        inland = shapely.contains_xy(_prepared(land), g.lon, g.lat)
        row = np.repeat(np.arange(g.n_nodes), np.diff(g.indptr))
        col = g.indices
        keep = (row < col) & (inland[row] | inland[col]) & (np.abs(g.lon[row] - g.lon[col]) < 180)
        ends = np.stack(
            [
                np.column_stack([g.lon[row[keep]], g.lat[row[keep]]]),
                np.column_stack([g.lon[col[keep]], g.lat[col[keep]]]),
            ],
            axis=1,
        )
        water = shapely.union_all(shapely.buffer(shapely.linestrings(ends), WATERWAY_MARGIN_DEG))
        out = shapely.difference(land, water)
        shapely.prepare(out)
        if len(_SEA_LAND) >= 4:
            _SEA_LAND.clear()
        _SEA_LAND[id(land)] = (land, out)
        return out


def _unwrap(coords: np.ndarray) -> np.ndarray:
    """Continuous longitudes (a trans-Pacific path goes past 180 instead of jumping back)."""
    if len(coords) < 2 or np.abs(np.diff(coords[:, 0])).max() <= 180:
        return coords
    out = coords.copy()
    out[:, 0] = np.degrees(np.unwrap(np.radians(out[:, 0])))
    return out


def _land_crossing_km(coords: np.ndarray, land: shapely.Geometry) -> float:
    """Geodesic length of a path's parts over ``land`` (km), coordinates in -180..180."""
    jump = np.flatnonzero(np.abs(np.diff(coords[:, 0])) > 180) + 1
    parts = [p for p in np.split(coords, jump) if len(p) > 1]
    if not parts:
        return 0.0
    lines = shapely.segmentize(shapely.MultiLineString(parts), 0.05)
    over = shapely.intersection(lines, _prepared(land))
    return float(GEOD.geometry_length(over)) / 1000.0 if not over.is_empty else 0.0


def _sea_land_km(sea_nodes: np.ndarray, land: shapely.Geometry | None) -> float:
    """Land crossing of a path through the sea graph's nodes (ids of the sea graph); NaN without land."""
    if land is None:
        return np.nan
    g = network("sea").graph
    return _land_crossing_km(np.column_stack([g.lon[sea_nodes], g.lat[sea_nodes]]), _sea_land(land))


# ----------------------------------------------------------------------------- single mode
def _single(
    mode: str,
    a: tuple[float, float],
    b: tuple[float, float],
    names: tuple[str, str],
    *,
    tonnes: float,
    land: shapely.Geometry | None,
) -> gpd.GeoDataFrame:
    net = network(mode)
    nodes, access = net.snap(np.array([a[0], b[0]]), np.array([a[1], b[1]]), list(names), land=land)
    g = net.graph
    na, nb = int(nodes[0]), int(nodes[1])
    if g.component[na] != g.component[nb]:
        msg = f"no {mode} connection between {names[0]} and {names[1]}: they lie on separate {mode} networks"
        raise InputError(msg)
    km, path = net.shortest(na, nb)
    coords = np.empty((len(path) + 2, 2))
    coords[0], coords[-1] = a, b
    coords[1:-1, 0], coords[1:-1, 1] = g.lon[path], g.lat[path]
    access_total = float(access[0] + access[1])
    length = float(km) + access_total
    floats = np.zeros((len(FLOAT_COLUMNS), 1))
    floats[_F["network_km"]], floats[_F["access_km"]], floats[_F["length_km"]] = km, access_total, length
    _metrics(floats[:, 0], mode, length, tonnes)
    floats[_F["land_crossing_km"]] = _sea_land_km(path, land) if mode == "sea" else np.nan
    geometry = np.array([shapely.linestrings(_unwrap(coords))])
    return frame(floats, [[mode, names[0], names[1], ""]], geometry, _CRS)


def _metrics(column: np.ndarray, mode: str, length_km: float, tonnes: float) -> None:
    tonne_km = length_km * tonnes
    column[_F["hours"]] = length_km / settings.MODE_SPEED_KMH[mode]
    column[_F["tonne_km"]] = tonne_km
    column[_F["co2e_t"]] = tonne_km * settings.MODE_KG_CO2E_PER_TKM[mode] / 1000.0
    column[_F["cost_usd"]] = tonne_km * settings.MODE_USD_PER_TKM[mode]


def route(
    origin: shapely.Point,
    destination: shapely.Point,
    *,
    mode: str,
    tonnes: float = 1.0,
    ports: gpd.GeoDataFrame | None = None,
    land: shapely.Geometry | None = None,
    objective: str = "co2e",
    names: tuple[str, str] = ("origin", "destination"),
) -> gpd.GeoDataFrame:
    """Shortest route between two points on a real network, one row per leg.

    Parameters
    ----------
    origin, destination : shapely.Point
        Lon/lat degrees (EPSG:4326).
    mode : {"road", "rail", "sea", "multimodal"}, keyword-only
        ``multimodal`` is the cheapest combination of road, rail and sea for ``objective`` on the
        intermodal graph (transfers road <-> sea at ``ports``, road <-> rail at rail junctions).
    tonnes : float, keyword-only
        Cargo mass for ``tonne_km``, ``co2e_t``, ``cost_usd`` and the transfer columns.
    ports : GeoDataFrame, optional, keyword-only
        Ports where ``multimodal`` may change between road and sea (the app passes the ports layer);
        a ``name`` column labels them. Without ports a multimodal route keeps to road and rail.
    land : shapely Polygon or MultiPolygon, optional, keyword-only
        Land in lon/lat (the app passes the union of the countries layer): sea legs then report
        ``land_crossing_km`` (NaN without it) and a point off the network is said to be inland or
        at sea.
    objective : {"co2e", "hours", "km", "cost"}, keyword-only
        What ``multimodal`` minimises per tonne: t CO2e, hours, km or US dollars, transfers
        included (a single mode has one path, the shortest). For ``km`` a transfer counts as the
        distance a truck covers in its handling time, so that a change of mode must be worth it.
    names : (str, str), keyword-only
        Labels of origin and destination in legs and error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns :data:`LEG_COLUMNS`: ``leg``, ``mode``, ``from_name``, ``to_name``,
        ``network_km``, ``access_km`` (off-network links: the two ends, port and terminal access),
        ``length_km`` (their sum), ``hours``, ``tonne_km``, ``co2e_t`` (tonnes CO2e), ``cost_usd``,
        ``land_crossing_km`` (sea legs; NaN on land), ``transfer`` (``"road to rail"``...; empty on
        the first leg), ``transfer_hours``, ``transfer_cost_usd``, ``transfer_co2e_t`` (the change
        of mode into this leg). Geometry runs from origin to destination with continuous longitudes.

    Raises
    ------
    InputError
        Bad points, mode, tonnes, objective, ports or land; a point off the network (at sea for
        road/rail, inland for sea); no connection between the two.
    """
    a, b = _point(origin, "origin"), _point(destination, "destination")
    _check_mode(mode)
    if not (isinstance(tonnes, (int, float)) and np.isfinite(tonnes) and tonnes > 0):
        msg = f"tonnes: expected a positive number, got {tonnes!r}"
        raise InputError(msg)
    if objective not in OBJECTIVES:
        msg = f"objective: expected one of {', '.join(OBJECTIVES)}, got {objective!r}"
        raise InputError(msg)
    land = _check_land(land)
    if mode != "multimodal":
        return _single(mode, a, b, names, tonnes=tonnes, land=land)
    return _multimodal(a, b, names, tonnes=float(tonnes), ports=ports, land=land, objective=objective)


# ----------------------------------------------------------------------------- multimodal
_GRAPHS: dict[tuple[object, ...], _intermodal.Intermodal] = {}
_GRAPHS_LOCK = threading.Lock()


def _port_points(ports: gpd.GeoDataFrame | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if ports is None:
        return np.empty(0), np.empty(0), []
    if not isinstance(ports, gpd.GeoDataFrame):
        msg = f"ports: expected a GeoDataFrame of ports, got {type(ports).__name__}"
        raise InputError(msg)
    lon, lat = _frame_points(ports, "ports")
    labels = [str(n) for n in ports.get("name", ports.index)]
    return lon, lat, labels


def intermodal_graph(ports: gpd.GeoDataFrame | None = None) -> _intermodal.Intermodal:
    """The intermodal graph with ``ports`` as road <-> sea transfers, built once per set of ports."""
    lon, lat, labels = _port_points(ports)
    key = (tuple(labels), lon.tobytes(), lat.tobytes())
    with _GRAPHS_LOCK:
        graph = _GRAPHS.get(key)
        if graph is None:
            graph = _intermodal.build(network("road"), network("rail"), network("sea"), lon, lat, labels)
            if len(_GRAPHS) >= 4:
                _GRAPHS.clear()
            _GRAPHS[key] = graph
    return graph


def _multimodal(
    a: tuple[float, float],
    b: tuple[float, float],
    names: tuple[str, str],
    *,
    tonnes: float,
    ports: gpd.GeoDataFrame | None,
    land: shapely.Geometry | None,
    objective: str,
) -> gpd.GeoDataFrame:
    im = intermodal_graph(ports)
    lon, lat = np.array([a[0], b[0]]), np.array([a[1], b[1]])
    snapped = []
    for layer, mode in enumerate(("road", "rail")):  # a cargo starts and ends on land
        nodes, km = network(mode).nearest(lon, lat)
        snapped.append((nodes + im.offset[layer], km))
    for end, label in enumerate(names):
        if not any(np.isfinite(km[end]) for _, km in snapped):
            reach = " or ".join(f"{m} within {MAX_ACCESS_KM[m]:.0f} km" for m in ("road", "rail"))
            msg = f"{label} ({lon[end]:.4f}, {lat[end]:.4f}): no network ({reach})"
            raise InputError(msg)
    ends = []
    for end in range(2):
        nodes = np.array([n[end] for n, km in snapped if np.isfinite(km[end])], dtype=np.int64)
        kms = np.array([km[end] for _, km in snapped if np.isfinite(km[end])])
        ends.append((nodes, kms))
    (sources, source_km), (targets, target_km) = ends
    cost, path = im.search(
        objective, sources, source_km, targets, target_km, unit_vectors(lon[1:], lat[1:])[0]
    )
    if not np.isfinite(cost):
        hint = "" if ports is not None and len(ports) else " (no ports given: sea legs need ports=)"
        msg = f"no multimodal connection between {names[0]} and {names[1]}{hint}"
        raise InputError(msg)
    logger.info("multimodal %s -> %s: %s %.4g per tonne", names[0], names[1], objective, cost)
    access_o = float(source_km[np.flatnonzero(sources == path[0])[0]])
    access_d = float(target_km[np.flatnonzero(targets == path[-1])[0]])
    return _multimodal_legs(im, path, a, b, names, access_o, access_d, tonnes=tonnes, land=land)


def _multimodal_legs(
    im: _intermodal.Intermodal,
    path: np.ndarray,
    a: tuple[float, float],
    b: tuple[float, float],
    names: tuple[str, str],
    access_o: float,
    access_d: float,
    *,
    tonnes: float,
    land: shapely.Geometry | None,
) -> gpd.GeoDataFrame:
    """The legs frame of an intermodal path: edges grouped by the mode whose rate they are priced at."""
    km, extra = path_edges(im.indptr, im.indices, im.weight_km, im.xindptr, im.xindices, path)
    is_extra = extra >= 0
    km[is_extra] = im.xkm[extra[is_extra]]
    owner = im.layer[path[:-1]].copy()
    owner[is_extra] = im.xowner[extra[is_extra]]
    kind = np.zeros(len(km), dtype=np.int64)
    kind[is_extra] = im.xkind[extra[is_extra]]
    # the two access links as edges of the first and last node's layer
    owner = np.r_[im.layer[path[0]], owner, im.layer[path[-1]]]
    km = np.r_[access_o, km, access_d]
    access = np.r_[True, is_extra, True]
    kind = np.r_[0, kind, 0]
    coords = np.empty((len(path) + 2, 2))
    coords[0], coords[-1] = a, b
    coords[1:-1, 0], coords[1:-1, 1] = im.lon[path], im.lat[path]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    stops = np.r_[starts[1:], len(owner)]
    leg_of = np.repeat(np.arange(len(starts)), stops - starts)
    handled = np.flatnonzero(kind > 0)
    at_end = np.isin(handled, stops - 1) & (leg_of[handled] < len(starts) - 1)
    transfer_leg = leg_of[handled] + at_end  # a handling edge closing a leg belongs to the next one
    floats = np.zeros((len(FLOAT_COLUMNS), len(starts)))
    texts, geometries = [], []
    for i, (s, e) in enumerate(zip(starts, stops, strict=True)):
        mode = _intermodal.LAYERS[owner[s]]
        network_km = float(km[s:e][~access[s:e]].sum())
        access_km_ = float(km[s:e][access[s:e]].sum())
        column = floats[:, i]
        column[_F["network_km"]], column[_F["access_km"]] = network_km, access_km_
        column[_F["length_km"]] = network_km + access_km_
        _metrics(column, mode, network_km + access_km_, tonnes)
        if mode == "sea":
            sea = ~access[s:e]
            nodes = path[np.arange(s, e)[sea] - 1]  # start node of each sea edge
            nodes = np.r_[nodes, path[np.arange(s, e)[sea][-1]]] if sea.any() else nodes
            column[_F["land_crossing_km"]] = _sea_land_km(nodes - im.offset[_intermodal.SEA], land)
        else:
            column[_F["land_crossing_km"]] = np.nan
        kinds = kind[handled[transfer_leg == i]]
        for k in kinds:
            spec = settings.TRANSFER[_intermodal.TRANSFER_KINDS[k]]
            column[_F["transfer_hours"]] += spec["hours"]
            column[_F["transfer_cost_usd"]] += spec["usd_per_t"] * tonnes
            column[_F["transfer_co2e_t"]] += spec["kg_co2e_per_t"] * tonnes / 1000.0
        start_name = names[0] if i == 0 else im.name(int(path[s - 1]))
        end_name = names[1] if i == len(starts) - 1 else im.name(int(path[e - 1]))
        previous = _intermodal.LAYERS[owner[starts[i - 1]]] if i else ""
        texts.append([mode, start_name, end_name, f"{previous} to {mode}" if i else ""])
        geometries.append(shapely.linestrings(_unwrap(coords[s : e + 1])))
    return frame(floats, texts, np.array(geometries, dtype=object), _CRS)


# ----------------------------------------------------------------------------- matrices, totals
def network_distance_matrix(
    origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, mode: str, off_network: str = "error"
) -> pd.DataFrame:
    """Shortest network distance in km between every origin and destination.

    Each feature is represented by its point (a point inside polygons and lines); its access leg
    to the network is included. Exact Dijkstra searches run in parallel, each stopping once its
    destinations are settled; on the undirected graphs each pair of nodes is searched once, from
    whichever end keeps the searches small (:func:`geo._paths.many_to_many`).

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
        (onodes, oacc), (dnodes, dacc) = net.nearest(olon, olat), net.nearest(dlon, dlat)
    g = net.graph
    km = many_to_many(
        g.indptr, g.indices, g.weight_km, onodes, dnodes, g.component, symmetric=_symmetric(mode), xyz=g.xyz
    )
    km = km + oacc[:, None] + dacc[None, :]
    return pd.DataFrame(km, index=origins.index, columns=destinations.index)


def route_totals(legs: gpd.GeoDataFrame) -> dict[str, float]:
    """Totals of a route: ``length_km``, ``tonne_km``, ``hours``, ``co2e_t`` and ``cost_usd``.

    Hours, CO2e and cost include the transfers between legs; ``transfers`` counts the changes of mode.
    """
    out = {c: float(legs[c].sum()) for c in ("length_km", "hours", "tonne_km", "co2e_t")}
    if "transfer_hours" in legs:
        out["hours"] += float(legs["transfer_hours"].sum())
        out["co2e_t"] += float(legs["transfer_co2e_t"].sum())
    if "cost_usd" in legs:
        out["cost_usd"] = float(legs["cost_usd"].sum() + legs.get("transfer_cost_usd", 0.0).sum())
    if "transfer" in legs:
        out["transfers"] = int((legs["transfer"].astype(str) != "").sum())
    return out


def route_transfers(legs: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per change of mode of a route, in leg order.

    Columns: ``at`` (port or terminal), ``transfer`` (``"road to sea"``...), ``hours``, ``cost_usd``
    and ``co2e_t``.
    """
    ordered = legs.sort_values("leg") if "leg" in legs else legs
    moved = ordered[ordered["transfer"].astype(str) != ""]
    return pd.DataFrame(
        {
            "at": moved["from_name"].to_numpy(),
            "transfer": moved["transfer"].to_numpy(),
            "hours": moved["transfer_hours"].to_numpy(dtype=float),
            "cost_usd": moved["transfer_cost_usd"].to_numpy(dtype=float),
            "co2e_t": moved["transfer_co2e_t"].to_numpy(dtype=float),
        }
    )


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
