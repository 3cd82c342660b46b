"""Map tab: the shown layers, their attribute table and the downloads."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

import layers
from app.context import PageContext
from app.widgets import download, md
from geo import ExportError
from geo.settings import EXPORT_FORMATS
from layers.map import build_map


def render(ctx: PageContext) -> None:
    """The map, the table of filtered features and the downloads."""
    shown = ctx.shown
    counts = ", ".join(f"{md(ctx.title(n))}: {len(g)}" for n, g in shown.items())
    st.caption(f"Showing {counts or 'no layers'}")
    for note in ctx.notes:
        st.info(note)
    atlas = build_map(ctx.for_map(shown), basemap=ctx.basemap, specs=ctx.user_specs)
    st_folium(atlas, height=620, use_container_width=True, returned_objects=[], key="atlas_map")

    if st.toggle(
        "Attribute table",
        key="show_table",
        bind="query-params",
        help="The filtered features with their sources (off by default: a lighter first page)",
    ):
        source_column = st.column_config.TextColumn("source", width="large")
        st.dataframe(
            layers.attribute_table(shown),
            hide_index=True,
            width="stretch",
            column_config={"source": source_column},
            key="features_table",
        )
    st.subheader("Download")
    fmt = st.selectbox("Format", list(EXPORT_FORMATS), format_func=str.upper, key="download_format")
    columns = st.columns(len(shown) + 1 or 1)
    try:
        combined = layers.combine(shown)
        key = (
            "mineral-atlas",
            *combined["layer"].astype(str),
            *(combined["id"] if "id" in combined else combined.index).astype(str),
        )
        download(
            columns[0],
            f"All shown layers ({fmt.upper()})",
            combined,
            key,
            fmt,
            "mineral-atlas",
            "download_all",
        )
        for column, (name, gdf) in zip(columns[1:], shown.items(), strict=False):
            download(
                column,
                f"{md(ctx.title(name))} ({len(gdf)})",
                gdf,
                (name, *(gdf["id"] if "id" in gdf else gdf.index).astype(str)),
                fmt,
                name,
                f"download_{name}",
            )
    except ExportError as exc:
        st.error(f"Export failed: {exc}")
