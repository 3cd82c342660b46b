"""Polygons of the service-area bands (:mod:`geo.service_area`): the reached network, buffered.

Along each reached network piece, samples every half grid cell carry their cost to the cells within
the off-network width as cost + straight distance (:func:`geo._reach.band_grid`), on a grid in an
azimuthal equidistant projection centred on the origin that reaches the piece first; a band's
polygon is the area of cost <= its budget, traced by marching squares (contourpy) and projected
back to lon/lat (split at the antimeridian). :mod:`geo.service_area` explains the rule and the
accuracy; this module only draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import contourpy
import numpy as np
import pyproj
import shapely

from geo._graphs import Graph
from geo._reach import band_grids
from geo.export import split_antimeridian

if TYPE_CHECKING:
    from geo.service_area import Reach

#: Value of grid cells that no network piece reaches (km).
FAR_KM = 1.0e9


def aeqd(lon: float, lat: float) -> pyproj.Transformer:
    """Azimuthal equidistant projection on WGS84 centred on (lon, lat), metres; a pipeline: no CRS lookup."""
    return pyproj.Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +ellps=WGS84"
    )


@dataclass
class Territory:
    """What one origin reaches first: network pieces in its own projection, and the grid over them."""

    pieces: tuple[np.ndarray, ...]
    gx0: float
    gy0: float
    nx: int
    ny: int
    cell_m: float
    projection: pyproj.Transformer
    centre_lon: float


def reached_pieces(graph: Graph, reach: Reach, limit_km: float) -> dict[str, np.ndarray]:
    """Reached part of every edge leaving a reached node, up to where the other end's side begins."""
    u = reach.nodes
    if len(u) == 0:
        empty = np.empty(0)
        return {"u": u, "v": u, "w": empty, "du": empty, "length": empty, "source": reach.source}
    counts = graph.indptr[u + 1] - graph.indptr[u]
    total = int(counts.sum())
    first = np.repeat(graph.indptr[u] - np.r_[0, np.cumsum(counts)[:-1]], counts)
    edges = first + np.arange(total)
    tail = np.repeat(np.arange(len(u)), counts)
    v = graph.indices[edges]
    w = graph.weight_km[edges]
    du = reach.km[tail]
    order = np.argsort(u, kind="stable")
    pos = np.minimum(np.searchsorted(u[order], v), len(u) - 1)
    v_reached = u[order][pos] == v
    dv = np.where(v_reached, reach.km[order][pos], np.inf)
    # a point x km along the edge costs min(du + x, dv + w - x): this end's side ends where they meet
    meet = np.where(np.isfinite(dv), np.clip((w + dv - du) / 2.0, 0.0, w), w)
    length = np.minimum(np.maximum(limit_km - du, 0.0), meet)
    return {"u": u[tail], "v": v, "w": w, "du": du, "length": length, "source": reach.source[tail]}


def territory(
    graph: Graph,
    pieces: dict[str, np.ndarray],
    origin: tuple[float, float],
    origin_access_km: float,
    snap_node: int,
    *,
    limit_km: float,
    width_km: float,
    cell_km: float,
) -> Territory:
    """The pieces one origin reaches first, in the origin's projection, and the grid covering them.

    The origin's own access leg (origin -> ``snap_node``) is one more piece, starting at cost 0.
    """
    projection = aeqd(*origin)
    ends = np.concatenate([pieces["u"], pieces["v"], [snap_node]])
    unique, inverse = np.unique(ends, return_inverse=True)
    px, py = projection.transform(graph.lon[unique], graph.lat[unique])
    px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
    n = len(pieces["u"])
    iu, iv, isnap = inverse[:n], inverse[n : 2 * n], inverse[-1]
    # the origin's access leg is one more piece: from the origin (0, 0) to its node
    x0 = np.ascontiguousarray(np.r_[px[iu], 0.0])
    y0 = np.ascontiguousarray(np.r_[py[iu], 0.0])
    x1 = np.ascontiguousarray(np.r_[px[iv], px[isnap]])
    y1 = np.ascontiguousarray(np.r_[py[iv], py[isnap]])
    length_m = np.r_[pieces["w"], origin_access_km] * 1000.0
    reach_m = np.r_[pieces["length"], min(origin_access_km, limit_km)] * 1000.0
    cost0 = np.r_[pieces["du"], 0.0]
    t = np.divide(reach_m, length_m, out=np.zeros_like(reach_m), where=length_m > 0)
    ex, ey = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    cell_m = cell_km * 1000.0
    margin = width_km * 1000.0 + 3.0 * cell_m
    lo_x, hi_x = min(x0.min(), ex.min()) - margin, max(x0.max(), ex.max()) + margin
    lo_y, hi_y = min(y0.min(), ey.min()) - margin, max(y0.max(), ey.max()) + margin
    return Territory(
        pieces=(x0, y0, x1, y1, reach_m, length_m, cost0),
        gx0=lo_x,
        gy0=lo_y,
        nx=int(math.ceil((hi_x - lo_x) / cell_m)) + 1,
        ny=int(math.ceil((hi_y - lo_y) / cell_m)) + 1,
        cell_m=cell_m,
        projection=projection,
        centre_lon=origin[0],
    )


def band_grids_of(territory: Territory, budgets_km: np.ndarray, width_km: float) -> np.ndarray:
    """Signed reach grids of a territory, one per budget (:func:`geo._reach.band_grid`), in parallel."""
    t = territory
    kernel: Callable[..., np.ndarray] = band_grids
    frame = (float(t.gx0), float(t.gy0), float(t.cell_m), int(t.nx), int(t.ny))
    budgets = np.ascontiguousarray(budgets_km, dtype=np.float64)
    return kernel(t.pieces, frame, width_km * 1000.0, budgets, FAR_KM)


def band_polygon(territory: Territory, grid: np.ndarray) -> shapely.Geometry:
    """The area where a territory's band grid is <= 0, in lon/lat."""
    t = territory
    x = t.gx0 + t.cell_m * np.arange(t.nx)
    y = t.gy0 + t.cell_m * np.arange(t.ny)
    generator = contourpy.contour_generator(x, y, grid, fill_type=contourpy.FillType.OuterOffset)
    points, offsets = cast(tuple[list[np.ndarray], list[np.ndarray]], generator.filled(-FAR_KM, 0.0))
    polygons = []
    for pts, off in zip(points, offsets, strict=True):
        rings = [pts[a:b] for a, b in zip(off[:-1], off[1:], strict=True)]
        if len(rings[0]) >= 4:
            polygons.append(shapely.Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]))
    if not polygons:
        return shapely.MultiPolygon()
    planar = shapely.MultiPolygon(polygons)
    if not planar.is_valid:
        planar = shapely.make_valid(planar, method="structure")

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        lon, lat = t.projection.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
        lon = np.asarray(lon)
        c = t.centre_lon
        return np.column_stack((c + ((lon - c + 180.0) % 360.0 - 180.0), lat))

    lonlat = shapely.transform(planar, to_lonlat)
    west, _, east, _ = lonlat.bounds
    # longitudes run on from the centre's: a polygon across the antimeridian passes +/-180
    return split_antimeridian(lonlat) if west < -180.0 or east > 180.0 else lonlat


def multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """The non-empty polygons of ``geom`` as one MultiPolygon (lines and points of a union dropped)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    return shapely.MultiPolygon(parts)
