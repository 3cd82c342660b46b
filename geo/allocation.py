"""Location-allocation: choose k sites for the demand points, and say how far to trust the answer.

Runs on a cost matrix in km (the road-network matrix when given, :func:`network_cost_km`, else
geodesic distance, labelled as such in the result): maximal coverage with spopt's MCLP
(:mod:`geo._coverage`); the p-median exactly with :mod:`geo._pmedian` (bounds that drop the
candidates that cannot be optimal, then HiGHS on Elloumi's sparse formulation; 200 x 1,000, k=10
in under 1 s where spopt's PMedian takes 40-60 s).

Answers a reader can trust: choose among :func:`geo.siting.spread_candidates` (the best cell of each
part of the region), not the top N cells of one hotspot; every solve has a time limit
(``geo.settings.ALLOCATION_TIME_LIMIT_S``) and a ``should_stop`` callback, and returns its best
solution with the proven gap; the :class:`Allocation` reports the demand-weighted mean and largest
distance and warns about bunched sites, trivial coverage, approximate locations and unproven
optimality (``Allocation.warnings``, ``Allocation.summary``).

Every public name here is also importable from :mod:`geo.siting`, where a site selection starts.
The module is one task over about 500 lines: the solution and its reading (:class:`Allocation`), the
checks and warnings of :func:`solve_allocation`, and the frame adapter :func:`allocate` with its
inputs (:func:`with_existing`, :func:`network_cost_km`); the solvers live in :mod:`geo._pmedian`
and :mod:`geo._coverage`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._coverage import solve_coverage
from geo._criteria import centres as _centres
from geo._errors import InputError
from geo._pmedian import OPTIMAL, TIME_LIMIT, solve_p_median
from geo.crs import to_wgs84
from geo.distance import geodesic_m
from geo.proximity import distance_matrix
from geo.settings import ALLOCATION_TIME_LIMIT_S, BUNCHED_SHARE, WGS84

__all__ = [
    "UNREACHABLE_KM",
    "Allocation",
    "allocate",
    "network_cost_km",
    "solve_allocation",
    "with_existing",
]

logger = logging.getLogger(__name__)

#: Cost given to a candidate a demand point cannot reach by the network (km): never chosen over a
#: reachable one.
UNREACHABLE_KM = 1.0e6


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
        return (
            f"{head} Best found in {self.seconds:,.1f} s ({why}): within {self.gap:.1%} of the optimum "
            "(proven)."
        )


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
    """The p-median or maximal coverage on a demand x candidate cost matrix (km).

    The p-median is solved by :func:`geo._pmedian.solve_p_median`, maximal coverage by spopt's model
    (:func:`geo._coverage.solve_coverage`); HiGHS solves both, to optimality or to the time limit.

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
            msg = (
                "service_km: expected a service distance in km > 0 for the coverage model, got "
                f"{service_km!r}"
            )
            raise InputError(msg)
        chosen, objective, status, gap, seconds = solve_coverage(
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
        service_km=float(service_km) if model == "coverage" and service_km is not None else None,
        mean_km=mean_km,
        max_km=max_km,
        status=status,
        gap=gap,
        seconds=seconds,
        warnings=tuple(warnings),
    )


def allocate(
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    k: int,
    model: str = "p-median",
    service_km: float | None = None,
    weight_column: str = "population",
    fixed: Sequence[Hashable] | None = None,
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
    fixed_pos: list[int] = []
    for label in fixed or []:
        position = candidates.index.get_loc(label)
        if not isinstance(position, int):  # a slice or a mask: the label names several rows
            msg = f"fixed: label {label!r} names several candidates; expected unique candidate labels"
            raise InputError(msg)
        fixed_pos.append(position)
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
    """Largest geodesic distance between two of the points (km).

    Measured over their lon/lat convex hull's vertices and an even sample, so that thousands of
    points cost little.
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


def with_existing(
    candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, list[Hashable]]:
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
    parts: list[gpd.GeoDataFrame] = []
    for frame, argument in ((candidates, "candidates"), (existing, "existing")):
        xy = shapely.get_coordinates(_centres(frame).geometry.values)
        parts.append(to_wgs84(frame, argument=argument).assign(lon=xy[:, 0], lat=xy[:, 1]))
    combined = gpd.GeoDataFrame(pd.concat(parts), crs=WGS84)
    return combined, list(existing.index)


def network_cost_km(
    demand: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, *, mode: str = "road"
) -> tuple[pd.DataFrame, list[Hashable]]:
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
