"""Drawn shapes: kept in the session, measured on the WGS84 ellipsoid, and put to use.

The map's drawing toolbar (:mod:`layers.draw`) returns every shape drawn (streamlit-folium's
``all_drawings``). :func:`remember` keeps them in the session, so that they survive a map that is
rebuilt (another filter, another tab) and come back on it, editable (:func:`map_drawings`).

:func:`panel` lists them with their geodesic length and area (:mod:`geo.measure`) and uses them:
the last polygon as the site-selection region or to select features, the last line as a corridor
route, the points as candidate sites, service-area origins or route ends; all can be saved to the
workspace and downloaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from app.cache import USER_LAYER, workspace
from app.context import PageContext
from app.widgets import download, md, save
from geo import InputError, LayerError
from geo.io import split_by_geometry_type
from geo.measure import measure, measure_frame

#: Session key of the drawings: ``store`` (the latest), ``restored`` (what the map was built with), ``sig``.
DRAWINGS = "drawings"
#: Session key of a message left by a button's callback.
MESSAGE = "drawing_message"
#: Session key of the drawn lines offered as routes on the Corridors tab: label -> legs.
DRAWN_ROUTES = "drawn_routes"
#: Workspace layer of a drawn site-selection region, and of candidate sites.
REGION_LAYER = "drawn region"
CANDIDATES_LAYER = "candidate_sites"
#: What the map's own measures are (a sphere), said next to the ellipsoidal ones.
SPHERE_NOTE = (
    "measured on the WGS84 ellipsoid (the map's ruler and drawing tooltips use a sphere and may differ "
    "by a few tenths of a percent)"
)


def _state() -> dict[str, Any]:
    return st.session_state.setdefault(DRAWINGS, {"store": [], "restored": [], "sig": None})


def map_drawings(sig: object) -> list[dict[str, Any]]:
    """The drawings to build the map with.

    Those kept when ``sig`` (what else the map shows: layers, basemap, focus) last changed, so that
    a new drawing does not rebuild the map (it is on it already); a rebuilt map gets them all.
    """
    state = _state()
    if state["sig"] != sig:
        state["sig"], state["restored"] = sig, list(state["store"])
    return list(state["restored"])


def remember(value: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Keep the drawings the map returned (``all_drawings``); the drawings kept.

    A map that has had no drawing event since it came on the page returns none: it shows what it
    was built with. When that is not what is kept (the map was built anew, e.g. on coming back to
    its tab) the page runs once more so that the map gets them.
    """
    state = _state()
    drawings = (value or {}).get("all_drawings")
    if drawings is not None:
        state["store"] = [f for f in drawings if isinstance(f, Mapping) and f.get("geometry")]
    elif state["restored"] != state["store"]:
        state["restored"] = list(state["store"])
        st.rerun()
    return list(state["store"])


_SHAPE_NAMES = {"point": "point", "line": "line", "polygon": "polygon"}


def drawn_frame(features: Sequence[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """The drawn shapes (EPSG:4326), named in drawing order ("polygon 1", "point 2"), with their measures.

    Columns ``name``, ``shape``, ``length_km``, ``perimeter_km``, ``area_km2``, ``lon``, ``lat`` (a
    point on the shape). Shapes that are not valid GeoJSON are left out.
    """
    geoms = []
    for feature in features:
        try:
            geom = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
            continue
        if not geom.is_empty:
            geoms.append(geom if geom.is_valid else shapely.make_valid(geom))
    frame = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4326")
    if frame.empty:
        return frame.assign(name=[], shape=[], length_km=[], perimeter_km=[], area_km2=[], lon=[], lat=[])
    frame = measure_frame(frame, argument="drawn shapes")
    counts: dict[str, int] = {}
    names = []
    for shape in frame["shape"]:
        counts[shape] = counts.get(shape, 0) + 1
        names.append(f"{_SHAPE_NAMES.get(shape, shape)} {counts[shape]}")
    anchor = shapely.point_on_surface(frame.geometry.values)
    frame.insert(0, "name", names)
    frame["lon"], frame["lat"] = shapely.get_x(anchor), shapely.get_y(anchor)
    return frame


def kept() -> gpd.GeoDataFrame:
    """The shapes kept in this session (see :func:`drawn_frame`)."""
    return drawn_frame(_state()["store"])


def point_choices() -> dict[str, tuple[float, float]]:
    """The drawn points as route ends: label -> (lon, lat)."""
    points = kept()
    points = points[points["shape"] == "point"] if len(points) else points
    return {
        f"Drawn {n} ({lat:.4f}, {lon:.4f})": (float(lon), float(lat))
        for n, lon, lat in zip(points["name"], points["lon"], points["lat"], strict=True)
    }


def last_measure_text(value: Mapping[str, Any] | None, drawn: gpd.GeoDataFrame) -> str | None:
    """The measures of the last shape drawn or edited, as a sentence; None without shapes."""
    last = (value or {}).get("last_active_drawing")
    geom = None
    if isinstance(last, Mapping) and last.get("geometry"):
        try:
            geom = shapely.geometry.shape(last["geometry"])
        except (TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
            geom = None
    if geom is None and len(drawn):
        geom = drawn.geometry.iloc[-1]
    if geom is None or geom.is_empty:
        return None
    try:
        measures = measure(geom, argument="the last drawing")
    except InputError as exc:
        return str(exc)
    if measures.shape == "point":
        return f"Last drawing: a point at {geom.y:.5f}, {geom.x:.5f} (lat, lon)."
    return f"Last drawing: {measures.text()}, {SPHERE_NOTE}."


# ----------------------------------------------------------------------------- actions (callbacks)
def _fail(text: str) -> None:
    st.session_state[MESSAGE] = text


def _free_name(user: str, name: str) -> str:
    """``name`` when it is free or this user's own layer (it is replaced), else the first free variant."""
    ws = workspace(user)
    index = ws.index()
    own = bool(((index["name"] == name) & (index["owner"] == user)).any())
    return name if own else ws.unique_name(name)


def _use_as_region(user: str, polygon: shapely.Geometry) -> None:
    try:
        name = _free_name(user, REGION_LAYER)
        frame = gpd.GeoDataFrame({"name": ["drawn region"]}, geometry=[polygon], crs="EPSG:4326")
        workspace(user).save(name, frame, kind="import", source="drawn on the map")
    except (LayerError, OSError) as exc:
        _fail(f"Could not save the drawn region to the workspace ({exc}); the workspace is unchanged")
        return
    st.session_state["site_region"] = USER_LAYER + name
    st.session_state["tab"] = "Site selection"
    st.session_state.pop("site_params", None)  # the region changed: score again when asked


def route_legs(line: shapely.LineString, name: str) -> gpd.GeoDataFrame:
    """A drawn line as one leg of a route (the columns the Corridors tab reads; hours and CO2e unknown)."""
    km = measure(line, argument="the drawn line").length_km
    return gpd.GeoDataFrame(
        {
            "id": [f"drawn-{hashlib.sha256(line.wkb).hexdigest()[:10]}"],
            "leg": [1],
            "mode": ["drawn line"],
            "from_name": [f"start of {name}"],
            "to_name": [f"end of {name}"],
            "length_km": [km],
            "hours": [float("nan")],
            "co2e_t": [float("nan")],
        },
        geometry=[line],
        crs="EPSG:4326",
    )


def _use_as_route(line: shapely.LineString, name: str) -> None:
    legs = route_legs(line, name)
    label = f"Drawn {name} ({legs['length_km'].iloc[0]:,.0f} km, {legs['id'].iloc[0]})"
    st.session_state.setdefault(DRAWN_ROUTES, {})[label] = legs
    st.session_state["corridor_route"] = label
    st.session_state["tab"] = "Corridors"


def _add_candidates(user: str, points: gpd.GeoDataFrame) -> None:
    frame = gpd.GeoDataFrame(
        {
            "name": [
                f"drawn {n} ({lat:.4f}, {lon:.4f})"
                for n, lon, lat in points[["name", "lon", "lat"]].itertuples(index=False)
            ]
        },
        geometry=points.geometry.values,
        crs="EPSG:4326",
    )
    try:
        workspace(user).append(CANDIDATES_LAYER, frame, kind="candidates", source="drawn on the map")
    except (LayerError, OSError) as exc:
        _fail(f"Could not add the points to {CANDIDATES_LAYER!r} ({exc}); the workspace is unchanged")
        return
    points_text = f"{len(frame)} point{'s' if len(frame) != 1 else ''}"
    st.toast(f"Added {points_text} to the workspace layer {CANDIDATES_LAYER!r}")


def _use_as_origins() -> None:
    st.session_state["sa_source"] = "Drawn points"
    st.session_state["tab"] = "Service areas"


# ----------------------------------------------------------------------------- the panel
def panel(ctx: PageContext, drawn: gpd.GeoDataFrame, value: Mapping[str, Any] | None = None) -> None:
    """The drawn shapes: measures, and what to do with them (below the map)."""
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.error(md(message))
    if drawn.empty:
        st.caption(
            "Draw on the map (toolbar at the left: line, polygon, rectangle, point; the ruler measures "
            "without drawing) to measure shapes and use them in an analysis."
        )
        return
    st.subheader("Drawn shapes")
    text = last_measure_text(value, drawn)
    if text:
        st.caption(md(text))
    table = pd.DataFrame(drawn.drop(columns="geometry"))
    st.dataframe(
        table.round({"length_km": 2, "perimeter_km": 2, "area_km2": 2, "lon": 5, "lat": 5}),
        hide_index=True,
        width="stretch",
        key="drawn_table",
    )
    polygons = drawn[drawn["shape"] == "polygon"]
    lines = drawn[drawn["shape"] == "line"]
    points = drawn[drawn["shape"] == "point"]
    c1, c2, c3 = st.columns(3)
    if len(polygons):
        last = polygons.iloc[-1]
        c1.button(
            f"Use {last['name']} as the site-selection region",
            key="draw_region",
            on_click=_use_as_region,
            args=(ctx.user, last.geometry),
            help=f"Saved to your workspace as {REGION_LAYER!r}, then scored on the Site selection tab",
        )
    if len(lines):
        last = lines.iloc[-1]
        c2.button(
            f"Use {last['name']} as a corridor route",
            key="draw_route",
            on_click=_use_as_route,
            args=(last.geometry, str(last["name"])),
            help="Opens the Corridors tab with this line as the route",
        )
    if len(points):
        c3.button(
            f"Add the {len(points)} point{'s' if len(points) != 1 else ''} to the candidate sites",
            key="draw_candidates",
            on_click=_add_candidates,
            args=(ctx.user, points),
            help=f"Appended to your workspace layer {CANDIDATES_LAYER!r} (Site selection: candidate sites)",
        )
        c3.button(
            "Use the points as service-area origins",
            key="draw_origins",
            on_click=_use_as_origins,
            help="Opens the Service areas tab; the Routes tab also lists them as origins and destinations",
        )
    if len(polygons):
        _select_inside(ctx, polygons.iloc[-1])
    _save_and_download(ctx, drawn)


def _select_inside(ctx: PageContext, polygon: pd.Series) -> None:
    """Select the features of chosen layers inside (or touching) the last drawn polygon."""
    from app.tools import select_by_location

    names = [n for n in ctx.frames if n != "countries" and len(ctx.frames[n])]
    s1, s2 = st.columns([3, 1])
    chosen = s1.multiselect(
        f"Select the features inside {polygon['name']} from",
        names,
        format_func=ctx.title,
        key="draw_select_layers",
    )
    how = s2.radio("Predicate", ["inside", "intersects"], key="draw_select_how", horizontal=True)
    if not chosen:
        return
    parts = []
    for name in chosen:
        try:
            part = select_by_location(
                ctx.frames[name], polygon.geometry, how=how, b_name=f"the drawn {polygon['name']}"
            )
        except (InputError, LayerError) as exc:
            st.error(f"{md(ctx.title(name))}: {md(exc)}")
            continue
        parts.append(part.assign(layer=name))
    if not parts:
        return
    selected = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    st.caption(
        f"{len(selected):,} feature{'s' if len(selected) != 1 else ''} {how} {md(polygon['name'])}: "
        + ", ".join(f"{md(ctx.title(n))} {int((selected['layer'] == n).sum())}" for n in chosen)
    )
    columns = [c for c in ("layer", "id", "name", "kind", "country", "population") if c in selected.columns]
    st.dataframe(pd.DataFrame(selected[columns]), hide_index=True, width="stretch", key="draw_selected")
    d1, d2, d3 = st.columns([2, 1, 1])
    name = d1.text_input(
        "Save the selection as", f"selected {how} drawn {polygon['name']}", key="draw_sel_name"
    )
    if d2.button("Save to the workspace", key="draw_sel_save"):
        save(
            lambda: workspace(ctx.user).save(
                name, selected, kind="analysis", source=str(selected["selected_by"].iloc[0])
            ),
            name,
        )
    download(
        d3,
        "Selection (GeoJSON)",
        selected,
        ("drawn-selection", how, *chosen, polygon.geometry.wkb_hex[:64], str(len(selected))),
        "geojson",
        "selection",
        "draw_sel_download",
    )


def _save_and_download(ctx: PageContext, drawn: gpd.GeoDataFrame) -> None:
    """Save every drawn shape to the workspace (a layer per kind of geometry) or download them."""
    e1, e2, e3 = st.columns([2, 1, 1])
    name = e1.text_input("Save the drawn shapes as", "drawn shapes", key="draw_save_name")
    if e2.button("Save to the workspace", key="draw_save"):
        frame = drawn.drop(columns=["lon", "lat"])
        kinds = set(frame.geometry.geom_type.str.replace("Multi", ""))
        parts = split_by_geometry_type(frame) if len(kinds) > 1 else {"": frame}

        def write() -> None:
            for kind, part in parts.items():
                workspace(ctx.user).save(
                    f"{name} ({kind})" if kind else name, part, kind="import", source="drawn on the map"
                )

        save(write, name if len(parts) == 1 else f"{name} ({', '.join(parts)})")
    download(
        e3,
        f"Drawn shapes ({len(drawn)}, GeoJSON)",
        drawn,
        ("drawn", *(g.wkb_hex[:64] for g in drawn.geometry.values)),
        "geojson",
        "drawn-shapes",
        "draw_download",
    )
