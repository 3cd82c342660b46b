"""Map tab: the shown layers, their attribute table and the downloads."""

from __future__ import annotations

import streamlit as st

import layers
from app import drawing, exports, find
from app.context import PageContext
from app.mapview import fit_target, show_map
from app.widgets import download, md
from geo import ExportError
from geo.settings import EXPORT_FORMATS
from layers import labels
from layers.draw import draw_tools
from layers.map import bounds_of, map_parts


def render(ctx: PageContext) -> None:
    """The map, the table of filtered features and the downloads."""
    shown = ctx.shown
    counts = ", ".join(f"{md(ctx.title(n))}: {len(g):,}" for n, g in shown.items())
    st.caption(f"Showing {counts or 'no layers'}")
    # the first view fits every default layer (the routes' sea legs span the Pacific: their ends are
    # facilities and ports); the fit button fits what the filters leave
    home = bounds_of(*(g for n, g in ctx.frames.items() if n not in ("countries", "routes")))
    fit = fit_target(
        bounds_of(*shown.values()), what="shown", label="Fit the map to the shown features", auto=False
    )
    for note in ctx.notes:
        st.info(note)
    # GIS tools: find a place, draw and measure, export the view (app.find, app.drawing, app.exports)
    focus = find.search_box(ctx)
    overlays = find.focus_overlays(focus)
    if focus:
        fit = fit_target(
            _padded(focus["bounds"]),
            what=f"focus|{focus['token']}",
            label=f"Fit the map to {focus['label']}",
        )
    with st.spinner("Drawing the map…", show_time=True):
        parts = map_parts(
            ctx.for_map(shown),
            basemap=ctx.basemap,
            specs=ctx.user_specs,
            home=home,
            fit=fit,
            overlays=overlays,
        )
        sig = (ctx.basemap, tuple((n, len(g)) for n, g in shown.items()), focus and focus["token"])
        draw_tools(parts.base, drawings=drawing.map_drawings(sig))
        value = show_map(
            parts, key="atlas_map", returned_objects=["all_drawings", "last_active_drawing", "bounds"]
        )
    drawn = drawing.drawn_frame(drawing.remember(value))
    exports.map_png_button(
        st, exports.map_layers(ctx, shown, drawn=drawn), exports.view_bounds(value), key="atlas_png"
    )
    drawing.panel(ctx, drawn, value)

    if st.toggle(
        "Attribute table",
        key="show_table",
        bind="query-params",
        help="The filtered features with their sources (off by default: a lighter first page)",
    ):
        st.dataframe(
            labels.table(layers.attribute_table(shown)),
            hide_index=True,
            width="stretch",
            column_config={labels.column("source"): st.column_config.TextColumn(width="large")},
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
                f"{md(ctx.title(name))} ({len(gdf):,})",
                gdf,
                (name, *(gdf["id"] if "id" in gdf else gdf.index).astype(str)),
                fmt,
                name,
                f"download_{name}",
            )
    except ExportError as exc:
        st.error(f"Export failed: {exc}")


def _padded(bounds: list[list[float]], *, pad_deg: float = 0.05) -> list[list[float]]:
    """``[[south, west], [north, east]]`` widened to at least ``pad_deg`` each way.

    A point's bounds have no extent, and fitting them would zoom the map in as far as it goes.
    """
    (south, west), (north, east) = bounds
    if north - south < 2 * pad_deg:
        south, north = south - pad_deg, north + pad_deg
    if east - west < 2 * pad_deg:
        west, east = west - pad_deg, east + pad_deg
    return [[max(south, -90.0), west], [min(north, 90.0), east]]
