"""Map layers of the GIS tools: the drawing toolbar and ruler (served offline), service areas, highlights."""

from __future__ import annotations

import html
import re

import folium
import geopandas as gpd
import pytest
import shapely

from geo.settings import STATIC_DIR, STATIC_URL
from layers._assets import asset_links
from layers.draw import DRAW_COLOR, draw_tools, restored_shape
from layers.highlight import highlight_group
from layers.map import build_map
from layers.service_areas import band_colors, legend_entries, service_area_group

SQUARE = {
    "type": "Feature",
    "properties": {},
    "geometry": {"type": "Polygon", "coordinates": [[[77, 28], [78, 28], [78, 29], [77, 29], [77, 28]]]},
}
LINE = {
    "type": "Feature",
    "properties": {},
    "geometry": {"type": "LineString", "coordinates": [[77, 28], [78, 29]]},
}
POINT = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [77.5, 28.47]}}


def test_draw_and_measure_are_served_by_the_app():
    m = draw_tools(build_map({}), drawings=[SQUARE, LINE, POINT])
    links = asset_links(m)
    assert f"{STATIC_URL}/vendor/leaflet.draw/leaflet.draw.js" in links
    assert f"{STATIC_URL}/vendor/leaflet-measure/leaflet-measure.min.js" in links
    assert all(link.startswith(f"{STATIC_URL}/vendor/") for link in links)
    for link in links:  # every file is there, with its licence beside it
        path = STATIC_DIR / link.removeprefix(f"{STATIC_URL}/")
        assert path.is_file(), link
        assert (path.parent / "LICENSE").is_file() or (path.parent.parent / "LICENSE").is_file()
    page = m.get_root().render()
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', page) == []
    assert "new L.Control.Draw" in page and "new L.Control.Measure" in page
    assert '"circle": false' in page and '"marker": true' in page
    assert "alert(coords)" not in page  # no pop-up of the geometry on click


def test_leaflet_draw_css_images_are_vendored():
    css = (STATIC_DIR / "vendor" / "leaflet.draw" / "leaflet.draw.css").read_text()
    for image in set(re.findall(r"url\('?([^')]+)'?\)", css)):
        assert (STATIC_DIR / "vendor" / "leaflet.draw" / image).is_file(), image
    css = (STATIC_DIR / "vendor" / "leaflet-measure" / "leaflet-measure.css").read_text()
    for image in set(re.findall(r"url\('?([^')]+)'?\)", css)):
        assert (STATIC_DIR / "vendor" / "leaflet-measure" / image).is_file(), image


def test_drawn_shapes_come_back_editable_in_the_draw_group():
    assert isinstance(restored_shape(POINT), folium.Marker)
    assert isinstance(restored_shape(LINE), folium.PolyLine)
    polygon = restored_shape(SQUARE)
    assert isinstance(polygon, folium.Polygon)
    assert polygon.locations[0][:2] == [[28.0, 77.0], [28.0, 78.0]]  # lat, lon as Leaflet wants
    assert restored_shape({"geometry": {"type": "MultiPoint", "coordinates": [[1, 2]]}}) is None
    assert restored_shape({"geometry": None}) is None
    # streamlit-folium reads the drawings from window.drawnItems: the restored group must be it
    from streamlit_folium import _get_map_string

    script = _get_map_string(draw_tools(build_map({}), drawings=[SQUARE]))
    assert re.search(r"var drawnItems =\s*feature_group_", script)
    assert DRAW_COLOR in script


def _escaped(text: str) -> str:
    """``text`` as the page holds an escaped label: HTML entities inside JSON (``&`` as \\u0026)."""
    return html.escape(text).replace("&", "\\u0026")


def _areas() -> gpd.GeoDataFrame:
    rings = [shapely.Point(77.5, 28.5).buffer(r) for r in (0.2, 0.5, 1.0)]
    return gpd.GeoDataFrame(
        {
            "band_h": [4.0, 8.0, 12.0],
            "origin_id": ["o"] * 3,
            "origin_name": ["<b>Plant</b>"] * 3,
            "mode": ["road"] * 3,
            "area_km2": [1000.0, 5000.0, 20000.0],
            "feedstock_population": [1.0, 2.0, 3.0],
            "facilities_inside": [0, 1, 2],
            "facility_ids": ["", "a", "a;b"],
        },
        geometry=rings,
        crs="EPSG:4326",
    )


def test_bands_share_one_ramp_nearest_darkest():
    colors = band_colors([12, 4, 8, 4])
    assert list(colors) == [12.0, 8.0, 4.0]
    luminance = [sum(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in colors.values()]
    assert luminance == sorted(luminance, reverse=True)  # 12 h lightest, 4 h darkest
    entries = legend_entries(_areas(), mode="road")
    assert [e.label for e in entries] == ["within 4 h by road", "within 8 h by road", "within 12 h by road"]
    assert [e.color for e in entries] == [colors[4.0], colors[8.0], colors[12.0]]


def test_service_area_group_escapes_and_orders_largest_first():
    group = service_area_group(_areas(), facility_names={"a": "Alpha & <i>Co</i>"})
    m = folium.Map()
    group.add_to(m)
    page = m.get_root().render()
    assert "<b>Plant</b>" not in page and _escaped("<b>Plant</b>") in page
    assert _escaped("Alpha & <i>Co</i>") in page
    assert page.index("within 12 h") < page.index("within 4 h")  # the small band is drawn on top
    assert "2 facilities inside" in page and "1 facility inside" in page


@pytest.mark.parametrize(
    ("geometry", "outlined"),
    [(shapely.Point(77.5, 28.47), False), (shapely.box(74.8, 33.0, 75.0, 33.2), True)],
)
def test_highlight_marks_the_feature(geometry, outlined):
    m = folium.Map()
    highlight_group(geometry, label="<script>x</script>", name="Found").add_to(m)
    page = m.get_root().render()
    assert "<script>x</script>" not in page and _escaped("<script>x</script>") in page
    assert ('"dashArray": "6 4"' in page) is outlined
