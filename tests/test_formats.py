"""Export to every format and read back with geo.io.read_layer: features and properties survive."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layers
from geo._errors import ExportError
from geo.export import neutralise_formula, to_bytes, write_layer
from geo.io import read_layer
from geo.settings import EXPORT_FORMATS

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=24)
ROWS = st.lists(
    st.tuples(
        st.floats(-179.9, 179.9, allow_nan=False),
        st.floats(-89.9, 89.9, allow_nan=False),
        TEXT,
        st.integers(-(2**31), 2**31 - 1),
        st.floats(-1e9, 1e9, allow_nan=False),
    ),
    min_size=1,
    max_size=12,
)


def _frame(rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [f"f{i}" for i in range(len(rows))],
            "label": [r[2] for r in rows],
            "count": [r[3] for r in rows],
            "value": [r[4] for r in rows],
        },
        geometry=[shapely.Point(r[0], r[1]) for r in rows],
        crs="EPSG:4326",
    )


def _check(back: gpd.GeoDataFrame, rows, *, as_text: bool) -> None:
    assert len(back) == len(rows)
    assert list(back["id"]) == [f"f{i}" for i in range(len(rows))]
    for i, (lon, lat, label, count, value) in enumerate(rows):
        geom = back.geometry.iloc[i]
        assert abs(geom.x - lon) <= 1e-6 and abs(geom.y - lat) <= 1e-6
        got_label = back["label"].iloc[i]
        if as_text:
            assert (
                str(got_label) == str(neutralise_formula(label))
                or (label.strip() == "" and got_label in ("", None))
                or float(got_label) == float(label)
            )
            assert float(back["count"].iloc[i]) == count
            assert float(back["value"].iloc[i]) == pytest.approx(value, rel=1e-12, abs=1e-9)
        else:
            assert got_label == label
            assert back["count"].iloc[i] == count
            assert back["value"].iloc[i] == pytest.approx(value, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "parquet"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_typed_formats_round_trip(fmt, rows):
    data = to_bytes(_frame(rows), fmt)
    _check(read_layer(data, name=f"x{EXPORT_FORMATS[fmt]}"), rows, as_text=False)


@settings(max_examples=25, deadline=None)
@given(rows=ROWS)
def test_csv_round_trip(rows):
    data = to_bytes(_frame(rows), "csv")
    _check(read_layer(data, name="x.csv"), rows, as_text=True)


def test_csv_neutralises_formulas_but_not_numbers():
    gdf = gpd.GeoDataFrame(
        {"name": ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "plain"], "delta": [-1.5, 2, 3, 4, 5]},
        geometry=[shapely.Point(i, i) for i in range(5)],
        crs="EPSG:4326",
    )
    text = to_bytes(gdf, "csv").decode()
    assert "'=HYPERLINK" in text and "'+1" in text and "'-cmd" in text and "'@SUM" in text
    assert "\nplain," in text  # ordinary text is left alone
    assert ",-1.5," in text  # numbers are numbers, not text
    assert "POINT (1 1)" in text


def test_kml_export_reads_back():
    fac = layers.load("facilities")
    back = read_layer(to_bytes(fac, "kml", layer_name="facilities"), name="f.kml")
    assert len(back) == len(fac)
    assert back.geometry.iloc[0].x == pytest.approx(fac.geometry.iloc[0].x)


def test_write_layer_is_atomic_and_infers_format(tmp_path):
    fac = layers.load("facilities")
    path = write_layer(fac, tmp_path / "f.gpkg")
    assert len(read_layer(path)) == len(fac)
    with pytest.raises(ExportError, match="cannot tell the format from '.xyz'"):
        write_layer(fac, tmp_path / "f.xyz")
    with pytest.raises(
        ExportError, match="format: expected one of geojson, gpkg, parquet, csv, kml, got 'shp'"
    ):
        to_bytes(fac, "shp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.gpkg"]


def test_lists_and_dates_become_text():
    gdf = gpd.GeoDataFrame(
        {"tags": [["Li", "Co"]], "when": pd.to_datetime(["2025-07-10"])},
        geometry=[shapely.Point(1, 2)],
        crs="EPSG:4326",
    )
    back = read_layer(to_bytes(gdf, "gpkg"), name="x.gpkg")
    assert back["tags"].iloc[0] == '["Li", "Co"]' and back["when"].iloc[0].startswith("2025-07-10")
