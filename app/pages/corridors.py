"""Corridors tab: what lies within X km of a route (and its overlap with a second), ordered along the way."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

import layers
from app import exports
from app.cache import corridor_result, load_layers
from app.context import PageContext
from app.drawing import DRAWN_ROUTES
from app.mapview import fit_target, show_map
from app.report import corridor_report
from app.widgets import download
from app.workflows import CORRIDOR_LAYERS
from geo import CRSError, InputError
from geo.corridor import corridor_polygon
from geo.network import join_legs
from geo.settings import NETWORK_ATTRIBUTION
from layers import labels
from layers.map import bounds_of, map_parts
from layers.results import corridor_group, route_group


def _describe(legs: gpd.GeoDataFrame) -> str:
    """A route in words: its name and purpose (routes of the Routes tab have only their ends)."""
    if "purpose" in legs and "name" in legs:
        return f"{legs['name'].iloc[0]}. {legs['purpose'].iloc[0]}"
    return f"{legs['from_name'].iloc[0]} → {legs['to_name'].iloc[-1]} ({labels.plural(len(legs), 'leg')})"


def render(ctx: PageContext) -> None:
    """What lies within X km of one route (and its overlap with a second), ordered along the way."""
    routes = {
        f"{legs['name'].iloc[0]} — {legs['purpose'].iloc[0][:60]}": legs
        for _, legs in ctx.frames["routes"].groupby("route_id", sort=False)
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
        corridor_group(polygon, label=f"Corridor ±{width_km} km of route 1", name=f"Corridor ±{width_km} km"),
        route_group(routes[first], name="Route 1"),
    ]
    if other is not None:
        overlays.insert(
            1,
            corridor_group(
                corridor_polygon(other, width_km=width_km),
                label=f"Corridor ±{width_km} km of route 2",
                name=f"Second corridor ±{width_km} km",
                second=True,
            ),
        )
        overlays.append(route_group(routes[second], name="Route 2"))
    shown = {
        n: layers.by_id(inside[inside["layer"] == n].drop(columns=["layer"]))
        for n in CORRIDOR_LAYERS
        if (inside["layer"] == n).any()
    }
    st.caption(
        "  \n".join(
            f"**Route {i}:** {_describe(routes[name])}"
            for i, name in enumerate([first] + ([second] if other is not None else []), start=1)
        )
    )
    area = gpd.GeoDataFrame(geometry=[polygon], crs="EPSG:4326")
    show_map(
        map_parts(
            shown,
            basemap=ctx.basemap,
            overlays=overlays,
            attributions=list(NETWORK_ATTRIBUTION.values()),
            fit=fit_target(
                bounds_of(area),
                what=f"corridor|{first}|{second}|{width_km}",
                label="Fit the map to the corridor",
            ),
        ),
        key="corridor_map",
    )
    table = pd.DataFrame(inside.drop(columns="geometry"))[
        ["chainage_km", "distance_to_route_km", "side", "layer", "id", "name", "kind"]
    ]
    st.subheader("Along the route")
    chart = table.assign(layer=table["layer"].map(lambda v: labels.value("layer", v)))
    st.scatter_chart(
        chart,
        x="chainage_km",
        y="distance_to_route_km",
        color="layer",
        x_label=labels.column("chainage_km"),
        y_label=labels.column("distance_to_route_km"),
        height=240,
    )
    st.dataframe(labels.table(table.round(1)), hide_index=True, width="stretch", key="corridor_table")
    st.dataframe(labels.table(summary["counts"]), hide_index=True, key="corridor_counts")
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
        f"Features inside ({labels.plural(len(inside), 'feature')}, GeoJSON)",
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
