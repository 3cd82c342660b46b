"""Site selection: a suitability grid (multi-criteria), and the candidates to choose sites among.

Candidates are H3 hexagons covering a region (a country boundary or any polygon), or the user's own
points. Each criterion is measured with exact geodesic distances (:mod:`geo.proximity`), normalised
to 0..1 (1 = best) by min-max over the candidates, and combined as a weighted sum. The ranking's
stability is shown by perturbing the weights. :func:`spread_candidates` keeps the best cell of each
part of the region: the pool location-allocation chooses k sites among, not the top N cells of one
hotspot.

Location-allocation (maximal coverage, p-median) is :mod:`geo.allocation`; its public names
(:func:`allocate`, :func:`solve_allocation`, :class:`Allocation`, :func:`with_existing`,
:func:`network_cost_km`, :data:`UNREACHABLE_KM`) are importable from here too, where a site
selection starts. What is left here (about 450 lines) is one pipeline read in order: the grid, the
criteria's scores and ranking, then the spread pool; the criteria are measured in
:mod:`geo._criteria`, on dask partitions in :mod:`geo._siting_dask`.

Criteria (direction, unit)
--------------------------
``feedstock``       higher is better: population of demand points within ``demand_radius_km``
``lithium_blocks``  lower is better: km to the nearest lithium block
``port``            lower is better: km to the nearest port
``competition``     km to the nearest existing recycler/refiner; ``avoid`` rewards distance,
                    ``cluster`` rewards closeness
``road``            lower is better: km to the nearest node of the road network (OpenStreetMap
                    world highways, :func:`geo.network.access_km`)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import h3
import numba
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo._criteria import HIGHER_IS_BETTER, RAW_COLUMNS, measure, population_within
from geo._criteria import centres as _centres
from geo._errors import InputError
from geo._siting_dask import measure_partitioned
from geo.allocation import (
    UNREACHABLE_KM,
    Allocation,
    allocate,
    network_cost_km,
    solve_allocation,
    with_existing,
)
from geo.crs import to_wgs84
from geo.distance import GEOD, SPHERE_LOWER, geodesic_m, sphere_m_to_chord, unit_vectors
from geo.settings import WGS84

__all__ = [
    "HIGHER_IS_BETTER",
    "RAW_COLUMNS",
    "UNREACHABLE_KM",
    "Allocation",
    "allocate",
    "candidate_grid",
    "check_weights",
    "hexagons",
    "measure",
    "network_cost_km",
    "normalise",
    "population_within",
    "rank",
    "score",
    "sensitivity",
    "solve_allocation",
    "spread_candidates",
    "suitability",
    "with_existing",
]

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- candidates
def candidate_grid(
    region: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    resolution: int,
    geometry: str = "hexagon",
    max_cells: int | None = None,
) -> gpd.GeoDataFrame:
    """H3 cells (centre inside the region) covering ``region``.

    Parameters
    ----------
    region : shapely Polygon/MultiPolygon in lon/lat, or GeoDataFrame (any CRS) whose union is used
        The area to cover, e.g. India's boundary from the countries layer.
    resolution : int, keyword-only
        H3 resolution 5 to 8 (res 7 over India is about 600,000 cells).
    geometry : str, keyword-only
        ``hexagon`` (the cell) or ``centre`` (its centre point): half the build time on large grids;
        :func:`hexagons` gives the cells' hexagons later, for the ones shown or exported.
    max_cells : int, optional, keyword-only
        Refuse (before any work) a region whose area holds more cells than this, on average.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell`` (H3 index), ``lon``, ``lat`` (cell centre) and the geometry, in EPSG:4326.
    """
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, (int, np.integer))
        or not 5 <= resolution <= 8
    ):
        msg = f"resolution: expected an H3 resolution from 5 to 8, got {resolution!r}"
        raise InputError(msg)
    if geometry not in ("hexagon", "centre"):
        msg = f"geometry: expected 'hexagon' or 'centre', got {geometry!r}"
        raise InputError(msg)
    if isinstance(region, (gpd.GeoDataFrame, gpd.GeoSeries)):
        frame = region if isinstance(region, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=region)
        region = shapely.union_all(to_wgs84(frame, argument="region").geometry.values)
    if not isinstance(region, (shapely.Polygon, shapely.MultiPolygon)) or region.is_empty:
        kind = getattr(region, "geom_type", type(region).__name__)
        msg = f"region: expected a Polygon or MultiPolygon in lon/lat, got {kind}"
        raise InputError(msg)
    if max_cells is not None:
        area_km2 = abs(GEOD.geometry_area_perimeter(region)[0]) / 1e6
        estimate = area_km2 / h3.average_hexagon_area(resolution, "km^2")
        if estimate > max_cells:
            msg = (
                f"resolution: about {estimate:,.0f} cells at resolution {resolution} over "
                f"{area_km2:,.0f} km2, more than {max_cells:,}; choose a coarser resolution or a smaller "
                "region (the CLI's --engine dask scales further)"
            )
            raise InputError(msg)
    cells = sorted(h3.geo_to_cells(shapely.geometry.mapping(region), resolution))
    if not cells:
        msg = f"region: no H3 cell of resolution {resolution} has its centre inside the region"
        raise InputError(msg)
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    shapes = (
        _cell_polygons(cells) if geometry == "hexagon" else gpd.points_from_xy(centres[:, 1], centres[:, 0])
    )
    logger.info("candidate grid: %d cells at resolution %d", len(cells), resolution)
    return gpd.GeoDataFrame(
        {"cell": cells, "lon": centres[:, 1], "lat": centres[:, 0]}, geometry=shapes, crs=WGS84
    )


def hexagons(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``cells`` (a frame with H3 indexes in ``cell``) with each cell's hexagon as geometry."""
    if "cell" not in cells:
        msg = "cells: expected a 'cell' column of H3 indexes (see candidate_grid)"
        raise InputError(msg)
    shapes = gpd.GeoSeries(_cell_polygons(list(cells["cell"])), index=cells.index, crs=WGS84)
    return cells.set_geometry(shapes.rename(cells.geometry.name))


def _cell_polygons(cells: list[str], *, chunk: int = 50_000) -> np.ndarray:
    """Cell boundaries as shapely polygons.

    Built in bulk per vertex count (6, or 7-8 across faces) and in chunks, so the boundaries' Python
    tuples never all live at once.
    """
    out = np.empty(len(cells), dtype=object)
    for start in range(0, len(cells), chunk):
        boundaries = [h3.cell_to_boundary(c) for c in cells[start : start + chunk]]
        counts = np.fromiter((len(b) for b in boundaries), dtype=np.int64, count=len(boundaries))
        for count in np.unique(counts):
            where = np.flatnonzero(counts == count)
            latlng = np.array([boundaries[i] for i in where], dtype=np.float64)  # (m, count, 2) lat, lng
            ring = np.concatenate([latlng, latlng[:, :1]], axis=1)[:, :, ::-1]
            out[start + where] = shapely.polygons(np.ascontiguousarray(ring))
    return out


# ----------------------------------------------------------------------------- suitability
def normalise(raw: pd.DataFrame, *, competition: str = "avoid") -> pd.DataFrame:
    """Min-max normalise each criterion to 0..1 where 1 is best (see the module docstring for directions)."""
    if competition not in ("avoid", "cluster"):
        msg = f"competition: expected 'avoid' or 'cluster', got {competition!r}"
        raise InputError(msg)
    out = pd.DataFrame(index=raw.index)
    for criterion, column in RAW_COLUMNS.items():
        values = raw[column].to_numpy(dtype=np.float64)
        lo, hi = np.nanmin(values), np.nanmax(values)
        scaled = np.zeros_like(values) if hi == lo else (values - lo) / (hi - lo)
        higher = HIGHER_IS_BETTER[criterion] if criterion != "competition" else competition == "avoid"
        out[criterion] = scaled if higher else 1.0 - scaled
    return out


def check_weights(weights: Mapping[str, float]) -> np.ndarray:
    """The weights of :data:`RAW_COLUMNS`' criteria in that order, rescaled to sum to 1.

    Parameters
    ----------
    weights : mapping of criterion to float
        Non-negative weights with a positive sum; a criterion left out weighs 0.

    Returns
    -------
    numpy.ndarray
        One weight per criterion of :data:`RAW_COLUMNS`, summing to 1.

    Raises
    ------
    InputError
        An unknown criterion, a negative or non-finite weight, or weights that sum to 0.
    """
    unknown = sorted(set(weights) - set(RAW_COLUMNS))
    if unknown:
        msg = f"weights: unknown criterion {', '.join(unknown)}; expected some of {', '.join(RAW_COLUMNS)}"
        raise InputError(msg)
    w = np.array([float(weights.get(c, 0.0)) for c in RAW_COLUMNS])
    if np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        msg = f"weights: expected non-negative numbers with a positive sum, got {dict(weights)!r}"
        raise InputError(msg)
    return w / float(w.sum())


def score(normalised: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted sum of the normalised criteria (weights are rescaled to sum to 1)."""
    return pd.Series(
        normalised[list(RAW_COLUMNS)].to_numpy() @ check_weights(weights),
        index=normalised.index,
        name="score",
    )


def suitability(
    candidates: gpd.GeoDataFrame,
    *,
    demand: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    ports: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    weights: Mapping[str, float],
    demand_radius_km: float = 200.0,
    competition: str = "avoid",
    exclude_within_km: float | None = None,
    engine: str = "pandas",
    npartitions: int | None = None,
) -> gpd.GeoDataFrame:
    """Score every candidate.

    Returns the candidates with raw criteria (units in the column names), normalised criteria
    (``n_<criterion>``), ``score`` and ``rank`` (1 = best), best first.

    ``exclude_within_km`` drops candidates closer than that to an existing facility (a constraint).
    ``engine="dask"`` measures the criteria on dask-geopandas partitions (``npartitions``), on the
    active dask.distributed client if any (see :mod:`geo._siting_dask` for a multi-machine cluster);
    normalisation and scores are computed over all candidates either way, so they are equal.
    """
    targets = dict(
        demand=demand, blocks=blocks, ports=ports, facilities=facilities, demand_radius_km=demand_radius_km
    )
    if engine == "pandas":
        raw = measure(candidates, **targets)
    elif engine == "dask":
        if demand_radius_km <= 0:  # checked here too: a worker's error would arrive wrapped
            msg = f"demand_radius_km: expected a radius in km > 0, got {demand_radius_km!r}"
            raise InputError(msg)
        raw = measure_partitioned(candidates, npartitions=npartitions, **targets)
    else:
        msg = f"engine: expected 'pandas' or 'dask', got {engine!r}"
        raise InputError(msg)
    return rank(
        candidates, raw, weights=weights, competition=competition, exclude_within_km=exclude_within_km
    )


def rank(
    candidates: gpd.GeoDataFrame,
    raw: pd.DataFrame,
    *,
    weights: Mapping[str, float],
    competition: str = "avoid",
    exclude_within_km: float | None = None,
) -> gpd.GeoDataFrame:
    """Constraint, normalisation, score and rank of candidates whose criteria are measured.

    ``raw`` comes from :func:`measure`; the result is what :func:`suitability` returns.
    """
    keep = np.ones(len(candidates), dtype=bool)
    if exclude_within_km is not None:
        keep = raw[RAW_COLUMNS["competition"]].to_numpy() >= exclude_within_km
    kept = candidates.loc[keep]
    raw = raw.loc[keep]
    norm = normalise(raw, competition=competition)
    out = kept.join(raw).join(norm.add_prefix("n_"))
    out["score"] = score(norm, weights)
    out = out.sort_values("score", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def sensitivity(
    normalised: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    top_n: int = 10,
    draws: int = 300,
    spread: float = 0.2,
    seed: int = 0,
) -> pd.DataFrame:
    """How often each of the baseline top cells stays in the top ``top_n`` when weights vary by +/-``spread``.

    Each draw multiplies every weight by an independent uniform factor in [1 - spread, 1 + spread]
    (seeded), rescales, and re-ranks all candidates.

    Only the cells that can reach some draw's top ``top_n`` are ranked in full: the baseline's best
    cells give each draw a lower bound of its threshold; a cell whose score cannot reach the lowest
    of them with every weight at its largest draw is out, and the rest are checked draw by draw
    (compiled). The result equals ranking every cell in every draw (600,000 cells: well under a
    second, where the full ranking takes 20 s).

    Returns
    -------
    pandas.DataFrame
        Index: the baseline top ``top_n`` candidates in order; columns ``baseline_rank`` and
        ``share_in_top`` (0..1).
    """
    base = check_weights(weights)
    matrix = np.ascontiguousarray(normalised[list(RAW_COLUMNS)].to_numpy(dtype=np.float64))
    n = len(matrix)
    top_n = max(1, min(top_n, n))
    score0 = matrix @ base
    # the baseline's best cells (every cell tied with the last of them too), best first, ties by position
    size = min(n, max(50 * top_n, 2_000))
    pool = np.flatnonzero(score0 >= np.partition(score0, n - size)[n - size])
    pool = pool[np.argsort(-score0[pool], kind="stable")]
    baseline = pool[:top_n]
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - spread, 1 + spread, size=(draws, len(base)))
    w = base * factors
    w /= w.sum(axis=1, keepdims=True)
    # each draw's threshold is at least the top_n-th best score among the baseline's best cells
    floor = -np.partition(-(matrix[pool] @ w.T), top_n - 1, axis=0)[top_n - 1] - 1e-12
    # criteria are 0..1, so a cell scores at most x . (largest weight of each criterion)
    maybe = np.flatnonzero(matrix @ w.max(axis=0) >= floor.min())
    keep = np.zeros(n, dtype=bool)
    keep[maybe[_may_reach(matrix, maybe, w, floor)]] = True
    keep[pool] = True
    candidates = np.flatnonzero(keep)
    scores = matrix[candidates] @ w.T  # (candidates, draws)
    kth = np.partition(-scores, top_n - 1, axis=0)[top_n - 1]
    in_top = -scores[np.searchsorted(candidates, baseline)] <= kth  # ties count as in
    return pd.DataFrame(
        {"baseline_rank": np.arange(1, len(baseline) + 1), "share_in_top": in_top.mean(axis=1)},
        index=normalised.index[baseline],
    )


@numba.njit(cache=True, parallel=True)
def _may_reach(matrix: np.ndarray, rows: np.ndarray, w: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Whether each of ``rows`` scores at least ``floor`` in some draw (a row of ``w``)."""
    out = np.zeros(rows.size, dtype=np.bool_)
    for k in numba.prange(rows.size):
        x = matrix[rows[k]]
        for d in range(w.shape[0]):
            total = 0.0
            for j in range(w.shape[1]):
                total += x[j] * w[d, j]
            if total >= floor[d]:
                out[k] = True
                break
    return out


# ----------------------------------------------------------------------------- spread candidates
def spread_candidates(
    scored: gpd.GeoDataFrame,
    n: int,
    *,
    parent_resolution: int | None = None,
    min_spacing_km: float | None = None,
) -> gpd.GeoDataFrame:
    """The best candidates spread over the region: the pool to choose k sites from.

    The top N cells of a suitability ranking usually sit in one hotspot (the 50 best cells of India
    lie within 150 km of Nashik), so a model choosing among them can only choose there. This keeps
    the best cell of each part of the region instead, in one of two ways:

    - ``parent_resolution``: the best cell of each coarser H3 parent cell (needs the ``cell``
      column of :func:`candidate_grid`), then the ``n`` best of those;
    - ``min_spacing_km``: best first, a cell is kept when it lies at least this far (geodesic) from
      every cell kept before it.

    With neither, the spacing is the largest at which ``n`` candidates fit over the whole region:
    from ``1.2 * sqrt(area / n)`` (``area``: the candidates' H3 cells', or the geodesic area of the
    points' convex hull) down in steps of 10 % until the ``n``-th candidate is found. The pool then
    reaches every part of the region, so the model can place a site wherever the demand is.

    Parameters
    ----------
    scored : geopandas.GeoDataFrame
        Candidates with a ``score`` column (higher is better; e.g. from :func:`suitability`), or
        already ordered best first; any CRS.
    n : int
        How many candidates to keep.
    parent_resolution : int, optional, keyword-only
        H3 resolution of the parents, coarser than the cells'.
    min_spacing_km : float, optional, keyword-only
        Smallest distance between two kept candidates, km.

    Returns
    -------
    geopandas.GeoDataFrame
        Up to ``n`` rows of ``scored``, best first (fewer when the region does not hold ``n``
        parents, or ``n`` cells ``min_spacing_km`` apart); ``attrs["min_spacing_km"]`` holds the
        spacing used (None with ``parent_resolution``).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        msg = f"n: expected a whole number of candidates >= 1, got {n!r}"
        raise InputError(msg)
    if parent_resolution is not None and min_spacing_km is not None:
        msg = "parent_resolution, min_spacing_km: give one of them, not both"
        raise InputError(msg)
    ordered = (
        scored.sort_values("score", ascending=False, kind="stable") if "score" in scored.columns else scored
    )
    if parent_resolution is not None:
        if "cell" not in ordered.columns:
            msg = "scored: expected a 'cell' column of H3 indexes for parent_resolution (see candidate_grid)"
            raise InputError(msg)
        resolution = h3.get_resolution(ordered["cell"].iloc[0]) if len(ordered) else 0
        if (
            isinstance(parent_resolution, bool)
            or not isinstance(parent_resolution, (int, np.integer))
            or not 0 <= parent_resolution < resolution
        ):
            msg = (
                f"parent_resolution: expected an H3 resolution from 0 to {resolution - 1} (coarser than "
                f"the cells'), got {parent_resolution!r}"
            )
            raise InputError(msg)
        parents = pd.Series([h3.cell_to_parent(c, int(parent_resolution)) for c in ordered["cell"]])
        out = ordered.iloc[np.flatnonzero(~parents.duplicated().to_numpy())[:n]].copy()
        out.attrs["min_spacing_km"] = None
        return out
    points = _centres(ordered)
    xy = shapely.get_coordinates(points.geometry.values)
    if min_spacing_km is None:
        spacing_km = 1.2 * np.sqrt(_region_area_km2(ordered, xy) / n)
        for _ in range(60):
            kept = _spaced(xy[:, 0], xy[:, 1], n, spacing_m=spacing_km * 1000.0)
            if len(kept) == min(n, len(xy)) or spacing_km < 1e-3:
                break
            spacing_km *= 0.9
        out = ordered.iloc[kept].copy()
        out.attrs["min_spacing_km"] = float(spacing_km)
        return out
    if (
        isinstance(min_spacing_km, bool)
        or not isinstance(min_spacing_km, (int, float, np.integer, np.floating))
        or not np.isfinite(min_spacing_km)
        or min_spacing_km < 0
    ):
        msg = f"min_spacing_km: expected a distance in km >= 0, got {min_spacing_km!r}"
        raise InputError(msg)
    kept = _spaced(xy[:, 0], xy[:, 1], n, spacing_m=float(min_spacing_km) * 1000.0)
    if len(kept) < n:
        logger.info("spread candidates: only %d of %d fit %.0f km apart", len(kept), n, min_spacing_km)
    out = ordered.iloc[kept].copy()
    out.attrs["min_spacing_km"] = float(min_spacing_km)
    return out


def _region_area_km2(candidates: gpd.GeoDataFrame, xy: np.ndarray) -> float:
    """Area the candidates stand for: their H3 cells', else their convex hull's (geodesic)."""
    if "cell" in candidates.columns and len(candidates):
        resolution = h3.get_resolution(candidates["cell"].iloc[0])
        return len(candidates) * float(h3.average_hexagon_area(resolution, "km^2"))
    hull = shapely.MultiPoint(xy).convex_hull if len(xy) else shapely.Point()
    return abs(GEOD.geometry_area_perimeter(hull)[0]) / 1e6 if hull.geom_type == "Polygon" else 0.0


def _spaced(lon: np.ndarray, lat: np.ndarray, n: int, *, spacing_m: float) -> list[int]:
    """Positions (in order) of up to n points, each at least ``spacing_m`` from those kept before."""
    if spacing_m <= 0:
        return list(range(min(n, len(lon))))
    vectors = unit_vectors(lon, lat)
    tree = cKDTree(vectors)
    chord = float(sphere_m_to_chord(spacing_m / SPHERE_LOWER)) * (1 + 1e-12)
    blocked = np.zeros(len(lon), dtype=bool)
    kept: list[int] = []
    position = 0
    while len(kept) < n and position < len(lon):
        position += int(np.argmax(~blocked[position:]))
        if blocked[position]:
            break
        kept.append(position)
        near = np.asarray(tree.query_ball_point(vectors[position], chord), dtype=np.int64)
        close = geodesic_m(lon[position], lat[position], lon[near], lat[near]) < spacing_m
        blocked[near[close]] = True
        position += 1
    return kept
