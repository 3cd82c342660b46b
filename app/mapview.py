"""Showing a map on a page: the base stays, the layers are swapped in place, the view is kept.

streamlit-folium rebuilds a map only when its base changes (the basemap); the layers and results
arrive as ``feature_group_to_add`` and replace the previous ones without reloading the map, so the
view (centre, zoom) stays where the user left it. ``static/app/map.js`` keeps that view in the page
and in its URL (``view=lat,lon,zoom``), across tabs, and fits each new result once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from layers.map import BASEMAPS, MapParts

#: Session key set once the page fell back to the offline basemap (OpenStreetMap tiles did not load).
FELL_BACK = "basemap_fell_back"


def fit_target(
    bounds: list[list[float]] | None, *, what: str, label: str, auto: bool = True
) -> dict[str, Any] | None:
    """What the map's fit button (and, with ``auto``, a new result) fits.

    ``what`` identifies the result (its parameters): the map fits a result once per page, so a
    re-run that shows the same result leaves the view alone.
    """
    if bounds is None:
        return None
    token = hashlib.sha256(f"{what}|{bounds}".encode()).hexdigest()[:16]
    return {"bounds": bounds, "token": token, "auto": auto, "label": label}


def _fallback(key: str) -> None:
    """The map reported that OpenStreetMap tiles failed: use the offline basemap from now on."""
    value = st.session_state.get(key) or {}
    if value.get("basemap_fallback") and not st.session_state.get(FELL_BACK):
        st.session_state[FELL_BACK] = True
        st.session_state["basemap"] = BASEMAPS[1]


def show_map(parts: MapParts, *, key: str, returned_objects: Sequence[str] = ()) -> dict[str, Any]:
    """Draw ``parts`` (see :func:`layers.map.map_parts`); what the map returns (``returned_objects``)."""
    returned: dict[str, Any] = st_folium(
        parts.base,
        feature_group_to_add=parts.groups,
        key=key,
        height=560,  # the page's style sizes the map to the window (see app.style)
        use_container_width=True,
        returned_objects=list(returned_objects),
        on_change=lambda: _fallback(key),
    )
    return returned
