"""Drawing a layer on a folium map: one FeatureGroup per layer, escaped popups and tooltips.

Feature properties are data, never markup: every value is HTML-escaped in Python before it reaches
the page, and a ``source`` becomes a link only when it is an http(s) URL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import shapely
from folium.plugins import MarkerCluster
from folium.utilities import JsCode

from geo.export import json_value, prepare_geometries
from layers._spec import LayerSpec, Style

#: Decimals of display coordinates (about 1 m); exports keep GEOJSON_PRECISION.
DISPLAY_PRECISION = 5
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)

_BIND = JsCode(
    """function(feature, layer) {
    layer.bindTooltip(feature.properties._tooltip, {sticky: true});
    layer.bindPopup(feature.properties._popup, {maxWidth: 360});
}"""
)


def _text(value: Any) -> str:
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def source_html(source: str) -> str:
    """Escaped source text; its http(s) URLs become links (other schemes stay plain text)."""
    parts, last = [], 0
    for match in _URL.finditer(source):
        parts.append(html.escape(source[last : match.start()]))
        url = html.escape(match.group(0), quote=True)
        parts.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>')
        last = match.end()
    parts.append(html.escape(source[last:]))
    return "".join(parts)


def popup_html(props: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    """The popup of one feature: name, the listed fields and the source, all escaped."""
    rows = [f"<b>{html.escape(_text(props.get('name')))}</b>", "<table class='ma-popup'>"]
    for field in fields:
        value = _text(props.get(field))
        if value:
            label = html.escape(field.replace("_", " "))
            rows.append(f"<tr><th>{label}</th><td>{html.escape(value)}</td></tr>")
    source = _text(props.get("source"))
    if source:
        rows.append(f"<tr><th>source</th><td>{source_html(source)}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def tooltip_text(props: Mapping[str, Any]) -> str:
    """Escaped one-line tooltip: the name, and the kind where there is one."""
    name = html.escape(_text(props.get("name")))
    kind = _text(props.get("kind")).replace("_", " ")
    return f"{name} ({html.escape(kind)})" if kind else name


def _collection(geoms, styles: list[Style], tooltips: list[str] | None = None, popups: list[str] | None = None) -> dict[str, Any]:
    """A FeatureCollection for the map: rounded geometry, a style each, escaped tooltip and popup (if any)."""
    prepared = prepare_geometries(list(geoms), precision=DISPLAY_PRECISION)
    features = []
    for i, (geom, style) in enumerate(zip(prepared, styles, strict=True)):
        props: dict[str, Any] = {"_style": {k: v for k, v in style.items() if v is not None}}
        if tooltips is not None and popups is not None:
            props["_tooltip"], props["_popup"] = tooltips[i], popups[i]
        features.append({"type": "Feature", "id": str(i), "properties": props, "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def display_collection(spec: LayerSpec, gdf: gpd.GeoDataFrame, *, with_markers: bool = False, interactive: bool = True) -> dict[str, Any]:
    """GeoJSON of a layer for the map: only style, tooltip and popup properties.

    With ``with_markers``, each polygon also gets a marker at a point inside it, so small areas
    (a 2 sq km lithium block) stay visible and clickable at country zoom levels. Without
    ``interactive`` (the basemap), features carry their style only.
    """
    geoms, styles, tooltips, popups = [], [], [], []
    for props, geom in zip(gdf.drop(columns=gdf.geometry.name).to_dict("records"), gdf.geometry.values, strict=True):
        style = spec.style(props)
        tip, pop = (tooltip_text(props), popup_html(props, spec.popup_fields)) if interactive else ("", "")
        parts = [(geom, style)]
        if with_markers and geom is not None and geom.geom_type.endswith("Polygon"):
            parts.append((geom.representative_point(), {**style, "radius": 7, "fillOpacity": 0.9}))
        for part, part_style in parts:
            geoms.append(part)
            styles.append(part_style)
            tooltips.append(tip)
            popups.append(pop)
    return _collection(geoms, styles, tooltips if interactive else None, popups if interactive else None)


def _bind(permanent: bool) -> JsCode:
    if not permanent:
        return _BIND
    return JsCode(
        """function(feature, layer) {
    layer.bindTooltip(feature.properties._tooltip, {permanent: true, direction: 'center', className: 'ma-label'});
    layer.bindPopup(feature.properties._popup, {maxWidth: 360});
}"""
    )


def geojson_layer(collection: dict[str, Any], *, interactive: bool = True, permanent: bool = False, name: str | None = None) -> folium.GeoJson:
    """folium GeoJson drawing a :func:`display_collection`: styles per feature, circle markers for points."""
    return folium.GeoJson(
        collection,
        name=name,
        style_function=lambda feature: feature["properties"]["_style"],
        marker=folium.CircleMarker(fill=True),
        on_each_feature=_bind(permanent) if interactive else None,
        smooth_factor=1.0,
    )


def feature_collection(
    geoms, tooltips: list[str], popups: list[str], styles: list[Style], *, permanent: bool = False
) -> folium.GeoJson:
    """A GeoJson layer of already-escaped tooltips and popups, one style per feature (analysis results)."""
    return geojson_layer(_collection(geoms, styles, tooltips, popups), permanent=permanent)


def layer_group(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """A FeatureGroup drawing ``gdf`` with the layer's style, popups, tooltips and clustering."""
    group = folium.FeatureGroup(name=f"{spec.title} ({len(gdf)})")
    if gdf.empty:
        return group
    geojson = geojson_layer(display_collection(spec, gdf, with_markers=True), name=spec.title)
    if spec.cluster:
        cluster = MarkerCluster(name=spec.title, control=False, options={"maxClusterRadius": 40, "disableClusteringAtZoom": 9})
        geojson.add_to(cluster)
        cluster.add_to(group)
    else:
        geojson.add_to(group)
    return group
