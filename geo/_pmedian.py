"""Exact p-median: candidates eliminated by bounds, then HiGHS on the candidates that remain.

The bounds are a Lagrangian lower bound and an interchange upper bound.

The p-median MILP of spopt is exact but its LP relaxation is large: 200 candidates x 1,000 demand
points is 200,000 assignment variables, and HiGHS needs about 40 s for that LP on a 2-core machine.
Most candidates cannot be in an optimal solution, and this module proves which:

1. Lagrangian relaxation of the assignment constraints (Beasley 1993, "Lagrangean heuristics for
   location problems", EJOR 65): for multipliers ``lam`` the bound is
   ``L = sum(lam) + sum of the k smallest rho_j`` with ``rho_j = sum_i min(0, w_i c_ij - lam_i)``;
   subgradient steps raise it towards the LP bound.
2. An upper bound ``U`` from the relaxation's sites improved by interchange (Teitz & Bart 1968):
   swap an open site for a closed one while the demand-weighted cost falls.
3. Reduced-cost test: forcing a closed candidate ``j`` open gives a bound of at least
   ``L + rho_j - max(rho of the open free sites)``; when that exceeds ``U``, no solution with ``j``
   open is better than the one already found, so ``j`` is dropped.

The MILP is then solved by HiGHS (:func:`solve_p_median`, Elloumi's formulation) on the remaining
candidates, started from the interchange solution; its optimum is the optimum of the whole problem.
Works on plain arrays.

Hard instances (uniform random costs, where the bounds stay far apart) can take HiGHS hours to
prove optimal. A time limit bounds the whole solve: the subgradient phase gets at most half of it,
HiGHS the rest, and the best solution found is returned with its proven gap to the optimum (the
best of the Lagrangian bound and HiGHS' dual bound). A ``should_stop`` callback, checked between
phases, every few subgradient steps and from HiGHS' interrupt callbacks, ends the solve early in
the same way.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geo._errors import InputError

if TYPE_CHECKING:
    import highspy

logger = logging.getLogger(__name__)

#: Statuses of a :class:`PMedianSolution`.
OPTIMAL, TIME_LIMIT, STOPPED = "optimal", "time limit", "stopped"


@dataclass(frozen=True)
class PMedianSolution:
    """The best p-median solution found, and how good it is proven to be.

    Attributes
    ----------
    chosen : list of int
        Chosen candidate positions (k, fixed included), sorted.
    objective : float
        Its demand-weighted cost.
    lower_bound : float
        A proven lower bound of the optimal cost (equal to ``objective`` when optimal).
    status : str
        ``optimal``, ``time limit`` (the time limit ended the search) or ``stopped`` (``should_stop``).
    seconds : float
        Wall time of the solve.
    """

    chosen: list[int]
    objective: float
    lower_bound: float
    status: str
    seconds: float

    @property
    def gap(self) -> float:
        """Proven relative gap, (objective - lower bound) / objective.

        The solution costs at most this share more than the optimum (0 when optimal).
        """
        if self.status == OPTIMAL or self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)


class _Clock:
    """Deadline and stop request of one solve."""

    def __init__(self, time_limit_s: float | None, should_stop: Callable[[], bool] | None) -> None:
        self.start = time.monotonic()
        self.deadline = math.inf if time_limit_s is None else self.start + float(time_limit_s)
        self.should_stop = should_stop
        self.stopped = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def over(self) -> bool:
        """True once the time is up or a stop was requested (then for good)."""
        if not self.stopped and self.should_stop is not None and self.should_stop():
            self.stopped = True
        return self.stopped or time.monotonic() >= self.deadline

    def status(self) -> str:
        return STOPPED if self.stopped else TIME_LIMIT

    def seconds(self) -> float:
        return time.monotonic() - self.start


def _relaxation(
    costs: np.ndarray, lam: np.ndarray, free: np.ndarray, fixed: np.ndarray, q: int
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Bound, chosen sites and rho of the Lagrangian subproblem at ``lam``."""
    rho = np.minimum(costs - lam[:, None], 0.0).sum(axis=0)
    pick = free[np.argsort(rho[free], kind="stable")[:q]]
    chosen = np.concatenate([fixed, pick])
    return float(lam.sum() + rho[chosen].sum()), chosen, rho, pick


def total_cost(costs: np.ndarray, sites: np.ndarray) -> float:
    """Demand-weighted cost of serving every demand point from its cheapest site."""
    return float(costs[:, sites].min(axis=1).sum())


def interchange(
    costs: np.ndarray, sites: np.ndarray, fixed: np.ndarray, *, clock: _Clock | None = None
) -> np.ndarray:
    """Best-improvement swaps (one open free site for one closed candidate) until none helps.

    Parameters
    ----------
    costs : numpy.ndarray
        (n_demand, n_candidates) demand-weighted costs.
    sites, fixed : numpy.ndarray
        Open candidate positions; the fixed ones are never swapped out.
    clock : optional, keyword-only
        Stops the swaps (keeping the best sites so far) when its time is up.
    """
    sites = np.array(sites, dtype=np.int64)
    current = total_cost(costs, sites)
    rows = np.arange(costs.shape[0])
    while clock is None or not clock.over():
        block = costs[:, sites]
        order = np.argsort(block, axis=1)
        first = block[rows, order[:, 0]]
        second = block[rows, order[:, 1]] if len(sites) > 1 else np.full(len(rows), np.inf)
        closed = np.ones(costs.shape[1], dtype=bool)
        closed[sites] = False
        best = (current, -1, -1)
        for slot, site in enumerate(sites):
            if site in fixed:
                continue
            without = np.where(order[:, 0] == slot, second, first)
            totals = np.minimum(costs, without[:, None]).sum(axis=0)
            totals[~closed] = np.inf
            j = int(np.argmin(totals))
            if totals[j] < best[0] * (1 - 1e-12):
                best = (float(totals[j]), slot, j)
        if best[1] < 0:
            return sites
        current = best[0]
        sites[best[1]] = best[2]
    return sites


def reduce_candidates(
    cost: np.ndarray,
    weights: np.ndarray,
    *,
    k: int,
    fixed: list[int],
    iterations: int = 3000,
    clock: _Clock | None = None,
) -> tuple[np.ndarray, float, float, np.ndarray]:
    """Candidates that may belong to an optimal p-median solution, with the bounds that prove it.

    Parameters
    ----------
    cost, weights, k, fixed
        As in :func:`solve_p_median`.
    iterations : int, keyword-only
        Most subgradient steps.
    clock : optional, keyword-only
        Ends the subgradient steps early when its time is up (the bounds found so far stay valid).

    Returns
    -------
    (keep, lower, upper, incumbent)
        Sorted candidate positions to keep (always including the fixed ones and the best solution
        found), the Lagrangian lower bound, the best solution's objective and its sites.
    """
    costs = np.asarray(weights, dtype=np.float64)[:, None] * np.asarray(cost, dtype=np.float64)
    n_cand = costs.shape[1]
    fixed_arr = np.asarray(sorted(fixed), dtype=np.int64)
    free = np.setdiff1d(np.arange(n_cand), fixed_arr)
    q = k - len(fixed_arr)
    if q == 0 or q == len(free):
        sites = np.arange(n_cand) if q else fixed_arr
        value = total_cost(costs, sites)
        return np.sort(sites), value, value, np.sort(sites)
    lam = np.sort(costs, axis=1)[:, min(k, n_cand - 1)].copy()
    incumbent = interchange(costs, _relaxation(costs, lam, free, fixed_arr, q)[1], fixed_arr, clock=clock)
    upper = total_cost(costs, incumbent)
    best_bound, best_lam = -np.inf, lam.copy()
    step, stall = 2.0, 0
    for iteration in range(iterations):
        if clock is not None and iteration % 10 == 0 and iteration and clock.over():
            logger.info("p-median: subgradient stopped after %d steps (%s)", iteration, clock.status())
            break
        bound, chosen, _, _ = _relaxation(costs, lam, free, fixed_arr, q)
        if iteration % 100 == 99:  # the relaxation's sites, improved, may beat the incumbent
            candidate = interchange(costs, chosen, fixed_arr, clock=clock)
            if (value := total_cost(costs, candidate)) < upper:
                upper, incumbent = value, candidate
        if bound > best_bound:
            best_bound, best_lam, stall = bound, lam.copy(), 0
        else:
            stall += 1
            if stall >= 30:
                step, stall = step / 2, 0
        gradient = 1.0 - (costs[:, chosen] < lam[:, None]).sum(axis=1)
        norm = float(gradient @ gradient)
        if norm == 0 or step < 1e-5 or upper - best_bound <= 1e-9 * abs(upper):
            break
        lam = lam + step * (upper - bound) / norm * gradient
    bound, chosen, rho, pick = _relaxation(costs, best_lam, free, fixed_arr, q)
    forced = np.full(n_cand, bound)  # bound with each candidate forced open
    forced[free] = bound + np.maximum(rho[free] - rho[pick].max(), 0.0)
    keep = forced <= upper + 1e-9 * max(1.0, abs(upper))
    keep[fixed_arr] = True
    keep[incumbent] = True
    logger.info(
        "p-median: bounds %.6g..%.6g, %d of %d candidates can be optimal", bound, upper, keep.sum(), n_cand
    )
    return np.flatnonzero(keep), bound, upper, incumbent


def solve_p_median(
    cost: np.ndarray,
    weights: np.ndarray,
    *,
    k: int,
    fixed: list[int],
    time_limit_s: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PMedianSolution:
    """The p-median: candidate elimination, then HiGHS on Elloumi's formulation of the rest.

    Exact unless the time limit or ``should_stop`` ends it first.

    Elloumi (2010, "A tighter formulation of the p-median problem", J. Comb. Optim. 19) orders each
    demand point's candidates by cost and has one variable per level, "no open site among the
    nearest l"; its LP relaxation is at least as strong as the classical model's with three
    non-zeros per row, and HiGHS solves it several times faster than the classical model (spopt's).

    Parameters
    ----------
    cost : numpy.ndarray
        (n_demand, n_candidates) costs (km).
    weights : numpy.ndarray
        Demand weights.
    k : int, keyword-only
        Sites to open, fixed ones included.
    fixed : list of int, keyword-only
        Candidate positions open in every solution.
    time_limit_s : float, optional, keyword-only
        Wall-time limit of the whole solve, seconds (None: until optimal). The best solution found
        is returned with its proven gap (:attr:`PMedianSolution.gap`).
    should_stop : callable, optional, keyword-only
        Called between phases, every ten subgradient steps and from HiGHS' interrupt callbacks
        (simplex, interior point and branch-and-bound); when it returns True the solve ends and the
        best solution so far is returned with status ``stopped``.

    Returns
    -------
    PMedianSolution
        Chosen positions, objective, proven lower bound, status and seconds.
    """
    import highspy
    from scipy import sparse

    clock = _Clock(time_limit_s, should_stop)
    weights = np.asarray(weights, dtype=np.float64)
    # the subgradient phase gets at most half of the time: HiGHS improves solutions and bounds better
    phase = _Clock(None, should_stop)
    phase.start, phase.deadline = clock.start, clock.start + (clock.deadline - clock.start) / 2.0
    pool, lower, upper, incumbent = reduce_candidates(cost, weights, k=k, fixed=fixed, clock=phase)
    clock.stopped = phase.stopped

    def result(chosen: Iterable[int], objective: float, bound: float, status: str) -> PMedianSolution:
        solution = PMedianSolution(
            sorted(int(c) for c in chosen), float(objective), float(bound), status, clock.seconds()
        )
        logger.info(
            "p-median: %s in %.2f s, objective %.6g, gap %.3g",
            status,
            solution.seconds,
            objective,
            solution.gap,
        )
        return solution

    if len(pool) == k or upper - lower <= 1e-9 * abs(upper):  # the bounds meet: the incumbent is optimal
        return result(incumbent, upper, upper, OPTIMAL)
    if clock.over():
        return result(incumbent, upper, lower, clock.status())
    sub = np.asarray(cost, dtype=np.float64)[:, pool]
    n, m = sub.shape
    order = np.argsort(sub, axis=1, kind="stable")
    ranked = np.take_along_axis(sub, order, axis=1)
    is_fixed = np.isin(pool, fixed)
    # levels per demand: beyond the first m-k+1 candidates (or the nearest fixed one) a site is open
    first_fixed = np.where(is_fixed[order].any(axis=1), np.argmax(is_fixed[order], axis=1), m)
    levels = np.minimum(m - k, first_fixed)
    starts = np.concatenate([[0], np.cumsum(levels)])
    n_z = int(starts[-1])
    demand = np.repeat(np.arange(n), levels)
    level = np.arange(n_z) - starts[demand]
    z = m + np.arange(n_z)
    inf = highspy.kHighsInf
    model = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy leaves Highs.__init__ unannotated
    model.setOptionValue("output_flag", False)
    if math.isfinite(clock.deadline):
        model.setOptionValue("time_limit", max(0.01, clock.remaining()))
    lower_bounds = np.concatenate([is_fixed.astype(np.float64), np.zeros(n_z)])
    model.addVars(m + n_z, lower_bounds, np.concatenate([np.ones(m), np.full(n_z, inf)]))
    gap = weights[demand] * (ranked[demand, level + 1] - ranked[demand, level])
    model.changeColsCost(m + n_z, np.arange(m + n_z, dtype=np.int32), np.concatenate([np.zeros(m), gap]))
    model.changeColsIntegrality(
        m, np.arange(m, dtype=np.int32), np.full(m, highspy.HighsVarType.kInteger, dtype=np.uint8)
    )
    # z_l + y_(l-th nearest) - z_(l-1) >= 0 (>= 1 at the first level); then sum(y) = k
    later = level > 0
    rows = np.concatenate([np.arange(n_z), np.arange(n_z), np.flatnonzero(later), np.full(m, n_z)])
    cols = np.concatenate([z, order[demand, level], z[later] - 1, np.arange(m)])
    values = np.concatenate([np.ones(2 * n_z), -np.ones(int(later.sum())), np.ones(m)])
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(n_z + 1, m + n_z))
    row_lower = np.concatenate([(level == 0).astype(np.float64), [k]])
    row_upper = np.concatenate([np.full(n_z, inf), [k]])
    model.addRows(
        n_z + 1,
        row_lower,
        row_upper,
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    # start from the incumbent: y open at its sites, z_l = 1 while none of the l+1 nearest is open
    y = np.isin(pool, incumbent).astype(np.float64)
    opened = np.cumsum(y[order], axis=1)
    start = np.concatenate([y, (opened[demand, level] == 0).astype(np.float64)])
    model.setSolution(m + n_z, np.arange(m + n_z, dtype=np.int32), start)
    if should_stop is not None:
        interrupt_on_request(model, clock)
    model.run()
    status = model.getModelStatus()
    constant = float(weights @ ranked[:, 0])
    info = model.getInfo()
    bound = max(lower, constant + info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else lower
    chosen, objective = incumbent, upper
    if info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
        found = pool[np.flatnonzero(np.asarray(model.getSolution().col_value[:m]) > 0.5)]
        if len(found) == k and (value := float(weights @ sub[:, np.isin(pool, found)].min(axis=1))) < upper:
            chosen, objective = found, value
    if status == highspy.HighsModelStatus.kOptimal:
        return result(chosen, objective, min(objective, bound), OPTIMAL)
    if status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt):
        clock.stopped |= status == highspy.HighsModelStatus.kInterrupt
        return result(chosen, objective, min(objective, bound), clock.status())
    msg = f"Model is not solved: {model.modelStatusToString(status)}."
    raise InputError(msg)


def interrupt_on_request(model: highspy.Highs, clock: _Clock) -> None:
    """Have HiGHS ask ``clock`` (its ``should_stop``) at its interrupt points and stop when asked."""

    def check(event: highspy.HighsCallbackEvent) -> None:
        if clock.over() and clock.stopped:
            event.interrupt()

    for callback in (model.cbSimplexInterrupt, model.cbIpmInterrupt, model.cbMipInterrupt):
        callback.subscribe(check)
