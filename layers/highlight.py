"""A highlighted feature: what a search found, or the row picked in a result table.

A marker (:func:`layers.results.point_group`) at a point on the feature, and for a line or a
polygon its outline as well. Labels are text, escaped here.
"""

from __future__ import annotations

import html

import folium
import shapely

from layers._render import feature_collection
from layers.results import point_group

#: Outline of a highlighted line or polygon.
HIGHLIGHT_COLOR = "#000000"


def highlight_group(geometry: shapely.Geometry, *, label: str, name: str = "Found") -> folium.FeatureGroup:
    """``geometry`` (lon/lat) highlighted: a marker on it and, unless a point, its outline."""
    anchor = shapely.point_on_surface(geometry)
    group = point_group(anchor.x, anchor.y, label=label, name=name)
    if geometry.geom_type not in ("Point", "MultiPoint"):
        text = html.escape(label)
        style = {
            "color": HIGHLIGHT_COLOR,
            "weight": 4,
            "opacity": 0.9,
            "fillColor": "#ffeb3b",
            "fillOpacity": 0.15,
            "dashArray": "6 4",
        }
        feature_collection([geometry], [text], [text], [style], permanent=False).add_to(group)
    return group
