"""Static map images made without a browser (matplotlib), on the offline basemap.

A map is a list of :class:`MapLayer` drawn over the Natural Earth countries, with a legend, a scale
bar measured on the WGS84 ellipsoid at the map's centre, and a north arrow: :func:`draw_map` on
any matplotlib axes, :func:`static_map_png` as a PNG. The reports (:mod:`app.report`) print their
map page with it. About 430 lines, most of them the drawing of one layer and of the map's furniture
(scale bar, north arrow, legend), which read best together.

The module stays whole: the basemap, layers, legend, scale bar and north arrow of one figure.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

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

from geo import InputError
from geo.distance import GEOD
from geo.settings import WGS84

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
#: Largest number of polygons drawn one by one; more are drawn as points.
MAX_DRAWN_POLYGONS = 20_000
BASEMAP_ATTRIBUTION = (
    "Basemap: Natural Earth 4.1.0 Admin 0 countries 1:50m via world-atlas 2.0.2 (public domain)"
)


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


@cache
def _basemap() -> gpd.GeoDataFrame:
    import layers

    return layers.load("countries")[["name", "geometry"]]


def drawable(gdf: gpd.GeoDataFrame, argument: str) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326 without its features lacking a geometry (InputError if not a GeoDataFrame)."""
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
    gdf = drawable(layer.gdf, layer.label)
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
        bounds = map_bounds([drawable(layer.gdf, layer.label) for layer in fitted])
        figure = ax.get_figure(root=True)
        if figure is not None:  # fill the figure's shape
            width_in, height_in = figure.get_size_inches()
            bounds = _fill(bounds, 0.9 * width_in / height_in)
    west, south, east, north = bounds
    land = _basemap() if basemap is None else drawable(basemap, "basemap")
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
    return figure_png(figure)


def figure_png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
