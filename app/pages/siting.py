"""Site selection tab: a suitability grid with weights and sensitivity, then p-median or maximal coverage."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import layers
from app import workflows
from app.cache import (
    GRID_MAX_CELLS,
    USER_LAYER,
    criterion_values,
    export_bytes,
    grid_cells,
    scored_grid,
    workspace_key,
)
from app.context import PageContext
from app.widgets import download, histogram, stop_requested
from geo import InputError
from geo.settings import ALLOCATION_TIME_LIMIT_S, DEFAULT_WEIGHTS, EXPORT_FORMATS, MIME_TYPES
from geo.siting import RAW_COLUMNS, hexagons, sensitivity, spread_candidates
from layers.map import build_map
from layers.results import SCORE_RAMP, allocation_group, scored_cells_group


def user_layers(ctx: PageContext, kinds: tuple[str, ...]) -> list[str]:
    """Options for the workspace layers holding some geometry of ``kinds``."""
    return [
        USER_LAYER + n
        for n, g in ctx.frames.items()
        if ctx.is_user_layer(n) and g.geom_type.isin(kinds).any()
    ]


def render(ctx: PageContext) -> None:
    """Suitability grid with weights and sensitivity, then p-median or coverage among the best cells."""
    params, top_n = _grid_controls(ctx)
    if params is None:
        return
    scored = _score(ctx, params)
    if scored is None:
        return
    top = hexagons(scored.head(top_n))
    norm = scored[[f"n_{c}" for c in RAW_COLUMNS]].rename(columns=lambda c: c[2:])
    stability = sensitivity(norm, dict(st.session_state["site_params"][2]), top_n=10, draws=300, seed=0)
    allocation = _allocation(ctx, scored)
    overlays = [scored_cells_group(top, name=f"Best {len(top)} cells")]
    if allocation is not None:
        overlays.append(allocation_group(allocation.sites, allocation.lines))
    legend = " ".join(f"<span style='background:{c};padding:0 10px'>&nbsp;</span>" for c in SCORE_RAMP)
    st.markdown(f"Score: low {legend} high", unsafe_allow_html=True)
    st_folium(
        build_map({}, basemap=ctx.basemap, overlays=overlays),
        height=560,
        use_container_width=True,
        returned_objects=[],
        key="site_map",
    )
    _results(scored, top, stability, allocation)
    _downloads(scored, top, top_n, allocation)
    _report(ctx, scored, stability, allocation)  # GIS tools: the PDF report (app.exports)


def _report(
    ctx: PageContext,
    scored: gpd.GeoDataFrame,
    stability: pd.DataFrame,
    allocation: workflows.Allocation | None,
) -> None:
    """The "Report (PDF)" button of the scored grid (and the chosen sites), built when pressed."""
    from app import exports
    from app.report import site_selection_report

    region, resolution, weights, competition, exclude_km, radius_km = st.session_state["site_params"]
    inputs = workflows.site_inputs(ctx.frames)
    context = {
        "demand": inputs["demand"],
        "lithium_blocks": inputs["blocks"],
        "ports": inputs["ports"],
        "facilities": inputs["facilities"],
    }
    parameters = {
        "region": region.removeprefix(USER_LAYER),
        "H3 resolution": resolution,
        "feedstock radius km": radius_km,
        "existing recyclers/refiners": competition,
        "excluded within km of a facility": exclude_km or "none",
    }
    if allocation is not None:
        parameters["location-allocation"] = allocation.result.summary
    exports.report_button(
        st,
        lambda: site_selection_report(
            scored,
            weights=dict(weights),
            parameters=parameters,
            sensitivity=stability,
            sites=allocation.sites if allocation is not None else None,
            context=context,
            title=f"Site selection: {region.removeprefix(USER_LAYER)}, H3 resolution {resolution}",
        ),
        key="site_report",
        file_name=f"site-selection-{exports.file_stem(region)}-res{resolution}.pdf",
    )


def _grid_controls(ctx: PageContext) -> tuple[tuple | None, int]:
    """The grid's widgets; the parameters to score with (``None`` until the user asks) and N to show."""
    codes = sorted(c for c in ctx.frames["countries"]["country"].unique() if c)
    c1, c2, c3, c4 = st.columns(4)
    regions = codes + user_layers(ctx, ("Polygon", "MultiPolygon"))
    region = c1.selectbox(
        "Region",
        regions,
        index=regions.index("IN"),
        key="site_region",
        bind="query-params",
        help="A country, or a polygon layer you imported",
    )
    resolution = c2.selectbox(
        "H3 resolution",
        [5, 6, 7, 8],
        index=0,
        key="site_res",
        bind="query-params",
        help=f"Res 7 over India is 600,000 cells; at most {GRID_MAX_CELLS:,} "
        "(res 8 for a state or a district)",
    )
    competition = c3.radio(
        "Existing recyclers/refiners",
        ["avoid", "cluster"],
        key="site_competition",
        bind="query-params",
        horizontal=True,
    )
    exclude_km = c4.number_input(
        "Exclude within km of a facility (0 = none)",
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
                f"Weight: {criterion.replace('_', ' ')}",
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
    if st.button("Score the grid", key="site_run", type="primary"):
        st.session_state["site_params"] = params
        st.session_state.pop("allocation", None)
        st.query_params["scored"] = "1"
        if "allocated" in st.query_params:
            del st.query_params["allocated"]
    elif st.query_params.get("scored") == "1" and "site_params" not in st.session_state:
        st.session_state["site_params"] = params  # a shared link: score with its parameters
    if "site_params" not in st.session_state:
        st.info("Set the region, weights and constraints, then press **Score the grid**.")
        return None, top_n
    if st.session_state["site_params"] != params:
        st.caption("The settings changed: press **Score the grid** to update the results below.")
    return st.session_state["site_params"], top_n


def _score(ctx: PageContext, params: tuple) -> gpd.GeoDataFrame | None:
    """The scored grid, with a progress bar over the grid and each criterion (each cached on its own)."""
    region_code, resolution, weights, competition, exclude_km, radius_km = params
    version = workspace_key(ctx.user) if region_code.startswith(USER_LAYER) else ("", 0)
    bar = st.progress(0.0, text="Building the H3 grid…")
    try:
        grid_cells(region_code, resolution, version)
        for step, criterion in enumerate(RAW_COLUMNS):  # each cached: a re-run only re-ranks
            bar.progress(
                (step + 1) / (len(RAW_COLUMNS) + 1),
                text=f"Measuring {criterion.replace('_', ' ')} over the grid…",
            )
            criterion_values(region_code, resolution, version, criterion, radius_km)
        region, resolution, weights, competition, exclude_km, radius_km = params
        return scored_grid(region, resolution, weights, competition, exclude_km, radius_km, version=version)
    except InputError as exc:
        st.error(f"Cannot score the grid: {exc}")
        return None
    finally:
        bar.empty()


def _allocation(ctx: PageContext, scored: gpd.GeoDataFrame) -> workflows.Allocation | None:
    """The location-allocation widgets; the allocation when run now or earlier in this session."""
    region_code = st.session_state["site_params"][0]
    a0, a1, a2, a3, a4 = st.columns(5)
    distances = a0.radio(
        "Distances",
        ["road network", "geodesic"],
        key="alloc_cost",
        bind="query-params",
        help="Road: shortest paths on the OpenStreetMap road graph; geodesic: straight WGS84 distance",
    )
    model = a1.radio(
        "Location-allocation",
        ["p-median", "coverage"],
        key="alloc_model",
        bind="query-params",
        horizontal=True,
    )
    k = int(a2.number_input("New sites k", 1, 20, 3, key="alloc_k", bind="query-params"))
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
    approximate = b2.toggle(
        "Include approximate locations",
        key="alloc_approximate",
        bind="query-params",
        help="Existing sites placed only at region or country level (placeholders) are left out by default",
    )
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
        try:
            with st.spinner(
                f"Routing and solving (at most {time_limit_s} s; press Stop to keep the best so far)…"
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


def _results(
    scored: gpd.GeoDataFrame,
    top: gpd.GeoDataFrame,
    stability: pd.DataFrame,
    allocation: workflows.Allocation | None,
) -> None:
    """Tables and charts of the scored grid and of the chosen sites."""
    left, right = st.columns([3, 2])
    left.subheader(f"Best {len(top)} cells")
    left.dataframe(
        pd.DataFrame(top.drop(columns="geometry")).round(3),
        hide_index=True,
        width="stretch",
        key="site_table",
    )
    right.caption(f"Scores of all {len(scored):,} cells")
    right.bar_chart(histogram(scored["score"], "score"), x="score", y="features", height=200)
    right.subheader("Ranking stability (weights ±20 %, 300 draws)")
    right.bar_chart(
        stability.assign(cell=top["cell"].head(len(stability)).to_numpy()).set_index("cell")["share_in_top"],
        height=260,
    )
    right.caption("Share of draws in which each of today's top 10 cells stays in the top 10.")
    if allocation is None:
        return
    st.subheader("Chosen sites")
    st.caption(allocation.result.summary)
    for warning in allocation.result.warnings:
        st.warning(warning)
    st.dataframe(
        pd.DataFrame(allocation.sites.drop(columns="geometry")).round(3),
        hide_index=True,
        width="stretch",
        key="alloc_table",
    )


def _downloads(
    scored: gpd.GeoDataFrame, top: gpd.GeoDataFrame, top_n: int, allocation: workflows.Allocation | None
) -> None:
    """Download buttons: every scored cell (built when clicked), the best N and the chosen sites."""
    fmt = st.selectbox("Format", list(EXPORT_FORMATS), format_func=str.upper, key="site_download_format")
    d1, d2, d3 = st.columns(3)
    key = tuple(str(p) for p in st.session_state["site_params"])

    def all_cells() -> Any:
        return export_bytes(hexagons(scored), ("scored-cells", *key), fmt)

    d1.download_button(
        f"All {len(scored):,} scored cells",
        all_cells,
        file_name=f"scored-cells{EXPORT_FORMATS[fmt]}",
        mime=MIME_TYPES[fmt],
        key="download_cells",
    )
    download(
        d2, f"Best {len(top)} cells", top, ("best-cells", str(top_n), *key), fmt, "best-cells", "download_top"
    )
    if allocation is not None:
        download(
            d3,
            "Chosen sites",
            allocation.sites,
            ("chosen-sites", *allocation.sites.index.astype(str)),
            fmt,
            "chosen-sites",
            "download_sites",
        )
