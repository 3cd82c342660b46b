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


def test_placeholder_points_are_drawn_hollow_and_say_approximate_location(points):
    # "c" is a region-level placeholder; "a" and "b" are located at town and site level
    doc = display_collection(layers.spec("facilities"), points)
    styles = [f["properties"]["_style"] for f in doc["features"]]
    tips = [f["properties"]["_tooltip"] for f in doc["features"]]
    assert styles[2]["fillOpacity"] == 0.0 and styles[2]["weight"] == 3
    assert all(s["fillOpacity"] > 0 for s in styles[:2])
    assert tips[2].endswith("· approximate location") and not any("approximate" in t for t in tips[:2])


def test_a_region_polygon_is_drawn_filled():
    countries = layers.load("countries").head(3)  # region precision: the area itself
    doc = display_collection(layers.spec("countries"), countries)
    assert all(f["properties"]["_style"].get("fillOpacity", 1) > 0 for f in doc["features"])


def test_legend_lists_approximate_locations_only_when_drawn(points):
    from layers.map import build_map

    row = "Approximate location (region or country placeholder)"
    assert row in build_map({"facilities": points}).get_root().render()
    exact = points.iloc[:2]
    assert row not in build_map({"facilities": exact}).get_root().render()


CLAIMED = {
    "name": "Plant",
    "kind": "recycling",
    "status": "operating",
    "status_basis": "reported",
    "status_evidence": "“<b>opened</b> in 2024” (Outlet, “Head”, 2025-07-10, https://example.org/a?x=1&y=2)",
    "materials": "Li",
    "materials_basis": "assumed",
    "materials_evidence": "assumed: <i>recyclers</i> recover lithium",
    "location_precision": "town",
    "location_basis": "reported",
    "location_evidence": "“in Greater Noida” (Outlet, “Head”, 2025-07, javascript:alert(1))",
    "assumed": "materials",
}


def test_popup_shows_each_claims_quote_and_linked_source_escaped():
    html = popup_html(CLAIMED, ("status", "materials", "location_precision"))
    assert "&lt;b&gt;opened&lt;/b&gt; in 2024" in html and "<b>opened" not in html
    assert '<a href="https://example.org/a?x=1&amp;y=2"' in html
    assert "assumed: &lt;i&gt;recyclers&lt;/i&gt;" in html and "<i>recyclers" not in html
    assert "location reported:" in html and "in Greater Noida" in html
    assert 'href="javascript' not in html


def test_tooltip_marks_assumed_values_and_scenarios():
    assert tooltip_text(CLAIMED) == "Plant (Recycling) — assumed: materials"
    route = {"name": "A to B (road)", "basis": "scenario"}
    assert tooltip_text(route) == "A to B (road) — scenario"
    assert tooltip_text({"name": "<x>", "assumed": "kind;capacity"}) == "&lt;x&gt; — assumed: kind, capacity"


def test_shipped_popups_carry_quotes():
    fac = layers.load("facilities").set_index("id")
    html = popup_html(fac.loc["lohum-sharjah-jv"].to_dict(), layers.spec("facilities").popup_fields)
    assert "Al Saja’a" in html and '<a href="https://www.wam.ae/' in html
    assert "Status confirmed" in html and "2026-01-16" in html
