import json
import math
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import export
from geo._errors import CRSError, ExportError
from geo.export import split_antimeridian, to_geojson, write_geojson


def _ring_is_ccw(coords) -> bool:
    return shapely.LinearRing(coords).is_ccw


def test_feature_collection_has_no_crs_member_and_lon_lat_order(points):
    doc = json.loads(to_geojson(points.to_crs("EPSG:3857")))
    assert set(doc) == {"type", "features"}
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert lon == pytest.approx(77.5, abs=1e-6) and lat == pytest.approx(28.47, abs=1e-6)
    assert doc["features"][0]["id"] == "a"


def test_rings_are_counter_clockwise_and_holes_clockwise():
    shell = [(0, 0), (0, 10), (10, 10), (10, 0), (0, 0)]  # clockwise
    hole = [(2, 2), (4, 2), (4, 4), (2, 4), (2, 2)]  # counter-clockwise
    gdf = gpd.GeoDataFrame({"id": ["p"]}, geometry=[shapely.Polygon(shell, [hole])], crs="EPSG:4326")
    rings = json.loads(to_geojson(gdf))["features"][0]["geometry"]["coordinates"]
    assert _ring_is_ccw(rings[0])
    assert not _ring_is_ccw(rings[1])


def test_coordinates_rounded_to_six_decimals_by_default():
    gdf = gpd.GeoDataFrame(
        {"id": ["p"]}, geometry=[shapely.Point(77.123456789, 28.987654321)], crs="EPSG:4326"
    )
    coords = json.loads(to_geojson(gdf))["features"][0]["geometry"]["coordinates"]
    assert coords == [77.123457, 28.987654]
    assert json.loads(to_geojson(gdf, precision=2))["features"][0]["geometry"]["coordinates"] == [
        77.12,
        28.99,
    ]


def test_bad_precision_names_the_argument(points):
    with pytest.raises(
        ExportError, match="precision: expected a whole number of decimals from 0 to 15, got 99"
    ):
        to_geojson(points, precision=99)


def test_line_across_the_antimeridian_is_split():
    line = shapely.LineString([(170, -10), (-170, -20)])
    out = split_antimeridian(line)
    assert out.geom_type == "MultiLineString"
    west, east = sorted(out.geoms, key=lambda g: g.bounds[0])
    assert east.coords[0] == pytest.approx((170, -10))
    assert east.coords[-1] == pytest.approx((180, -15))
    assert west.coords[0] == pytest.approx((-180, -15))
    assert west.coords[-1] == pytest.approx((-170, -20))


def test_polygon_across_the_antimeridian_is_split_with_area_kept():
    poly = shapely.Polygon([(175, 0), (-175, 0), (-175, 5), (175, 5), (175, 0)])
    out = split_antimeridian(poly)
    assert out.geom_type == "MultiPolygon" and len(out.geoms) == 2
    assert out.area == pytest.approx(50.0)
    assert out.bounds == pytest.approx((-180, 0, 180, 5))


def test_geometries_that_do_not_cross_are_unchanged():
    line = shapely.LineString([(77, 28), (135, 34)])
    assert split_antimeridian(line) is line
    edge = shapely.Polygon([(-180, -90), (180, -90), (180, -80), (-180, -80)])
    assert split_antimeridian(edge) is edge  # an edge along the antimeridian is not a crossing


def test_properties_are_json_native():
    gdf = gpd.GeoDataFrame(
        {
            "id": ["p", "q"],
            "count": np.array([1, 2], dtype="int64"),
            "share": [0.5, math.nan],
            "when": pd.to_datetime(["2025-07-10", None]),
            "flag": np.array([True, False]),
        },
        geometry=[shapely.Point(0, 0), None],
        crs="EPSG:4326",
    )
    text = to_geojson(gdf)
    assert "NaN" not in text
    features = json.loads(text)["features"]
    assert features[0]["properties"] == {
        "id": "p",
        "count": 1,
        "share": 0.5,
        "when": "2025-07-10T00:00:00",
        "flag": True,
    }
    assert features[1]["properties"]["share"] is None and features[1]["properties"]["when"] is None
    assert features[1]["geometry"] is None


def test_missing_crs_is_refused(points):
    with pytest.raises(CRSError, match="facilities: GeoDataFrame has no CRS"):
        to_geojson(points.set_crs(None, allow_override=True), argument="facilities")


def test_round_trip_write_read(tmp_path, points):
    path = write_geojson(points, tmp_path / "f.geojson")
    back = gpd.read_file(path, engine="pyogrio", datetime_as_string=True)
    assert list(back["id"]) == list(points["id"])
    for column in points.columns.drop("geometry"):
        assert list(back[column].fillna("")) == list(points[column]), column
    assert back.geometry.geom_equals_exact(points.geometry, tolerance=1e-6).all()


def test_failed_write_keeps_the_previous_file(tmp_path, points, monkeypatch):
    path = tmp_path / "f.geojson"
    path.write_text("previous", encoding="utf-8")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "replace", boom)
    with pytest.raises(ExportError, match="f.geojson.*cannot write"):
        write_geojson(points, path)
    assert path.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["f.geojson"]  # no temporary file left


def test_missing_folder_is_named(tmp_path, points):
    with pytest.raises(ExportError, match="folder .*nope.* does not exist"):
        write_geojson(points, tmp_path / "nope" / "f.geojson")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-180, 180, allow_nan=False),
            st.floats(-90, 90, allow_nan=False),
            st.text(max_size=20),
            st.integers(-(2**53), 2**53),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_point_round_trip_keeps_every_feature_and_property(rows):
    gdf = gpd.GeoDataFrame(
        {"id": [f"f{i}" for i in range(len(rows))], "label": [r[2] for r in rows], "n": [r[3] for r in rows]},
        geometry=[shapely.Point(r[0], r[1]) for r in rows],
        crs="EPSG:4326",
    )
    doc = json.loads(to_geojson(gdf))
    assert len(doc["features"]) == len(rows)
    for feature, (lon, lat, label, n) in zip(doc["features"], rows, strict=True):
        assert feature["properties"]["label"] == label and feature["properties"]["n"] == n
        got_lon, got_lat = feature["geometry"]["coordinates"]
        assert abs(got_lon - lon) <= 5e-7 and abs(got_lat - lat) <= 5e-7


def test_atomic_write_leaves_no_temp_files(tmp_path):
    export.atomic_write_text(tmp_path / "x.json", "{}")
    assert os.listdir(tmp_path) == ["x.json"]
