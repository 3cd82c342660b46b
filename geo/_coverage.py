"""Maximal coverage (MCLP): spopt's model solved by HiGHS, under a time limit and a stop callback.

The model is :class:`spopt.locate.MCLP` built from the demand x candidate cost matrix, solved by HiGHS
through pulp. pulp reports a time limit or an interrupt as "Optimal", so the status is read from
HiGHS itself; a solve ended early returns its best solution with the proven gap to HiGHS' dual bound.
The p-median's solver is :mod:`geo._pmedian`; :func:`geo.allocation.solve_allocation` calls both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from geo._errors import InputError
from geo._pmedian import OPTIMAL, STOPPED, TIME_LIMIT


def solve_coverage(
    cost_km: np.ndarray,
    weights: np.ndarray,
    *,
    k: int,
    service_km: float,
    fixed: list[int],
    time_limit_s: float | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[list[int], float, str, float, float]:
    """Maximal coverage of ``weights`` within ``service_km`` by ``k`` sites (``fixed`` ones included).

    Returns
    -------
    tuple
        Chosen candidate positions (sorted), covered weight, status (``OPTIMAL``, ``TIME_LIMIT`` or
        ``STOPPED`` of :mod:`geo._pmedian`), proven relative gap and seconds.

    Raises
    ------
    InputError
        When the solver ends without a solution.
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
    stop_requested: list[bool] = []

    def interrupt(
        callback_type: highspy.cb.HighsCallbackType,
        message: str,
        data_out: highspy.cb.HighsCallbackOutput,
        data_in: highspy.cb.HighsCallbackInput | None,
        user_data: Any,
    ) -> None:
        if data_in is not None and should_stop is not None and should_stop():
            stop_requested.append(True)
            data_in.user_interrupt = True

    options: dict[str, Any] = {"msg": False}
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
