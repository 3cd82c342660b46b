"""Mineral Atlas: the entry frame (page config, title, sidebar, navigation); tabs live in ``app.pages``."""

from __future__ import annotations

import streamlit as st

from app import style
from app.pages import about, atlas, corridors, proximity, routes, service_areas, siting
from app.sidebar import build_context
from app.widgets import remember_url, report_url_changes

st.set_page_config(page_title="Mineral Atlas", page_icon=":world_map:", layout="wide")

#: Tab label -> page module (each has ``render(ctx)``).
TABS = {
    "Map": atlas,
    "Proximity": proximity,
    "Service areas": service_areas,
    "Routes": routes,
    "Corridors": corridors,
    "Site selection": siting,
    "About": about,
}
#: One line on what the app is for, under the title.
PURPOSE = (
    "Where the battery and critical-minerals supply chain sits — recyclers, refiners, cell plants, "
    "lithium blocks, ports and feedstock — and how material moves between them."
)

style.apply()
remember_url()
st.title("Mineral Atlas", anchor=False)
st.html(f"<p class='ma-purpose'>{PURPOSE}</p>")
ctx = build_context()
# the active tab lives in the URL (?tab=Routes) with every bound widget: a link restores the view;
# only the open tab runs, so a widget change re-runs one tab, not six
tabs = st.tabs(list(TABS), key="tab", bind="query-params")
for page, tab in zip(TABS.values(), tabs, strict=True):
    if tab.open:
        with tab:
            page.render(ctx)
report_url_changes()
