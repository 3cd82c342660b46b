"""Drawing a layer on a folium map: one FeatureGroup per layer, escaped popups and tooltips.

Feature properties are data, never markup: every value is HTML-escaped in Python before it reaches
the page, and a ``source`` becomes a link only when it is an http(s) URL. A field that carries a claim
(``<field>_basis`` and ``<field>_evidence``, see :mod:`layers._provenance`) is shown with its
evidence under the value: the verbatim quote and its source (linked), or why the value is assumed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.plugins import MarkerCluster
from folium.utilities import JsCode
from shapely.geometry.base import BaseGeometry

from geo.export import json_value, prepare_geometries
from geo.settings import PLACEHOLDER_PRECISIONS
from layers import labels
from layers._spec import LayerSpec, Style

#: Decimals of display coordinates (about 1 m); exports keep GEOJSON_PRECISION.
DISPLAY_PRECISION = 5
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)

# popups: a string of escaped HTML (analysis results), or [escaped name, [[escaped label, escaped
# value], ...]] (layers), assembled by the page when opened: the same HTML as popup_html, a third of
# the bytes on the wire
_POPUP_JS = """
    var p = feature.properties._popup;
    layer.bindPopup(typeof p === 'string' ? p : function () {
        return '<b>' + p[0] + "</b><table class='ma-popup'>" + p[1].map(function (r) {
            return '<tr><th>' + r[0] + '</th><td>' + r[1] + '</td></tr>';
        }).join('') + '</table>';
    }, {maxWidth: 360});
"""
_BIND = JsCode(
    "function(feature, layer) {\n    layer.bindTooltip(feature.properties._tooltip, {sticky: true});"
    + _POPUP_JS
    + "}"
)
_BIND_PERMANENT = JsCode(
    "function(feature, layer) {\n    layer.bindTooltip(feature.properties._tooltip, "
    "{permanent: true, direction: 'center', className: 'ma-label-line'});" + _POPUP_JS + "}"
)


#: Clusters: wide at country zoom, tight from zoom 9, never dropped, so points on one spot (two
#: refineries on one site) stay one bubble that spreads out (spiderfies) when clicked.
CLUSTER_OPTIONS: dict[str, Any] = {
    "maxClusterRadius": JsCode("function (zoom) { return zoom < 9 ? 40 : 12; }"),
    "spiderfyOnMaxZoom": True,
    "showCoverageOnHover": False,
    "spiderfyDistanceMultiplier": 1.6,
}
#: Layers whose clusters are drawn quietly (context, not facilities).
QUIET_CLUSTERS = frozenset({"demand"})
# a bubble with the count and no hue (styled by static/app/map.css), so it never reads as a kind
_CLUSTER_ICON = """function (cluster) {
    var n = cluster.getChildCount();
    return L.divIcon({html: '<div>' + n + '</div>', className: 'ma-cluster', iconSize: L.point(34, 34),
                      iconAnchor: L.point(17, 17)});
}"""


def _text(value: Any) -> str:
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _trim_url(url: str) -> str:
    """``url`` without the sentence punctuation after it (a closing bracket only when unbalanced)."""
    while url and url[-1] in ".,;:!?)]":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        if url[-1] == "]" and url.count("[") >= url.count("]"):
            break
        url = url[:-1]
    return url


def source_html(source: str) -> str:
    """Escaped source text; its http(s) URLs become links (other schemes stay plain text)."""
    parts, last = [], 0
    for match in _URL.finditer(source):
        raw = _trim_url(match.group(0))
        parts.append(html.escape(source[last : match.start()]))
        url = html.escape(raw, quote=True)
        parts.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>')
        last = match.start() + len(raw)
    parts.append(html.escape(source[last:]))
    return "".join(parts)


#: Popup fields whose evidence is the claim of another name (the point's precision shows where the
#: location claim's evidence goes; a route's basis shows its flow claim).
CLAIM_OF: dict[str, str] = {"location_precision": "location", "basis": "flow"}


def claim_html(props: Mapping[str, Any], field: str) -> str:
    """Escaped evidence of the claim on ``field`` (empty when the feature has none).

    Its basis, then the quote and source (http(s) URLs as links) or the reason.
    """
    claim = CLAIM_OF.get(field, field)
    basis = _text(props.get(f"{claim}_basis"))
    evidence = _text(props.get(f"{claim}_evidence"))
    if not basis or not evidence:
        return ""
    label = f"{claim} {basis}" if claim != field else basis
    return (
        f"<br><small class='ma-claim ma-{html.escape(basis)}'><i>{html.escape(label)}:</i> "
        f"{source_html(evidence)}</small>"
    )


def popup_parts(props: Mapping[str, Any], fields: tuple[str, ...]) -> list[Any]:
    """The popup of one feature as data for the page: [name, [[label, value], ...]], all escaped.

    The listed fields that have a value (their words, see :mod:`layers.labels`; each with the
    evidence of its claim, if any), then the source (its http(s) URLs as links).
    """
    rows = []
    for field in fields:
        value = _text(props.get(field))
        if value:
            shown = labels.value(field, props.get(field)) if labels.has_labels(field) else value
            rows.append([html.escape(labels.column(field)), html.escape(shown) + claim_html(props, field)])
    source = _text(props.get("source"))
    if source:
        rows.append(["Source", source_html(source)])
    return [html.escape(_text(props.get("name"))), rows]


def popup_html(props: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    """The popup of one feature as HTML, as the page assembles it from :func:`popup_parts`."""
    name, rows = popup_parts(props, fields)
    cells = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f"<b>{name}</b><table class='ma-popup'>{cells}</table>"


def tooltip_text(props: Mapping[str, Any]) -> str:
    """Escaped one-line tooltip: the name and the kind where there is one.

    Then "approximate location" for a placeholder (a region- or country-level location), "scenario"
    for a what-if flow and the fields whose values are assumed rather than reported.
    """
    name = html.escape(_text(props.get("name")))
    kind = labels.value("kind", _text(props.get("kind")))
    text = f"{name} ({html.escape(kind)})" if kind else name
    if props.get("location_precision") in PLACEHOLDER_PRECISIONS:
        text += f" · {APPROXIMATE_LABEL}"
    if _text(props.get("basis")) == "scenario":
        text += " — scenario"
    assumed = _text(props.get("assumed"))
    if assumed:
        text += " — assumed: " + html.escape(", ".join(a.replace("_", " ") for a in assumed.split(";")))
    return text


# ----------------------------------------------------------------------------- placeholder locations
#: Said of a feature placed at a region or country placeholder, in tooltips and the legend.
APPROXIMATE_LABEL = "approximate location"


def is_approximate(props: Mapping[str, Any], geom) -> bool:
    """A placeholder point: a region- or country-level location standing for the site."""
    return (
        props.get("location_precision") in PLACEHOLDER_PRECISIONS
        and geom is not None
        and geom.geom_type in ("Point", "MultiPoint")
    )


def approximate_style(style: Style) -> Style:
    """A placeholder point's marker: hollow, its outline in the fill colour and thicker."""
    return {**style, "color": style.get("fillColor") or style.get("color"), "weight": 3, "fillOpacity": 0.0}


def _collection(
    geoms: Sequence[BaseGeometry] | np.ndarray,
    styles: list[Style],
    tooltips: list[str] | None = None,
    popups: list[Any] | None = None,
) -> dict[str, Any]:
    """A FeatureCollection for the map: rounded geometry, a style each, escaped tooltip and popup (if any)."""
    prepared = prepare_geometries(list(geoms), precision=DISPLAY_PRECISION)
    features = []
    for i, (geom, style) in enumerate(zip(prepared, styles, strict=True)):
        props: dict[str, Any] = {"_style": {k: v for k, v in style.items() if v is not None}}
        if tooltips is not None and popups is not None:
            props["_tooltip"], props["_popup"] = tooltips[i], popups[i]
        features.append(
            {"type": "Feature", "id": str(i), "properties": props, "geometry": shapely.geometry.mapping(geom)}
        )
    return {"type": "FeatureCollection", "features": features}


def display_collection(
    spec: LayerSpec, gdf: gpd.GeoDataFrame, *, with_markers: bool = False, interactive: bool = True
) -> dict[str, Any]:
    """GeoJSON of a layer for the map: only style, tooltip and popup properties.

    With ``with_markers``, each polygon also gets a marker at a point inside it, so small areas
    (a 2 sq km lithium block) stay visible and clickable at country zoom levels. Without
    ``interactive`` (the basemap), features carry their style only.
    """
    geoms, styles, tooltips, popups = [], [], [], []
    for props, geom in zip(
        gdf.drop(columns=gdf.geometry.name).to_dict("records"), gdf.geometry.values, strict=True
    ):
        style = spec.style(props)
        if is_approximate(props, geom):
            style = approximate_style(style)
        tip, pop = (tooltip_text(props), popup_parts(props, spec.popup_fields)) if interactive else ("", "")
        parts = [(geom, style)]
        if with_markers and geom is not None and geom.geom_type.endswith("Polygon"):
            parts.append((geom.representative_point(), {**style, "radius": 7, "fillOpacity": 0.9}))
        for part, part_style in parts:
            geoms.append(part)
            styles.append(part_style)
            tooltips.append(tip)
            popups.append(pop)
    return _collection(geoms, styles, tooltips if interactive else None, popups if interactive else None)


def geojson_layer(
    collection: dict[str, Any], *, interactive: bool = True, permanent: bool = False, name: str | None = None
) -> folium.GeoJson:
    """Folium GeoJson drawing a :func:`display_collection`: styles per feature, circle markers for points.

    folium turns the styles into one switch over feature ids (equal styles share a case), so the
    ``_style`` properties are not sent to the page a second time.
    """
    features = collection["features"]
    styles = {f["id"]: f["properties"]["_style"] for f in features}
    slim = [
        {**f, "properties": {k: v for k, v in f["properties"].items() if k != "_style"}} for f in features
    ]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": slim},
        name=name,
        style_function=lambda feature: styles[feature["id"]],
        marker=folium.CircleMarker(fill=True),
        on_each_feature=(_BIND_PERMANENT if permanent else _BIND) if interactive else None,
        smooth_factor=1.0,
    )


def feature_collection(
    geoms: Sequence[BaseGeometry] | np.ndarray,
    tooltips: list[str],
    popups: list[str],
    styles: list[Style],
    *,
    permanent: bool = False,
) -> folium.GeoJson:
    """A GeoJson layer of already-escaped tooltips and popups, one style per feature (analysis results)."""
    return geojson_layer(_collection(geoms, styles, tooltips, popups), permanent=permanent)


def layer_group(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """A FeatureGroup drawing ``gdf`` with the layer's style, popups, tooltips and clustering."""
    group = folium.FeatureGroup(name=html.escape(f"{spec.title} ({len(gdf)})"))
    if gdf.empty:
        return group
    geojson = geojson_layer(display_collection(spec, gdf, with_markers=True), name=spec.title)
    if spec.cluster:
        cluster = MarkerCluster(
            name=spec.title,
            control=False,
            icon_create_function=_CLUSTER_ICON.replace(
                "ma-cluster", "ma-cluster ma-cluster-quiet" if spec.name in QUIET_CLUSTERS else "ma-cluster"
            ),
            options=CLUSTER_OPTIONS,
        )
        geojson.add_to(cluster)
        cluster.add_to(group)
    else:
        geojson.add_to(group)
    return group
