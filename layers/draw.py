"""Drawing and measuring on the map: Leaflet.draw's toolbar and leaflet-measure's ruler.

Both plugins are served by the app itself (``static/vendor/leaflet.draw``, ``static/vendor/
leaflet-measure``, taken from the npm registry with their licences; see :mod:`layers._assets`).

The toolbar draws polygons, rectangles, lines and points (markers); circles are left out, as
GeoJSON has no circle. Shapes drawn earlier in the session can be put back on the map
(``drawings``), still editable. Both plugins measure on a sphere (Leaflet's), which is up to 0.5 %
off; the app shows the WGS84 figures of :mod:`geo.measure` beside the map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
from folium.plugins import Draw, MeasureControl

from layers._assets import localize

#: Colour of drawn shapes.
DRAW_COLOR = "#ff6f00"
_SHAPE: dict[str, Any] = {"color": DRAW_COLOR, "weight": 3, "opacity": 0.9, "fillOpacity": 0.15}


def _lat_lon(ring: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    return [(float(p[1]), float(p[0])) for p in ring]


def restored_shape(feature: Mapping[str, Any]) -> folium.Marker | folium.PolyLine | folium.Polygon | None:
    """A drawn GeoJSON feature (as the map returned it) as an editable Leaflet layer; None for others.

    Points become markers, lines polylines, polygons polygons (holes kept); multi-part shapes and
    anything else are not put back (the toolbar draws none).
    """
    geometry = feature.get("geometry") or {}
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if not coords:
        return None
    if kind == "Point":
        return folium.Marker((float(coords[1]), float(coords[0])))
    if kind == "LineString":
        return folium.PolyLine(_lat_lon(coords), **_SHAPE)
    if kind == "Polygon":
        return folium.Polygon([_lat_lon(ring) for ring in coords], fill=True, **_SHAPE)
    return None


def draw_tools(
    m: folium.Map, *, drawings: Sequence[Mapping[str, Any]] = (), measure: bool = True
) -> folium.Map:
    """Add the drawing toolbar (and the ruler) to ``m``, with ``drawings`` put back; returns ``m``.

    Parameters
    ----------
    m : folium.Map
        The map (e.g. :func:`layers.map.build_map`'s).
    drawings : sequence of GeoJSON features, keyword-only
        Shapes drawn earlier (streamlit-folium's ``all_drawings``), editable again.
    measure : bool, keyword-only
        Add leaflet-measure's ruler too.
    """
    group = folium.FeatureGroup(name="Drawn shapes", control=False)
    for feature in drawings:
        layer = restored_shape(feature)
        if layer is not None:
            layer.add_to(group)
    group.add_to(m)
    area = {"showArea": True, "metric": ["km", "ha"], "shapeOptions": _SHAPE}
    Draw(
        export=False,
        feature_group=group,
        position="topleft",
        show_geometry_on_click=False,
        draw_options={
            "polyline": {"shapeOptions": _SHAPE, "metric": True, "feet": False, "showLength": True},
            "polygon": {**area, "allowIntersection": False},
            "rectangle": area,
            "marker": True,
            "circle": False,
            "circlemarker": False,
        },
        edit_options={"edit": True, "remove": True},
    ).add_to(m)
    if measure:
        MeasureControl(
            position="topleft",
            primary_length_unit="kilometers",
            secondary_length_unit="miles",
            primary_area_unit="sqkilometers",
            secondary_area_unit="hectares",
            active_color=DRAW_COLOR,
            completed_color="#e65100",
        ).add_to(m)
    return localize(m)
