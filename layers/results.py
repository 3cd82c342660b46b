"""Analysis results as map layers: nearest lines, range rings, a clicked point.

Same rules as the data layers: one FeatureGroup each, every label escaped before it reaches the page.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import shapely

from geo.proximity import geodesic_circle
from layers._render import feature_collection

LINE_COLOR = "#d84315"
RING_COLOR = "#00838f"
#: Lines labelled permanently (with their km) up to this many; beyond it the label shows on hover.
MAX_PERMANENT_LABELS = 40


def nearest_lines_group(lines: gpd.GeoDataFrame, *, name: str = "Nearest") -> folium.FeatureGroup:
    """Geodesic lines from :func:`geo.proximity.nearest_lines`, each labelled with its length in km."""
    group = folium.FeatureGroup(name=html.escape(f"{name} ({len(lines)})"))
    if lines.empty:
        return group
    labels = [
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
            "weight": 3 if r == 1 else 2,
            "opacity": 0.85,
            "dashArray": None if r == 1 else "6 4",
        }
        for r in lines["rank"]
    ]
    feature_collection(lines.geometry.values, labels, labels, styles, permanent=permanent).add_to(group)
    return group


def range_rings_group(lon: float, lat: float, radii_km: list[float], *, label: str) -> folium.FeatureGroup:
    """Geodesic range rings of the given radii (km) around (lon, lat)."""
    group = folium.FeatureGroup(name=html.escape(f"Range rings: {label}"))
    rings = [geodesic_circle(lon, lat, r * 1000.0).exterior for r in sorted(radii_km)]
    texts = [f"{html.escape(label)}: {r:,.0f} km" for r in sorted(radii_km)]
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
    """One highlighted point."""
    group = folium.FeatureGroup(name=html.escape(name))
    text = html.escape(label)
    style = {"radius": 9, "color": "#000000", "weight": 3, "fillColor": "#ffeb3b", "fillOpacity": 1.0}
    feature_collection([shapely.Point(lon, lat)], [text], [text], [style], permanent=False).add_to(group)
    return group


#: Colour ramp of scores, low to high (colour-blind safe, viridis stops).
SCORE_RAMP = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def score_color(value: float, lo: float, hi: float) -> str:
    """Ramp colour of a score between lo and hi."""
    share = 0.0 if hi <= lo else (value - lo) / (hi - lo)
    return SCORE_RAMP[min(len(SCORE_RAMP) - 1, max(0, int(share * len(SCORE_RAMP))))]


def scored_cells_group(cells, *, name: str = "Suitability") -> folium.FeatureGroup:
    """Hexagons coloured by ``score`` (rank and score in the tooltip)."""
    group = folium.FeatureGroup(name=html.escape(f"{name} ({len(cells)} cells)"))
    if len(cells) == 0:
        return group
    lo, hi = float(cells["score"].min()), float(cells["score"].max())
    texts = [f"rank {int(r)} · score {s:.3f}" for r, s in zip(cells["rank"], cells["score"], strict=True)]
    styles = [
        {"color": "#333333", "weight": 0.5, "fillColor": score_color(s, lo, hi), "fillOpacity": 0.75}
        for s in cells["score"]
    ]
    feature_collection(cells.geometry.values, texts, texts, styles).add_to(group)
    return group


def allocation_group(sites, lines, *, name: str = "Allocation") -> folium.FeatureGroup:
    """Chosen sites (large markers) and the assignment lines from demand to them."""
    group = folium.FeatureGroup(name=html.escape(f"{name} ({len(sites)} sites)"))
    texts = [f"demand → site: {d:,.1f} km" for d in lines["distance_km"]]
    styles = [{"color": "#6a1b9a", "weight": 1, "opacity": 0.6} for _ in texts]
    feature_collection(lines.geometry.values, texts, texts, styles).add_to(group)
    site_points = [g.representative_point() for g in sites.geometry.values]
    labels = [
        html.escape(
            f"site {i}: serves {w:,.0f}, mean {m:,.1f} km, max {x:,.1f} km" + (" (fixed)" if f else "")
        )
        for i, w, m, x, f in zip(
            sites.index,
            sites["served_weight"],
            sites["mean_km"],
            sites["max_km"],
            sites["fixed"],
            strict=True,
        )
    ]
    site_styles = [
        {"radius": 11, "color": "#000000", "weight": 3, "fillColor": "#e040fb", "fillOpacity": 1.0}
        for _ in labels
    ]
    feature_collection(site_points, labels, labels, site_styles).add_to(group)
    return group


def route_group(legs, *, name: str) -> folium.FeatureGroup:
    """A route's legs coloured by mode, each labelled with its mode, ends, km, hours and t CO2e."""
    from layers.routes import style as route_style

    group = folium.FeatureGroup(name=html.escape(f"{name} ({len(legs)} legs)"))
    texts = [
        html.escape(f"{m}: {a} → {b}: {km:,.0f} km, {h:,.0f} h, {c:,.3f} t CO2e")
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
    styles = [{**route_style({"mode": m}), "weight": 4} for m in legs["mode"]]
    feature_collection(legs.geometry.values, texts, texts, styles, permanent=False).add_to(group)
    return group


def corridor_group(polygon, *, label: str) -> folium.FeatureGroup:
    """The corridor area, translucent."""
    group = folium.FeatureGroup(name=html.escape(f"Corridor: {label}"))
    text = html.escape(label)
    style = {"color": "#00695c", "weight": 1, "fillColor": "#4db6ac", "fillOpacity": 0.25}
    feature_collection([polygon], [text], [text], [style], permanent=False).add_to(group)
    return group
