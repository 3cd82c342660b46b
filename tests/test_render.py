import folium

import layers
from layers._render import display_collection, layer_group, popup_html, source_html, tooltip_text

HOSTILE = {
    "name": "<img src=x onerror=alert(1)>",
    "kind": "recycling",
    "operator": "<script>alert(2)</script>",
    "source": 'javascript:alert(3) and https://example.org/a?x=1&y="2"',
    "notes": "<b onmouseover=alert(4)>bold</b>",
}


def test_popup_escapes_every_value():
    html = popup_html(HOSTILE, ("operator", "notes"))
    assert "<img" not in html and "<script" not in html and "<b onmouseover" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_only_http_urls_become_links():
    html = source_html(HOSTILE["source"])
    assert html.count("<a ") == 1
    assert 'href="https://example.org/a?x=1&amp;y=&quot;2&quot;"' not in html  # the quote ends the URL
    assert 'href="https://example.org/a?x=1&amp;y="' in html
    assert "javascript:alert(3)" in html and 'href="javascript' not in html


def test_tooltip_is_escaped():
    assert tooltip_text(HOSTILE) == "&lt;img src=x onerror=alert(1)&gt; (Recycling)"


def test_popup_shows_words_not_codes():
    props = {
        "name": "Plant",
        "kind": "cell_manufacturing",
        "status": "under_development",
        "country": "EU",
        "materials": "Li;Co;cathode_material",
        "location_precision": "region",
    }
    html = popup_html(props, ("kind", "status", "country", "materials", "location_precision"))
    for code in ("cell_manufacturing", "under_development", ">EU<", "cathode_material", ">region<"):
        assert code not in html
    for words in (
        "Cell manufacturing",
        "Under development",
        "European Union (region)",
        "Lithium, Cobalt, Cathode material",
        "Location precision",
    ):
        assert words in html


def test_clusters_have_no_hue_and_spread_points_on_one_spot():
    page = folium.Map(tiles=None)
    layer_group(layers.spec("facilities"), layers.load("facilities")).add_to(page)
    text = page.get_root().render()
    assert "ma-cluster" in text and "spiderfyOnMaxZoom" in text
    assert "disableClusteringAtZoom" not in text  # two refineries on one site stay one clickable bubble


def test_display_collection_carries_only_display_properties():
    fac = layers.load("facilities")
    doc = display_collection(layers.spec("facilities"), fac)
    assert len(doc["features"]) == len(fac)
    assert set(doc["features"][0]["properties"]) == {"_tooltip", "_popup", "_style"}


def test_polygons_get_a_marker_too():
    blocks = layers.load("lithium_blocks")
    doc = display_collection(layers.spec("lithium_blocks"), blocks, with_markers=True)
    types = [f["geometry"]["type"] for f in doc["features"]]
    assert types.count("Polygon") == len(blocks) and types.count("Point") == len(blocks)


def test_layer_group_counts_features_in_its_name():
    group = layer_group(layers.spec("ports"), layers.load("ports"))
    assert isinstance(group, folium.FeatureGroup)
    assert group.layer_name == f"Ports ({len(layers.load('ports'))})"
