"""The Streamlit script under AppTest: runs without exception, shows every layer, filters, errors."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import layers
from geo._errors import LayerError
from geo.settings import PROJECT_DIR
from geo.siting import RAW_COLUMNS
from layers import labels

APP = str(PROJECT_DIR / "streamlit_app.py")


@pytest.fixture
def app():
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=90).run()


def _tab(at, label: str):
    """Open a tab (only the open tab runs) and re-run."""
    at.session_state["tab"] = label
    return at.run()


def _caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Showing"))


def test_runs_and_shows_every_layer(app):
    assert not app.exception
    assert not app.error
    caption = _caption(app)
    for name in layers.names():
        if name != "countries":
            assert f"{layers.spec(name).title}: {len(layers.load(name))}" in caption
    assert not app.dataframe  # the attribute table is off until asked for
    table = app.toggle(key="show_table").set_value(True).run().dataframe[0].value
    assert len(table) == sum(len(layers.load(n)) for n in layers.names() if n != "countries")


def test_filter_changes_the_table(app):
    app.toggle(key="show_table").set_value(True)
    app.sidebar.multiselect(key="filter_kind").set_value(["refining"]).run()
    assert not app.exception
    table = app.dataframe[0].value
    # routes carry no kind: the filter leaves them shown
    assert {k for k in table["Kind"] if isinstance(k, str) and k} == {"Refining"}
    assert "Facilities: 8" in _caption(app)


def test_layer_choice_hides_layers(app):
    app.toggle(key="show_table").set_value(True)
    app.sidebar.multiselect(key="visible_layers").set_value(["facilities"]).run()
    assert set(app.dataframe[0].value["Layer"]) == {"Facilities"}


def test_about_tab_cites_the_key_figures(app):
    _tab(app, "About")
    text = " ".join(m.value for m in app.markdown)
    for figure in ("300,000 t", "₹34,300 crore", "₹16,300 crore", "₹18,000 crore", "20 % by 2030"):
        assert figure in text


def test_broken_data_shows_a_message_not_a_traceback(monkeypatch):
    def broken(name):
        raise LayerError("data/facilities.csv: feature 'x': kind 'mine' is not one of ...")

    monkeypatch.setattr(layers, "load", broken)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert "Could not load the built-in data: data/facilities.csv: feature 'x'" in at.error[0].value


def col(name: str) -> str:
    """The header a column has on the page."""
    return labels.column(name)


def _prox_table(app):
    return next(
        d.value
        for d in app.dataframe
        if {col("source_id"), col("rank"), col("distance_km")} <= set(d.value.columns)
    )


def test_proximity_tab_lists_nearest_facility_of_every_city(app):
    _tab(app, "Proximity")
    table = _prox_table(app)
    demand = layers.load("demand")
    assert len(table) == len(demand)
    assert set(table[col("target_id")]) <= set(layers.load("facilities")["id"])
    assert (table[col("rank")] == 1).all() and (table[col("distance_km")] >= 0).all()


def test_proximity_k_and_radius(app):
    _tab(app, "Proximity")
    app.number_input(key="prox_k").set_value(3).run()
    app.number_input(key="prox_max_km").set_value(200.0).run()
    table = _prox_table(app)
    assert set(table[col("rank")]) <= {1, 2, 3} and (table[col("distance_km")] <= 200).all()


def test_bad_ring_radii_show_a_message(app):
    _tab(app, "Proximity")
    app.selectbox(key="prox_ring_feature").set_value(app.selectbox(key="prox_ring_feature").options[1]).run()
    app.text_input(key="prox_ring_radii").set_value("ten, -5").run()
    assert not app.exception
    assert any("Ring radii: expected positive numbers" in e.value for e in app.error)


def test_import_error_is_a_message(app):
    app.session_state["import_error"] = (
        "sites.csv: feature 0: coordinates out of range (...); they look like lat/lon swapped"
    )
    app.run()
    assert not app.exception
    assert any(e.value.startswith("Import failed: sites.csv: feature 0") for e in app.sidebar.error)


def test_corrupt_workspace_is_reported_and_kept(private_workspace):
    private_workspace.parent.mkdir(parents=True)
    private_workspace.write_bytes(b"not a geopackage")
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert any(
        "Workspace: workspace" in e.value and "it was left as it is" in e.value for e in at.sidebar.error
    )
    assert private_workspace.read_bytes() == b"not a geopackage"


def test_workspace_layers_join_the_map_and_analyses(private_workspace):
    from app.store import Workspace
    from geo.io import read_layer

    Workspace().save("my sites", read_layer("tests/data/bad/swapped_latlon.csv", swap_xy=True))
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert "my sites: 2" in _caption(at)
    assert "my sites" in _tab(at, "Proximity").selectbox(key="prox_source").options


def test_site_selection_on_an_imported_region_and_candidate_sites(private_workspace):
    # a user polygon (part of Gujarat) as the region and the user's own points as candidate sites
    import geopandas as gpd
    import shapely

    from app.store import Workspace

    area = gpd.GeoDataFrame(
        {"name": ["my area"]}, geometry=[shapely.box(70.0, 21.0, 73.0, 24.0)], crs="EPSG:4326"
    )
    sites = gpd.GeoDataFrame(
        {"name": ["Mundra", "Vadodara", "Rajkot"]},
        geometry=gpd.points_from_xy([69.7, 73.2, 70.8], [22.8, 22.3, 22.3]),
        crs="EPSG:4326",
    )
    Workspace().save("my area", area)
    Workspace().save("my sites", sites)
    st.cache_data.clear()
    at = _tab(AppTest.from_file(APP, default_timeout=90).run(), "Site selection")
    at.selectbox(key="site_region").set_value("layer: my area").run()
    at.button(key="site_run").click().run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if col("score") in d.value.columns)
    assert (
        len(table) > 0 and table[col("lon")].between(70, 73).all() and table[col("lat")].between(21, 24).all()
    )
    at.radio(key="alloc_cost").set_value("geodesic")
    at.selectbox(key="alloc_among").set_value("layer: my sites")
    at.number_input(key="alloc_k").set_value(1)
    at.button(key="alloc_run").click().run()
    assert not at.exception and not at.error
    chosen = next(d.value for d in at.dataframe if col("served_weight") in d.value.columns)
    assert len(chosen) == 1 and chosen[col("name")].iloc[0] in {"Mundra", "Vadodara", "Rajkot"}


def test_site_selection_refuses_a_grid_too_large_for_the_app(app):
    _tab(app, "Site selection")
    app.selectbox(key="site_res").set_value(8).run()
    app.button(key="site_run").click().run()
    assert not app.exception
    assert any(
        e.value.startswith("Cannot score the grid: resolution: about 4,") and "more than 1,000,000" in e.value
        for e in app.error
    )


def test_site_selection_keeps_existing_recyclers_open(app):
    _tab(app, "Site selection")
    app.button(key="site_run").click().run()
    app.radio(key="alloc_cost").set_value("geodesic")
    app.checkbox(key="alloc_keep").check()
    app.number_input(key="alloc_k").set_value(1)
    app.button(key="alloc_run").click().run()
    assert not app.exception and not app.error
    sites = next(d.value for d in app.dataframe if col("served_weight") in d.value.columns)
    facilities = layers.load("facilities")
    existing = facilities[
        facilities["kind"].isin(["recycling", "refining"])
        & facilities["status"].isin(["operating", "under_construction"])
        & (facilities["country"] == "IN")
    ]
    placed = layers.analysis_targets(existing)  # placeholders (region/country level) stay out by default
    assert sites[col("fixed")].sum() == len(placed) > 0 and len(sites) == len(placed) + 1
    assert len(placed) < len(existing)
    app.toggle(key="alloc_approximate").set_value(True)
    app.button(key="alloc_run").click().run()
    sites = next(d.value for d in app.dataframe if col("served_weight") in d.value.columns)
    assert sites[col("fixed")].sum() == len(existing)


def test_site_selection_scores_then_allocates(app):
    _tab(app, "Site selection")
    assert any("press **Score the grid**" in m.value for m in app.info)
    app.button(key="site_run").click().run()
    assert not app.exception and not app.error
    table = next(d.value for d in app.dataframe if {col("score"), col("cell")} <= set(d.value.columns))
    assert len(table) == 200 and table[col("score")].is_monotonic_decreasing
    app.button(key="alloc_run").click().run()
    assert not app.exception
    assert any(
        c.value.startswith("p-median (network distances) assigns all demand; see mean/max distance")
        for c in app.caption
    )
    assert not any("bunched" in w.value for w in app.warning)  # candidates spread over India
    assert any(
        "Left out, no road route to any candidate" in w.value and "Port Blair" in w.value for w in app.warning
    )
    sites = next(d.value for d in app.dataframe if col("served_weight") in d.value.columns)
    assert len(sites) == 3


def test_site_selection_geodesic_allocation(app):
    _tab(app, "Site selection")
    app.button(key="site_run").click().run()
    app.radio(key="alloc_cost").set_value("geodesic")
    app.button(key="alloc_run").click().run()
    assert not app.exception
    assert any(c.value.startswith("p-median (geodesic distances) assigns all demand") for c in app.caption)


def test_site_selection_zero_weights_warns(app):
    _tab(app, "Site selection")
    for criterion in RAW_COLUMNS:
        app.slider(key=f"site_w_{criterion}").set_value(0.0)
    app.run()
    assert any("at least one criterion" in w.value for w in app.warning)


def _frame_with(at, *columns: str):
    """The first table with these columns (given by their names in the data)."""
    return next(d.value for d in at.dataframe if {col(c) for c in columns} <= set(d.value.columns))


def test_routes_tab_compares_modes(app):
    _tab(app, "Routes")
    totals = _frame_with(app, "length_km", "hours", "co2e_t", "access_km")
    assert list(totals.index) == ["Road", "Rail", "Multimodal"]
    assert (totals[col("length_km")] > 600).all()
    assert totals.loc["Rail", col("co2e_t")] < totals.loc["Road", col("co2e_t")]
    # multimodal is the cheapest combination (least CO2e by default), never a port detour inland
    best = totals.loc[["Road", "Rail"], col("co2e_t")].min()
    assert totals.loc["Multimodal", col("co2e_t")] <= best + 1e-9
    legs = _frame_with(app, "route_mode", "from_name")
    assert "Sea" not in legs.loc[legs[col("route_mode")] == "Multimodal", col("mode")].tolist()


def test_routes_tab_reports_an_impossible_mode(app):
    _tab(app, "Routes")
    app.multiselect(key="route_modes").set_value(["sea"]).run()
    assert not app.exception
    assert any(
        w.value.startswith("Sea: ") and "no sea network" in w.value and "inland" in w.value
        for w in app.warning
    )


def test_corridors_tab_orders_features_by_chainage(app):
    _tab(app, "Corridors")
    assert not app.exception
    table = _frame_with(app, "chainage_km", "side")
    assert table[col("chainage_km")].is_monotonic_increasing
    assert (table[col("distance_to_route_km")] <= 50).all()
    app.slider(key="corridor_width").set_value(10).run()
    narrow = _frame_with(app, "chainage_km", "side")
    assert len(narrow) < len(table)


def test_url_restores_tab_and_parameters():
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    # bound widgets write their values in the URL as the user reads them
    at.query_params.update({"tab": "Routes", "route_modes": ["Road", "Rail"], "route_tonnes": "5.0"})
    at.run()
    assert not at.exception
    totals = _frame_with(at, "length_km", "hours", "co2e_t", "access_km")
    assert list(totals.index) == ["Road", "Rail"]
    assert at.number_input(key="route_tonnes").value == 5.0
    assert not [w for w in at.warning if "link asked" in w.value]  # every parameter was usable


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"tab": "Proximity", "prox_k": "100000"}, "prox_k='100000'"),
        ({"tab": "Proximity", "prox_max_km": "abc"}, "prox_max_km='abc'"),
        ({"tab": "Corridors", "corridor_width": "-5"}, "corridor_width='-5'"),
        ({"tab": "Routes", "route_tonnes": "1e308"}, "route_tonnes='1e308'"),
        ({"tab": "Site selection", "site_res": "15"}, "site_res='15'"),
    ],
)
def test_url_values_the_page_cannot_use_are_named(params, named):
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(params)
    at.run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "link asked" in w.value]
    assert named in warning


@pytest.mark.parametrize("radii", ["inf", "nan", "1e9", "-5", "abc"])
def test_range_ring_radii_outside_the_earth_are_a_message(radii):
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"tab": "Proximity", "prox_ring_radii": radii})
    at.run()
    ring = at.selectbox(key="prox_ring_feature")
    ring.set_value(ring.options[1]).run()
    assert not at.exception
    assert any("Ring radii: expected positive numbers of km (at most 20,000)" in e.value for e in at.error)


def test_url_restores_a_scored_grid_and_allocation():
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(
        {
            "tab": "Site selection",
            "site_top": "20",
            "alloc_k": "2",
            "alloc_cost": "Straight line (geodesic)",
            "site_region": "India",
            "scored": "1",
            "allocated": "1",
        }
    )
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if {col("score"), col("cell")} <= set(d.value.columns))
    assert len(table) == 20
    sites = next(d.value for d in at.dataframe if col("served_weight") in d.value.columns)
    assert len(sites) == 2
    assert not [w for w in at.warning if "link asked" in w.value]  # names, not codes, in the link


# ------------------------------------------------------------------ words, not codes
#: Codes that have a label: none may reach the page as a value or a header.
CODES = (set(labels.KINDS) | set(labels.STATUSES) | {"district", "region"} | set(labels.COLUMNS)) - {
    "demand",
    "port",
    "venue",
    "smelter",
    "recycling",
    "refining",
    "cathode",
    "rank",
    "route",
    "leg",
    "id",
}


def _shown_codes(at) -> set[str]:
    """Codes found in the headers and cells of every table, and in every widget's options."""
    found = set()
    for frame in at.dataframe:
        table = frame.value
        found |= {str(c) for c in table.columns} & CODES
        found |= {str(i) for i in table.index} & CODES
        for column in table.columns:
            if table[column].dtype == object:
                found |= set(table[column].dropna().astype(str)) & CODES
    for widget in [*at.selectbox, *at.multiselect, *at.radio]:
        found |= {str(o) for o in widget.options} & CODES
    return found


@pytest.mark.parametrize("tab", ["Map", "Proximity", "Routes", "Corridors"])
def test_no_code_is_shown_where_a_label_exists(app, tab):
    app.toggle(key="show_table").set_value(True).run()
    _tab(app, tab)
    assert not app.exception
    assert _shown_codes(app) == set()


def test_site_selection_speaks_words(app):
    _tab(app, "Site selection")
    region = app.selectbox(key="site_region")
    assert "India" in region.options and "IN" not in region.options
    assert region.value == "IN"  # the code stays the value (and the link's parameter)
    resolution = app.selectbox(key="site_res")
    assert resolution.options[2] == "7 (cells ≈ 1.4 km a side)"
    app.button(key="site_run").click().run()
    app.button(key="alloc_run").click().run()
    assert not app.exception
    assert _shown_codes(app) == set()
    stability = next(d.value for d in app.dataframe if col("share_in_top") in d.value.columns)
    assert stability["Cell (centre)"].str.fullmatch(r"\d+\.\d\d°[NS], \d+\.\d\d°[EW]").all()


def test_filters_offer_names_and_countries_by_name(app):
    kinds = app.sidebar.multiselect(key="filter_kind")
    assert "Cell manufacturing" in kinds.options and "cell_manufacturing" not in kinds.options
    countries = app.sidebar.multiselect(key="filter_country")
    assert {"India", "Japan", "United States", "European Union (region)"} <= set(countries.options)
    countries.set_value(["IN"]).run()  # the value is the code: links keep working
    assert "Facilities: 9" in _caption(app) or "Facilities:" in _caption(app)
    assert all("Japan" not in c for c in _caption(app).split(","))


def test_a_clicked_origin_in_a_link_is_kept():
    at = AppTest.from_file(APP, default_timeout=180)
    clicked = "Clicked point (26.9124, 75.7873)"  # Jaipur
    at.query_params.update({"tab": "Routes", "route_origin": clicked, "route_modes": ["Road"]})
    at.run()
    assert not at.exception
    assert at.selectbox(key="route_origin").value == clicked
    assert not [w for w in at.warning if "link asked" in w.value]
    legs = _frame_with(at, "route_mode", "from_name")
    assert legs[col("length_km")].sum() > 100  # Jaipur to Greater Noida by road
    # a new click elsewhere is offered too, and does not replace the chosen origin
    at.session_state["route_map"] = {"last_clicked": {"lat": 19.07, "lng": 72.88}}
    at.run()
    options = at.selectbox(key="route_origin").options
    assert clicked in options and "Clicked point (19.0700, 72.8800)" in options
    assert at.selectbox(key="route_origin").value == clicked


def test_a_clicked_point_of_the_proximity_tab_is_kept_in_the_link():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"tab": "Proximity", "prox_click": "28.6,77.2"})
    at.run()
    assert not at.exception
    near = next(d.value for d in at.dataframe if col("target_name") in d.value.columns and len(d.value) == 5)
    assert near[col("distance_km")].iloc[0] < 50  # Delhi: the conference venue and Greater Noida nearby
    at.query_params["prox_click"] = "95,200"
    at.run()
    assert any("off the globe" in w.value for w in at.warning)


def test_the_app_on_a_team_database(postgis_url, monkeypatch):
    import uuid

    import geopandas as gpd

    from app.store import open_workspace

    monkeypatch.setenv("MINERAL_ATLAS_DATABASE_URL", postgis_url)
    name = f"team sites {uuid.uuid4().hex[:6]}"
    sites = gpd.GeoDataFrame(
        {"name": ["depot"]}, geometry=gpd.points_from_xy([77.3], [28.6]), crs="EPSG:4326"
    )
    open_workspace(user="local").save(name, sites, kind="import", source="test")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and not at.sidebar.error
    assert f"{name}: 1" in _caption(at)  # read from PostGIS, drawn with the built-in layers
    assert any(name in m.value for m in at.sidebar.markdown)
