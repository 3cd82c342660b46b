import json
import re

import pytest

import layers
from geo.settings import PROJECT_DIR
from layers._assets import AssetError, asset_links, local_url
from layers.map import BASEMAPS, build_map


@pytest.fixture(scope="module")
def html():
    m = build_map({n: layers.load(n) for n in layers.names()})
    return m, m.get_root().render()


def test_every_asset_is_served_by_the_app(html):
    m, page = html
    links = asset_links(m)
    assert links and all(link.startswith("/app/static/") for link in links)
    assert all((PROJECT_DIR / link.removeprefix("/app/")).is_file() for link in links)
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert external == []


def test_one_feature_group_per_layer_and_both_basemaps(html):
    _, page = html
    for name in layers.names():
        if name != "countries":
            assert layers.spec(name).title in page
    for basemap in BASEMAPS:
        assert basemap in page
    assert "MineralAtlas.init(" in page and "MineralAtlas.update(" in page  # static/app/map.js
    assert "markerClusterGroup" in page
    script = (PROJECT_DIR / "static" / "app" / "map.js").read_text(encoding="utf-8")
    assert "tileerror" in script and "L.control.layers" in script  # falls back to the offline basemap
    assert "collapsed: true" in script  # the layer control stays out of the way


def test_unknown_cdn_asset_is_refused():
    with pytest.raises(AssetError, match="has no local copy"):
        local_url("https://cdn.example.org/leaflet.heat.js")


def test_unused_assets_are_dropped():
    assert local_url("https://code.jquery.com/jquery-3.7.1.min.js") is None


def test_bad_basemap_is_named():
    with pytest.raises(ValueError, match="basemap: expected one of OpenStreetMap"):
        build_map({}, basemap="Google")


def test_legend_is_escaped():
    from layers._spec import LegendEntry
    from layers.map import legend_html

    assert "&lt;b&gt;" in legend_html([LegendEntry("<b>x</b>", "red")])


def test_offline_basemap_asset_is_current_and_fetched_not_embedded():
    from layers.map import BASEMAP_FILE, BASEMAP_URL, basemap_geojson, build_map

    assert BASEMAP_FILE.read_text(encoding="utf-8") == basemap_geojson(), (
        "run layers.map.write_basemap_asset()"
    )
    doc = json.loads(BASEMAP_FILE.read_text(encoding="utf-8"))
    assert len(doc["features"]) > 200 and all("_style" in f["properties"] for f in doc["features"])
    html = build_map({}, basemap="Offline (Natural Earth)").get_root().render()
    assert BASEMAP_URL in html and len(html) < 200_000


def test_offline_labels_asset_is_current_and_names_countries_and_cities():
    from layers.map import LABELS_FILE, LABELS_URL, basemap_labels_json

    assert LABELS_FILE.read_text(encoding="utf-8") == basemap_labels_json(), (
        "run layers.map.write_basemap_asset()"
    )
    doc = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    countries = {name: (lon, lat, zoom) for name, lon, lat, zoom in doc["countries"]}
    cities = {name: (lon, lat, zoom) for name, lon, lat, zoom in doc["cities"]}
    # India's name sits inside India and shows from the world view; Delhi and Mumbai by zoom 5
    lon, lat, zoom = countries["India"]
    assert 70 < lon < 88 and 15 < lat < 28 and zoom <= 3
    assert cities["Mumbai"][2] <= 5 and cities["Delhi"][2] <= 5
    assert all(zoom <= 7 for *_, zoom in doc["cities"])
    assert LABELS_URL in build_map({}, basemap="Offline (Natural Earth)").get_root().render()


def test_no_country_part_is_a_band_across_the_antimeridian():
    from geo.corridor import geodesic_area_km2

    world = layers.load("countries")
    russia = world.loc[world["name"] == "Russia"].geometry.iloc[0]
    # Natural Earth's Russia is 17.0 million km²; a ring repaired before its cut at 180° added
    # bands across Siberia (19.8 million km²)
    assert 16.5e6 < geodesic_area_km2(russia) < 17.5e6
    assert world.geometry.is_valid.all()
    assert (world.geometry.bounds["minx"] >= -180).all() and (world.geometry.bounds["maxx"] <= 180).all()


def _legend(frames) -> str:
    """The legend rows the map's layers carry (the JSON given to MineralAtlas.register)."""
    page = build_map(frames).get_root().render()
    found = re.findall(r"MineralAtlas\.register\([^,]+, (\{.*?\})\);", page)
    return "".join(json.loads(f)["legend"] for f in found)


def test_legend_lists_only_what_is_drawn():
    fac = layers.load("facilities")
    legend = _legend({"facilities": layers.filter_layer(fac, kind=["refining"], status=["operating"])})
    assert "Refining" in legend and "Recycling" not in legend and "Smelter" not in legend
    assert "Planned / under construction / closed" not in legend  # operating refiners only
    full = _legend({"facilities": fac, "routes": layers.load("routes")})
    assert "Recycling" in full and "Planned / under construction / closed" in full
    assert "Road leg" in full and "Rail leg" in full and "Sea leg" in full


def test_results_are_fitted_once_and_the_view_is_kept_in_the_url():
    script = (PROJECT_DIR / "static" / "app" / "map.js").read_text(encoding="utf-8")
    assert 'searchParams.set("view"' in script and "STATE.fitted[" in script
    fit = {"bounds": [[13.0, 80.2], [34.7, 135.5]], "token": "t1", "auto": True, "label": "Fit"}
    page = build_map({}, fit=fit).get_root().render()
    assert '"token":"t1"' in page and '"bounds":[[13.0,80.2],[34.7,135.5]]' in page
