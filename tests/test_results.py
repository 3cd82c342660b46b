import folium

import layers
from geo.proximity import nearest, nearest_lines
from layers.map import build_map
from layers.results import nearest_lines_group, point_group, range_rings_group


def test_nearest_lines_are_labelled_with_km_and_escaped():
    sources = layers.load_by_id("facilities")
    sources.loc["lohum-gujarat", "name"] = "<img src=x onerror=alert(1)>"
    targets = layers.load_by_id("lithium_blocks")
    lines = nearest_lines(sources, targets, nearest(sources, targets))
    group = nearest_lines_group(lines)
    page = build_map({}, overlays=[group]).get_root().render()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.replace("\\u0026", "&")
    assert "<img src=x" not in page
    assert " km" in page and "permanent: true" in page  # few lines: labels stay on


def test_many_lines_are_labelled_on_hover_only():
    sources = layers.load_by_id("demand")
    targets = layers.load_by_id("facilities")
    group = nearest_lines_group(nearest_lines(sources, targets, nearest(sources, targets)))
    assert "permanent: true" not in build_map({}, overlays=[group]).get_root().render()


def test_rings_and_point_groups():
    rings = range_rings_group(77.5, 28.47, [100, 50], label="Greater Noida")
    assert isinstance(rings, folium.FeatureGroup) and rings.layer_name == "Range rings: Greater Noida"
    page = build_map({}, overlays=[rings, point_group(80.0, 20.0, label="here")]).get_root().render()
    assert "Greater Noida: 50 km" in page and "Greater Noida: 100 km" in page
