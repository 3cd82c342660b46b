"""Site selection tab: a suitability grid with weights and sensitivity, then p-median or maximal coverage.

This module takes the inputs (the grid's and the allocation's widgets) and computes; the tables,
charts, downloads and PDF report of the results are in :mod:`app.pages._siting_results`.
"""

from __future__ import annotations

import geopandas as gpd
import h3
import pandas as pd
import streamlit as st

import layers
from app import workflows
from app.cache import (
    GRID_MAX_CELLS,
    USER_LAYER,
    GridParams,
    criterion_values,
    grid_cells,
    ranking_stability,
    scored_grid,
    workspace_key,
)
from app.context import PageContext
from app.mapview import fit_target, show_map
from app.pages import _siting_results as shown
from app.widgets import approximate_toggle, shown_as, stop_requested
from geo import InputError
from geo.settings import ALLOCATION_TIME_LIMIT_S, DEFAULT_WEIGHTS
from geo.siting import RAW_COLUMNS, hexagons, spread_candidates
from layers import labels
from layers.map import bounds_of, map_parts
from layers.results import allocation_group, scored_cells_group

#: H3 resolutions offered.
RESOLUTIONS = (5, 6, 7, 8)
COMPETITION = {"avoid": "Keep away from them", "cluster": "Stay close to them"}
DISTANCES = {"road network": "By road", "geodesic": "Straight line (geodesic)"}
MODELS = {"p-median": "Least total distance", "coverage": "Most demand covered"}
#: Parameters that only re-rank the measured criteria (applied at once, no new measurement).
RANK_ONLY = (2, 3, 4)  # weights, competition, exclusion distance


def user_layers(ctx: PageContext, kinds: tuple[str, ...]) -> list[str]:
    """Options for the workspace layers holding some geometry of ``kinds``."""
    return [
        USER_LAYER + n
        for n, g in ctx.frames.items()
        if ctx.is_user_layer(n) and g.geom_type.isin(kinds).any()
    ]


def region_label(code: str) -> str:
    """A region as the list shows it: a country by name, a workspace layer by its name."""
    if code.startswith(USER_LAYER):
        return f"{code.removeprefix(USER_LAYER)} (your layer)"
    return labels.country(code)


def resolution_label(resolution: int) -> str:
    """An H3 resolution with its cells' size."""
    edge_km = h3.average_hexagon_edge_length(resolution, unit="km")
    return f"{resolution} (cells ≈ {edge_km:,.1f} km a side)"


def render(ctx: PageContext) -> None:
    """Suitability grid with weights and sensitivity, then p-median or coverage among the best cells."""
    params, top_n = _grid_controls(ctx)
    if params is None:
        return
    result = _score(ctx, params)
    if result is None:
        return
    scored, stability = result
    top = hexagons(scored.head(top_n))
    allocation = _allocation(ctx, scored)
    overlays = [scored_cells_group(top, name=f"Best {labels.plural(len(top), 'cell')}")]
    fit_frames = [top]
    if allocation is not None:
        overlays.append(allocation_group(allocation.sites, allocation.lines))
        fit_frames.append(allocation.sites)
    what = f"site|{params}|{top_n}|{allocation is not None and tuple(allocation.sites.index.astype(str))}"
    show_map(
        map_parts(
            {},
            basemap=ctx.basemap,
            overlays=overlays,
            fit=fit_target(bounds_of(*fit_frames), what=what, label="Fit the map to the best cells"),
        ),
        key="site_map",
    )
    shown.results(scored, top, stability, allocation)
    shown.downloads(params, scored, top, top_n, allocation)
    shown.report(ctx, params, scored, stability, allocation)  # GIS tools: the PDF report (app.exports)


def _grid_controls(ctx: PageContext) -> tuple[GridParams | None, int]:
    """The grid's widgets; the parameters to score with (``None`` until the user asks) and N to show."""
    codes = sorted((c for c in ctx.frames["countries"]["country"].unique() if c), key=labels.country)
    c1, c2, c3, c4 = st.columns(4)
    regions = codes + user_layers(ctx, ("Polygon", "MultiPolygon"))
    region = c1.selectbox(
        "Region",
        regions,
        index=regions.index("IN"),
        format_func=shown_as("site_region", region_label),
        key="site_region",
        bind="query-params",
        help="A country (type its name, e.g. India), or a polygon layer you imported",
    )
    resolution = c2.selectbox(
        "H3 resolution (cell size)",
        list(RESOLUTIONS),
        index=0,
        format_func=shown_as("site_res", resolution_label),
        key="site_res",
        bind="query-params",
        help=f"Resolution 7 over India is 600,000 cells; at most {GRID_MAX_CELLS:,} "
        "(resolution 8 for a state or a district)",
    )
    competition = c3.radio(
        "Existing recyclers/refiners",
        list(COMPETITION),
        format_func=shown_as("site_competition", COMPETITION.__getitem__),
        key="site_competition",
        bind="query-params",
        horizontal=True,
    )
    exclude_km = c4.number_input(
        "No site within this many km of a facility (0 = no limit)",
        0.0,
        2000.0,
        0.0,
        step=25.0,
        key="site_exclude",
        bind="query-params",
    )
    w = st.columns(len(RAW_COLUMNS) + 1)
    weights = tuple(
        (
            criterion,
            w[i].slider(
                f"Weight: {labels.CRITERIA[criterion].lower()}",
                0.0,
                1.0,
                default,
                0.05,
                key=f"site_w_{criterion}",
                bind="query-params",
            ),
        )
        for i, (criterion, default) in enumerate(DEFAULT_WEIGHTS.items())
    )
    radius_km = w[-1].number_input(
        "Feedstock radius (km)", 10.0, 1000.0, 200.0, step=10.0, key="site_radius", bind="query-params"
    )
    top_n = st.slider("Show the best N cells", 10, 1000, 200, 10, key="site_top", bind="query-params")
    if sum(v for _, v in weights) <= 0:
        st.warning("Give at least one criterion a weight above zero.")
        return None, top_n
    params = (region, resolution, weights, competition, exclude_km, radius_km)
    scored_params = st.session_state.get("site_params")
    if st.button("Score the grid", key="site_run", type="primary"):
        st.session_state["site_params"] = params
        st.session_state.pop("allocation", None)
        st.query_params["scored"] = "1"
        if "allocated" in st.query_params:
            del st.query_params["allocated"]
    elif st.query_params.get("scored") == "1" and scored_params is None:
        st.session_state["site_params"] = params  # a shared link: score with its parameters
    elif scored_params is not None and _rank_only_change(scored_params, params):
        st.session_state["site_params"] = params  # the criteria are measured: re-rank at once
        st.session_state.pop("allocation", None)
    if "site_params" not in st.session_state:
        st.info("Set the region, weights and constraints, then press **Score the grid**.")
        return None, top_n
    if st.session_state["site_params"] != params:
        st.caption(
            "The region, cell size or feedstock radius changed: press **Score the grid** to measure "
            "the new grid (the results below are for the previous settings)."
        )
    return st.session_state["site_params"], top_n


def _rank_only_change(old: GridParams, new: GridParams) -> bool:
    """True when ``new`` differs from ``old`` only in what re-ranks the measured criteria."""
    return old != new and all(
        a == b for i, (a, b) in enumerate(zip(old, new, strict=True)) if i not in RANK_ONLY
    )


def _score(ctx: PageContext, params: GridParams) -> tuple[gpd.GeoDataFrame, pd.DataFrame] | None:
    """The scored grid and its ranking's stability, with a progress bar over every step.

    The steps: the grid, each criterion, the ranking, the stability; each is cached, so new weights
    only re-rank.
    """
    region_code, resolution, _, _, _, radius_km = params
    version = workspace_key(ctx.user) if region_code.startswith(USER_LAYER) else ("", 0)
    steps = len(RAW_COLUMNS) + 3
    where = region_label(region_code)
    bar = st.progress(
        0.0, text=f"Step 1 of {steps}: building the H3 grid over {where} (resolution {resolution})…"
    )
    try:
        cells = len(grid_cells(region_code, resolution, version))
        for step, criterion in enumerate(RAW_COLUMNS, start=2):  # each cached: a re-run only re-ranks
            bar.progress(
                (step - 1) / steps,
                text=f"Step {step} of {steps}: measuring “{labels.CRITERIA[criterion].lower()}” "
                f"over {labels.plural(cells, 'cell')}…",
            )
            criterion_values(region_code, resolution, version, criterion, radius_km)
        bar.progress((steps - 2) / steps, text=f"Step {steps - 1} of {steps}: ranking the cells…")
        scored = scored_grid(params, version)
        bar.progress(
            (steps - 1) / steps, text=f"Step {steps} of {steps}: testing the ranking's stability (300 draws)…"
        )
        stability = ranking_stability(params, version)
    except InputError as exc:
        st.error(f"Cannot score the grid: {exc}")
        return None
    finally:
        bar.empty()
    return scored, stability


def _allocation(ctx: PageContext, scored: gpd.GeoDataFrame) -> workflows.Allocation | None:
    """The location-allocation widgets; the allocation when run now or earlier in this session."""
    region_code = st.session_state["site_params"][0]
    a0, a1, a2, a3, a4 = st.columns(5)
    distances = a0.radio(
        "Distances",
        ["road network", "geodesic"],
        format_func=shown_as("alloc_cost", DISTANCES.__getitem__),
        key="alloc_cost",
        bind="query-params",
        help="By road: shortest paths on the OpenStreetMap road graph; straight line: WGS84 geodesic",
    )
    model = a1.radio(
        "Location-allocation",
        ["p-median", "coverage"],
        format_func=shown_as("alloc_model", MODELS.__getitem__),
        key="alloc_model",
        bind="query-params",
        help="Least total distance: the p-median; most demand covered: maximal coverage within the "
        "coverage distance",
    )
    k = int(a2.number_input("New sites (k)", 1, 20, 3, key="alloc_k", bind="query-params"))
    keep = a2.checkbox(
        "Existing recyclers/refiners stay open",
        key="alloc_keep",
        bind="query-params",
        disabled=region_code.startswith(USER_LAYER),
        help="Those of the scored region's country, fixed open; the model adds k new sites",
    )
    service_km = a3.number_input(
        "Coverage distance (km)",
        10.0,
        2000.0,
        250.0,
        step=10.0,
        key="alloc_service",
        bind="query-params",
        disabled=model != "coverage",
    )
    choices = ["best cells"] + user_layers(ctx, ("Point", "MultiPoint"))
    among = a4.selectbox(
        "Candidate sites",
        choices,
        format_func=shown_as(
            "alloc_among", lambda c: "The best cells" if c == "best cells" else region_label(c)
        ),
        key="alloc_among",
        bind="query-params",
        help="The best N cells, or a point layer you imported",
    )
    pool = int(
        a4.number_input(
            "N candidate cells",
            5,
            300,
            50,
            key="alloc_pool",
            bind="query-params",
            disabled=among != "best cells",
            help="The best cells spread over the region (a minimum spacing between them), not the N best "
            "of one hotspot",
        )
    )
    b1, b2 = st.columns(2)
    time_limit_s = b1.number_input(
        "Time limit (s)",
        1,
        600,
        int(ALLOCATION_TIME_LIMIT_S),
        key="alloc_time_limit",
        bind="query-params",
        help="The best solution found by then is shown with its proven gap to the optimum",
    )
    approximate = approximate_toggle(b2, key="alloc_approximate", what="Existing sites")
    restore = st.query_params.get("allocated") == "1" and "allocation" not in st.session_state
    if st.button("Choose sites", key="alloc_run") or restore:
        st.query_params["allocated"] = "1"
        frames = ctx.frames
        demand = frames["demand"].set_axis(frames["demand"]["id"].to_numpy())
        if among == "best cells":
            candidates = spread_candidates(scored, pool)
            candidates = candidates.set_axis(candidates["cell"].to_numpy())
        else:
            candidates = frames[among.removeprefix(USER_LAYER)]
        existing = workflows.existing_recyclers(frames["facilities"], country=region_code)
        existing = layers.analysis_targets(
            existing if keep else existing.iloc[:0], include_placeholders=approximate
        )
        how = "road distances between" if distances == "road network" else "distances between"
        try:
            with st.spinner(
                f"Choosing {labels.plural(k, 'site')}: {how} {labels.plural(len(demand), 'city', 'cities')} "
                f"and {labels.plural(len(candidates), 'candidate')}, then solving (at most {time_limit_s} s; "
                "press Stop to keep the best so far)…",
                show_time=True,
            ):
                allocation = workflows.allocate_sites(
                    candidates,
                    demand,
                    k=k,
                    model=model,
                    cost="road" if distances == "road network" else "geodesic",
                    service_km=service_km,
                    fixed=existing.set_axis(existing["id"].to_numpy()),
                    time_limit_s=float(time_limit_s),
                    should_stop=stop_requested(),
                )
        except InputError as exc:
            st.error(f"Location-allocation failed: {exc}")
        else:
            if allocation.left_out:
                st.warning(f"Left out, no road route to any candidate: {', '.join(allocation.left_out)}")
            st.session_state["allocation"] = allocation
    return st.session_state.get("allocation")
