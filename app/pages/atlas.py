"""Map tab: the shown layers, their attribute table and the downloads."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

import layers
from app import drawing, exports, find
from app.context import PageContext
from app.widgets import download, md
from geo import ExportError
from geo.settings import EXPORT_FORMATS
from layers.draw import draw_tools
from layers.map import build_map


def render(ctx: PageContext) -> None:
    """The map, the table of filtered features and the downloads."""
    shown = ctx.shown
    counts = ", ".join(f"{md(ctx.title(n))}: {len(g)}" for n, g in shown.items())
    st.caption(f"Showing {counts or 'no layers'}")
    for note in ctx.notes:
        st.info(note)
    # --- GIS tools: find a place, draw and measure, export the view (app.find, app.drawing, app.exports)
    focus = find.search_box(ctx)
    location, zoom = find.focus_view(focus)
    atlas = build_map(
        ctx.for_map(shown),
        basemap=ctx.basemap,
        specs=ctx.user_specs,
        overlays=find.focus_overlays(focus),
        location=location,
        zoom_start=zoom,
    )
    sig = (ctx.basemap, tuple((n, len(g)) for n, g in shown.items()), focus and focus["token"])
    draw_tools(atlas, drawings=drawing.map_drawings(sig))
    value = st_folium(
        atlas,
        height=620,
        use_container_width=True,
        returned_objects=["all_drawings", "last_active_drawing", "bounds"],
        key="atlas_map",
    )
    drawn = drawing.drawn_frame(drawing.remember(value))
    exports.map_png_button(
        st, exports.map_layers(ctx, shown, drawn=drawn), exports.view_bounds(value), key="atlas_png"
    )
    drawing.panel(ctx, drawn, value)
    # --- end of the GIS tools

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
