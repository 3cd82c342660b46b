import geopandas as gpd
import pytest
import shapely

import layers
from geo._errors import LayerError
from geo.settings import FACILITY_KINDS, LOCATION_PRECISIONS

RECORD_LAYERS = ["facilities", "lithium_blocks", "ports", "demand"]


def test_names_lists_every_layer():
    assert layers.names() == ["countries", "lithium_blocks", "routes", "demand", "ports", "facilities"]


@pytest.mark.parametrize("name", ["countries", *RECORD_LAYERS])
def test_every_record_is_cited_and_located(name):
    gdf = layers.load(name)
    assert len(gdf) > 0
    assert gdf.crs.equals("EPSG:4326")
    assert gdf["source"].str.len().gt(10).all()
    assert gdf["source_date"].str.match(r"^\d{4}(-\d{2}(-\d{2})?)?$").all()
    assert gdf["location_precision"].isin(LOCATION_PRECISIONS).all()
    assert gdf["id"].is_unique


def test_story_facilities_are_present():
    fac = layers.load("facilities").set_index("id")
    lohum = fac[fac.index.str.startswith("lohum-")]
    assert set(lohum["country"]) == {"IN", "US", "AE", "EU"}
    # Lohum operates eight facilities: seven in Greater Noida (the lithium and cobalt refineries and
    # five unnamed ones, one record) and one in Gujarat; the rest are planned
    operating = lohum[lohum["status"] == "operating"]
    assert set(operating.index) == {
        "lohum-greater-noida-li",
        "lohum-greater-noida-co",
        "lohum-greater-noida-recycling",
        "lohum-gujarat",
    }
    assert set(lohum.drop(operating.index)["status"]) == {"planned"}
    assert fac.loc["lohum-eu-planned", "location_precision"] == "country"
    assert fac.loc["lohum-sharjah-jv", "ownership"].startswith("Planned joint venture")
    assert fac.loc["smm-niihama-nickel", "country"] == "JP"
    assert fac.loc["gigafactory-1-nevada", "kind"] == "cell_manufacturing"
    assert fac.loc["venue-embassy-of-japan-delhi", "kind"] == "venue"
    # a town-level point is not dressed up as a site
    assert fac.loc["lohum-greater-noida-li", "location_precision"] == "town"
    # the refinery public reporting describes as defunct is not marked operating
    assert fac.loc["vedanta-nicomet-goa", "status"] == "closed"
    assert len(fac[fac["kind"] != "venue"]) >= 40


def test_lithium_blocks_are_polygons_with_honest_precision():
    blocks = layers.load("lithium_blocks").set_index("id")
    assert set(blocks.geometry.geom_type) == {"Polygon"}
    assert blocks.loc["li-block-reasi-salal-haimana", "resource"].startswith("5.9 million tonnes")
    assert set(blocks["status"]) == {"exploration"}  # nothing is mined at either block
    assert blocks.loc["li-block-katghora-korba", "operator"] == "Maiki South Mining Pvt Ltd"
    assert "annulled" in blocks.loc["li-block-reasi-salal-haimana", "auction"]
    assert blocks["notes"].str.contains("not public").all()
    assert set(blocks["geometry_quality"]) == {"schematic"}
    # the polygons have the reported areas (3 sq km demarcated and 256.12 ha), measured on the ellipsoid
    from pyproj import Geod

    area_ha = {
        i: abs(Geod(ellps="WGS84").geometry_area_perimeter(g)[0]) / 1e4 for i, g in blocks.geometry.items()
    }
    assert area_ha["li-block-reasi-salal-haimana"] == pytest.approx(300, rel=0.01)
    assert area_ha["li-block-katghora-korba"] == pytest.approx(256.12, rel=0.01)


def test_ports_come_from_searoute():
    ports = layers.load("ports").set_index("locode")
    assert {"INMUN", "INMAA", "AESHJ", "JPOSA", "JPIHA", "USOAK"} <= set(ports.index)
    assert ports.loc["INMUN"].geometry.x == pytest.approx(69.747, abs=1e-3)
    assert ports["source"].str.contains("searoute").all()


def test_demand_cities_are_large_indian_cities():
    demand = layers.load("demand")
    assert (demand["population"] >= 100_000).all()
    assert (demand["country"] == "IN").all()
    assert len(demand) > 300
    assert demand.iloc[0]["population"] == demand["population"].max()


def test_load_returns_independent_copies():
    a = layers.load("facilities")
    a.loc[a.index[0], "name"] = "changed"
    assert layers.load("facilities").iloc[0]["name"] != "changed"


def test_unknown_layer_lists_valid_names():
    with pytest.raises(
        LayerError,
        match="unknown layer 'mines'; valid layers: "
        "countries, lithium_blocks, routes, demand, ports, facilities",
    ):
        layers.load("mines")


def test_filter_layer():
    fac = layers.load("facilities")
    refining = layers.filter_layer(fac, kind=["refining"])
    assert set(refining["kind"]) == {"refining"} and len(refining) >= 3
    cobalt = layers.filter_layer(fac, materials=["Co"])
    assert cobalt["materials"].str.split(";").map(lambda m: "Co" in m).all()
    both = layers.filter_layer(fac, kind=["refining"], country=["JP"])
    assert list(both["id"]) == ["smm-niihama-nickel", "smm-harima"]
    assert len(layers.filter_layer(fac, kind=[], operator=None)) == len(fac)


def test_filter_layer_rejects_unknown_columns():
    with pytest.raises(LayerError, match="filter: unknown column\\(s\\) colour"):
        layers.filter_layer(layers.load("facilities"), colour=["red"])


def test_attribute_table_has_lon_lat_for_points_and_polygons():
    table = layers.attribute_table({n: layers.load(n) for n in ("facilities", "lithium_blocks")})
    assert list(table.columns) == list(layers.TABLE_COLUMNS)
    block = table[table["id"] == "li-block-katghora-korba"].iloc[0]
    assert block["lon"] == pytest.approx(82.55, abs=0.01) and block["lat"] == pytest.approx(22.5, abs=0.01)


def test_broken_data_file_names_file_and_feature(tmp_path, monkeypatch):
    from layers import facilities

    bad = tmp_path / "facilities.csv"
    text = facilities.FILE.read_text(encoding="utf-8").replace(",town,", ",street,", 1)
    bad.write_text(text, encoding="utf-8")
    monkeypatch.setattr(facilities, "FILE", bad)
    from layers._schema import validate

    with pytest.raises(
        LayerError, match=r"facilities.csv: feature 'lohum-greater-noida-li': location_precision 'street'"
    ):
        validate(facilities.read(), source=bad)


def test_routes_are_cached_on_disk_and_recomputed_when_stale(tmp_path, monkeypatch):
    from layers import routes

    monkeypatch.setattr(routes, "cache_dir", lambda: tmp_path)  # the networks keep their own cache
    first = routes.read()
    cached = list(tmp_path.glob("routes-*.parquet"))
    assert len(cached) == 1

    def no_compute(rows, **kwargs):
        raise AssertionError("computed again although the cache is current")

    monkeypatch.setattr(routes, "compute", no_compute)
    again = routes.read()
    assert again.equals(first) and again.crs.to_epsg() == 4326
    cached[0].write_bytes(b"not parquet")  # a damaged cache is computed again, not an error
    with pytest.raises(AssertionError, match="computed again"):
        routes.read()


@pytest.mark.parametrize("name", ["countries", "demand", "ports", "facilities", "lithium_blocks"])
def test_validated_layers_are_kept_on_disk_equal_to_a_fresh_read(name, tmp_path, monkeypatch):
    from geopandas.testing import assert_geodataframe_equal

    import layers as layers_module

    monkeypatch.setattr(layers_module, "cache_dir", lambda: tmp_path)
    layers_module._load_validated.cache_clear()
    try:
        fresh = layers_module.load(name)
        (cached,) = tmp_path.glob(f"layer-{name}-*.parquet")
        layers_module._load_validated.cache_clear()
        assert_geodataframe_equal(layers_module.load(name), fresh, check_like=False)
        cached.write_bytes(b"damaged")  # a damaged file is read and validated again, not an error
        layers_module._load_validated.cache_clear()
        assert_geodataframe_equal(layers_module.load(name), fresh)
    finally:
        layers_module._load_validated.cache_clear()


# ----------------------------------------------------------------------------- targets and filters by meaning
def _places() -> gpd.GeoDataFrame:
    """A conference venue, plants at town and site level, and placeholders for a state and a country."""
    return gpd.GeoDataFrame(
        {
            "id": ["venue", "noida", "gujarat", "us-jv", "port", "user-thing"],
            "name": ["Embassy", "Noida refinery", "Gujarat plant", "US joint venture", "Mundra", "Depot"],
            "kind": ["venue", "refining", "recycling", "recycling", "port", "depot"],
            "location_precision": ["site", "town", "region", "country", "town", "town"],
        },
        geometry=gpd.points_from_xy(
            [77.188, 77.504, 71.19, -98.58, 69.7, 80.0], [28.5975, 28.4744, 22.26, 39.83, 22.75, 20.0]
        ),
        crs="EPSG:4326",
    )


def test_analysis_targets_leave_out_venues_and_placeholders_by_default():
    targets = layers.analysis_targets(_places())
    # the port is its own layer's subject and "depot" is an imported layer's own kind: both kept
    assert list(targets["id"]) == ["noida", "port", "user-thing"]
    assert not targets["approximate_location"].any()
    assert targets.attrs["left_out"] == {"places": ["venue"], "approximate locations": ["gujarat", "us-jv"]}


def test_analysis_targets_toggles_keep_them_flagged():
    with_placeholders = layers.analysis_targets(_places(), include_placeholders=True)
    assert list(with_placeholders["id"]) == ["noida", "gujarat", "us-jv", "port", "user-thing"]
    flagged = with_placeholders.loc[with_placeholders["approximate_location"], "id"]
    assert list(flagged) == ["gujarat", "us-jv"]
    everything = layers.analysis_targets(_places(), include_placeholders=True, include_venues=True)
    assert len(everything) == 6 and everything.attrs["left_out"] == {
        "places": [],
        "approximate locations": [],
    }


def test_a_region_polygon_is_not_a_placeholder():
    region = gpd.GeoDataFrame(
        {"id": ["block"], "kind": ["lithium_block"], "location_precision": ["region"]},
        geometry=[shapely.box(82.5, 22.4, 82.7, 22.6)],
        crs="EPSG:4326",
    )
    assert not layers.approximate_locations(region).any()
    assert len(layers.analysis_targets(region)) == 1


def test_the_venue_and_the_placeholders_of_the_facilities_layer_are_no_targets():
    facilities = layers.load("facilities")
    targets = layers.analysis_targets(facilities)
    assert set(targets["kind"]) <= set(FACILITY_KINDS)
    assert not targets["location_precision"].isin(["region", "country"]).any()
    left_out = targets.attrs["left_out"]
    assert set(left_out["places"]) == set(facilities.loc[facilities["kind"] == "venue", "id"])


def test_filters_leave_layers_without_the_attribute_shown(points):
    cities = gpd.GeoDataFrame(
        {"id": ["delhi"], "operator": [""], "status": ["not_applicable"], "country": ["IN"]},
        geometry=gpd.points_from_xy([77.2], [28.6]),
        crs="EPSG:4326",
    )
    # before: any operator choice emptied cities and ports
    assert len(layers.filter_layer(cities, operator=["Op"])) == 1
    assert len(layers.filter_layer(cities, status=["operating"])) == 1
    assert len(layers.filter_layer(cities, country=["JP"])) == 0  # cities do carry a country
    assert list(layers.filter_layer(points, operator=["Op"])["id"]) == ["a", "c"]
    no_column = points.drop(columns=["materials"])
    assert len(layers.filter_layer(no_column, materials=["Li"])) == len(points)


def test_routes_match_a_country_or_an_operator_at_either_end():
    legs = gpd.GeoDataFrame(
        {
            "id": ["r1.1", "r2.1", "r3.1"],
            "origin_country": ["IN", "JP", "US"],
            "destination_country": ["AE", "JP", "US"],
            "origin_operator": ["Lohum", "Panasonic", "Redwood"],
            "destination_operator": ["Lohum JV", "Sumitomo", "Tesla"],
        },
        geometry=[shapely.LineString([(0, 0), (1, 1)])] * 3,
        crs="EPSG:4326",
    )
    assert list(layers.filter_layer(legs, country=["AE"])["id"]) == ["r1.1"]
    assert list(layers.filter_layer(legs, country=["IN", "JP"])["id"]) == ["r1.1", "r2.1"]
    assert list(layers.filter_layer(legs, operator=["Sumitomo"])["id"]) == ["r2.1"]
    assert list(layers.filter_layer(legs, operator=["Tesla"], country=["US"])["id"]) == ["r3.1"]
    assert len(layers.filter_layer(legs, status=["operating"], kind=["refining"])) == 3  # not carried


def test_routes_layer_carries_its_endpoints_countries_and_operators():
    routes = layers.load("routes")
    facilities = layers.load_by_id("facilities")
    for end in ("origin", "destination"):
        assert {f"{end}_id", f"{end}_country", f"{end}_operator"} <= set(routes.columns)
    at_facilities = routes[routes["destination_id"].isin(facilities.index)]
    assert (
        len(at_facilities)
        and (
            at_facilities["destination_country"].to_numpy()
            == facilities.loc[at_facilities["destination_id"], "country"].to_numpy()
        ).all()
    )
    indian = layers.filter_layer(routes, country=["IN"])
    assert (
        len(indian) and ((indian["origin_country"] == "IN") | (indian["destination_country"] == "IN")).all()
    )  # before: Country = IN hid every route
