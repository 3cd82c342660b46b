"""Corridors tab: what lies within X km of a route (and its overlap with a second), ordered along the way."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import layers
from app import exports
from app.cache import corridor_result, load_layers
from app.context import PageContext
from app.drawing import DRAWN_ROUTES
from app.report import corridor_report
from app.widgets import download
from app.workflows import CORRIDOR_LAYERS
from geo import CRSError, InputError
from geo.corridor import corridor_polygon
from geo.network import join_legs
from layers.map import build_map
from layers.results import corridor_group, route_group


def render(ctx: PageContext) -> None:
    """What lies within X km of one route (and its overlap with a second), ordered along the way."""
    routes = {
        f"{rid}: {legs['purpose'].iloc[0][:70]}": legs
        for rid, legs in ctx.frames["routes"].groupby("route_id", sort=False)
    }
    routes.update(st.session_state.get("routes_result", {}))
    routes.update(st.session_state.get(DRAWN_ROUTES, {}))  # lines drawn on the Map tab
    names = list(routes)
    c1, c2, c3 = st.columns([3, 3, 2])
    first = c1.selectbox("Route", names, key="corridor_route", bind="query-params")
    second = c2.selectbox(
        "Second route (overlap)", ["(none)", *names], key="corridor_route_2", bind="query-params"
    )
    width_km = c3.slider("Half-width (km)", 5, 200, 50, 5, key="corridor_width", bind="query-params")
    try:
        line = join_legs(routes[first])
        other = join_legs(routes[second]) if second != "(none)" else None
        result = corridor_result(
            line,
            (first, second, tuple(routes[first]["id"] if "id" in routes[first] else [])),
            float(width_km),
            other,
        )
    except (InputError, CRSError) as exc:
        st.error(f"Cannot build the corridor: {exc}")
        return
    polygon, inside, summary = result.polygon, result.inside, result.summary
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Route length", f"{summary['route_km']:,.0f} km")
    m2.metric("Corridor area", f"{summary['area_km2']:,.0f} km²")
    m3.metric("Features inside", f"{len(inside):,}")
    m4.metric("Feedstock population", f"{summary['population']:,.0f}")
    if other is not None:
        st.caption(
            f"Overlap with the second route: {summary['shared_km']:,.0f} km of shared route, "
            f"{summary['overlap_km2']:,.0f} km² of shared corridor."
        )
    overlays = [
        corridor_group(polygon, label=f"{first} ± {width_km} km"),
        route_group(routes[first], name="Route"),
    ]
    if other is not None:
        overlays.insert(
            1, corridor_group(corridor_polygon(other, width_km=width_km), label=f"{second} ± {width_km} km")
        )
    shown = {
        n: layers.by_id(inside[inside["layer"] == n].drop(columns=["layer"]))
        for n in CORRIDOR_LAYERS
        if (inside["layer"] == n).any()
    }
    st_folium(
        build_map(shown, basemap=ctx.basemap, overlays=overlays),
        height=520,
        use_container_width=True,
        returned_objects=[],
        key="corridor_map",
    )
    table = pd.DataFrame(inside.drop(columns="geometry"))[
        ["chainage_km", "distance_to_route_km", "side", "layer", "id", "name", "kind"]
    ]
    st.subheader("Along the route")
    st.scatter_chart(table, x="chainage_km", y="distance_to_route_km", color="layer", height=240)
    st.dataframe(table.round(1), hide_index=True, width="stretch", key="corridor_table")
    st.dataframe(summary["counts"], hide_index=True, key="corridor_counts")
    polygon_frame = gpd.GeoDataFrame(
        {"route": [first], "width_km": [width_km], "area_km2": [summary["area_km2"]]},
        geometry=[polygon],
        crs="EPSG:4326",
    )
    d1, d2 = st.columns(2)
    key = (first, second, str(width_km))
    download(
        d1,
        "Corridor polygon (GeoJSON)",
        polygon_frame,
        ("corridor", *key),
        "geojson",
        "corridor",
        "download_corridor",
    )
    download(
        d2,
        f"Features inside ({len(inside)}, GeoJSON)",
        inside,
        ("corridor-features", *key),
        "geojson",
        "corridor-features",
        "download_corridor_features",
    )
    frames = load_layers()
    exports.report_button(
        st,
        lambda: corridor_report(
            line,
            polygon,
            inside,
            summary,
            width_km=float(width_km),
            route_name=first,
            context={**{n: frames[n] for n in CORRIDOR_LAYERS}, "routes": routes[first]},
            parameters={"second route (overlap)": second},
            title=f"Corridor ±{width_km} km: {first}"[:150],
        ),
        key="corridor_report",
        file_name=f"corridor-{exports.file_stem(first)[:50]}-{width_km}km.pdf",
    )
