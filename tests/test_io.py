"""geo.io.read_layer on good files of every format and on the corpus of bad files in tests/data/bad/."""

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo.io import LayerError, read_layer, split_by_geometry_type

BAD = Path(__file__).parent / "data" / "bad"

#: every bad file and the problem its message must name
BAD_FILES = {
    "not_json.geojson": r"not_json.geojson: not parseable: JSON error at line 1",
    "wrong_type.geojson": r"wrong_type.geojson: not GeoJSON",
    "no_features.geojson": r"no_features.geojson: no features",
    "null_geometry.geojson": r"null_geometry.geojson: no geometry",
    "out_of_range.geojson": r"out_of_range.geojson: feature 0: coordinates out of range \(lon 200, lat 95",
    "duplicate_ids.geojson": r"duplicate_ids.geojson: feature 'site-1': id is not unique",
    "empty_file.geojson": r"empty_file.geojson: file is empty",
    "swapped_latlon.csv": r"swapped_latlon.csv: feature 0: coordinates out of range .* look like lat/lon swapped",
    "latin1.csv": r"latin1.csv: text is not valid UTF-8 \(byte 0xe3 at offset \d+\)",
    "no_coordinates.csv": r"no_coordinates.csv: no geometry: expected lat/lon columns",
    "bad_number.csv": r"bad_number.csv: feature 1 \(line 3\): latitude 'north' is not a number",
    "bad_wkt.csv": r"bad_wkt.csv: column 'wkt' holds text that is not WKT",
    "header_only.csv": r"header_only.csv: no features",
    "unsupported.txt": r"unsupported.txt: unsupported format '.txt'",
    "path_traversal.zip": r"path_traversal.zip: archive member '../../evil.shp' points outside the archive \(path traversal\)",
    "zip_bomb.zip": r"zip_bomb.zip: archive member 'bomb.shp' expands \d+-fold, a decompression bomb",
    "too_many_members.zip": r"too_many_members.zip: archive holds 1001 members, more than the 1000 allowed",
    "symlink.zip": r"symlink.zip: archive member 'link.shp' is a symbolic link",
    "shapefile_no_prj.zip": r"shapefile_no_prj.zip: unknown CRS: Shapefile 'sites.shp' has no .prj file",
    "shapefile_no_dbf.zip": r"shapefile_no_dbf.zip: Shapefile 'sites.shp' lacks its .dbf part",
    "no_shapefile.zip": r"no_shapefile.zip: zip archive holds no .shp file",
    "not_a_zip.zip": r"not_a_zip.zip: not parseable: not a valid zip archive",
    "external_entity.kml": r"external_entity.kml: XML with a DTD or entity declarations is refused",
    "billion_laughs.kml": r"billion_laughs.kml: XML with a DTD or entity declarations is refused",
    "broken.kml": r"broken.kml: not parseable: XML error",
    "not_a_zip.kmz": r"not_a_zip.kmz: not parseable: not a valid zip archive",
    "plain_table.parquet": r"plain_table.parquet: no geometry: a Parquet file without GeoParquet metadata",
    "garbage.gpkg": r"garbage.gpkg: not parseable",
    "no_crs.gpkg": r"no_crs.gpkg: unknown CRS",
}


def test_corpus_is_complete():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(BAD_FILES)
    assert len(BAD_FILES) >= 20


@pytest.mark.parametrize(("filename", "message"), sorted(BAD_FILES.items()))
def test_bad_file_is_refused_with_a_clear_message(filename, message):
    with pytest.raises(LayerError, match=rf"^{message}"):
        read_layer(BAD / filename)


@pytest.mark.parametrize(("filename", "message"), sorted(BAD_FILES.items())[:5])
def test_bad_upload_bytes_give_the_same_message(filename, message):
    with pytest.raises(LayerError, match=rf"^{message}"):
        read_layer((BAD / filename).read_bytes(), name=filename)


def test_layer_error_is_a_value_error():
    assert issubclass(LayerError, ValueError)


def test_size_limit(tmp_path):
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}) + " " * 2000, encoding="utf-8")
    with pytest.raises(LayerError, match=r"big.geojson: file is 0.0 MB, over the import limit of 0 MB"):
        read_layer(path, max_bytes=1000)


def test_swap_repairs_swapped_coordinates():
    gdf = read_layer(BAD / "swapped_latlon.csv", swap_xy=True)
    assert gdf.geometry.iloc[0].x == pytest.approx(135.5023) and gdf.geometry.iloc[0].y == pytest.approx(
        34.6937
    )


def test_latin1_with_explicit_encoding():
    gdf = read_layer(BAD / "latin1.csv", encoding="latin-1")
    assert gdf["name"].iloc[0] == "São Paulo refinery"


def _points_gdf():
    return gpd.GeoDataFrame(
        {"id": ["a", "b"], "name": ["Lohum", "Panasonic"], "capacity_t": [1000, 2500], "share": [0.5, None]},
        geometry=[shapely.Point(77.5, 28.47), shapely.Point(135.5, 34.69)],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_good_files_round_trip(tmp_path, suffix):
    src = _points_gdf()
    path = tmp_path / f"sites{suffix}"
    if suffix == ".parquet":
        src.to_parquet(path)
    else:
        src.to_file(path, engine="pyogrio")
    gdf = read_layer(path)
    assert gdf.crs.equals("EPSG:4326")
    assert list(gdf["name"]) == ["Lohum", "Panasonic"] and list(gdf["capacity_t"]) == [1000, 2500]
    assert gdf.attrs["name"] == "sites"


def test_csv_lat_lon_names_are_detected():
    text = "Name,Latitude,Lng,capacity\nLohum,28.47,77.5,1000\nSMM,33.96,133.28,\n"
    gdf = read_layer(text.encode(), name="sites.csv")
    assert list(gdf["Name"]) == ["Lohum", "SMM"]
    assert gdf.geometry.iloc[1].x == pytest.approx(133.28)
    assert gdf["capacity"].iloc[0] == 1000


def test_csv_wkt_column():
    text = 'name,WKT\nblock,"POLYGON ((82.5 22.4, 82.7 22.4, 82.7 22.6, 82.5 22.6, 82.5 22.4))"\n'
    gdf = read_layer(text.encode(), name="blocks.csv")
    assert gdf.geometry.iloc[0].geom_type == "Polygon"


def test_projected_crs_is_reprojected(tmp_path):
    path = tmp_path / "projected.gpkg"
    _points_gdf().to_crs("EPSG:7755").to_file(path, engine="pyogrio")
    gdf = read_layer(path)
    assert gdf.geometry.iloc[0].x == pytest.approx(77.5, abs=1e-6)


def test_zipped_shapefile_and_kmz(tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    _points_gdf()[["name", "geometry"]].to_file(shp_dir / "sites.shp", engine="pyogrio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in shp_dir.iterdir():
            archive.write(part, f"folder/{part.name}")
    assert list(read_layer(buffer.getvalue(), name="sites.zip")["name"]) == ["Lohum", "Panasonic"]

    kml = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<Placemark><name>Osaka</name><Point><coordinates>135.5,34.69</coordinates></Point></Placemark>"
        "</Document></kml>"
    )
    kmz = io.BytesIO()
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.writestr("doc.kml", kml)
    gdf = read_layer(kmz.getvalue(), name="osaka.kmz")
    assert gdf.geometry.iloc[0].x == pytest.approx(135.5)
    assert read_layer(kml.encode(), name="osaka.kml")["Name"].iloc[0] == "Osaka"


def test_invalid_geometry_is_repaired_and_reported():
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"id": "bow"}, "geometry": bowtie}],
    }
    gdf = read_layer(json.dumps(doc).encode(), name="bowtie.geojson")
    assert gdf.geometry.iloc[0].is_valid
    assert gdf.attrs["repairs"] == ["feature 'bow': Self-intersection[0.5 0.5], repaired with make_valid"]


def test_mixed_geometry_types_are_reported_and_split():
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [77, 28]}},
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            },
        ],
    }
    gdf = read_layer(json.dumps(doc).encode(), name="mixed.geojson")
    assert gdf.attrs["geometry_types"] == {"Point": 1, "Polygon": 1}
    parts = split_by_geometry_type(gdf)
    assert set(parts) == {"points", "polygons"} and len(parts["points"]) == 1


def test_upload_name_never_becomes_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}}
        ],
    }
    gdf = read_layer(json.dumps(doc).encode(), name="../../etc/evil.geojson")
    assert gdf.attrs["name"] == "evil"
    assert list(tmp_path.iterdir()) == []
