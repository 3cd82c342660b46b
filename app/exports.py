"""Downloads of the map as a PNG and of an analysis as a PDF report, made when the button is pressed.

Both are drawn without a browser (:mod:`app.report`: matplotlib on the offline basemap, reportlab),
on a thread of their own when the user clicks (Streamlit's deferred download), so a page that offers
them does not wait for them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd

from app import report as R
from app.context import PageContext
from geo import ExportError, InputError, LayerError

logger = logging.getLogger(__name__)

#: Layers of the shown map drawn by mode (routes) rather than in one colour.
_BY_MODE = {"routes"}


def view_bounds(value: Mapping[str, Any] | None) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the map's view from streamlit-folium's ``bounds``, or None.

    Longitudes beyond ±180 (a view panned round the world) are clipped to it.
    """
    bounds = (value or {}).get("bounds") or {}
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]
        west, south, east, north = (float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]))
    except (KeyError, TypeError, ValueError):
        return None
    west, east = max(west, -180.0), min(east, 180.0)
    south, north = max(south, -89.0), min(north, 89.0)
    if not (west < east and south < north):
        return None
    return west, south, east, north


def _color(ctx: PageContext, name: str) -> str:
    if name in R.LAYER_COLORS:
        return R.LAYER_COLORS[name]
    try:
        legend = ctx.spec(name).legend
    except LayerError:
        return "#546e7a"
    return next((e.color for e in legend if e.shape != "note"), "#546e7a")


def map_layers(
    ctx: PageContext, frames: Mapping[str, gpd.GeoDataFrame], *, drawn: gpd.GeoDataFrame | None = None
) -> list[R.MapLayer]:
    """The static-map layers of the shown map: each layer in its colour (routes by mode), then drawings."""
    out = []
    for name, gdf in frames.items():
        if name == "countries" or gdf is None or gdf.empty:
            continue
        title = ctx.title(name)
        if name in _BY_MODE and "mode" in gdf.columns:
            for mode, part in gdf.groupby("mode", sort=True):
                color = R.MODE_COLORS.get(str(mode), "#455a64")
                out.append(R.MapLayer(part, f"{title}: {mode}", color=color, linewidth=1.4))
            continue
        out.append(R.MapLayer(gdf, title, color=_color(ctx, name), marker_size=16, alpha=0.5))
    if drawn is not None and len(drawn):
        out.append(
            R.MapLayer(drawn, "drawn shapes", color="#ff6f00", alpha=0.25, marker_size=30, labels="name")
        )
    return out


def map_png(
    layers_: Sequence[R.MapLayer], bounds: tuple[float, float, float, float] | None, *, title: str
) -> bytes:
    """The PNG of ``layers_`` in ``bounds`` (the view; default: the layers' extent)."""
    return R.static_map_png(layers_, bounds=bounds, title=title)


def map_png_button(
    where: Any,
    layers_: Sequence[R.MapLayer],
    bounds: tuple[float, float, float, float] | None,
    *,
    key: str,
    title: str = "Mineral Atlas",
    file_name: str = "mineral-atlas-map.png",
) -> None:
    """The "Download this map (PNG)" button: the layers shown, in the current view, with legend and scale."""
    chosen = list(layers_)

    def data() -> bytes:
        return map_png(chosen, bounds, title=title)

    where.download_button(
        "Download this map (PNG)",
        data,
        file_name=file_name,
        mime="image/png",
        key=key,
        on_click="ignore",
        help="The layers shown, in the map's current view, on the offline basemap, with legend, scale bar "
        "and north arrow",
    )


def file_stem(text: str) -> str:
    """``text`` as a safe file name stem."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80] or "report"


def report_button(
    where: Any, build: Callable[[], R.Report], *, key: str, file_name: str, label: str = "Report (PDF)"
) -> None:
    """A "Report (PDF)" button: the report is built (map, table, charts, parameters, sources) when pressed.

    A report that cannot be made downloads as a one-page PDF saying why (a deferred download
    cannot show a message on the page).
    """

    def data() -> bytes:
        try:
            return R.report_pdf(build())
        except (InputError, LayerError, ExportError, ValueError) as exc:
            logger.warning("report %s failed: %s", file_name, exc)
            return R.report_pdf(
                R.Report(
                    title="The report could not be made",
                    analysis=str(exc),
                    map_layers=[],
                    table=gpd.pd.DataFrame(),
                    notes=[f"{type(exc).__name__}: {exc}"],
                )
            )

    where.download_button(
        label,
        data,
        file_name=file_name if file_name.endswith(".pdf") else f"{file_stem(file_name)}.pdf",
        mime="application/pdf",
        key=key,
        on_click="ignore",
        help="A PDF of this analysis: map on the offline basemap with legend, scale and north arrow, the "
        "result table, the charts, the parameters, the date and every source",
    )
