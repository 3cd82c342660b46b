"""Routes tab: a route between any two features (or a clicked point) by several modes, side by side."""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app import exports
from app.cache import endpoint_choices, routed
from app.context import PageContext
from app.drawing import point_choices
from app.mapview import fit_target, show_map
from app.report import route_comparison_report
from app.widgets import download, shown_as
from geo import InputError
from geo.network import MODES, OBJECTIVES, route_totals
from geo.settings import MODE_CO2E_SOURCE, MODE_SPEED_SOURCES, NETWORK_ATTRIBUTION
from layers import labels
from layers.map import bounds_of, map_parts
from layers.results import endpoints_group, route_group

#: A clicked point as the lists show it, and in the link (``route_origin=Clicked point (lat, lon)``).
CLICKED = re.compile(r"^Clicked point \((-?\d{1,2}(?:\.\d+)?), (-?\d{1,3}(?:\.\d+)?)\)$")


def clicked_label(lat: float, lon: float) -> str:
    """The list entry of a clicked point."""
    return f"Clicked point ({lat:.4f}, {lon:.4f})"


def clicked_points() -> dict[str, tuple[float, float]]:
    """Clicked points the lists offer, label -> (lon, lat).

    The map's last click, and those the origin and destination hold now or in the link, so a
    shared link keeps its clicked origin and a new click does not replace the chosen one.
    """
    texts = []
    last = (st.session_state.get("route_map") or {}).get("last_clicked")
    if last:
        texts.append(clicked_label(last["lat"], last["lng"]))
    for key in ("route_origin", "route_destination"):
        texts.append(str(st.session_state.get(key, "")))
        texts.extend(st.query_params.get_all(key))
    points = {}
    for text in texts:
        match = CLICKED.match(text)
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                points[text] = (lon, lat)
    return points


def _end_choice(column: Any, label: str, options: list[str], default: str, *, key: str) -> str:
    """A route end's list, at first on the first option starting with ``default`` (else the first)."""
    index = next((i for i, n in enumerate(options) if n.startswith(default)), 0)
    choice: str = column.selectbox(label, options, index=index, key=key, bind="query-params")
    return choice


def render(ctx: PageContext) -> None:
    """Route between any two features (or a clicked point) by several modes, compared side by side."""
    choices = {**point_choices(), **clicked_points(), **endpoint_choices()}  # drawn points first
    labels_list = list(choices)
    c1, c2, c3, c4 = st.columns([3, 3, 3, 1])
    origin = _end_choice(c1, "Origin (A)", labels_list, "Salal-Haimana", key="route_origin")
    destination = _end_choice(
        c2, "Destination (B)", labels_list, "Lohum lithium refinery", key="route_destination"
    )
    modes = c3.multiselect(
        "Modes",
        list(MODES),
        default=["road", "rail", "multimodal"],
        format_func=shown_as("route_modes", lambda m: labels.MODES[m]),
        key="route_modes",
        bind="query-params",
    )
    tonnes = c4.number_input("Tonnes", 0.1, 1e6, 20.0, key="route_tonnes", bind="query-params")
    objective = st.radio(
        "Multimodal route minimises",
        list(OBJECTIVES),
        format_func=shown_as("route_objective", lambda o: labels.OBJECTIVES[o]),
        horizontal=True,
        key="route_objective",
        bind="query-params",
    )
    results, errors = {}, []
    for mode in modes:
        try:
            with st.spinner(f"Routing by {labels.MODES[mode].lower()}…", show_time=True):
                results[mode] = routed(
                    choices[origin],
                    choices[destination],
                    mode,
                    float(tonnes),
                    objective,
                    (origin, destination),
                )
        except InputError as exc:
            errors.append(f"{labels.MODES[mode]}: {exc}")
    for message in errors:
        st.warning(message)
    st.session_state["routes_result"] = {
        f"{origin} → {destination} ({m})": legs for m, legs in results.items()
    }
    overlays = [
        route_group(legs, name=f"{labels.MODES[mode]} route", route_mode=mode)
        for mode, legs in results.items()
    ]
    overlays.append(
        endpoints_group(
            choices[origin], choices[destination], origin_label=origin, destination_label=destination
        )
    )
    ends = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            [choices[origin][0], choices[destination][0]], [choices[origin][1], choices[destination][1]]
        ),
        crs="EPSG:4326",
    )
    fit = fit_target(
        bounds_of(ends, *results.values()),
        what=f"route|{origin}|{destination}|{sorted(results)}|{objective}",
        label="Fit the map to the routes",
    )
    st.caption(
        "Click the map to route from or to that point: it is added at the top of the lists "
        "(and kept in the link)."
    )
    show_map(
        map_parts(
            {},
            basemap=ctx.basemap,
            overlays=overlays,
            fit=fit,
            attributions=[  # the networks the legs ran on
                text
                for m, text in NETWORK_ATTRIBUTION.items()
                if any((legs["mode"] == m).any() for legs in results.values())
            ],
        ),
        key="route_map",
        returned_objects=["last_clicked"],
    )
    if not results:
        st.info("Pick at least one mode that connects the two places.")
        return
    totals = pd.DataFrame({m: route_totals(legs) for m, legs in results.items()}).T
    totals["access_km"] = [legs["access_km"].sum() for legs in results.values()]
    totals.index = [labels.MODES[m] for m in totals.index]
    st.subheader("Modes side by side")
    shown = labels.table(totals.round(2)).rename_axis(labels.column("mode"))
    st.dataframe(shown, width="stretch", key="route_totals")
    b1, b2, b3 = st.columns(3)
    for column, metric in ((b1, "length_km"), (b2, "hours"), (b3, "co2e_t")):
        column.caption(labels.column(metric))
        column.bar_chart(totals[metric], height=200, horizontal=True, x_label=labels.column(metric))
    legs = pd.concat([legs.assign(route_mode=m) for m, legs in results.items()], ignore_index=True)
    legs = gpd.GeoDataFrame(legs, geometry="geometry", crs="EPSG:4326")
    n_legs = len(legs)
    st.subheader(f"Legs ({labels.plural(n_legs, 'leg')})")
    st.dataframe(
        labels.table(pd.DataFrame(legs.drop(columns="geometry")).round(2)),
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
