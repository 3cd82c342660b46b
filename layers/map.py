"""Assembling the map: basemaps, one FeatureGroup per layer, controls, legend and attribution.

The map loads no asset from the internet (see :mod:`layers._assets`). OpenStreetMap tiles are the
default basemap when online; the Natural Earth countries layer is the tile-free basemap, and the
page switches to it by itself when a tile fails to load.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.plugins import Fullscreen
from jinja2 import Template

from layers import approximate_locations, countries, spec
from layers._assets import localize
from geo.settings import STATIC_DIR, STATIC_URL
from layers._render import APPROXIMATE_LEGEND, display_collection, layer_group
from layers._spec import LayerSpec, LegendEntry

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
BASEMAPS = ("OpenStreetMap", "Offline (Natural Earth)")


class _Script(MacroElement):
    """Raw script run after the map is built; ``params`` are passed as JSON."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function(map, params) { {{ this.body }} })({{ this._parent.get_name() }}, {{ this.params_json }});
        {% endmacro %}"""
    )

    def __init__(self, body: str, params: Mapping[str, object]) -> None:
        super().__init__()
        self._name = "MineralAtlasScript"
        self.body = body
        # json.dumps + escaping of "<" keeps data from closing the <script> element
        self.params_json = json.dumps(params).replace("<", "\\u003c")


def legend_html(entries: Sequence[LegendEntry]) -> str:
    """Escaped HTML of the legend."""
    rows = []
    for entry in entries:
        radius = "50%" if entry.shape == "circle" else "2px"
        border = "2px dashed #212121" if entry.dashed else "1px solid #212121"
        background = html.escape(entry.color)
        if entry.hollow:
            border, background = f"3px solid {html.escape(entry.color)}", "transparent"
        swatch = (
            f"<span style='display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle;"
            f"border-radius:{radius};border:{border};background:{background}'></span>"
        )
        rows.append(f"<div>{swatch}{html.escape(entry.label)}</div>")
    return "".join(rows)


_LEGEND_AND_FALLBACK = """
var legend = L.control({position: 'bottomleft'});
legend.onAdd = function () {
  var div = L.DomUtil.create('div', 'ma-legend');
  div.style.cssText = 'background:rgba(255,255,255,.9);padding:6px 8px;font:12px sans-serif;border-radius:4px;max-height:40vh;overflow:auto';
  div.innerHTML = params.legend;
  L.DomEvent.disableClickPropagation(div);
  return div;
};
legend.addTo(map);
params.attribution.forEach(function (a) { map.attributionControl.addAttribution(a); });
var osm = window[params.osm], offline = window[params.offline];
// the offline basemap is a static file of the app, fetched the first time it is shown
function loadBasemap() {
  if (offline._maLoaded) { return; }
  offline._maLoaded = true;
  fetch(params.basemap_url).then(function (r) { return r.json(); }).then(function (data) {
    var countries = L.geoJSON(data, {style: function (f) { return f.properties._style; }, interactive: false});
    countries.addTo(offline);
    countries.bringToBack();
  });
}
if (offline) {
  offline.on('add', loadBasemap);
  if (map.hasLayer(offline)) { loadBasemap(); }
}
if (osm && offline) {
  osm.once('tileerror', function () {
    if (map.hasLayer(osm)) { map.removeLayer(osm); map.addLayer(offline); offline.bringToBack && offline.bringToBack(); }
  });
}
"""


#: The offline basemap (simplified countries), served by the app and fetched by the page when shown.
BASEMAP_FILE = STATIC_DIR / "basemap" / "countries.geojson"
BASEMAP_URL = f"{STATIC_URL}/basemap/countries.geojson"


def basemap_geojson() -> str:
    """The offline basemap's GeoJSON text: the simplified countries with their style."""
    from layers import load

    collection = display_collection(
        countries.SPEC, countries.display_geometries(load("countries")), interactive=False
    )
    return json.dumps(collection, separators=(",", ":"), ensure_ascii=False)


def write_basemap_asset(path=BASEMAP_FILE) -> None:
    """Regenerate :data:`BASEMAP_FILE` (after the countries data or their display style change)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(basemap_geojson(), encoding="utf-8")


def build_map(
    frames: Mapping[str, gpd.GeoDataFrame],
    *,
    basemap: str = BASEMAPS[0],
    location: tuple[float, float] = (22.0, 80.0),
    zoom_start: int = 4,
    overlays: Sequence[folium.FeatureGroup] = (),
    specs: Mapping[str, LayerSpec] | None = None,
) -> folium.Map:
    """Build the folium map of the given layers.

    Parameters
    ----------
    frames : mapping of layer name to GeoDataFrame
        The (filtered) layers to draw, in EPSG:4326; the countries layer is always the offline
        basemap (a ``countries`` entry is ignored).
    basemap : str
        ``"OpenStreetMap"`` (online tiles, the default) or ``"Offline (Natural Earth)"``.
    location : (float, float)
        Initial centre as (lat, lon) degrees, Leaflet's order.
    zoom_start : int
        Initial zoom level.
    overlays : sequence of folium.FeatureGroup
        Analysis results drawn above the layers (see :mod:`layers.results`).
    specs : mapping of layer name to LayerSpec, optional
        Styles of layers that are not built in (the user's imported layers, see
        :func:`layers.user.spec_for`); built-in layers use :func:`layers.spec`.
    """
    if basemap not in BASEMAPS:
        msg = f"basemap: expected one of {', '.join(BASEMAPS)}, got {basemap!r}"
        raise ValueError(msg)
    m = folium.Map(
        location=location, zoom_start=zoom_start, tiles=None, control_scale=True, prefer_canvas=False
    )
    osm = folium.TileLayer(
        OSM_TILES, name="OpenStreetMap", attr=OSM_ATTRIBUTION, overlay=False, show=basemap == BASEMAPS[0]
    )
    offline = folium.FeatureGroup(name=BASEMAPS[1], overlay=False, show=basemap == BASEMAPS[1])
    osm.add_to(m)
    offline.add_to(m)

    legend: list[LegendEntry] = []
    attributions: list[str] = [html.escape(countries.SPEC.attribution)]
    for name, gdf in frames.items():
        if name == "countries":
            continue
        layer = specs[name] if specs and name in specs else spec(name)
        layer_group(layer, gdf).add_to(m)
        legend.extend(layer.legend)
        if APPROXIMATE_LEGEND not in legend and approximate_locations(gdf).any():
            legend.append(APPROXIMATE_LEGEND)
        if layer.attribution:
            attributions.append(html.escape(layer.attribution))

    for overlay in overlays:
        overlay.add_to(m)
    Fullscreen(position="topleft").add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    _Script(
        _LEGEND_AND_FALLBACK,
        {
            "legend": legend_html(legend),
            "attribution": attributions,
            "osm": osm.get_name(),
            "offline": offline.get_name(),
            "basemap_url": BASEMAP_URL,
        },
    ).add_to(m)
    return localize(m)
