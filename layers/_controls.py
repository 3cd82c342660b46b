"""The map's behaviour in the browser, as folium elements: view, layer control, legend, fit, attribution.

The JavaScript lives in ``static/app/map.js`` (served by the app); these elements call it:

* :class:`MapBehaviour` (a child of the map) loads it and runs ``MineralAtlas.init``;
* :func:`describe` gives a FeatureGroup its layer-control name, legend rows and attribution;
* :func:`controls_group` comes last and runs ``MineralAtlas.update``: the layer control, the legend
  of what is drawn, and the fit to a new result.

The same elements work in one folium document and when streamlit-folium adds the groups to a map
that is already on the page (``feature_group_to_add``): the base map then stays, and so does the view.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo.settings import STATIC_URL
from layers._spec import LegendEntry

MAP_JS = f"{STATIC_URL}/app/map.js"
MAP_CSS = f"{STATIC_URL}/app/map.css"


def _json(params: Mapping[str, Any]) -> str:
    # escaping "<" keeps data from closing the <script> element
    return json.dumps(params, separators=(",", ":")).replace("<", "\\u003c")


class MapBehaviour(JSCSSMixin, MacroElement):
    """Loads ``map.js`` and ``map.css`` and runs ``MineralAtlas.init(map, params)``."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        MineralAtlas.init({{ this._parent.get_name() }}, {{ this.params_json }});
        {% endmacro %}"""
    )
    default_js = [("mineral_atlas_map", MAP_JS)]
    default_css = [("mineral_atlas_map_css", MAP_CSS)]

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "MineralAtlasBehaviour"
        self.params_json = _json(params)


class _Register(MacroElement):
    _template = Template(
        """{% macro script(this, kwargs) %}
        MineralAtlas.register({{ this._parent.get_name() }}, {{ this.params_json }});
        {% endmacro %}"""
    )

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "MineralAtlasLayer"
        self.params_json = _json(params)


class _Update(MacroElement):
    _template = Template(
        """{% macro script(this, kwargs) %}
        MineralAtlas.update({{ this._parent._parent.get_name() }}, {{ this.params_json }});
        {% endmacro %}"""
    )

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "MineralAtlasUpdate"
        self.params_json = _json(params)


def _swatch(entry: LegendEntry) -> str:
    color = html.escape(entry.color, quote=True)
    outline = html.escape(entry.outline or entry.color, quote=True)
    if entry.shape == "line":
        dash = f" stroke-dasharray='{html.escape(entry.dash, quote=True)}'" if entry.dash else ""
        return (
            "<svg class='ma-swatch' width='26' height='10'>"
            f"<line x1='1' y1='5' x2='25' y2='5' stroke='{color}' stroke-width='3'{dash}/></svg>"
        )
    if entry.shape in ("letter", "square-letter"):
        radius = "3px" if entry.shape == "square-letter" else "50%"
        return (
            f"<span class='ma-swatch' style='width:16px;height:16px;line-height:16px;border-radius:{radius};"
            f"background:{color};color:#fff;font:700 10px/16px sans-serif;text-align:center;"
            f"box-shadow:0 0 0 1px #1a1a1a'>{html.escape(entry.text)}</span>"
        )
    if entry.shape == "note":  # a line of text, no swatch
        return ""
    radius = "50%" if entry.shape == "circle" else "2px"
    border = f"2px dashed {outline}" if entry.dashed else f"1.5px solid {outline}"
    if entry.hollow:  # a placeholder location: a ring in the colour, nothing inside
        border, color = f"3px solid {color}", "transparent"
    return (
        f"<span class='ma-swatch' style='width:12px;height:12px;border-radius:{radius};"
        f"border:{border};background:{color}'></span>"
    )


def legend_html(entries: Sequence[LegendEntry], *, title: str = "") -> str:
    """Escaped HTML of legend rows (and a title above them when given)."""
    rows = [f"<div class='ma-legend-title'>{html.escape(title)}</div>"] if title and entries else []
    rows += [
        f"<div style='font-style:italic'>{html.escape(e.label)}</div>"
        if e.shape == "note"
        else f"<div>{_swatch(e)}{html.escape(e.label)}</div>"
        for e in entries
    ]
    return "".join(rows)


def legend_for(entries: Sequence[LegendEntry], gdf: gpd.GeoDataFrame) -> list[LegendEntry]:
    """The rows of ``entries`` that describe some feature of ``gdf`` (the legend follows the filters)."""
    return [e for e in entries if e.applies(gdf)]


def describe(
    group: folium.FeatureGroup,
    *,
    name: str,
    legend: Sequence[LegendEntry] = (),
    legend_title: str = "",
    control: bool = True,
) -> folium.FeatureGroup:
    """Give ``group`` its layer-control ``name`` and legend rows (text; escaped here)."""
    _Register(
        {
            "name": html.escape(name),
            "legend": legend_html(legend, title=legend_title),
            "control": control,
        }
    ).add_to(group)
    return group


def bounds_of(*frames: gpd.GeoDataFrame) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the frames' features (EPSG:4326), ``None`` when empty."""
    boxes = [f.total_bounds for f in frames if f is not None and len(f) and f.geometry.notna().any()]
    if not boxes:
        return None
    west = min(float(b[0]) for b in boxes)
    south = min(float(b[1]) for b in boxes)
    east = max(float(b[2]) for b in boxes)
    north = max(float(b[3]) for b in boxes)
    return [[round(south, 5), round(west, 5)], [round(north, 5), round(east, 5)]]


def controls_group(
    *, attributions: Sequence[str], fit: Mapping[str, Any] | None = None, basemap: str = ""
) -> folium.FeatureGroup:
    """The last group of a map: runs ``MineralAtlas.update`` (basemap, layer control, legend, fit).

    ``fit`` is ``{"bounds": [[s, w], [n, e]], "token": str, "auto": bool, "label": str}``: the
    fit button's target, fitted at once when ``auto`` and the token is new to the page.
    """
    group = folium.FeatureGroup(name="mineral-atlas-controls", control=False)
    _Update(
        {"attribution": [html.escape(a) for a in attributions if a], "fit": fit, "basemap": basemap}
    ).add_to(group)
    return group
