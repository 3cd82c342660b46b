"""Analysis results as map layers: nearest lines, range rings, a clicked point.

Same rules as the data layers: one FeatureGroup each, every label escaped before it reaches the page.
"""

from __future__ import annotations

import html

import folium
import shapely

from geo.proximity import geodesic_circle
from layers._render import feature_collection

LINE_COLOR = "#d84315"
RING_COLOR = "#00838f"
#: Lines labelled permanently (with their km) up to this many; beyond it the label shows on hover.
MAX_PERMANENT_LABELS = 40


def nearest_lines_group(lines: gpd.GeoDataFrame, *, name: str = "Nearest") -> folium.FeatureGroup:
    """Geodesic lines from :func:`geo.proximity.nearest_lines`, each labelled with its length in km."""
    group = folium.FeatureGroup(name=f"{name} ({len(lines)})")
    if lines.empty:
        return group
    labels = [
        f"{html.escape(str(s))} → {html.escape(str(t))}: {d:,.1f} km"
        for s, t, d in zip(lines.get("source_name", lines["source_id"]), lines.get("target_name", lines["target_id"]), lines["distance_km"], strict=True)
    ]
    permanent = len(lines) <= MAX_PERMANENT_LABELS
    styles = [{"color": LINE_COLOR, "weight": 3 if r == 1 else 2, "opacity": 0.85, "dashArray": None if r == 1 else "6 4"} for r in lines["rank"]]
    feature_collection(lines.geometry.values, labels, labels, styles, permanent=permanent).add_to(group)
    return group


def range_rings_group(lon: float, lat: float, radii_km: list[float], *, label: str) -> folium.FeatureGroup:
    """Geodesic range rings of the given radii (km) around (lon, lat)."""
    group = folium.FeatureGroup(name=f"Range rings: {label}")
    rings = [geodesic_circle(lon, lat, r * 1000.0).exterior for r in sorted(radii_km)]
    texts = [f"{html.escape(label)}: {r:,.0f} km" for r in sorted(radii_km)]
    styles = [{"color": RING_COLOR, "weight": 2, "opacity": 0.9, "dashArray": "4 4"} for _ in rings]
    feature_collection(shapely.linestrings([shapely.get_coordinates(r) for r in rings]) if rings else [], texts, texts, styles, permanent=False).add_to(group)
    return group


def point_group(lon: float, lat: float, *, label: str, name: str = "Clicked point") -> folium.FeatureGroup:
    """One highlighted point."""
    group = folium.FeatureGroup(name=name)
    text = html.escape(label)
    style = {"radius": 9, "color": "#000000", "weight": 3, "fillColor": "#ffeb3b", "fillOpacity": 1.0}
    feature_collection([shapely.Point(lon, lat)], [text], [text], [style], permanent=False).add_to(group)
    return group

