"""Analysis reports as PDF, and static map images, made without a browser (matplotlib + reportlab).

A report (:class:`Report`) is a title, the layers of its map, a result table, charts, parameters and
sources. Page 1 is the map on the offline basemap (Natural Earth countries) with a legend, a scale
bar measured on the WGS84 ellipsoid at the map's centre, and a north arrow; then the table, the
charts, the parameters, the date and every source: the attribution of each layer shown and the
``source`` of each record drawn.

Builders for the atlas's analyses: :func:`site_selection_report`, :func:`route_comparison_report`,
:func:`corridor_report`, :func:`service_area_report`; then :func:`report_pdf` (bytes) or
:func:`write_report` (a file, written atomically). :func:`static_map_png` draws any layers as a PNG.

Feature properties are data: every text that goes into the PDF is escaped before reportlab reads
its mini-markup. Text is set in DejaVu Sans (shipped with matplotlib) so names such as "Tōyō" print.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from geo import ExportError, InputError
from geo.distance import GEOD
from geo.export import atomic_write_bytes
from geo.settings import (
    INR_PER_USD_SOURCE,
    MODE_CO2E_SOURCE,
    MODE_COST_SOURCE,
    MODE_SPEED_SOURCES,
    NETWORK_ATTRIBUTION,
    TRANSFER_SOURCES,
    WGS84,
)

#: Colours of the transport modes (as the routes layer draws them).
MODE_COLORS: dict[str, str] = {
    "road": "#6d4c41",
    "rail": "#7b1fa2",
    "sea": "#0277bd",
    "multimodal": "#00897b",
}
#: Colours of layers drawn as context, by layer name.
LAYER_COLORS: dict[str, str] = {
    "facilities": "#c62828",
    "lithium_blocks": "#2e7d32",
    "ports": "#0277bd",
    "demand": "#8e24aa",
}
#: Fill of the land and of the sea on the static map.
LAND_COLOR = "#f3efe6"
SEA_COLOR = "#dcebf5"
#: Most rows of a result table printed in a report.
MAX_TABLE_ROWS = 30
#: Most distinct record sources listed per layer (the rest is counted).
MAX_SOURCES_PER_LAYER = 40
#: Largest number of polygons drawn one by one; more are drawn as points.
MAX_DRAWN_POLYGONS = 20_000
BASEMAP_ATTRIBUTION = (
    "Basemap: Natural Earth 4.1.0 Admin 0 countries 1:50m via world-atlas 2.0.2 (public domain)"
)
_ID_SUFFIX = re.compile(r",\s*(geonameid|UN/LOCODE)\s+\S+$")


# ----------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class MapLayer:
    """One layer of a static map.

    Attributes
    ----------
    gdf : geopandas.GeoDataFrame
        Features in any CRS (drawn in lon/lat).
    label : str
        Legend entry.
    color : str
        Colour (fill of polygons, line, marker).
    column : str, optional
        Numeric column coloured on ``cmap`` instead (a colour bar explains it).
    cmap : str
        Matplotlib colour map of ``column``.
    alpha : float
        Opacity of polygon fills.
    marker_size : float
        Point size, points^2.
    linewidth : float
        Line width, points.
    labels : str, optional
        Column whose values are written beside the features (keep it to a few features).
    fit : bool
        The map's extent holds this layer (context layers do not set the extent).
    """

    gdf: gpd.GeoDataFrame
    label: str
    color: str = "#1565c0"
    column: str | None = None
    cmap: str = "viridis"
    alpha: float = 0.45
    marker_size: float = 22.0
    linewidth: float = 1.6
    labels: str | None = None
    fit: bool = True


@dataclass(frozen=True)
class Chart:
    """A chart of a report: a title and a function drawing it on matplotlib axes."""

    title: str
    draw: Callable[[Axes], None]
    caption: str = ""


@dataclass
class Report:
    """Everything a report prints; see the module docstring for the layout.

    Attributes
    ----------
    title : str
        The report's title (page 1 and every footer).
    analysis : str
        What was computed ("Site selection", "Route comparison", ...).
    map_layers : list of MapLayer
        The map, drawn in order (the first under the others).
    table : pandas.DataFrame
        The result table (at most :data:`MAX_TABLE_ROWS` rows are printed; the count is said).
    table_title : str
        Heading of the table.
    parameters : dict
        Parameters of the analysis, printed as a two-column table.
    charts : list of Chart
        Charts printed two to a row.
    sources : list of str
        Every source cited (see :func:`layer_sources`).
    summary : dict
        Key figures printed under the title on page 1.
    notes : list of str
        Remarks printed before the sources (method, caveats).
    created : datetime
        When the report was made (UTC).
    """

    title: str
    analysis: str
    map_layers: list[MapLayer]
    table: pd.DataFrame
    table_title: str = "Results"
    parameters: dict[str, Any] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


# ----------------------------------------------------------------------------- sources
def layer_sources(frames: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """The citation of each layer and of each record drawn from it.

    A built-in layer is cited by its title and attribution; its records by their ``source`` (with
    ``source_date``), identifiers at the end such as ``, geonameid 1273294`` folded into one line
    per dataset; at most :data:`MAX_SOURCES_PER_LAYER` records per layer are listed and the rest
    counted. Layers not built in are cited as the user's own data.
    """
    import layers

    lines: list[str] = []
    for name, gdf in frames.items():
        try:
            spec = layers.spec(name)
            lines.append(f"{spec.title}: {spec.attribution or spec.description}")
        except layers.LayerError:
            lines.append(f"{name}: a layer given with the analysis (not a built-in layer)")
        if gdf is None or "source" not in gdf.columns or gdf.empty:
            continue
        sources = gdf["source"].fillna("").astype(str).str.replace(_ID_SUFFIX, "", regex=True)
        dates = (
            gdf["source_date"].fillna("").astype(str)
            if "source_date" in gdf.columns
            else pd.Series("", index=gdf.index)
        )
        cited = [f"{s} ({d})" if d else s for s, d in zip(sources, dates, strict=True) if s.strip()]
        unique = list(dict.fromkeys(cited))
        lines.extend(f"{name}: {c}" for c in unique[:MAX_SOURCES_PER_LAYER])
        if len(unique) > MAX_SOURCES_PER_LAYER:
            lines.append(
                f"{name}: and {len(unique) - MAX_SOURCES_PER_LAYER} more sources (see the layer's export)"
            )
    return list(dict.fromkeys(lines))


def _route_sources(routes: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """Networks, speeds, CO2e, freight costs and transfers behind a set of routes' figures."""
    legs = pd.concat([pd.DataFrame(legs.drop(columns="geometry")) for legs in routes.values()])
    modes = sorted(set(legs["mode"].astype(str))) if "mode" in legs.columns else list(routes)
    out = [*_network_sources(modes), f"CO2e intensities: {MODE_CO2E_SOURCE}"]
    if "cost_usd" in legs.columns:
        out += [f"Freight cost per tonne-km: {MODE_COST_SOURCE}", f"Exchange rate: {INR_PER_USD_SOURCE}"]
    done = set(legs["transfer"].astype(str)) if "transfer" in legs.columns else set()
    for kind, sources in TRANSFER_SOURCES.items():
        if any(kind in t or (kind == "port" and "sea" in t) for t in done if t):
            out += [f"Transfer ({kind}) {what}: {text}" for what, text in sources.items()]
    return out


def _network_sources(modes: Sequence[str]) -> list[str]:
    out = []
    for mode in modes:
        parts = ["road", "sea"] if mode == "multimodal" else [mode]
        for part in parts:
            if part in NETWORK_ATTRIBUTION:
                out.append(NETWORK_ATTRIBUTION[part])
            if part in MODE_SPEED_SOURCES:
                out.append(f"Average {part} speed: {MODE_SPEED_SOURCES[part]}")
    return list(dict.fromkeys(out))


# ----------------------------------------------------------------------------- static maps
@cache
def _basemap() -> gpd.GeoDataFrame:
    import layers

    return layers.load("countries")[["name", "geometry"]]


def _wgs84(gdf: gpd.GeoDataFrame, argument: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"{argument}: expected a GeoDataFrame, got {type(gdf).__name__}"
        raise InputError(msg)
    from geo.crs import to_wgs84

    out = to_wgs84(gdf, argument=argument)
    return out[~(out.geometry.isna() | out.geometry.is_empty)]


def map_bounds(
    frames: Sequence[gpd.GeoDataFrame], *, pad: float = 0.08, min_span_deg: float = 1.0
) -> tuple[float, float, float, float]:
    """(west, south, east, north) holding every feature, padded by ``pad`` of the span on each side."""
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    if not len(boxes):
        return (-180.0, -60.0, 180.0, 80.0)
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    span_x = max(east - west, min_span_deg)
    span_y = max(north - south, min_span_deg)
    cx, cy = (west + east) / 2, (south + north) / 2
    half_x, half_y = span_x * (0.5 + pad), span_y * (0.5 + pad)
    return (
        max(cx - half_x, -180.0),
        max(cy - half_y, -89.0),
        min(cx + half_x, 180.0),
        min(cy + half_y, 89.0),
    )


def _fill(bounds: tuple[float, float, float, float], ratio: float) -> tuple[float, float, float, float]:
    """Widen the extent east-west or north-south so that its shape on the map is ``ratio`` (width/height)."""
    west, south, east, north = bounds
    shrink = max(math.cos(math.radians((south + north) / 2)), 0.05)
    shown = (east - west) * shrink / (north - south)
    if shown < ratio:
        half = (north - south) * ratio / shrink / 2
        centre = (west + east) / 2
        west, east = max(centre - half, -180.0), min(centre + half, 180.0)
    else:
        half = (east - west) * shrink / ratio / 2
        centre = (south + north) / 2
        south, north = max(centre - half, -89.0), min(centre + half, 89.0)
    return west, south, east, north


def scale_bar_km(west: float, south: float, east: float, north: float) -> tuple[float, float]:
    """The scale bar: a round length and its span in degrees of longitude at the map's centre.

    The length is 1, 2 or 5 x 10^k km, at most a fifth of the map's width along the centre's
    parallel; the span is that of the geodesic of this length through the centre, heading east,
    on the WGS84 ellipsoid. Returns (km, degrees).
    """
    lat = (south + north) / 2.0
    lon = (west + east) / 2.0
    width_km = float(GEOD.inv(west, lat, east, lat)[2]) / 1000.0 if east - west < 180 else 20_000.0
    target = max(width_km / 5.0, 1e-3)
    exponent = 10 ** math.floor(math.log10(target))
    km = max(m * exponent for m in (1, 2, 5) if m * exponent <= target)
    # the bar runs km/2 each side of the centre along the geodesic heading east
    east_lon, _, _ = GEOD.fwd(lon, lat, 90.0, km * 500.0)
    west_lon, _, _ = GEOD.fwd(lon, lat, 270.0, km * 500.0)
    return float(km), float(east_lon - west_lon)


def _draw_layer(ax: Axes, layer: MapLayer, bounds: tuple[float, float, float, float]) -> list[Any]:
    gdf = _wgs84(layer.gdf, layer.label)
    if gdf.empty:
        return []
    kinds = gdf.geometry.geom_type.str.replace("Multi", "")
    handles: list[Any] = []
    polygons = gdf[kinds == "Polygon"]
    if len(polygons) > MAX_DRAWN_POLYGONS:  # a national grid of hexagons: its centres instead
        polygons = polygons.assign(geometry=polygons.geometry.representative_point())
        gdf = pd.concat([gdf[kinds != "Polygon"], polygons])
        gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=WGS84)
        kinds = gdf.geometry.geom_type.str.replace("Multi", "")
        polygons = gdf[kinds == "Polygon"]
    lines, points = gdf[kinds == "LineString"], gdf[kinds == "Point"]
    colored = layer.column is not None and layer.column in gdf.columns
    norm = None
    if colored:
        values = pd.to_numeric(gdf[layer.column], errors="coerce")
        norm = matplotlib.colors.Normalize(vmin=float(values.min()), vmax=float(values.max()))
    if len(polygons):
        if colored:
            polygons.plot(
                ax=ax, column=layer.column, cmap=layer.cmap, norm=norm, linewidth=0.2, edgecolor="none"
            )
        else:
            polygons.plot(
                ax=ax, facecolor=layer.color, alpha=layer.alpha, edgecolor=layer.color, linewidth=0.8
            )
        handles.append(
            Patch(
                facecolor=layer.color, alpha=max(layer.alpha, 0.4), edgecolor=layer.color, label=layer.label
            )
        )
    if len(lines):
        lines.plot(ax=ax, color=layer.color, linewidth=layer.linewidth)
        handles.append(Line2D([], [], color=layer.color, linewidth=layer.linewidth, label=layer.label))
    if len(points):
        xy = shapely.get_coordinates(points.geometry.values)
        if colored:
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                c=pd.to_numeric(points[layer.column], errors="coerce"),
                cmap=layer.cmap,
                norm=norm,
                s=layer.marker_size,
                linewidths=0.3,
                edgecolors="#333333",
                zorder=4,
            )
        else:
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                color=layer.color,
                s=layer.marker_size,
                linewidths=0.5,
                edgecolors="white",
                zorder=4,
            )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color=layer.color,
                markeredgecolor="white",
                markersize=6,
                label=layer.label,
            )
        )
    if colored and norm is not None:
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=layer.cmap)
        bar = ax.figure.colorbar(mappable, ax=ax, fraction=0.025, pad=0.01, shrink=0.6)
        bar.set_label(f"{layer.label}: {layer.column}", fontsize=7)
        bar.ax.tick_params(labelsize=6)
        handles = [h for h in handles if not isinstance(h, Patch)] or handles[:0]
    if layer.labels and layer.labels in gdf.columns:
        west, south, east, north = bounds
        anchor = shapely.point_on_surface(gdf.geometry.values)
        for point, text in zip(anchor, gdf[layer.labels].astype(str), strict=True):
            if west <= point.x <= east and south <= point.y <= north:
                ax.annotate(
                    text,
                    (point.x, point.y),
                    xytext=(3, 3),
                    textcoords="offset points",
                    fontsize=6,
                    color="#212121",
                    zorder=6,
                )
    return handles


def _decorate(ax: Axes, bounds: tuple[float, float, float, float]) -> None:
    west, south, east, north = bounds
    km, span = scale_bar_km(*bounds)
    x0 = west + 0.04 * (east - west)
    y0 = south + 0.05 * (north - south)
    height = 0.012 * (north - south)
    for k, color in enumerate(("#212121", "white")):
        ax.add_patch(
            Rectangle(
                (x0 + k * span / 2, y0),
                span / 2,
                height,
                facecolor=color,
                edgecolor="#212121",
                linewidth=0.6,
                zorder=7,
            )
        )
    label = f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
    for x, text in ((x0, "0"), (x0 + span, label)):
        ax.text(x, y0 + 1.8 * height, text, ha="center", va="bottom", fontsize=6.5, zorder=7)
    ax.text(
        x0,
        y0 - 1.2 * height,
        "scale at the map centre (WGS84)",
        ha="left",
        va="top",
        fontsize=5.5,
        color="#424242",
        zorder=7,
    )
    ax.annotate(
        "N",
        xy=(0.965, 0.95),
        xytext=(0.965, 0.83),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "#212121", "linewidth": 1.4},
        zorder=8,
    )


def draw_map(
    ax: Axes,
    map_layers: Sequence[MapLayer],
    *,
    bounds: tuple[float, float, float, float] | None = None,
    basemap: gpd.GeoDataFrame | None = None,
    legend: bool = True,
    attribution: str = BASEMAP_ATTRIBUTION,
) -> tuple[float, float, float, float]:
    """Draw ``map_layers`` on ``ax`` over the basemap, with legend, scale bar and north arrow.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw (lon/lat degrees, aspect 1/cos(latitude of the centre)).
    map_layers : list of MapLayer
        Drawn in order.
    bounds : (west, south, east, north), optional
        The extent (default: the layers' with a margin, see :func:`map_bounds`).
    basemap : GeoDataFrame, optional
        Land polygons (default: the countries layer).
    legend : bool
        Draw the legend (inside the map, upper left).
    attribution : str
        Credit line printed in the lower right corner.

    Returns
    -------
    tuple
        The extent drawn.
    """
    fitted = [layer for layer in map_layers if layer.fit] or list(map_layers)
    if bounds is None:
        bounds = map_bounds([_wgs84(layer.gdf, layer.label) for layer in fitted])
        figure = ax.get_figure(root=True)
        if figure is not None:  # fill the figure's shape
            width_in, height_in = figure.get_size_inches()
            bounds = _fill(bounds, 0.9 * width_in / height_in)
    west, south, east, north = bounds
    land = _basemap() if basemap is None else _wgs84(basemap, "basemap")
    ax.set_facecolor(SEA_COLOR)
    land.cx[west - 1 : east + 1, south - 1 : north + 1].plot(
        ax=ax, facecolor=LAND_COLOR, edgecolor="#9e9e9e", linewidth=0.4
    )
    handles = []
    for layer in map_layers:
        handles += _draw_layer(ax, layer, bounds)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1.0 / max(math.cos(math.radians((south + north) / 2)), 0.05))
    ax.tick_params(labelsize=6)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}°"))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}°"))
    _decorate(ax, bounds)
    if legend and handles:
        ax.legend(handles=handles, loc="upper left", fontsize=6.5, framealpha=0.9)
    ax.text(
        0.995,
        0.005,
        attribution,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=5,
        color="#616161",
        zorder=8,
    )
    return bounds


def static_map_png(
    map_layers: Sequence[MapLayer],
    *,
    title: str | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    size_in: tuple[float, float] = (10.0, 7.0),
    dpi: int = 150,
    basemap: gpd.GeoDataFrame | None = None,
) -> bytes:
    """A PNG of ``map_layers`` on the offline basemap, with legend, scale bar and north arrow.

    Parameters
    ----------
    map_layers : list of MapLayer
        The layers, drawn in order.
    title : str, optional, keyword-only
        Printed above the map.
    bounds : (west, south, east, north), optional, keyword-only
        The extent in degrees (the map's current view); default: the layers' extent.
    size_in : (float, float), keyword-only
        Figure size in inches.
    dpi : int, keyword-only
        Resolution.
    basemap : GeoDataFrame, optional, keyword-only
        Land polygons (default: the countries layer).

    Returns
    -------
    bytes
        The PNG file.
    """
    figure = Figure(figsize=size_in, dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    draw_map(ax, map_layers, bounds=bounds, basemap=basemap)
    if title:
        ax.set_title(title, fontsize=10)
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _chart_png(chart: Chart, *, size_in: tuple[float, float] = (4.6, 2.8)) -> bytes:
    """The chart as a PNG (its title is printed as text above it, not in the image)."""
    figure = Figure(figsize=size_in, dpi=160, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    chart.draw(ax)
    ax.tick_params(labelsize=6.5)
    ax.xaxis.label.set_fontsize(7)
    ax.yaxis.label.set_fontsize(7)
    return _png(figure)


# ----------------------------------------------------------------------------- PDF
@cache
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (regular, bold) from matplotlib's data folder, registered with reportlab."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold")
    return "DejaVuSans", "DejaVuSans-Bold"


def _text(value: Any) -> str:
    """A table cell's text: numbers rounded for reading, missing values empty."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:,.1f}"
        if abs(v) >= 0.01:
            return f"{v:.3f}".rstrip("0").rstrip(".")
        return f"{v:.2e}"
    if isinstance(value, shapely.Geometry):
        return value.geom_type
    return str(value)


def _column_widths(headers: Sequence[str], cells: Sequence[Sequence[str]], width: float) -> list[float]:
    """Column widths (points) that keep headers on one line where they can and share the rest by content."""
    per_char, padding = 3.9, 6.0
    natural = np.array(
        [min(max([len(h)] + [len(c) for c in col]), 48) for h, col in zip(headers, cells, strict=True)]
    )
    least = np.array([min(len(h), 14) for h in headers])
    natural_pt = natural * per_char + padding
    least_pt = np.minimum(least * per_char + padding, natural_pt)
    if natural_pt.sum() <= width:
        return list(natural_pt * width / natural_pt.sum())
    spare = max(width - least_pt.sum(), 0.0)
    extra = natural_pt - least_pt
    share = extra / extra.sum() if extra.sum() > 0 else np.zeros_like(extra)
    widths = least_pt + spare * share
    return list(widths * width / widths.sum())


def report_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4 landscape): map, summary, table, charts, parameters, notes, sources."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold = _fonts()
    page_w, page_h = landscape(A4)
    margin = 12 * mm
    width = page_w - 2 * margin
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=8.6)
    cell = ParagraphStyle("cell", parent=base, fontSize=6.8, leading=8)
    head = ParagraphStyle("head", parent=cell, fontName=bold)
    h1 = ParagraphStyle("h1", parent=base, fontName=bold, fontSize=15, leading=19, spaceAfter=2)
    h3 = ParagraphStyle("h3", parent=base, fontName=bold, fontSize=8.5, leading=11, alignment=1)
    h2 = ParagraphStyle(
        "h2", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=6, spaceAfter=4
    )
    created = report.created.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    def para(text: Any, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#616161"))
        canvas.drawString(margin, 7 * mm, f"Mineral Atlas · {report.title} · {created}")
        canvas.drawRightString(page_w - margin, 7 * mm, f"page {doc.page}")
        canvas.restoreState()

    story: list[Any] = [
        para(report.title, h1),
        para(f"{report.analysis} · made {created}", small),
        Spacer(1, 3 * mm),
    ]
    if report.summary:
        story.append(para(" · ".join(f"{k}: {_text(v)}" for k, v in report.summary.items()), base))
        story.append(Spacer(1, 2 * mm))
    map_h = page_h - 2 * margin - 40 * mm
    figure = Figure(figsize=(width / 72, map_h / 72), dpi=170, layout="constrained")
    FigureCanvasAgg(figure)
    draw_map(figure.add_subplot(), report.map_layers)
    story.append(Image(io.BytesIO(_png(figure)), width=width, height=map_h))
    story.append(PageBreak())

    shown = report.table.head(MAX_TABLE_ROWS)
    story.append(para(report.table_title, h2))
    if len(report.table) > len(shown):
        story.append(para(f"The first {len(shown)} of {len(report.table):,} rows.", small))
    if len(shown.columns):
        columns = [c for c in shown.columns if c != "geometry"]
        data = [[para(c, head) for c in columns]]
        data += [[para(_text(v), cell) for v in row] for row in shown[columns].itertuples(index=False)]
        widths = _column_widths(columns, [[_text(v) for v in shown[c]] for c in columns], width)
        table = Table(data, colWidths=list(widths), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#90a4ae")),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#fafafa")]),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        story.append(table)
    if report.charts:
        half = (width - 6 * mm) / 2
        images = []
        for chart in report.charts:
            image = Image(io.BytesIO(_chart_png(chart)), width=half, height=half * 2.8 / 4.6)
            images.append(
                [para(chart.title, h3), image, *([para(chart.caption, small)] if chart.caption else [])]
            )
        rows = [images[i : i + 2] for i in range(0, len(images), 2)]
        grid = Table(
            [[r[0], r[1] if len(r) > 1 else ""] for r in rows], colWidths=[half + 3 * mm, half + 3 * mm]
        )
        grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(KeepTogether([para("Charts", h2), grid]))
    parameters = [[para("parameter", head), para("value", head)]]
    parameters += [[para(k, cell), para(_text(v), cell)] for k, v in report.parameters.items()]
    parameters.append([para("report made", cell), para(created, cell)])
    ptable = Table(parameters, colWidths=[60 * mm, width - 60 * mm])
    ptable.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#90a4ae"))]))
    story.append(KeepTogether([para("Parameters", h2), ptable]))
    if report.notes:
        notes = [para(f"• {note}", small) for note in report.notes]
        story.append(KeepTogether([para("Notes", h2), notes[0]]))
        story.extend(notes[1:])
    sources = [para(f"{i}. {source}", small) for i, source in enumerate(report.sources, 1)]
    story.append(KeepTogether([para("Sources", h2), *sources[:1]]))
    story.extend(sources[1:])
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(page_w, page_h),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 4 * mm,
        title=report.title,
        author="Mineral Atlas",
        subject=report.analysis,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def write_report(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write the report's PDF to ``path`` atomically (a failed write leaves any earlier file as it was).

    Raises
    ------
    ExportError
        The file cannot be written (the message names it and the reason).
    """
    data = report_pdf(report)
    try:
        return atomic_write_bytes(path, data)
    except OSError as exc:
        msg = f"{path}: cannot write the report ({exc.strerror or exc})"
        raise ExportError(msg) from None


# ----------------------------------------------------------------------------- builders
def _context_layers(context: Mapping[str, gpd.GeoDataFrame] | None) -> list[MapLayer]:
    import layers

    out = []
    for name, gdf in (context or {}).items():
        try:
            label = layers.spec(name).title
        except layers.LayerError:
            label = name
        out.append(
            MapLayer(
                gdf, label, color=LAYER_COLORS.get(name, "#546e7a"), marker_size=14, alpha=0.5, fit=False
            )
        )
    return out


def _histogram(values: pd.Series, *, xlabel: str, color: str = "#1565c0") -> Callable[[Axes], None]:
    finite = pd.to_numeric(values, errors="coerce").dropna()

    def draw(ax: Axes) -> None:
        ax.hist(finite, bins=30, color=color)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("features")

    return draw


def _sensitivity(best: gpd.GeoDataFrame, weights: Mapping[str, float], *, top_n: int) -> pd.DataFrame | None:
    """The ranking stability of the best candidates, from their normalised criteria (None without them)."""
    from geo.siting import RAW_COLUMNS, sensitivity

    columns = [f"n_{c}" for c in RAW_COLUMNS]
    if top_n < 1 or not set(columns) <= set(best.columns):
        return None
    normalised = pd.DataFrame(best[columns]).rename(columns=lambda c: c.removeprefix("n_"))
    return sensitivity(normalised, weights, top_n=top_n)


def site_selection_report(
    scored: gpd.GeoDataFrame,
    *,
    weights: Mapping[str, float],
    parameters: Mapping[str, Any] | None = None,
    sensitivity: pd.DataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    top_n: int = 20,
    title: str = "Site selection",
) -> Report:
    """A report of a suitability analysis (:func:`geo.siting.suitability`).

    Parameters
    ----------
    scored : GeoDataFrame
        The scored candidates (hexagons or centres) with ``score`` and ``rank``, best first.
    weights : mapping, keyword-only
        Criterion weights used.
    parameters : mapping, optional, keyword-only
        Other parameters (region, resolution, demand radius, competition, exclusion...).
    sensitivity : DataFrame, optional, keyword-only
        :func:`geo.siting.sensitivity` (``share_in_top`` per top candidate): the ranking-stability
        chart. By default it is computed from the normalised criteria (``n_<criterion>`` columns)
        when ``scored`` has them (weights +/-20 %, 300 draws, seed 0, the app's settings).
    sites : GeoDataFrame, optional, keyword-only
        Chosen sites (location-allocation), drawn on top.
    context : mapping of layer name to GeoDataFrame, optional, keyword-only
        Layers drawn under the result and cited (the criteria's targets: demand, blocks, ports,
        facilities).
    top_n : int, keyword-only
        Rows of the table (the best candidates), outlined on the map.
    title : str, keyword-only
        The report's title.
    """
    if "score" not in scored.columns:
        msg = "scored: expected the output of geo.siting.suitability (a 'score' column)"
        raise InputError(msg)
    best = scored.sort_values("score", ascending=False, kind="stable")
    top = best.head(top_n)
    top_outline = top.assign(label=(top["rank"] if "rank" in top.columns else range(1, len(top) + 1)))
    map_layers = [
        MapLayer(best, "candidate score", column="score", cmap="viridis", marker_size=4),
        *_context_layers(context),
        MapLayer(
            top_outline.head(10).assign(geometry=top_outline.head(10).geometry.representative_point()),
            f"best {min(10, len(top))} (rank)",
            color="#d50000",
            marker_size=30,
            labels="label",
        ),
    ]
    if sites is not None and len(sites):
        map_layers.append(MapLayer(sites, "chosen sites", color="#ff6f00", marker_size=60))
    columns = [c for c in top.columns if c not in ("geometry",) and not c.startswith("n_")]
    charts = [Chart(f"Scores of all {len(scored):,} candidates", _histogram(scored["score"], xlabel="score"))]
    if sensitivity is None:
        sensitivity = _sensitivity(best, weights, top_n=min(10, len(best)))
    if sensitivity is not None and len(sensitivity):
        shares = sensitivity["share_in_top"].to_numpy()
        cells = scored["cell"] if "cell" in scored.columns else scored.index.to_series()
        names = [str(cells.get(i, i)) for i in sensitivity.index]

        def stability(ax: Axes) -> None:
            ax.barh(range(len(shares))[::-1], shares, color="#2e7d32")
            ax.set_yticks(range(len(shares))[::-1], names, fontsize=5.5)
            ax.set_xlim(0, 1)
            ax.set_xlabel("share of draws in the top")

        charts.append(
            Chart(
                "Ranking stability",
                stability,
                caption="Share of weight draws (each weight varied) in which each of the baseline best "
                "candidates stays among the best.",
            )
        )
    all_parameters = {**{f"weight: {k}": v for k, v in weights.items()}, **dict(parameters or {})}
    return Report(
        title=title,
        analysis="Site selection (weighted suitability on an H3 grid)",
        map_layers=map_layers,
        table=pd.DataFrame(top[columns]),
        table_title=f"The best {len(top)} candidates",
        parameters=all_parameters,
        charts=charts,
        sources=[BASEMAP_ATTRIBUTION, *layer_sources(dict(context or {})), NETWORK_ATTRIBUTION["road"]],
        summary={
            "candidates scored": len(scored),
            "best score": float(best["score"].iloc[0]) if len(best) else np.nan,
        },
        notes=[
            "Criteria are measured with exact WGS84 geodesic distances, normalised 0-1 over the candidates "
            "(1 = best) and combined as the weighted sum of the weights listed.",
            "Candidates are H3 cells (hexagonal grid); a cell stands for its centre.",
        ],
    )


def route_comparison_report(
    routes: Mapping[str, gpd.GeoDataFrame],
    *,
    origin: str,
    destination: str,
    parameters: Mapping[str, Any] | None = None,
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    title: str | None = None,
) -> Report:
    """A report comparing the routes between two places by several modes (:func:`geo.network.route`).

    Parameters
    ----------
    routes : mapping of mode to legs
        Each mode's legs (``length_km``, ``hours``, ``co2e_t``, ``access_km``, ...).
    origin, destination : str, keyword-only
        Names of the two ends.
    parameters : mapping, optional, keyword-only
        Tonnes, objective, and so on.
    context : mapping of layer name to GeoDataFrame, optional, keyword-only
        Layers drawn and cited (the ports used by a multimodal route, the end features).
    title : str, optional, keyword-only
        Default: "Routes from ORIGIN to DESTINATION".
    """
    if not routes:
        msg = "routes: expected at least one mode's legs, got none"
        raise InputError(msg)
    from geo.network import route_totals

    rows = []
    for mode, legs in routes.items():
        row: dict[str, Any] = {"mode": mode, **route_totals(legs)}
        row["access_km"] = float(legs["access_km"].sum()) if "access_km" in legs else np.nan
        row["legs"] = len(legs)
        rows.append(row)
    totals = pd.DataFrame(rows)
    ends = []
    for legs in routes.values():
        coords = [shapely.get_coordinates(g) for g in _wgs84(legs, "legs").geometry.values]
        if coords:
            ends = [coords[0][0], coords[-1][-1]]
            break
    map_layers = _context_layers(context)
    map_layers += [
        MapLayer(legs, f"{mode}", color=MODE_COLORS.get(mode, "#455a64"), linewidth=2.0)
        for mode, legs in routes.items()
    ]
    if ends:
        map_layers.append(
            MapLayer(
                gpd.GeoDataFrame(
                    {"name": [origin, destination]},
                    geometry=[shapely.Point(e[0], e[1]) for e in ends],
                    crs=WGS84,
                ),
                "origin and destination",
                color="#212121",
                marker_size=40,
                labels="name",
            )
        )

    def comparison(ax: Axes) -> None:
        metrics = [("length_km", "km"), ("hours", "hours"), ("co2e_t", "t CO2e")]
        if "cost_usd" in totals.columns:
            metrics.append(("cost_usd", "US$"))
        modes = totals["mode"].tolist()
        x = np.arange(len(metrics))
        step = 0.8 / max(len(modes), 1)
        for k, mode in enumerate(modes):
            row = totals[totals["mode"] == mode].iloc[0]
            peak = [float(totals[m].max()) or 1.0 for m, _ in metrics]
            values = [float(row[m]) / p for (m, _), p in zip(metrics, peak, strict=True)]
            ax.bar(x + k * step, values, width=step, color=MODE_COLORS.get(mode, "#455a64"), label=mode)
        ax.set_xticks(x + step * (len(modes) - 1) / 2, [label for _, label in metrics])
        ax.set_ylabel("share of the largest")
        ax.legend(fontsize=6)

    legs_table = pd.concat(
        [
            pd.DataFrame(legs.drop(columns="geometry")).assign(route_mode=mode)
            for mode, legs in routes.items()
        ],
        ignore_index=True,
    )
    keep = [
        c
        for c in (
            "route_mode",
            "leg",
            "mode",
            "from_name",
            "to_name",
            "length_km",
            "access_km",
            "hours",
            "co2e_t",
        )
        if c in legs_table.columns
    ]
    return Report(
        title=title or f"Routes from {origin} to {destination}",
        analysis="Route comparison by mode on the road, rail and sea networks",
        map_layers=map_layers,
        table=pd.concat(
            [totals, legs_table[keep].rename(columns={"route_mode": "mode", "mode": "leg_mode"})],
            ignore_index=True,
        ),
        table_title="Modes side by side (totals), then each leg",
        parameters={"origin": origin, "destination": destination, **dict(parameters or {})},
        charts=[
            Chart(
                "Mode comparison",
                comparison,
                caption="Length, hours, tonnes CO2e (and freight cost) of each mode, as a share of the "
                "largest; the table holds the figures.",
            )
        ],
        sources=[
            BASEMAP_ATTRIBUTION,
            *_route_sources(routes),
            *layer_sources(dict(context or {})),
        ],
        summary={
            f"{r['mode']}": f"{r['length_km']:,.0f} km, {r['hours']:,.1f} h, {r['co2e_t']:,.3f} t CO2e"
            for r in totals.to_dict("records")
        },
        notes=[
            "Shortest paths are exact on the networks (A* with a geodesic lower bound); the straight legs to "
            "and from the network (access_km) are included in every figure.",
            "Hours use each mode's average door-to-door speed; CO2e is direct (tank-to-wheel) emissions.",
        ],
    )


def corridor_report(
    route: shapely.Geometry,
    polygon: shapely.Geometry,
    inside: gpd.GeoDataFrame,
    summary: Mapping[str, Any],
    *,
    width_km: float,
    route_name: str,
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    parameters: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> Report:
    """A report of a corridor analysis (``app.workflows.corridor``'s result).

    Parameters
    ----------
    route : LineString
        The route, lon/lat.
    polygon : Polygon or MultiPolygon
        The corridor (:func:`geo.corridor.corridor_polygon`).
    inside : GeoDataFrame
        Features inside, with ``layer``, ``distance_to_route_km``, ``chainage_km`` and ``side``.
    summary : mapping
        :func:`geo.corridor.corridor_summary` (``route_km``, ``area_km2``, ``population``...).
    width_km : float, keyword-only
        Half-width of the corridor.
    route_name : str, keyword-only
        Name of the route.
    context : mapping of layer name to GeoDataFrame, optional, keyword-only
        The layers searched (cited; their features inside are drawn by layer).
    parameters : mapping, optional, keyword-only
        Other parameters.
    title : str, optional, keyword-only
        Default: "Corridor of ROUTE".
    """
    frames = {"corridor": gpd.GeoDataFrame(geometry=[polygon], crs=WGS84)}
    map_layers = [MapLayer(frames["corridor"], f"corridor ±{width_km:g} km", color="#ffb300", alpha=0.35)]
    map_layers.append(
        MapLayer(gpd.GeoDataFrame(geometry=[route], crs=WGS84), "route", color="#6d4c41", linewidth=2.2)
    )
    by_layer = (
        dict(tuple(inside.groupby("layer", sort=False)))
        if "layer" in inside.columns
        else {"features": inside}
    )
    for name, part in by_layer.items():
        map_layers.append(
            MapLayer(
                gpd.GeoDataFrame(part, geometry="geometry", crs=inside.crs),
                f"{name} inside",
                color=LAYER_COLORS.get(str(name), "#546e7a"),
            )
        )
    columns = [
        c
        for c in (
            "layer",
            "id",
            "name",
            "kind",
            "country",
            "population",
            "distance_to_route_km",
            "chainage_km",
            "side",
        )
        if c in inside.columns
    ]

    def along(ax: Axes) -> None:
        for name, part in by_layer.items():
            ax.scatter(
                part["chainage_km"],
                np.where(part["side"] == "left", 1, -1) * part["distance_to_route_km"],
                s=10,
                color=LAYER_COLORS.get(str(name), "#546e7a"),
                label=str(name),
            )
        ax.axhline(0, color="#6d4c41", linewidth=1)
        ax.set_xlabel("km along the route")
        ax.set_ylabel("km left (+) / right (-)")
        ax.legend(fontsize=6)

    counts = summary.get("counts")
    # the layers searched are cited; the records of those inside, and the route's own records
    cited = {name: gdf if name == "routes" else gdf.iloc[0:0] for name, gdf in (context or {}).items()}
    cited.update({str(name): part for name, part in by_layer.items()})
    return Report(
        title=title or f"Corridor of {route_name}",
        analysis="Corridor analysis: what lies within a width of a route",
        map_layers=map_layers,
        table=pd.DataFrame(inside[columns]) if columns else pd.DataFrame(),
        table_title=f"{len(inside):,} features within {width_km:g} km, by chainage",
        parameters={"route": route_name, "half-width km": width_km, **dict(parameters or {})},
        charts=[
            Chart(
                "Features along the route", along, caption="Each feature at its chainage and signed distance."
            )
        ]
        if len(inside)
        else [],
        sources=[BASEMAP_ATTRIBUTION, *layer_sources(cited)],
        summary={
            "route km": summary.get("route_km", np.nan),
            "corridor km2": summary.get("area_km2", np.nan),
            "features inside": len(inside),
            "population inside": summary.get("population", np.nan),
            **(
                {
                    "features by layer": ", ".join(
                        f"{r.layer} {r.features}"
                        for r in counts.groupby("layer", as_index=False)["features"].sum().itertuples()
                    )
                }
                if isinstance(counts, pd.DataFrame) and len(counts)
                else {}
            ),
        },
        notes=[
            "Distances are WGS84 geodesics from each feature to the route; the corridor polygon is "
            "correct to 0.1 % of its width."
        ],
    )


def service_area_report(
    areas: gpd.GeoDataFrame,
    *,
    origins: gpd.GeoDataFrame | None = None,
    origins_layer: str = "origins",
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    parameters: Mapping[str, Any] | None = None,
    title: str = "Service areas",
) -> Report:
    """A report of service areas (:func:`geo.service_area.service_areas`): bands on the map, figures per band.

    Parameters
    ----------
    areas : GeoDataFrame
        The service areas (one row per origin and band).
    origins : GeoDataFrame, optional, keyword-only
        The origins, drawn and cited under ``origins_layer`` (e.g. ``facilities``).
    origins_layer : str, keyword-only
        Layer name of the origins, for the sources.
    context : mapping of layer name to GeoDataFrame, optional, keyword-only
        Layers drawn and cited (the demand counted inside, facilities).
    parameters : mapping, optional, keyword-only
        Other parameters (access km, grid km...).
    title : str, keyword-only
        The report's title.
    """
    band = "band_h" if "band_h" in areas.columns else "band_km"
    unit = "h" if band == "band_h" else "km"
    bands = sorted(areas[band].unique(), reverse=True)
    ramp = matplotlib.colormaps["YlGnBu"]
    map_layers = _context_layers(context)
    for k, value in enumerate(bands):
        map_layers.append(
            MapLayer(
                areas[areas[band] == value],
                f"within {value:g} {unit}",
                color=matplotlib.colors.to_hex(ramp(0.3 + 0.6 * k / max(len(bands) - 1, 1))),
                alpha=0.55,
            )
        )
    if origins is not None:
        map_layers.append(MapLayer(origins, "origins", color="#d50000", marker_size=30))

    def population(ax: Axes) -> None:
        table = areas.pivot_table(
            index="origin_id", columns=band, values="feedstock_population", aggfunc="sum"
        )
        table.plot.bar(
            ax=ax,
            color=[ramp(0.3 + 0.6 * k / max(len(table.columns) - 1, 1)) for k in range(len(table.columns))][
                ::-1
            ],
            width=0.8,
        )
        ax.set_ylabel("people inside")
        ax.set_xlabel("")
        ax.legend(title=unit, fontsize=6, title_fontsize=6)

    modes = sorted(areas["mode"].unique()) if "mode" in areas.columns else []
    columns = [c for c in areas.columns if c not in ("geometry", "facility_ids")]
    return Report(
        title=title,
        analysis="Service areas on the transport networks",
        map_layers=map_layers,
        table=pd.DataFrame(areas[columns]),
        table_title="Each origin and band",
        parameters={
            "bands": ", ".join(f"{v:g} {unit}" for v in sorted(bands)),
            "modes": ", ".join(modes),
            **dict(parameters or {}),
        },
        charts=[Chart("Feedstock population inside each band", population)]
        if "feedstock_population" in areas.columns
        else [],
        sources=[
            BASEMAP_ATTRIBUTION,
            *_network_sources(modes),
            *layer_sources(
                {**dict(context or {}), **({origins_layer: origins} if origins is not None else {})}
            ),
        ],
        summary={"origins": areas["origin_id"].nunique(), "bands": len(bands)},
        notes=[
            "A place is inside a band when origin -> network -> place fits the band, both straight legs "
            "off the "
            "network (at most access_km at the far end) counted at the mode's speed.",
        ],
    )
