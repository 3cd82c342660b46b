"""Analysis results as map layers: nearest lines, range rings, points, routes, corridors, scores, sites.

Same rules as the data layers: one FeatureGroup each, every label escaped before it reaches the page,
each with its layer-control name and legend rows (see :func:`layers._controls.describe`). Results are
black, or marked with letters and numbers (A origin, B destination, numbered chosen sites), so they
never read as a facility kind (see :mod:`layers.palette`).
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import pandas as pd
import shapely

from geo.proximity import geodesic_circle
from layers import labels, palette
from layers._controls import describe
from layers._render import feature_collection
from layers._spec import LegendEntry

LINE_COLOR = palette.RESULT_LINE
RING_COLOR = palette.RING
SCORE_RAMP = palette.SCORE_RAMP
#: Lines labelled permanently (with their km) up to this many; beyond it the label shows on hover.
MAX_PERMANENT_LABELS = 40


def _pin(lon: float, lat: float, *, text: str, color: str, tooltip: str, css: str = "") -> folium.Marker:
    """A round (or square, ``css="ma-site"``) marker showing ``text``; ``tooltip`` is escaped here."""
    body = f"<div style='background:{html.escape(color, quote=True)}'>{html.escape(text)}</div>"
    icon = folium.DivIcon(
        html=body, class_name=f"ma-pin {css}".strip(), icon_size=(22, 22), icon_anchor=(11, 11)
    )
    return folium.Marker([lat, lon], icon=icon, tooltip=folium.Tooltip(html.escape(tooltip)))


def nearest_lines_group(lines: gpd.GeoDataFrame, *, name: str = "Nearest") -> folium.FeatureGroup:
    """Geodesic lines from :func:`geo.proximity.nearest_lines`, each labelled with its length in km."""
    group = folium.FeatureGroup(name=html.escape(f"{name} ({len(lines):,})"))
    legend = [LegendEntry("Nearest (line and km)", LINE_COLOR, "line")]
    if len(lines) and (lines["rank"] > 1).any():
        legend.append(LegendEntry("2nd and further nearest", LINE_COLOR, "line", dash="6 4"))
    describe(group, name=f"{name} ({labels.plural(len(lines), 'line')})", legend=legend)
    if lines.empty:
        return group
    texts = [
        f"{html.escape(str(s))} → {html.escape(str(t))}: {d:,.1f} km"
        for s, t, d in zip(
            lines.get("source_name", lines["source_id"]),
            lines.get("target_name", lines["target_id"]),
            lines["distance_km"],
            strict=True,
        )
    ]
    permanent = len(lines) <= MAX_PERMANENT_LABELS
    styles = [
        {
            "color": LINE_COLOR,
            "weight": 2.5 if r == 1 else 1.5,
            "opacity": 0.8,
            "dashArray": None if r == 1 else "6 4",
        }
        for r in lines["rank"]
    ]
    feature_collection(lines.geometry.values, texts, texts, styles, permanent=permanent).add_to(group)
    return group


def range_rings_group(lon: float, lat: float, radii_km: list[float], *, label: str) -> folium.FeatureGroup:
    """Geodesic range rings of the given radii (km) around (lon, lat)."""
    group = folium.FeatureGroup(name=html.escape(f"Range rings: {label}"))
    radii = sorted(radii_km)
    describe(
        group,
        name=f"Range rings ({', '.join(f'{r:,.0f}' for r in radii)} km)",
        legend=[
            LegendEntry(
                f"Range ring ({', '.join(f'{r:,.0f}' for r in radii)} km)", RING_COLOR, "line", dash="4 4"
            )
        ],
    )
    rings = [geodesic_circle(lon, lat, r * 1000.0).exterior for r in radii]
    texts = [f"{html.escape(label)}: {r:,.0f} km" for r in radii]
    styles = [{"color": RING_COLOR, "weight": 2, "opacity": 0.9, "dashArray": "4 4"} for _ in rings]
    feature_collection(
        shapely.linestrings([shapely.get_coordinates(r) for r in rings]) if rings else [],
        texts,
        texts,
        styles,
        permanent=False,
    ).add_to(group)
    return group


def point_group(lon: float, lat: float, *, label: str, name: str = "Clicked point") -> folium.FeatureGroup:
    """One marked point (a clicked point): a black pin with a cross."""
    group = folium.FeatureGroup(name=html.escape(name))
    describe(group, name=name, legend=[LegendEntry(name, LINE_COLOR, "letter", text="+")])
    _pin(lon, lat, text="+", color=LINE_COLOR, tooltip=label, css="ma-click").add_to(group)
    return group


def endpoints_group(
    origin: tuple[float, float],
    destination: tuple[float, float],
    *,
    origin_label: str,
    destination_label: str,
) -> folium.FeatureGroup:
    """A route's ends: A (origin, green) and B (destination, red), letters for colour-blind readers."""
    group = folium.FeatureGroup(name="Origin (A) and destination (B)")
    describe(
        group,
        name="Origin (A) and destination (B)",
        legend=[
            LegendEntry(f"Origin: {origin_label}", palette.ORIGIN, "letter", text="A"),
            LegendEntry(f"Destination: {destination_label}", palette.DESTINATION, "letter", text="B"),
        ],
    )
    _pin(*origin, text="A", color=palette.ORIGIN, tooltip=f"Origin: {origin_label}").add_to(group)
    _pin(
        *destination, text="B", color=palette.DESTINATION, tooltip=f"Destination: {destination_label}"
    ).add_to(group)
    return group


def score_color(value: float, lo: float, hi: float) -> str:
    """Ramp colour of a score between lo and hi."""
    share = 0.0 if hi <= lo else (value - lo) / (hi - lo)
    return SCORE_RAMP[min(len(SCORE_RAMP) - 1, max(0, int(share * len(SCORE_RAMP))))]


def scored_cells_group(cells: gpd.GeoDataFrame, *, name: str = "Suitability") -> folium.FeatureGroup:
    """Hexagons coloured by ``score`` (rank and score in the tooltip); the legend gives the ranges."""
    group = folium.FeatureGroup(name=html.escape(f"{name} ({len(cells)} cells)"))
    if len(cells) == 0:
        describe(group, name=name)
        return group
    lo, hi = float(cells["score"].min()), float(cells["score"].max())
    step = (hi - lo) / len(SCORE_RAMP)
    legend = [
        LegendEntry(
            f"Score {lo + i * step:.3f}–{lo + (i + 1) * step:.3f}",
            c,
            "square",
            outline=palette.CELL_OUTLINE,
        )
        for i, c in reversed(list(enumerate(SCORE_RAMP)))
    ]
    if hi <= lo:
        legend = [LegendEntry(f"Score {lo:.3f}", SCORE_RAMP[0], "square", outline=palette.CELL_OUTLINE)]
    describe(group, name=f"{name} ({labels.plural(len(cells), 'cell')})", legend=legend, legend_title=name)
    texts = [f"rank {int(r)} · score {s:.3f}" for r, s in zip(cells["rank"], cells["score"], strict=True)]
    styles = [
        {
            "color": palette.CELL_OUTLINE,
            "weight": 0.5,
            "fillColor": score_color(s, lo, hi),
            "fillOpacity": 0.75,
        }
        for s in cells["score"]
    ]
    feature_collection(cells.geometry.values, texts, texts, styles).add_to(group)
    return group


def allocation_group(
    sites: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, *, name: str = "Chosen sites"
) -> folium.FeatureGroup:
    """Chosen sites (numbered squares; existing ones kept open in white) and the lines from demand."""
    group = folium.FeatureGroup(name=html.escape(f"{name} ({len(sites)} sites)"))
    fixed = sites["fixed"].astype(bool).to_numpy() if "fixed" in sites else [False] * len(sites)
    legend = [LegendEntry("New site (number)", palette.SITE, "square-letter", text="1")]
    if any(fixed):
        legend.append(LegendEntry("Existing site kept open", "#ffffff", "square", outline=palette.SITE))
    legend.append(LegendEntry("Demand point → its site", palette.ASSIGNMENT, "line"))
    describe(group, name=f"{name} ({labels.plural(len(sites), 'site')})", legend=legend)
    texts = [f"demand → site: {d:,.1f} km" for d in lines["distance_km"]]
    styles = [{"color": palette.ASSIGNMENT, "weight": 1, "opacity": 0.6} for _ in texts]
    feature_collection(lines.geometry.values, texts, texts, styles).add_to(group)
    number = 0
    for i, geom, w, m, x, f in zip(
        sites.index,
        sites.geometry.values,
        sites["served_weight"],
        sites["mean_km"],
        sites["max_km"],
        fixed,
        strict=True,
    ):
        point = geom.representative_point()
        text = f"site {i}: serves {w:,.0f}, mean {m:,.1f} km, max {x:,.1f} km" + (
            " (existing, kept open)" if f else ""
        )
        if not f:
            number += 1
        _pin(
            point.x,
            point.y,
            text="E" if f else str(number),
            color=palette.SITE,
            tooltip=text,
            css="ma-site ma-site-fixed" if f else "ma-site",
        ).add_to(group)
    return group


def _amount(value: float | None, spec: str, unit: str) -> str:
    """``value`` formatted by ``spec``, then its unit; "–" in place of a missing value (None, NaN)."""
    if value is None or pd.isna(value):
        return f"– {unit}"
    return f"{value:{spec}} {unit}"


def route_group(legs: gpd.GeoDataFrame, *, name: str, route_mode: str | None = None) -> folium.FeatureGroup:
    """A route's legs, each labelled with its mode, ends, km, hours and t CO2e ("–" where unknown).

    With ``route_mode`` (a route of the Routes tab) the route's colour is its mode's and each leg's
    dash pattern is the leg's mode (a multimodal route: road legs solid, the sea leg dotted);
    without it, legs are coloured by their own mode, as on the routes layer.
    """
    group = folium.FeatureGroup(name=html.escape(f"{name} ({labels.plural(len(legs), 'leg')})"))
    leg_modes = list(dict.fromkeys(legs["mode"]))
    legend = []
    for mode in leg_modes:
        color = palette.MODE.get(route_mode or mode, palette.OTHER)
        if route_mode is None:
            label = f"{labels.MODES.get(mode, mode)} leg"
        elif mode == route_mode:
            label = f"{labels.MODES.get(route_mode, route_mode)} route"
        else:
            label = f"{labels.MODES.get(route_mode, route_mode)} route: {mode} leg"
        legend.append(LegendEntry(label, color, "line", dash=palette.DASH.get(mode) or ""))
    describe(group, name=f"{name} ({labels.plural(len(legs), 'leg')})", legend=legend)
    texts = [
        html.escape(
            f"{m}: {a} → {b}: {_amount(km, ',.0f', 'km')}, {_amount(h, ',.0f', 'h')}, "
            f"{_amount(c, ',.3f', 't CO2e')}"
        )
        for m, a, b, km, h, c in zip(
            legs["mode"],
            legs["from_name"],
            legs["to_name"],
            legs["length_km"],
            legs["hours"],
            legs["co2e_t"],
            strict=True,
        )
    ]
    styles = [
        {
            "color": palette.MODE.get(route_mode or m, palette.OTHER),
            "weight": 4,
            "opacity": 0.9,
            "dashArray": palette.DASH.get(m),
        }
        for m in legs["mode"]
    ]
    feature_collection(legs.geometry.values, texts, texts, styles, permanent=False).add_to(group)
    return group


def corridor_group(
    polygon: shapely.Geometry, *, label: str, name: str = "Corridor", second: bool = False
) -> folium.FeatureGroup:
    """The corridor area, translucent; its full label in the tooltip and the legend, never on the map."""
    fill, outline = palette.SECOND_CORRIDOR if second else palette.CORRIDOR
    group = folium.FeatureGroup(name=html.escape(name))
    describe(group, name=name, legend=[LegendEntry(label, fill, "square", outline=outline)])
    text = html.escape(label)
    style = {"color": outline, "weight": 1, "fillColor": fill, "fillOpacity": 0.25}
    feature_collection([polygon], [text], [text], [style], permanent=False).add_to(group)
    return group
