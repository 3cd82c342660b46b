"""About tab: the story, its figures and the attribution of every dataset."""

from __future__ import annotations

import streamlit as st

from app.context import PageContext
from app.widgets import md
from geo.settings import (
    INR_PER_USD_SOURCE,
    MODE_CO2E_SOURCE,
    MODE_COST_SOURCE,
    MODE_SPEED_SOURCES,
    NETWORK_ATTRIBUTION,
    PROJECT_DIR,
    TRANSFER_SOURCES,
)


def render(ctx: PageContext) -> None:
    """The story, its figures and the attribution of every dataset."""
    st.markdown((PROJECT_DIR / "data" / "about.md").read_text(encoding="utf-8"))
    st.subheader("Data and attribution")
    st.markdown("- Basemap tiles (online): © OpenStreetMap contributors, ODbL")
    for credit in NETWORK_ATTRIBUTION.values():
        st.markdown(f"- {credit}")
    st.markdown(f"- Transit hours: {'; '.join(MODE_SPEED_SOURCES.values())}")
    st.markdown(f"- CO2e per tonne-km: {MODE_CO2E_SOURCE}")
    st.markdown(
        f"- Freight cost per tonne-km: {md(MODE_COST_SOURCE)}; rupees per dollar: {md(INR_PER_USD_SOURCE)}"
    )
    for transfer, sources in TRANSFER_SOURCES.items():
        st.markdown(
            f"- {transfer.capitalize()} transfer: "
            + "; ".join(f"{what}: {md(source)}" for what, source in sources.items())
        )
    for name in ctx.frames:
        layer = ctx.spec(name)
        st.markdown(f"- **{md(layer.title)}**: {md(layer.description)} — {md(layer.attribution)}")
    st.markdown(
        "- Map library: Leaflet (BSD-2-Clause) with Leaflet.markercluster and leaflet.fullscreen (MIT), "
        "served by this app"
    )
