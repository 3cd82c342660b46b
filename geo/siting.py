"""Site selection: a suitability grid (multi-criteria) and location-allocation.

Candidates are H3 hexagons covering a region (a country boundary or any polygon), or the user's own
points. Each criterion is measured with exact geodesic distances (:mod:`geo.proximity`), normalised
to 0..1 (1 = best) by min-max over the candidates, and combined as a weighted sum. The ranking's
stability is shown by perturbing the weights. Location-allocation runs on a cost matrix in km (the
road-network matrix when given, else geodesic distance, labelled as such in the result): maximal
coverage with spopt's MCLP; the p-median exactly with :mod:`geo._pmedian` (bounds that drop the
candidates that cannot be optimal, then HiGHS on Elloumi's sparse formulation; 200 x 1,000, k=10
in under 1 s where spopt's PMedian takes 40-60 s).

Answers a reader can trust: choose among :func:`spread_candidates` (the best cell of each part of
the region), not the top N cells of one hotspot; every solve has a time limit
(``geo.settings.ALLOCATION_TIME_LIMIT_S``) and a ``should_stop`` callback, and returns its best
solution with the proven gap; the :class:`Allocation` reports the demand-weighted mean and largest
distance and warns about bunched sites, trivial coverage, approximate locations and unproven
optimality (``Allocation.warnings``, ``Allocation.summary``).

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
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo._criteria import HIGHER_IS_BETTER, RAW_COLUMNS, measure, population_within
from geo._criteria import centres as _centres
from geo._errors import InputError
from geo._pmedian import OPTIMAL, STOPPED, TIME_LIMIT, solve_p_median
from geo._siting_dask import measure_partitioned
from geo.crs import to_wgs84
from geo.distance import GEOD, SPHERE_LOWER, geodesic_m, sphere_m_to_chord, unit_vectors
from geo.proximity import distance_matrix
from geo.settings import ALLOCATION_TIME_LIMIT_S, BUNCHED_SHARE, WGS84

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


#: Cost given to a candidate a demand point cannot reach by the network (km): never chosen over a
#: reachable one.
UNREACHABLE_KM = 1.0e6


# ----------------------------------------------------------------------------- candidates
def candidate_grid(
    region, *, resolution: int, geometry: str = "hexagon", max_cells: int | None = None
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
        msg = f"region: expected a Polygon or MultiPolygon in lon/lat, got {getattr(region, 'geom_type', type(region).__name__)}"
        raise InputError(msg)
    if max_cells is not None:
        area_km2 = abs(GEOD.geometry_area_perimeter(region)[0]) / 1e6
        estimate = area_km2 / h3.average_hexagon_area(resolution, "km^2")
        if estimate > max_cells:
            msg = (
                f"resolution: about {estimate:,.0f} cells at resolution {resolution} over {area_km2:,.0f} km2, more than "
                f"{max_cells:,}; choose a coarser resolution or a smaller region (the CLI's --engine dask scales further)"
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
    """Cell boundaries as shapely polygons, built in bulk per vertex count (6, or 7-8 across faces)
    and in chunks, so the boundaries' Python tuples never all live at once.
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
@dataclass(frozen=True)
class Criteria:
    """Raw criterion values (one row per candidate) and how to read them."""

    raw: pd.DataFrame
    competition: str


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
    unknown = sorted(set(weights) - set(RAW_COLUMNS))
    if unknown:
        msg = f"weights: unknown criterion {', '.join(unknown)}; expected some of {', '.join(RAW_COLUMNS)}"
        raise InputError(msg)
    w = np.array([float(weights.get(c, 0.0)) for c in RAW_COLUMNS])
    if np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        msg = f"weights: expected non-negative numbers with a positive sum, got {dict(weights)!r}"
        raise InputError(msg)
    return w / w.sum()


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
    """Score every candidate; returns the candidates with raw criteria (units in the column names),
    normalised criteria (``n_<criterion>``), ``score`` and ``rank`` (1 = best), best first.

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
    """Constraint, normalisation, score and rank of candidates whose criteria are measured (``raw``,
    from :func:`measure`); what :func:`suitability` returns.
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

    Returns
    -------
    pandas.DataFrame
        Index: the baseline top ``top_n`` candidates in order; columns ``baseline_rank`` and
        ``share_in_top`` (0..1).
    """
    base = check_weights(weights)
    matrix = normalised[list(RAW_COLUMNS)].to_numpy()
    baseline = np.argsort(-(matrix @ base), kind="stable")[:top_n]
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - spread, 1 + spread, size=(draws, len(base)))
    w = base * factors
    w /= w.sum(axis=1, keepdims=True)
    scores = matrix @ w.T  # (cells, draws)
    kth = np.partition(-scores, top_n - 1, axis=0)[top_n - 1]
    in_top = -scores[baseline] <= kth  # ties count as in
    return pd.DataFrame(
        {"baseline_rank": np.arange(1, len(baseline) + 1), "share_in_top": in_top.mean(axis=1)},
        index=normalised.index[baseline],
    )


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
            msg = f"parent_resolution: expected an H3 resolution from 0 to {resolution - 1} (coarser than the cells'), got {parent_resolution!r}"
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
        return len(candidates) * h3.average_hexagon_area(resolution, "km^2")
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


# ----------------------------------------------------------------------------- location-allocation
@dataclass(frozen=True)
class Allocation:
    """A location-allocation solution, with what it says about the answer.

    Attributes
    ----------
    chosen : list of int
        Positions of the chosen candidates (including fixed ones).
    assignment : numpy.ndarray
        For each demand point, the position of its facility (-1 when unserved).
    distance_km : numpy.ndarray
        Each demand point's distance to its facility (NaN when unserved).
    served_weight, total_weight : float
        Demand served and in all. The p-median assigns every demand point by definition, so for it
        ``served_weight == total_weight`` says nothing: see ``mean_km`` and ``max_km``.
    objective : float
        The solver's objective value (p-median: demand-weighted km; coverage: covered weight).
    cost : str
        What the costs were: ``network`` or ``geodesic``.
    model : str
        ``p-median`` or ``coverage``.
    service_km : float or None
        The coverage model's service distance.
    mean_km, max_km : float
        Demand-weighted mean and the largest distance (km) from served demand (weight > 0) to its
        site; demand that no chosen site reaches by the network is left out of both and counted
        in a warning.
    status : str
        ``optimal``, ``time limit`` (the best solution found in the time limit) or ``stopped``
        (``should_stop`` ended the solve).
    gap : float
        Proven relative gap to the optimum: the p-median solution costs at most ``gap`` more than
        the best possible, the coverage solution covers at most ``gap`` less (0 when optimal, up to
        the solver's tolerance of 1e-4).
    seconds : float
        Solver wall time.
    warnings : tuple of str
        What a reader must know before trusting the answer (bunched sites, trivial coverage, time
        limit, approximate locations, unreachable demand).
    """

    chosen: list[int]
    assignment: np.ndarray
    distance_km: np.ndarray
    served_weight: float
    total_weight: float
    objective: float
    cost: str
    model: str = "p-median"
    service_km: float | None = None
    mean_km: float = float("nan")
    max_km: float = float("nan")
    status: str = OPTIMAL
    gap: float = 0.0
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One line for a caption: what the model answered, the distances, how optimal it is.

        Never "demand served 100 %" for the p-median, which assigns all demand by definition.
        """
        distances = f"{self.cost} distances"
        spread = (
            f"demand-weighted mean {self.mean_km:,.1f} km, max {self.max_km:,.1f} km"
            if np.isfinite(self.mean_km)
            else "no demand within reach"
        )
        if self.model == "p-median":
            head = f"p-median ({distances}) assigns all demand; see mean/max distance: {spread}."
        else:
            share = self.served_weight / self.total_weight if self.total_weight else 0.0
            head = (
                f"Coverage within {self.service_km:,.0f} km ({distances}): {share:.1%} of demand served; "
                f"served demand: {spread}."
            )
        if self.status == OPTIMAL:
            return f"{head} Optimal."
        why = "time limit" if self.status == TIME_LIMIT else "stopped on request"
        return f"{head} Best found in {self.seconds:,.1f} s ({why}): within {self.gap:.1%} of the optimum (proven)."


def solve_allocation(
    cost_km: np.ndarray,
    weights: np.ndarray,
    *,
    k: int,
    model: str = "p-median",
    service_km: float | None = None,
    fixed: list[int] | None = None,
    cost: str = "geodesic",
    time_limit_s: float | None = ALLOCATION_TIME_LIMIT_S,
    should_stop: Callable[[], bool] | None = None,
) -> Allocation:
    """p-median (:func:`geo._pmedian.solve_p_median`) or maximal coverage (spopt) on a demand x
    candidate cost matrix (km), solved by HiGHS to optimality or to the time limit.

    Parameters
    ----------
    cost_km : numpy.ndarray
        (n_demand, n_candidates) km.
    weights : numpy.ndarray
        Demand weights (e.g. population).
    k : int, keyword-only
        Facilities to open, fixed ones included.
    model : str, keyword-only
        ``p-median`` (minimise demand-weighted distance) or ``coverage`` (maximise demand within
        ``service_km``).
    fixed : list of int, optional, keyword-only
        Candidate positions already open (existing facilities).
    time_limit_s : float, optional, keyword-only
        Wall-time limit, seconds (default ``geo.settings.ALLOCATION_TIME_LIMIT_S``; None: none);
        the best solution found is returned with its proven gap and a warning.
    should_stop : callable, optional, keyword-only
        Polled during the solve (between phases and from HiGHS' callbacks); returning True ends it
        with the best solution so far (status ``stopped``), e.g. a Cancel button.

    Raises
    ------
    InputError
        For bad arguments, or when the solver ends without a solution.
    """
    cost_km = np.asarray(cost_km, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    n_demand, n_cand = cost_km.shape
    if len(weights) != n_demand:
        msg = f"weights: expected {n_demand} demand weights, got {len(weights)}"
        raise InputError(msg)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_cand:
        msg = f"k: expected 1 to {n_cand} facilities, got {k!r}"
        raise InputError(msg)
    fixed = sorted(set(fixed or []))
    if len(fixed) > k or any(not 0 <= f < n_cand for f in fixed):
        msg = f"fixed: expected at most k={k} candidate positions within 0..{n_cand - 1}, got {fixed!r}"
        raise InputError(msg)
    if time_limit_s is not None and (
        isinstance(time_limit_s, bool)
        or not isinstance(time_limit_s, (int, float, np.integer, np.floating))
        or not time_limit_s > 0
    ):
        msg = f"time_limit_s: expected a time in seconds > 0 (or None for no limit), got {time_limit_s!r}"
        raise InputError(msg)
    if model == "p-median":
        solution = solve_p_median(
            cost_km, weights, k=int(k), fixed=fixed, time_limit_s=time_limit_s, should_stop=should_stop
        )
        chosen, objective, status, gap, seconds = (
            solution.chosen,
            solution.objective,
            solution.status,
            solution.gap,
            solution.seconds,
        )
    elif model == "coverage":
        if service_km is None or not service_km > 0:
            msg = f"service_km: expected a service distance in km > 0 for the coverage model, got {service_km!r}"
            raise InputError(msg)
        chosen, objective, status, gap, seconds = _solve_coverage(
            cost_km,
            weights,
            k=int(k),
            service_km=float(service_km),
            fixed=fixed,
            time_limit_s=time_limit_s,
            should_stop=should_stop,
        )
    else:
        msg = f"model: expected 'p-median' or 'coverage', got {model!r}"
        raise InputError(msg)
    assignment = np.full(n_demand, -1, dtype=np.int64)
    if model == "p-median":
        assignment = np.asarray(chosen)[np.argmin(cost_km[:, chosen], axis=1)]
    else:
        for j in chosen:
            covered = cost_km[:, j] <= service_km
            assignment = np.where((assignment < 0) & covered, j, assignment)
    served = assignment >= 0
    distance = np.where(served, cost_km[np.arange(n_demand), np.maximum(assignment, 0)], np.nan)
    counted = served & (weights > 0) & (distance < UNREACHABLE_KM)
    mean_km = float(np.average(distance[counted], weights=weights[counted])) if counted.any() else np.nan
    max_km = float(np.max(distance[counted])) if counted.any() else np.nan
    warnings = []
    unreachable = served & (distance >= UNREACHABLE_KM)
    if unreachable.any():
        warnings.append(
            f"{int(unreachable.sum())} demand point(s) have no network route to any chosen site: "
            "left out of the mean and max distance"
        )
    if model == "coverage" and served.all() and len(chosen) > 0:
        warnings.append(
            f"Coverage is 100 %: every demand point lies within {service_km:,.0f} km of a chosen site, so "
            "any sites that reach all demand score the same and the choice among them is arbitrary; "
            "compare mean/max distance, lower the service distance or use the p-median"
        )
    if status != OPTIMAL:
        why = "the time limit ended the search" if status == TIME_LIMIT else "stopped on request"
        warnings.append(
            f"Not proven optimal ({why} after {seconds:,.1f} s): the best solution found is within "
            f"{gap:.1%} of the optimum"
        )
    return Allocation(
        chosen=list(chosen),
        assignment=assignment,
        distance_km=distance,
        served_weight=float(weights[served].sum()),
        total_weight=float(weights.sum()),
        objective=objective,
        cost=cost,
        model=model,
        service_km=None if model == "p-median" else float(service_km),
        mean_km=mean_km,
        max_km=max_km,
        status=status,
        gap=gap,
        seconds=seconds,
        warnings=tuple(warnings),
    )


def _solve_coverage(
    cost_km: np.ndarray,
    weights: np.ndarray,
    *,
    k: int,
    service_km: float,
    fixed: list[int],
    time_limit_s: float | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[list[int], float, str, float, float]:
    """Maximal coverage with spopt (MCLP) and HiGHS: chosen positions, covered weight, status,
    proven gap and seconds.
    """
    import highspy
    import pulp
    from spopt.locate import MCLP

    started = time.monotonic()
    predefined = np.zeros(cost_km.shape[1], dtype=int)
    predefined[fixed] = 1
    problem = MCLP.from_cost_matrix(
        cost_km,
        weights,
        service_radius=service_km,
        p_facilities=k,
        predefined_facilities_arr=predefined if fixed else None,
    )
    stop_requested = []

    def interrupt(callback_type, message, data_out, data_in, user_data) -> None:
        if data_in is not None and should_stop is not None and should_stop():
            stop_requested.append(True)
            data_in.user_interrupt = True

    options: dict = {"msg": False}
    if time_limit_s is not None:
        options["timeLimit"] = max(0.01, float(time_limit_s) - (time.monotonic() - started))
    if should_stop is not None:
        options["callbackTuple"] = (interrupt, None)
        options["callbacksToActivate"] = [
            highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt,
            highspy.cb.HighsCallbackType.kCallbackIpmInterrupt,
            highspy.cb.HighsCallbackType.kCallbackMipInterrupt,
        ]
    # pulp reports a time limit or an interrupt as "Optimal": HiGHS' own status tells them apart
    problem.problem.solve(pulp.HiGHS(**options))
    solver = problem.problem.solverModel
    model_status = solver.getModelStatus()
    if solver.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        why = "stopped on request" if stop_requested else solver.modelStatusToString(model_status)
        msg = f"Model is not solved: {why}, before any solution was found."
        raise InputError(msg)
    chosen = sorted({j for j, var in enumerate(problem.fac_vars) if var.value() > 0.5} | set(fixed))
    covered = float(weights[(cost_km[:, chosen] <= service_km).any(axis=1)].sum())
    if model_status == highspy.HighsModelStatus.kOptimal:
        status, gap = OPTIMAL, 0.0
    elif model_status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt):
        status = STOPPED if stop_requested else TIME_LIMIT
        bound = solver.getInfo().mip_dual_bound  # an upper bound of the coverable weight (maximising)
        gap = max(0.0, (bound - covered) / bound) if np.isfinite(bound) and bound > 0 else 1.0
    else:
        msg = f"Model is not solved: {solver.modelStatusToString(model_status)}."
        raise InputError(msg)
    return chosen, covered, status, gap, time.monotonic() - started


def allocate(
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    k: int,
    model: str = "p-median",
    service_km: float | None = None,
    weight_column: str = "population",
    fixed: list | None = None,
    cost_km: pd.DataFrame | None = None,
    time_limit_s: float | None = ALLOCATION_TIME_LIMIT_S,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Allocation]:
    """Choose k candidate sites for the demand points (adapter around :func:`solve_allocation`).

    Besides the solution, the :class:`Allocation` reports the demand-weighted mean and the largest
    distance, and warns (``warnings``) when the chosen sites are bunched: for k >= 2, when the
    largest distance between two chosen sites is under ``BUNCHED_SHARE`` (``geo.settings``, 20 %)
    of the demand's extent, the largest distance between two demand points. It also warns when a
    chosen site has an approximate location (a ``True`` ``approximate_location`` column, see
    ``layers.analysis_targets``), when coverage is trivially 100 % and when the time limit or
    ``should_stop`` ended the solve before optimality.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        Candidate sites (points, or cells whose centre is used), any CRS. For a suitability grid,
        pass :func:`spread_candidates`, not the top N cells of one hotspot.
    demand : geopandas.GeoDataFrame
        Demand points with a ``weight_column`` (default ``population``; 1 each when absent).
    fixed : list, optional, keyword-only
        Index labels of candidates already open.
    cost_km : pandas.DataFrame, optional, keyword-only
        Network distances (demand x candidates, km), e.g. from the road network; when absent,
        geodesic distance is used and the result says so (``cost`` = ``geodesic``).
    time_limit_s, should_stop : keyword-only
        See :func:`solve_allocation`.

    Returns
    -------
    (sites, lines, allocation)
        The chosen candidates (``served_weight``, ``mean_km``, ``max_km`` per site), geodesic-free
        straight assignment lines demand -> site with ``distance_km``, and the :class:`Allocation`.
    """
    points = _centres(candidates)
    demand_wgs = to_wgs84(demand, argument="demand")
    if cost_km is None:
        matrix = distance_matrix(demand_wgs, points).to_numpy() / 1000.0
        cost = "geodesic"
    else:
        matrix = cost_km.loc[demand.index, candidates.index].to_numpy(dtype=np.float64)
        cost = "network"
    weights = (
        pd.to_numeric(demand_wgs[weight_column], errors="coerce").fillna(0).to_numpy()
        if weight_column in demand_wgs
        else np.ones(len(demand_wgs))
    )
    fixed_pos = [candidates.index.get_loc(f) for f in (fixed or [])]
    result = solve_allocation(
        matrix,
        weights,
        k=k,
        model=model,
        service_km=service_km,
        fixed=fixed_pos,
        cost=cost,
        time_limit_s=time_limit_s,
        should_stop=should_stop,
    )
    sites = candidates.iloc[result.chosen].copy()
    stats = []
    for j in result.chosen:
        mine = result.assignment == j
        stats.append(
            (
                weights[mine].sum(),
                np.nanmean(result.distance_km[mine]) if mine.any() else np.nan,
                np.nanmax(result.distance_km[mine]) if mine.any() else np.nan,
            )
        )
    sites["served_weight"], sites["mean_km"], sites["max_km"] = (
        zip(*stats, strict=True) if stats else ([], [], [])
    )
    sites["fixed"] = [j in fixed_pos for j in result.chosen]
    served = np.flatnonzero(result.assignment >= 0)
    demand_xy = shapely.get_coordinates(demand_wgs.geometry.values)
    site_xy = shapely.get_coordinates(points.geometry.values)
    lines = gpd.GeoDataFrame(
        {
            "demand_id": demand.index.to_numpy()[served],
            "site_id": candidates.index.to_numpy()[result.assignment[served]],
            "distance_km": result.distance_km[served],
            "cost": cost,
        },
        geometry=[shapely.LineString([demand_xy[i], site_xy[result.assignment[i]]]) for i in served],
        crs=WGS84,
    )
    warnings = list(result.warnings)
    bunched = _bunching_warning(site_xy, result.chosen, demand_xy[weights > 0])
    if bunched:
        warnings.insert(0, bunched)
    if "approximate_location" in sites.columns:
        approximate = sites.index[sites["approximate_location"].fillna(False).astype(bool).to_numpy()]
        if len(approximate):
            names = sites.loc[approximate, "name"] if "name" in sites.columns else approximate.to_series()
            warnings.append(
                f"{len(approximate)} chosen site(s) have an approximate location (a placeholder for a region "
                f"or country, not the site): {', '.join(map(str, names))}; their distances are approximate"
            )
    return sites, lines, replace(result, warnings=tuple(warnings))


def _extent_km(xy: np.ndarray, *, sample: int = 1500) -> float:
    """Largest geodesic distance between two of the points (km): over their lon/lat convex hull's
    vertices and an even sample, so that thousands of points cost little.
    """
    if len(xy) < 2:
        return 0.0
    picks = set(np.linspace(0, len(xy) - 1, min(sample, len(xy))).astype(int))
    if len(xy) > sample:
        hull = shapely.MultiPoint(xy).convex_hull
        corners = shapely.get_coordinates(hull)
        picks |= set(np.flatnonzero(np.isin(xy[:, 0], corners[:, 0]) & np.isin(xy[:, 1], corners[:, 1])))
    chosen = xy[sorted(picks)]
    return (
        float(
            np.max(geodesic_m(chosen[:, None, 0], chosen[:, None, 1], chosen[None, :, 0], chosen[None, :, 1]))
        )
        / 1000.0
    )


def _bunching_warning(site_xy: np.ndarray, chosen: list[int], demand_xy: np.ndarray) -> str | None:
    """The warning when k >= 2 chosen sites lie within BUNCHED_SHARE of the demand's extent."""
    if len(chosen) < 2:
        return None
    extent = _extent_km(demand_xy)
    spread = _extent_km(site_xy[chosen])
    if extent <= 0 or spread >= BUNCHED_SHARE * extent:
        return None
    candidates = _extent_km(site_xy)
    advice = (
        f"the candidates themselves lie within {candidates:,.0f} km of each other: choose among candidates "
        "spread over the region (spread_candidates)"
        if candidates < BUNCHED_SHARE * extent
        else "the demand weights favour that area; check them before trusting the answer"
    )
    return (
        f"Chosen sites are bunched: all {len(chosen)} lie within {spread:,.0f} km of each other, "
        f"{spread / extent:.0%} of the demand's extent of {extent:,.0f} km (warning under "
        f"{BUNCHED_SHARE:.0%}); {advice}"
    )


def with_existing(candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list]:
    """Candidate sites plus existing facilities, and the labels to pass as ``fixed`` to :func:`allocate`.

    Both frames keep their own columns; each row gets ``lon``/``lat`` (its centre, EPSG:4326) so
    the combined frame has one location per site. Labels must not clash.
    """
    if existing.empty:
        return candidates, []
    clash = sorted(set(candidates.index.astype(str)) & set(existing.index.astype(str)))
    if clash:
        msg = f"existing: labels {', '.join(clash[:3])} are also candidate labels"
        raise InputError(msg)
    parts = []
    for frame, argument in ((candidates, "candidates"), (existing, "existing")):
        xy = shapely.get_coordinates(_centres(frame).geometry.values)
        parts.append(to_wgs84(frame, argument=argument).assign(lon=xy[:, 0], lat=xy[:, 1]))
    combined = gpd.GeoDataFrame(pd.concat(parts), crs=WGS84)
    return combined, list(existing.index)


def network_cost_km(
    demand: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, *, mode: str = "road"
) -> tuple[pd.DataFrame, list]:
    """Demand x candidates network distances (km) for :func:`allocate`, and the demand left out.

    Demand points with no network route to any candidate (an island city off the road graph) are
    dropped and returned, so the caller can say so; a candidate a demand point cannot reach gets
    :data:`UNREACHABLE_KM`, so it is never the cheaper assignment.
    """
    from geo.network import network_distance_matrix

    km = network_distance_matrix(demand, _centres(candidates), mode=mode, off_network="inf")
    km.columns = candidates.index
    reachable = np.isfinite(km.to_numpy()).any(axis=1)
    dropped = list(km.index[~reachable])
    if dropped:
        logger.info(
            "%d demand point(s) have no %s route to any candidate: %s", len(dropped), mode, dropped[:5]
        )
    return km[reachable].replace(np.inf, UNREACHABLE_KM), dropped
