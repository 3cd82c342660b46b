"""Find a place and show it: the search box of the Map tab, the map's focus, rows picked in result tables.

The focus is one small value in ``st.session_state[FOCUS]``: where the map looks and what it
highlights (a dict: ``lon``, ``lat``, ``zoom``, ``bounds`` [[south, west], [north, east]], ``label``,
``layer``, ``id``, ``geometry`` and a ``token`` naming it). The page passes
:func:`focus_view` to ``build_map(location=..., zoom_start=...)`` and :func:`focus_overlays` to its
overlays; a map that keeps its own view can fit ``bounds`` once per ``token`` instead.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from app.cache import place_search, workspace_key
from app.context import PageContext
from app.widgets import md
from geo import InputError, LayerError
from layers.highlight import highlight_group

#: Session key of the Map tab's focus.
FOCUS = "map_focus"
#: Zoom of a point found: a city, a feature (a plant), a typed position.
POINT_ZOOM = {"gazetteer": 11, "coordinates": 12}
FEATURE_ZOOM = 12
#: Zoom limits of a focus fitted to an extent.
MIN_ZOOM, MAX_ZOOM = 2, 13
#: Size of the map the zoom is fitted to (pixels; the app's maps are about this size).
MAP_PX = (1000, 560)
#: Default view of a map without focus: (lat, lon) and zoom.
DEFAULT_VIEW: tuple[tuple[float, float], int] = ((22.0, 80.0), 4)


def zoom_for(bounds: list[list[float]], *, size_px: tuple[int, int] = MAP_PX, pad: float = 0.85) -> int:
    """The largest Web Mercator zoom at which ``bounds`` ([[south, west], [north, east]]) fits the map.

    ``pad`` is the share of the map the extent may fill. A point (no extent) gets ``MAX_ZOOM``.
    """
    (south, west), (north, east) = bounds
    width, height = size_px

    def y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    zooms = []
    if east - west > 0:
        zooms.append(math.log2(pad * width * 360.0 / (256.0 * (east - west))))
    if north - south > 0:
        zooms.append(math.log2(pad * height * 2 * math.pi / (256.0 * (y(north) - y(south)))))
    if not zooms:
        return MAX_ZOOM
    return int(max(MIN_ZOOM, min(MAX_ZOOM, math.floor(min(zooms)))))


def make_focus(
    geometry: shapely.Geometry,
    *,
    label: str,
    layer: str = "",
    feature_id: str = "",
    point_zoom: int | None = None,
) -> dict[str, Any]:
    """The focus on ``geometry`` (lon/lat): its centre and zoom, bounds and highlight."""
    west, south, east, north = (float(v) for v in geometry.bounds)
    bounds = [[south, west], [north, east]]
    anchor = shapely.point_on_surface(geometry)
    extent = east - west > 1e-9 or north - south > 1e-9
    if extent:
        lat, lon, zoom = (south + north) / 2, (west + east) / 2, zoom_for(bounds)
    else:
        lat, lon = anchor.y, anchor.x
        zoom = point_zoom or POINT_ZOOM.get(layer, FEATURE_ZOOM)
    token = hashlib.sha256(f"{layer}|{feature_id}|{label}|{geometry.wkb_hex[:200]}".encode()).hexdigest()[:12]
    return {
        "lon": float(lon),
        "lat": float(lat),
        "zoom": int(zoom),
        "bounds": bounds,
        "label": label,
        "layer": layer,
        "id": feature_id,
        "geometry": geometry,
        "token": token,
    }


def focus_view(
    focus: Mapping[str, Any] | None, default: tuple[tuple[float, float], int] = DEFAULT_VIEW
) -> tuple[tuple[float, float], int]:
    """``(location, zoom_start)`` for ``build_map``: the focus's centre and zoom, else ``default``."""
    if not focus:
        return default
    return (float(focus["lat"]), float(focus["lon"])), int(focus["zoom"])


def focus_overlays(focus: Mapping[str, Any] | None, *, name: str = "Found") -> list[folium.FeatureGroup]:
    """The highlight of the focus (a marker, and the outline of a line or polygon), or nothing."""
    if not focus:
        return []
    label = str(focus["label"])
    return [highlight_group(focus["geometry"], label=label, name=f"{name}: {label}"[:80])]


def _layer_label(ctx: PageContext, layer: str) -> str:
    if layer == "gazetteer":
        return "city, GeoNames"
    if layer == "coordinates":
        return "typed position"
    try:
        return ctx.title(layer)
    except LayerError:
        return layer


def result_label(ctx: PageContext, row: Any) -> str:
    """One search result as a line: name, detail, layer."""
    detail = f" — {row.detail}" if str(row.detail).strip() else ""
    return f"{row.name}{detail} ({_layer_label(ctx, str(row.layer))})"


def _clear_pick() -> None:
    st.session_state.pop("find_pick", None)


def search_box(ctx: PageContext, where: Any = None) -> dict[str, Any] | None:
    """The "Find a place" box over every layer's features, imported layers, cities and lat,lon text.

    Picking a result (the best one at once) sets :data:`FOCUS`; an empty box clears it.
    Returns the focus.
    """
    where = where or st
    c1, c2 = where.columns([2, 3])
    query = c1.text_input(
        "Find a place",
        key="find_query",
        bind="query-params",
        placeholder="Greater Noida, Niihama, Reasi, 28.47, 77.50…",
        help="Any feature of the layers (facilities, blocks, ports, cities, routes, countries and your "
        "imported layers), the cities of GeoNames, or a position as lat, lon",
        on_change=_clear_pick,
    )
    if not query.strip():
        st.session_state.pop(FOCUS, None)
        return None
    user_layers = {n: g for n, g in ctx.frames.items() if ctx.is_user_layer(n)}
    try:
        found = place_search(query.strip(), user_layers, workspace_key(ctx.user) if user_layers else ("", 0))
    except (InputError, LayerError) as exc:
        c2.error(f"Search failed: {md(exc)}")
        return None
    if found.empty:
        c2.caption(f"No place matches {md(repr(query.strip()))}.")
        st.session_state.pop(FOCUS, None)
        return None
    rows = list(found.itertuples())
    pick = c2.selectbox(
        f"{len(rows)} place{'s' if len(rows) != 1 else ''} found: the map shows the one picked",
        range(len(rows)),
        format_func=lambda i: result_label(ctx, rows[i]),
        key="find_pick",
    )
    row = rows[pick or 0]
    focus = make_focus(row.geometry, label=str(row.name), layer=str(row.layer), feature_id=str(row.id))
    st.session_state[FOCUS] = focus
    return focus


def selected_row(key: str) -> int | None:
    """The position of the row picked in the table ``key`` (``on_select="rerun"``), or None."""
    state = st.session_state.get(key) or {}
    selection = state.get("selection", {}) if isinstance(state, Mapping) else getattr(state, "selection", {})
    rows = selection.get("rows", []) if isinstance(selection, Mapping) else getattr(selection, "rows", [])
    return int(rows[0]) if rows else None


def table_focus(
    key: str, frame: gpd.GeoDataFrame | pd.DataFrame, *, label: Callable[[Any], str]
) -> dict[str, Any] | None:
    """The focus on the feature of the row picked in table ``key`` (rows in ``frame``'s order)."""
    row = selected_row(key)
    if row is None or row >= len(frame) or not isinstance(frame, gpd.GeoDataFrame):
        return None
    record = frame.iloc[row]
    geometry = record.geometry
    if geometry is None or geometry.is_empty:
        return None
    return make_focus(geometry, label=label(record), layer=key, feature_id=str(row))
