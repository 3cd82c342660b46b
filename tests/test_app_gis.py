"""The GIS tools in the app under AppTest: service areas, find a place, drawings, picked rows, exports."""

from __future__ import annotations

import html
import io
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import streamlit as st
from PIL import Image
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

import layers
from app import exports
from app.context import PageContext
from app.store import open_workspace
from geo.settings import PROJECT_DIR

APP = str(PROJECT_DIR / "streamlit_app.py")

#: A rectangle drawn over the Reasi block (Jammu & Kashmir), a line Reasi -> Greater Noida, and a point.
REASI_BOX = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[74.5, 32.9], [75.3, 32.9], [75.3, 33.4], [74.5, 33.4], [74.5, 32.9]]],
    },
}
LINE = {
    "type": "Feature",
    "properties": {},
    "geometry": {"type": "LineString", "coordinates": [[74.8, 33.1], [76.5, 31.0], [77.5, 28.47]]},
}
NOIDA = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [77.5, 28.47]}}


@pytest.fixture
def app():
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=180).run()


def _tab(at, label: str):
    at.session_state["tab"] = label
    return at.run()


def _map_script(at) -> str:
    """The Leaflet script of the (first) map on the page: the base and the groups drawn on it."""
    (component,) = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")][
        :1
    ]
    args = json.loads(component.proto.json_args)
    return args["script"] + (args.get("feature_group") or "")


def _label(text: str) -> str:
    """``text`` as a map script holds a label: HTML-escaped, in JSON, ``&<>`` as \\u escapes."""
    encoded = json.dumps(html.escape(text))[1:-1]
    return encoded.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _table(at, column: str) -> pd.DataFrame:
    """The first table with ``column``, by its code or by the header the page shows for it."""
    from layers import labels

    return next(d.value for d in at.dataframe if {column, labels.column(column)} & set(d.value.columns))


def _draw(at, *features):
    at.session_state["drawings"] = {"store": list(features), "restored": list(features), "sig": None}
    return at.run()


# ----------------------------------------------------------------------------- service areas
def test_service_areas_tab_gives_figures_per_band(app):
    _tab(app, "Service areas")
    assert not app.exception and not app.error
    table = _table(app, "band_h")
    assert table["band_h"].tolist() == [4.0, 8.0, 12.0]
    assert table["origin_name"].unique().tolist() == ["Lohum lithium refinery (Greater Noida)"]
    assert table["area_km2"].is_monotonic_increasing and (table["area_km2"] > 0).all()
    assert (
        table["feedstock_population"].is_monotonic_increasing and table["feedstock_population"].iloc[0] > 1e6
    )
    assert "Lohum lithium refinery (Greater Noida)" in table["facilities"].iloc[0]
    script = _map_script(app)
    assert "within 4 h by road" in script and "within 12 h by road" in script
    legend = " ".join(m.value for m in app.markdown)
    assert "within 4 h by road" in legend and "within 12 h by road" in legend


def test_service_areas_in_km_by_rail_and_merged(app):
    _tab(app, "Service areas")
    app.multiselect(key="sa_origins_facilities").set_value(["lohum-greater-noida-li", "lohum-gujarat"]).run()
    app.radio(key="sa_unit").set_value("km").run()
    app.text_input(key="sa_bands_km").set_value("300, 150").run()
    app.toggle(key="sa_merge").set_value(True).run()
    assert not app.exception and not app.error
    table = _table(app, "band_km")
    assert table["band_km"].tolist() == [150.0, 300.0]
    assert table["origin_name"].iloc[0].count(";") == 1  # one area for both origins


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4, x", "Bands: expected numbers of hours separated by commas, got '4, x'"),
        ("0", "Bands: each band must be above 0 and at most 5,000 km on the network, got 0 hours"),
        ("1000", "got 1000 hours"),
        ("1, 2, 3, 4, 5, 6, 7", "Bands: at most 6 bands at once, got 7"),
    ],
)
def test_service_area_bands_that_cannot_be_used_are_a_message(app, text, message):
    _tab(app, "Service areas")
    app.text_input(key="sa_bands_hours").set_value(text).run()
    assert not app.exception
    assert any(message in e.value for e in app.error)


def test_service_areas_from_drawn_points_and_saved(app, private_workspace):
    _draw(app, NOIDA)
    _tab(app, "Service areas")
    app.radio(key="sa_source").set_value("Drawn points").run()
    app.text_input(key="sa_bands_hours").set_value("6").run()
    assert not app.exception and not app.error
    table = _table(app, "band_h")
    assert table["origin_name"].tolist() == ["77.500000,28.470000"] and table["area_km2"].iloc[0] > 0
    app.button(key="sa_save").click().run()
    assert any("Saved to the workspace" in s.value for s in app.success)
    saved = open_workspace(user="local").load(app.text_input(key="sa_save_name").value)
    assert len(saved) == 1 and saved.geometry.iloc[0].geom_type == "MultiPolygon"


def test_picked_service_area_row_is_highlighted(app):
    _tab(app, "Service areas")
    app.session_state["sa_table"] = {"selection": {"rows": [2], "columns": []}}
    app.run()
    assert not app.exception
    assert "Picked: Lohum lithium refinery (Greater Noida): within 12 h by road" in _map_script(app)


# ----------------------------------------------------------------------------- find a place
@pytest.mark.parametrize(
    ("query", "layer", "near", "zoom"),
    [
        ("Greater Noida", "demand", (77.5, 28.5), 12),
        ("Niihama", "ports", (133.28, 33.96), 12),
        ("Reasi", "lithium_blocks", (74.9, 33.1), None),
        ("28.47,77.50", "coordinates", (77.5, 28.47), 12),
    ],
)
def test_find_a_place_zooms_the_map_there(app, query, layer, near, zoom):
    app.text_input(key="find_query").set_value(query).run()
    assert not app.exception and not app.error
    focus = app.session_state["map_focus"]
    assert focus["layer"] == layer
    assert abs(focus["lon"] - near[0]) < 0.3 and abs(focus["lat"] - near[1]) < 0.3
    assert focus["zoom"] == zoom if zoom else 8 <= focus["zoom"] <= 13  # a block: fitted to its extent
    script = _map_script(app)
    # the map that keeps its view fits the focus's bounds once (app.mapview.fit_target)
    assert _label(f"Found: {focus['label']}"[:30]) in script and focus["token"]


def test_find_lists_every_match_and_another_can_be_picked(app):
    app.text_input(key="find_query").set_value("Niihama").run()
    pick = app.selectbox(key="find_pick")
    assert len(pick.options) >= 3 and any("city, GeoNames" in o for o in pick.options)
    facility = next(i for i, o in enumerate(pick.options) if "(Facilities)" in o)
    pick.set_value(facility).run()
    assert app.session_state["map_focus"]["layer"] == "facilities"


def test_find_nothing_and_clear(app):
    app.text_input(key="find_query").set_value("Qwzxqwzx").run()
    assert any("No place matches" in c.value for c in app.caption)
    assert "map_focus" not in app.session_state
    app.text_input(key="find_query").set_value("Reasi").run()
    app.text_input(key="find_query").set_value("").run()
    assert "map_focus" not in app.session_state


def test_find_searches_imported_layers(private_workspace):
    sites = gpd.GeoDataFrame(
        {"id": ["s1"], "name": ["Bhiwadi candidate yard"]},
        geometry=[shapely.Point(76.86, 28.21)],
        crs="EPSG:4326",
    )
    open_workspace(user="local").save("my sites", sites, kind="candidates")
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.text_input(key="find_query").set_value("bhiwadi yard").run()
    assert at.session_state["map_focus"]["layer"] == "my sites"


# ----------------------------------------------------------------------------- picked rows
def test_picked_proximity_row_highlights_its_line(app):
    _tab(app, "Proximity")
    from layers import labels

    table = _table(app, "source_name")
    app.session_state["prox_table"] = {"selection": {"rows": [3], "columns": []}}
    app.run()
    assert not app.exception
    row = table.iloc[3]
    source, target = row[labels.column("source_name")], row[labels.column("target_name")]
    assert _label(f"Picked: {source} → {target}"[:80]) in _map_script(app)


# ----------------------------------------------------------------------------- drawn shapes
def test_drawn_shapes_are_measured_on_the_ellipsoid(app):
    from geo.measure import measure

    _draw(app, LINE, NOIDA, REASI_BOX)
    assert not app.exception
    table = _table(app, "area_km2").set_index("name")
    assert table.index.tolist() == ["line 1", "point 1", "polygon 1"]
    box = shapely.box(74.5, 32.9, 75.3, 33.4)
    area = measure(box).area_km2
    assert table.loc["polygon 1", "area_km2"] == pytest.approx(area, abs=0.01)  # shown to 0.01 km²
    assert 4000 < area < 4200  # 0.8° x 0.5° at 33° N
    assert 500 < table.loc["line 1", "length_km"] < 600
    assert (table.loc["point 1", "lon"], table.loc["point 1", "lat"]) == (77.5, 28.47)
    caption = next(c.value for c in app.caption if c.value.startswith("Last drawing"))
    assert f"area {area:,.0f} km²" in caption and "measured on the WGS84 ellipsoid" in caption
    script = _map_script(app)
    assert "L.Control.Draw" in script and "L.Control.Measure" in script
    assert "var drawnItems =" in script  # the page reads the drawings back from window.drawnItems


def test_drawn_polygon_becomes_the_site_selection_region(app, private_workspace):
    _draw(app, REASI_BOX)
    app.button(key="draw_region").click().run()
    assert not app.exception and not app.error
    assert app.session_state["tab"] == "Site selection"
    assert app.selectbox(key="site_region").value == "layer: drawn region"
    region = open_workspace(user="local").load("drawn region")
    assert region.geometry.iloc[0].equals(shapely.Polygon(REASI_BOX["geometry"]["coordinates"][0]))
    app.selectbox(key="site_res").set_value(7).run()
    app.button(key="site_run").click().run()
    assert not app.exception and not app.error
    cells = _table(app, "score")
    assert len(cells) > 10  # cells of the drawn box, scored


def test_drawn_line_becomes_a_corridor_route(app):
    _draw(app, LINE)
    app.button(key="draw_route").click().run()
    assert not app.exception and not app.error
    assert app.session_state["tab"] == "Corridors"
    assert app.selectbox(key="corridor_route").value.startswith("Drawn line 1 (5")
    from layers import labels

    inside = _table(app, "chainage_km")
    ids = inside["id"] if "id" in inside else inside[labels.column("id")]
    assert "lohum-greater-noida-li" in set(ids)


def test_drawn_points_become_candidates_and_route_ends(app, private_workspace):
    _draw(app, NOIDA)
    app.button(key="draw_candidates").click().run()
    assert not app.exception and not app.error
    candidates = open_workspace(user="local").load("candidate_sites")
    assert candidates["name"].tolist() == ["drawn point 1 (28.4700, 77.5000)"]
    _tab(app, "Routes")
    assert app.selectbox(key="route_origin").options[0] == "Drawn point 1 (28.4700, 77.5000)"


def test_select_features_inside_the_drawn_polygon_and_save(app, private_workspace):
    _draw(app, REASI_BOX)
    app.multiselect(key="draw_select_layers").set_value(["lithium_blocks", "facilities"]).run()
    assert not app.exception
    selected = _table(app, "layer")
    assert selected["id"].tolist() == ["li-block-reasi-salal-haimana"]
    app.button(key="draw_sel_save").click().run()
    saved = open_workspace(user="local").load(app.text_input(key="draw_sel_name").value)
    assert saved["selected_by"].iloc[0] == "inside the drawn polygon 1"


def test_drawn_shapes_saved_by_kind(app, private_workspace):
    _draw(app, REASI_BOX, NOIDA)
    app.button(key="draw_save").click().run()
    names = open_workspace(user="local").names()
    assert {"drawn shapes (points)", "drawn shapes (polygons)"} <= set(names)


def test_drawings_kept_when_the_map_is_rebuilt(app):
    _draw(app, REASI_BOX)
    state = app.session_state["drawings"]
    state["restored"] = []  # a map built before the drawing, e.g. on coming back to the tab
    app.session_state["drawings"] = state
    app.run()
    assert app.session_state["drawings"]["restored"] == [REASI_BOX]  # run again with them on the map


# ----------------------------------------------------------------------------- exports
def _ctx() -> PageContext:
    frames = {n: layers.load(n) for n in layers.names()}
    return PageContext(frames=frames, shown=frames, basemap="Offline (Natural Earth)")


def test_map_png_of_the_view_is_a_valid_image():
    ctx = _ctx()
    drawn = gpd.GeoDataFrame(
        {"name": ["polygon 1"]}, geometry=[shapely.box(74.5, 32.9, 75.3, 33.4)], crs=4326
    )
    chosen = exports.map_layers(ctx, ctx.shown, drawn=drawn)
    assert {layer.label for layer in chosen} >= {"Facilities", "Logistics routes: road", "drawn shapes"}
    view = exports.view_bounds(
        {"bounds": {"_southWest": {"lat": 20.0, "lng": 68.0}, "_northEast": {"lat": 36.0, "lng": 90.0}}}
    )
    assert view == (68.0, 20.0, 90.0, 36.0)
    png = exports.map_png(chosen, view, title="India")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] > 1000


@pytest.mark.parametrize(
    "bounds",
    [None, {}, {"_southWest": {"lat": 10, "lng": 10}, "_northEast": {"lat": 5, "lng": 20}}],
)
def test_view_bounds_that_cannot_be_used_are_none(bounds):
    assert exports.view_bounds({"bounds": bounds}) is None


def test_view_bounds_round_the_world_are_clipped():
    world = {"_southWest": {"lat": -95, "lng": -400}, "_northEast": {"lat": 95, "lng": 400}}
    assert exports.view_bounds({"bounds": world}) == (-180.0, -89.0, 180.0, 89.0)


class _Where:
    """Stands for a Streamlit container: keeps what download_button was given."""

    def download_button(self, label, data, **kwargs):
        self.label, self.data, self.kwargs = label, data, kwargs


def test_report_button_builds_the_pdf_when_pressed_or_says_why_not():
    from app.report import corridor_report
    from app.workflows import corridor
    from geo.network import join_legs

    routes = layers.load("routes")
    line = join_legs(routes[routes["route_id"] == "reasi-noida-road"])
    frames = {"facilities": layers.load("facilities")}
    result = corridor(line, frames, width_km=30)
    where = _Where()
    exports.report_button(
        where,
        lambda: corridor_report(
            line, result.polygon, result.inside, result.summary, width_km=30, route_name="reasi-noida-road"
        ),
        key="k",
        file_name="corridor reasi/noida",
    )
    assert where.label == "Report (PDF)" and where.kwargs["file_name"] == "corridor-reasi-noida.pdf"
    reader = PdfReader(io.BytesIO(where.data()))
    assert reader.metadata.title == "Corridor of reasi-noida-road" and len(reader.pages) >= 2

    def broken():
        raise ValueError("scored: expected the output of geo.siting.suitability")

    exports.report_button(where, broken, key="k", file_name="x.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(where.data())).pages)
    assert "The report could not be made" in text and "expected the output of geo.siting.suitability" in text
