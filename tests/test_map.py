import json
import re

import pytest

import layers
from layers._assets import AssetError, asset_links, local_url
from layers.map import BASEMAPS, build_map


@pytest.fixture(scope="module")
def html():
    m = build_map({n: layers.load(n) for n in layers.names()})
    return m, m.get_root().render()


def test_every_asset_is_served_by_the_app(html):
    m, page = html
    links = asset_links(m)
    assert links and all(link.startswith("/app/static/vendor/") for link in links)
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert external == []


def test_one_feature_group_per_layer_and_both_basemaps(html):
    _, page = html
    for name in layers.names():
        if name != "countries":
            assert layers.spec(name).title in page
    for basemap in BASEMAPS:
        assert basemap in page
    assert "L.control.layers" in page
    assert "markerClusterGroup" in page
    assert "tileerror" in page  # falls back to the offline basemap


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
