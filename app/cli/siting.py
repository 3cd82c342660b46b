"""Siting commands: ``site-select`` (a scored H3 grid) and ``allocate`` (p-median or coverage).

Also their helpers: the ``--weights`` parser, the ``--region`` frame, the dask client of
``--scheduler`` and the Ctrl-C poll that stops the solver with its best solution so far.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.cli._common import (
    PROG,
    Builtin,
    Subparsers,
    UserLayers,
    concat,
    load_layer,
    report_option,
    save_report,
    write_result,
)
from geo import InputError
from geo.settings import ALLOCATION_TIME_LIMIT_S, DEFAULT_WEIGHTS

if TYPE_CHECKING:
    import geopandas as gpd


def _parse_weights(text: str) -> dict[str, float]:
    weights = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            msg = f"--weights: expected criterion=number pairs separated by commas, got {part!r}"
            raise InputError(msg)
    return weights


def _region(code: str, user: str) -> gpd.GeoDataFrame:
    """A country (ISO 3166-1 alpha-2, from the countries layer) or a workspace polygon layer."""
    import layers
    from app.workflows import region_frame

    return region_frame(code, layers.load("countries"), UserLayers(user), argument="--region")


@contextlib.contextmanager
def _dask_client(scheduler: str | None):
    """A dask.distributed client for ``--scheduler`` (``local``: two local worker processes), or none."""
    if not scheduler:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler == "local":
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        msg = f"--scheduler: cannot reach the dask scheduler at {scheduler!r} ({exc})"
        raise InputError(msg) from None
    with client:
        yield client


def _cmd_site_select(args: argparse.Namespace) -> int:
    from app.workflows import site_inputs
    from geo.siting import candidate_grid, check_weights, hexagons, suitability

    weights = _parse_weights(args.weights)
    check_weights(weights)  # before the (long) grid work
    cells = candidate_grid(_region(args.region, args.user), resolution=args.res, geometry="centre")
    with _dask_client(args.scheduler):
        scored = suitability(
            cells,
            **site_inputs(Builtin()),
            weights=weights,
            demand_radius_km=args.demand_radius_km,
            competition=args.competition,
            exclude_within_km=args.exclude_within_km,
            engine=args.engine,
        )
    cells = hexagons(scored.head(args.top) if args.top else scored).drop(columns=["lon", "lat"])
    write_result(cells, args.output, what=f"site selection {args.region}")
    if args.report:
        from app.report import site_selection_report
        from app.tools import parameters_text

        context = site_inputs(Builtin())
        report = site_selection_report(
            scored,
            weights=weights,
            parameters=parameters_text(
                {
                    "region": args.region,
                    "H3 resolution": args.res,
                    "feedstock radius km": args.demand_radius_km,
                    "existing recyclers/refiners": args.competition,
                    "excluded within km of a facility": args.exclude_within_km,
                    "engine": args.engine,
                }
            ),
            context={
                "demand": context["demand"],
                "lithium_blocks": context["blocks"],
                "ports": context["ports"],
                "facilities": context["facilities"],
            },
            title=f"Site selection: {args.region}, H3 resolution {args.res}",
        )
        save_report(report, args.report)
    return 0


def _cmd_allocate(args: argparse.Namespace) -> int:

    import layers
    from app.workflows import allocate_sites

    candidates = layers.analysis_targets(
        layers.by_id(load_layer(args.candidates, args.user)), include_placeholders=args.include_approximate
    )
    if args.spread:
        from geo.siting import spread_candidates

        candidates = spread_candidates(candidates, args.spread)
    demand = layers.by_id(load_layer(args.demand, args.user))
    fixed = [f for f in (args.fixed or "").split(",") if f]
    unknown = sorted(set(fixed) - set(candidates.index))
    if unknown:
        msg = f"--fixed: {', '.join(unknown)} not among the candidates' ids"
        raise InputError(msg)
    allocation = allocate_sites(
        candidates,
        demand,
        k=args.k - len(fixed),
        model=args.model,
        cost=args.cost,
        service_km=args.service_km,
        fixed=fixed,
        time_limit_s=args.time_limit_s,
        should_stop=_interrupted(),
    )
    if allocation.left_out:  # only once the model solved: an error stays one line
        sys.stderr.write(
            f"{PROG}: left out, no {args.cost} route to any candidate: {', '.join(allocation.left_out)}\n"
        )
    sites, lines, result = allocation.sites, allocation.lines, allocation.result
    sites = sites.assign(feature="site", site_id=sites.index)
    lines = lines.assign(feature="assignment")
    out = concat(
        [sites[["feature", "site_id", "served_weight", "mean_km", "max_km", "fixed", "geometry"]], lines]
    )
    out["cost"] = result.cost
    write_result(out, args.output, what=f"{args.model} k={args.k}")
    sys.stderr.write(f"{PROG}: {len(sites)} sites. {result.summary}\n")
    for warning in result.warnings:
        sys.stderr.write(f"{PROG}: warning: {warning}\n")
    return 0


def _interrupted() -> Callable[[], bool]:
    """A poll for the solver: True after the first Ctrl-C (the best solution so far is written).

    A second Ctrl-C stops at once.
    """
    import signal
    import threading

    event = threading.Event()

    def handler(signum: int, frame: object) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        event.set()
        sys.stderr.write(f"{PROG}: stopping: the best solution so far is written (Ctrl-C again to abort)\n")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
    return event.is_set


def add_site_select(sub: Subparsers) -> None:
    """The ``site-select`` subcommand."""
    p_site = sub.add_parser("site-select", help="score an H3 grid over a region by weighted criteria")
    p_site.add_argument(
        "--region",
        default="IN",
        help="ISO country code (countries layer) or a workspace polygon layer (default IN)",
    )
    p_site.add_argument("--res", type=int, default=6, help="H3 resolution 5-8 (default 6)")
    p_site.add_argument(
        "--weights",
        default=",".join(f"{c}={w}" for c, w in DEFAULT_WEIGHTS.items()),
        help=f"criterion=weight pairs; criteria: {', '.join(DEFAULT_WEIGHTS)}",
    )
    p_site.add_argument(
        "--competition",
        choices=["avoid", "cluster"],
        default="avoid",
        help="avoid or seek existing recyclers/refiners",
    )
    p_site.add_argument(
        "--exclude-within-km", type=float, default=None, help="drop cells closer than this to a facility"
    )
    p_site.add_argument(
        "--demand-radius-km", type=float, default=200.0, help="feedstock radius (default 200 km)"
    )
    p_site.add_argument("--top", type=int, default=None, help="write only the N best cells")
    p_site.add_argument(
        "--engine",
        choices=["pandas", "dask"],
        default="pandas",
        help="measure the criteria in memory or on dask partitions",
    )
    p_site.add_argument(
        "--scheduler",
        help="dask scheduler address (tcp://HOST:8786), or 'local' for two local workers "
        "(with --engine dask)",
    )
    p_site.add_argument("-o", "--output", required=True, help="GeoJSON of scored cells (- for stdout)")
    report_option(p_site)
    p_site.set_defaults(func=_cmd_site_select)


def add_allocate(sub: Subparsers) -> None:
    """The ``allocate`` subcommand."""
    p_alloc = sub.add_parser("allocate", help="choose k sites for the demand (p-median or maximal coverage)")
    p_alloc.add_argument("--candidates", required=True, help="layer of candidate sites")
    p_alloc.add_argument("--demand", default="demand", help="layer of demand points (default demand)")
    p_alloc.add_argument("--k", type=int, required=True, help="sites to open")
    p_alloc.add_argument("--model", choices=["p-median", "coverage"], default="p-median")
    p_alloc.add_argument("--service-km", type=float, default=None, help="coverage distance (coverage model)")
    p_alloc.add_argument("--fixed", help="comma-separated candidate ids already open")
    p_alloc.add_argument(
        "--spread",
        type=int,
        metavar="N",
        help="choose among N candidates spread over the region (e.g. of a site-select output) "
        "instead of all of them",
    )
    p_alloc.add_argument(
        "--time-limit-s",
        type=float,
        default=ALLOCATION_TIME_LIMIT_S,
        help=f"solver time limit; the best solution by then is written with its gap "
        f"(default {ALLOCATION_TIME_LIMIT_S:g} s; Ctrl-C stops early the same way)",
    )
    p_alloc.add_argument(
        "--include-approximate",
        action="store_true",
        help="keep candidates placed only at region or country level (left out by default)",
    )
    p_alloc.add_argument(
        "--cost",
        choices=["road", "rail", "geodesic"],
        default="road",
        help="distances: shortest paths on the road (default) or rail network, or geodesic",
    )
    p_alloc.add_argument(
        "-o", "--output", required=True, help="GeoJSON of sites and assignment lines (- for stdout)"
    )
    p_alloc.set_defaults(func=_cmd_allocate)
