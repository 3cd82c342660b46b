"""Routes tab: a route between any two features (or a clicked point) by several modes, side by side."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app import exports
from app.cache import endpoint_choices, routed
from app.context import PageContext
from app.drawing import point_choices
from app.report import route_comparison_report
from app.widgets import download
from geo import InputError
from geo.network import MODES, OBJECTIVES, route_totals
from geo.settings import MODE_CO2E_SOURCE, MODE_SPEED_SOURCES
from layers.map import build_map
from layers.results import point_group, route_group


def render(ctx: PageContext) -> None:
    """Route between any two features (or a clicked point) by several modes, compared side by side."""
    choices = {**point_choices(), **dict(endpoint_choices())}  # points drawn on the Map tab first
    last = (st.session_state.get("route_map") or {}).get("last_clicked")
    if last:
        choices = {
            f"Clicked point ({last['lat']:.4f}, {last['lng']:.4f})": (last["lng"], last["lat"]),
            **choices,
        }
    labels = list(choices)
    c1, c2, c3, c4 = st.columns([3, 3, 3, 1])
    origin = c1.selectbox(
        "Origin",
        labels,
        index=next((i for i, n in enumerate(labels) if n.startswith("Salal-Haimana")), 0),
        key="route_origin",
        bind="query-params",
    )
    destination = c2.selectbox(
        "Destination",
        labels,
        index=next((i for i, n in enumerate(labels) if n.startswith("Lohum lithium refinery")), 0),
        key="route_destination",
        bind="query-params",
    )
    modes = c3.multiselect(
        "Modes", list(MODES), default=["road", "rail", "multimodal"], key="route_modes", bind="query-params"
    )
    tonnes = c4.number_input("Tonnes", 0.1, 1e6, 20.0, key="route_tonnes", bind="query-params")
    objective = st.radio(
        "Multimodal route minimises",
        list(OBJECTIVES),
        horizontal=True,
        key="route_objective",
        bind="query-params",
    )
    results, errors = {}, []
    for mode in modes:
        try:
            results[mode] = routed(
                choices[origin], choices[destination], mode, float(tonnes), objective, (origin, destination)
            )
        except InputError as exc:
            errors.append(f"{mode}: {exc}")
    for message in errors:
        st.warning(message)
    st.session_state["routes_result"] = {
        f"{origin} → {destination} ({m})": legs for m, legs in results.items()
    }
    overlays = [route_group(legs, name=mode) for mode, legs in results.items()]
    overlays += [
        point_group(*choices[origin], label=origin, name="Origin"),
        point_group(*choices[destination], label=destination, name="Destination"),
    ]
    st.caption("Click the map to route from or to that point (it appears first in the lists).")
    st_folium(
        build_map({}, basemap=ctx.basemap, overlays=overlays),
        height=520,
        use_container_width=True,
        returned_objects=["last_clicked"],
        key="route_map",
    )
    if not results:
        st.info("Pick at least one mode that connects the two places.")
        return
    totals = pd.DataFrame({m: route_totals(legs) for m, legs in results.items()}).T.rename_axis("mode")
    totals["access_km"] = [legs["access_km"].sum() for legs in results.values()]
    st.subheader("Modes side by side")
    st.dataframe(totals.round(2), width="stretch", key="route_totals")
    b1, b2, b3 = st.columns(3)
    for column, metric, title in ((b1, "length_km", "km"), (b2, "hours", "hours"), (b3, "co2e_t", "t CO2e")):
        column.caption(title)
        column.bar_chart(totals[metric], height=200, horizontal=True)
    legs = pd.concat([legs.assign(route_mode=m) for m, legs in results.items()], ignore_index=True)
    legs = gpd.GeoDataFrame(legs, geometry="geometry", crs="EPSG:4326")
    st.subheader("Legs")
    st.dataframe(
        pd.DataFrame(legs.drop(columns="geometry")).round(2),
        hide_index=True,
        width="stretch",
        key="route_legs",
    )
    st.caption(
        f"Hours from average speeds: {'; '.join(MODE_SPEED_SOURCES.values())}. CO2e: {MODE_CO2E_SOURCE}."
    )
    d1, d2 = st.columns(2)
    download(
        d1,
        "Routes (GeoJSON)",
        legs,
        ("routes", origin, destination, objective, str(tonnes), *modes),
        "geojson",
        "routes",
        "download_route_legs",
    )
    exports.report_button(
        d2,
        lambda: route_comparison_report(
            results,
            origin=origin,
            destination=destination,
            parameters={"tonnes": f"{tonnes:g}", "multimodal objective": objective},
        ),
        key="route_report",
        file_name=f"routes-{exports.file_stem(origin)[:30]}-{exports.file_stem(destination)[:30]}.pdf",
    )
