"""geo.io.read_layer on good files of every format and on the corpus of bad files in tests/data/bad/.

One file although long: it tests the importer as users meet it, almost always through
``read_layer``, ``read_layers`` and ``list_layers`` rather than the private modules behind them,
and its sections (nesting, messages, names, CRS, several layers, encodings, CSV, fuzzing) share
the corpus of bad files and its helpers.
"""

import codecs
import io
import json
import re
import sqlite3
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.io import (
    FORMATS,
    TEXT_ENCODINGS,
    LayerChoiceError,
    LayerError,
    LayerInfo,
    check_layer_name,
    list_layers,
    read_layer,
    read_layers,
    safe_layer_name,
    split_by_geometry_type,
)
from geo.settings import MAX_QUOTED_MESSAGE_CHARS

BAD = Path(__file__).parent / "data" / "bad"

#: every bad file and the problem its message must name
BAD_FILES = {
    "not_json.geojson": r"not_json.geojson: not parseable: JSON error at line 1",
    "wrong_type.geojson": r"wrong_type.geojson: not GeoJSON",
    "no_features.geojson": r"no_features.geojson: no features",
    "null_geometry.geojson": r"null_geometry.geojson: no geometry",
    "out_of_range.geojson": r"out_of_range.geojson: feature 1: coordinates out of range \(lon 200, lat 95",
    "duplicate_ids.geojson": r"duplicate_ids.geojson: feature 'site-1': id is not unique",
    "empty_file.geojson": r"empty_file.geojson: file is empty",
    "swapped_latlon.csv": (
        r"swapped_latlon.csv: feature 1: coordinates out of range .* look like lat/lon swapped"
    ),
    "no_coordinates.csv": r"no_coordinates.csv: no geometry: expected lat/lon columns",
    "bad_number.csv": r"bad_number.csv: feature 2 \(line 3\): latitude 'north' is not a number",
    "bad_wkt.csv": r"bad_wkt.csv: column 'wkt' holds text that is not WKT",
    "header_only.csv": r"header_only.csv: no features",
    "unsupported.txt": r"unsupported.txt: unsupported format '.txt'",
    "path_traversal.zip": (
        r"path_traversal.zip: archive member '../../evil.shp' points outside the archive \(path traversal\)"
    ),
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
    # issue 19: nesting, CRSs that cannot be, per-feature crs members, several layers, tables
    "deep_arrays.geojson": (
        r"deep_arrays.geojson: JSON nested more than 64 levels deep \(arrays or objects within each other, "
        r"at line 1, column \d+\)"
    ),
    "deep_property.geojson": r"deep_property.geojson: JSON nested more than 64 levels deep",
    "deep_folders.kml": (
        r"deep_folders.kml: XML nested more than 100 elements deep \(folders within folders\)"
    ),
    "top_level_array.geojson": r"top_level_array.geojson: not GeoJSON: expected an object .* got an array",
    "mercator_degrees.geojson": (
        r"mercator_degrees.geojson: coordinates look like longitude/latitude degrees \(first vertex 77.5, "
        r"28.47\), not metres of the declared CRS EPSG:3857 .* the CRS is likely EPSG:4326"
    ),
    "utm_holding_mercator.geojson": (
        r"utm_holding_mercator.geojson: feature 1: coordinates \(8.627e\+06, 3.308e\+06\) lie far outside "
        r"the area of use of the declared CRS EPSG:32644 .*\(lon 78 to 84, lat 0 to 84\); the declared CRS "
        r"is likely wrong; they would fit EPSG:3857"
    ),
    "wgs84_holding_metres.geojson": (
        r"wgs84_holding_metres.geojson: feature 1: coordinates out of range \(lon 8.627e\+06, lat "
        r"3.308e\+06; .*\); they look like metres of a projected CRS such as EPSG:3857"
    ),
    "mixed_feature_crs.geojson": (
        r"mixed_feature_crs.geojson: features declare different CRSs in their crs members \(feature 1: "
        r"EPSG:3857 .*, feature 2: EPSG:4326 .*\); a layer has one CRS"
    ),
    "partial_feature_crs.geojson": (
        r"partial_feature_crs.geojson: feature 1 declares crs EPSG:3857 .* but feature 2 declares none"
    ),
    "two_layers.gpkg": (
        r"two_layers.gpkg: holds 2 layers with features: 'mines' \(Point, 2 features\), 'blocks' \(Polygon, "
        r"1 feature\); choose one"
    ),
    "two_folders.kml": (
        r"two_folders.kml: holds 2 layers with features: 'Mines' \(Point, 2 features\), 'Plants' \(Point, 1 "
        r"feature\); choose one"
    ),
    "two_shapefiles.zip": (
        r"two_shapefiles.zip: holds 2 layers with features: 'blocks' \(Polygon, 1 feature\), 'mines' "
        r"\(Point, 2 features\); choose one"
    ),
    "ragged.csv": r"ragged.csv: not parseable as CSV: line 3 has 4 fields, the header 3",
    "table_only.gpkg": r"table_only.gpkg: no geometry: the layer is a table without a geometry column",
    "not_utf8.parquet": r"not_utf8.parquet: column 'name' holds text that is not UTF-8",
}
#: bad files that need an argument to be bad: (file, keyword arguments, message)
BAD_CALLS = [
    ("latin1.csv", {"encoding": "utf-8"}, r"latin1.csv: text is not valid UTF-8 \(byte 0xe3 at offset 14\)"),
    ("latin1.csv", {"encoding": "klingon"}, r"latin1.csv: unknown text encoding 'klingon'"),
    (
        "two_layers.gpkg",
        {"layer": "plants"},
        r"two_layers.gpkg: no layer 'plants'; layers: 'mines', 'blocks'",
    ),
    (
        "two_folders.kml",
        {"layer": "Refineries"},
        r"two_folders.kml: no layer 'Refineries'; layers: 'Mines', 'Plants'",
    ),
    (
        "latin1_text.gpkg",
        {"encoding": "utf-8"},
        r"latin1_text.gpkg: attributes are not valid text in UTF-8 \(column 'name' is not UTF-8\)",
    ),
]


def test_corpus_is_complete():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(set(BAD_FILES) | {c[0] for c in BAD_CALLS})
    assert len(BAD_FILES) >= 40


@pytest.mark.parametrize(("filename", "message"), sorted(BAD_FILES.items()))
def test_bad_file_is_refused_with_a_clear_message(filename, message):
    with pytest.raises(LayerError, match=rf"^{message}"):
        read_layer(BAD / filename)


@pytest.mark.parametrize(("filename", "kwargs", "message"), BAD_CALLS)
def test_bad_call_is_refused_with_a_clear_message(filename, kwargs, message):
    with pytest.raises(LayerError, match=rf"^{message}"):
        read_layer(BAD / filename, **kwargs)


@pytest.mark.parametrize(("filename", "message"), sorted(BAD_FILES.items()))
def test_bad_upload_bytes_give_the_same_message(filename, message):
    with pytest.raises(LayerError, match=rf"^{message}"):
        read_layer((BAD / filename).read_bytes(), name=filename)


@pytest.mark.parametrize("filename", sorted(BAD_FILES))
def test_bad_file_listing_never_a_traceback(filename):
    """list_layers meets the same files: a listing or a LayerError, nothing else."""
    try:
        layers = list_layers(BAD / filename)
    except LayerError:
        return
    assert layers and all(isinstance(i, LayerInfo) for i in layers)


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
    assert gdf.attrs["notes"] == []


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


# ----------------------------------------------------------------------------- issue 19: nesting
def _nested_wkb(depth: int) -> bytes:
    return struct.pack("<BII", 1, 7, 1) * depth + shapely.to_wkb(shapely.Point(77.5, 28.5))


def test_deep_wkt_in_a_csv_is_refused_before_geos(tmp_path):
    """30,000 nested collections overflow GEOS's C stack (the process dies): refused first."""
    wkt = "GEOMETRYCOLLECTION (" * 30_000 + "POINT (77.5 28.5)" + ")" * 30_000
    path = tmp_path / "deep_wkt.csv"
    path.write_text(f'name,wkt\nok,"POINT (77 28)"\ndeep,"{wkt}"\n', encoding="utf-8")
    with pytest.raises(
        LayerError,
        match=r"^deep_wkt.csv: feature 2 \(line 3\): column 'wkt' holds WKT nested more than 32 levels deep",
    ):
        read_layer(path)


def test_deep_wkb_in_a_geopackage_is_refused_before_geos(tmp_path):
    path = tmp_path / "deep_collection.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(1, 2)], crs="EPSG:4326").to_file(
        path, layer="sites", engine="pyogrio"
    )
    blob = b"GP" + bytes([0, 1]) + struct.pack("<i", 4326) + _nested_wkb(30_000)
    with sqlite3.connect(path) as con:
        for (trigger,) in con.execute("select name from sqlite_master where type = 'trigger'").fetchall():
            con.execute(f'drop trigger "{trigger}"')
        con.execute("update sites set geom = ?", (blob,))
    with pytest.raises(
        LayerError, match=r"^deep_collection.gpkg: feature 1: geometry nested more than 32 levels deep"
    ):
        read_layer(path)


def test_deep_wkb_in_a_geoparquet_is_refused_before_geos(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": {"encoding": "WKB"}}}
    table = pa.table(
        {
            "name": ["ok", "deep"],
            "geometry": pa.array([shapely.to_wkb(shapely.Point(1, 2)), _nested_wkb(30_000)]),
        }
    ).replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(table, tmp_path / "deep_collection.parquet")
    with pytest.raises(
        LayerError, match=r"^deep_collection.parquet: feature 2: geometry nested more than 32 levels deep"
    ):
        read_layer(tmp_path / "deep_collection.parquet")


def _nest(geom, depth):
    for _ in range(depth):
        geom = shapely.GeometryCollection([shapely.Point(0, 0), geom, shapely.LineString([(0, 0), (1, 1)])])
    return geom


@pytest.mark.parametrize(
    "flavour",
    [{}, {"flavor": "iso"}, {"byte_order": 0}, {"include_srid": True}, {"output_dimension": 3, "z": True}],
)
@pytest.mark.parametrize("depth", [0, 1, 7, 40])
def test_wkb_depth_walker_counts_collections_of_every_wkb_flavour(flavour, depth):
    from geo._wkb import wkb_depths

    poly = shapely.Polygon(
        [(0, 0), (1, 0), (1, 1), (0, 0)], [[(0.1, 0.1), (0.2, 0.1), (0.2, 0.2), (0.1, 0.1)]]
    )
    kwargs = {k: v for k, v in flavour.items() if k != "z"}
    for base, own in [
        (shapely.Point(1, 2), 0),
        (shapely.MultiPolygon([poly, poly]), 1),
        (shapely.GeometryCollection(), 0),
    ]:
        geom = _nest(base, depth)
        geom = shapely.force_3d(geom) if flavour.get("z") else geom
        geom = shapely.set_srid(geom, 4326) if flavour.get("include_srid") else geom
        wkb = shapely.to_wkb(geom, **kwargs)
        got = wkb_depths(np.frombuffer(wkb, np.uint8), np.array([0, len(wkb)], np.int64), 100)
        assert int(got[0]) == depth + own


def test_brackets_and_escaped_quotes_inside_strings_are_not_nesting():
    tricky = 'a \\" [[[[ {{{{ \\\\" ]]]' + "[" * 500
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"note": tricky, "crs": "not a key"},
                "geometry": {"type": "Point", "coordinates": [77.5, 28.5]},
            }
        ],
    }
    gdf = read_layer(json.dumps(doc).encode(), name="tricky.geojson")
    assert gdf["note"].iloc[0] == tricky


def test_json_scan_is_the_same_in_pieces_of_any_size(monkeypatch):
    """The pre-scan reads files in pieces; a piece boundary anywhere changes nothing."""
    import geo._jsonscan

    features = [
        {
            "type": "Feature",
            "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
            "properties": {"s": 'x\\"],}{' * k},
            "geometry": {"type": "Point", "coordinates": [8627000.0 + k, 3308000.0]},
        }
        for k in range(6)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    expected = read_layer(data, name="pieces.geojson")
    for chunk in (1, 2, 3, 7, 64):
        monkeypatch.setattr(geo._jsonscan, "CHUNK", chunk)
        got = read_layer(data, name="pieces.geojson")
        assert got.geometry.geom_equals_exact(expected.geometry, 1e-9).all(), chunk
        assert list(got["s"]) == list(expected["s"])
    deep = b'{"type":"FeatureCollection",\n"features":[' + b"[" * 70 + b"]" * 70 + b"]}"
    for chunk in (1, 5, 64, 1 << 22):  # the 65th level opens at line 2, column 75 (in any piece)
        monkeypatch.setattr(geo._jsonscan, "CHUNK", chunk)
        with pytest.raises(
            LayerError, match=r"JSON nested more than 64 levels deep .*at line 2, column 75\)"
        ):
            read_layer(deep, name="deep.geojson")


def test_nesting_within_the_limit_is_read():
    prop = {"a": 1}
    for _ in range(40):
        prop = {"a": prop}
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"nested": prop},
                "geometry": {"type": "Point", "coordinates": [77.5, 28.5]},
            }
        ],
    }
    gdf = read_layer(json.dumps(doc).encode(), name="nested.geojson")
    assert len(gdf) == 1


# ----------------------------------------------------------------------------- issue 19: long GDAL messages
def test_a_feature_too_large_for_gdal_is_said_in_whole_sentences():
    """A 5 M-vertex polygon passes GDAL's 200 MB-per-feature limit; a 1 MB limit shows the same at 100,000."""
    t = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    ring = np.c_[77 + np.cos(t), 28 + np.sin(t)].round(6).tolist()
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }
    pyogrio.set_gdal_config_options({"OGR_GEOJSON_MAX_OBJ_SIZE": "1"})
    try:
        with pytest.raises(LayerError) as info:
            read_layer(json.dumps(doc).encode(), name="coastline.geojson")
    finally:
        pyogrio.set_gdal_config_options({"OGR_GEOJSON_MAX_OBJ_SIZE": None})
    message = str(info.value)
    assert re.fullmatch(
        r"coastline.geojson: a feature \(near line 1, character [\d,]+\) is too large for the GeoJSON "
        r"reader, which keeps one feature under 200 MB of memory: simplify or split its geometry, or send "
        r"the layer as GeoPackage or GeoParquet",
        message,
    )


GDAL_5M = (
    "Failed to read GeoJSON data; At line 1, character 4770427: GeoJSON object too complex/large. You may "
    "define the OGR_GEOJSON_MAX_OBJ_SIZE configuration option to a value in megabytes to allow for larger "
    "features, or 0 to remove any size limit."
)


def test_quoted_messages_keep_whole_sentences_and_a_bounded_length():
    from geo._io_messages import brief as _brief

    long = GDAL_5M + " " + "Another sentence follows here. " * 20
    short = _brief(long)
    assert len(short) <= MAX_QUOTED_MESSAGE_CHARS and short.endswith(".")
    assert short.startswith("Failed to read GeoJSON data;") and long.startswith(short)
    one = "Cannot parse " + "1.2345678 " * 200 + "at the end"
    assert len(_brief(one)) <= MAX_QUOTED_MESSAGE_CHARS and _brief(one).endswith("[…]")
    dump = "Bad geometry " + "x" * 5000 + " in feature 3."
    assert _brief(dump) == "Bad geometry […] in feature 3."
    tmp = Path("/tmp/mineral-atlas-import-abc")
    assert _brief(f"ERROR parsing kml {tmp}/layer.kml :Invalid root element", tmp=tmp, label="x.kml") == (
        "ERROR parsing kml x.kml :Invalid root element"
    )


# ----------------------------------------------------------------------------- issue 19: names
@pytest.mark.parametrize(
    ("filename", "name", "title"),
    [
        ("(2024) mines.csv", "2024_mines", "(2024) mines"),
        ("-x.csv", "x", "-x"),
        (".x.csv", "x", ".x"),
        ("<b>x</b>.csv", "b", "b>"),  # a name with '/' arrives as its last part
        ("<b>x.csv", "b_x", "<b>x"),
        ("../../etc/x.csv", "x", "x"),
        ("खनिज ब्लॉक.csv", "खनिज_ब्लॉक", "खनिज ब्लॉक"),
        ("gpkg_contents.csv", "layer_gpkg_contents", "gpkg_contents"),
        ("!!!.csv", "layer", "!!!"),
    ],
)
def test_any_file_name_gives_a_safe_layer_name_and_keeps_the_title(filename, name, title, private_workspace):
    from app.store import Workspace

    gdf = read_layer(b"name,lat,lon\nLohum,28.47,77.5\n", name=filename)
    assert (gdf.attrs["name"], gdf.attrs["title"]) == (name, title)
    Workspace(private_workspace).save(gdf.attrs["name"], gdf)  # GDAL takes it as a GeoPackage table name
    assert gdf.attrs["name"] in Workspace(private_workspace).names()


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("(2024) mines.csv", "2024_mines"),
        ("-x", "x"),
        (".x", "x"),
        ("<b>x</b>", "b_x_b"),
        ("../../etc/x", "etc_x"),
        ("Lohum — Greater Noida.geojson", "lohum_greater_noida"),
        ("", "layer"),
        ("workspace_index", "layer_workspace_index"),
        ("a" * 100, "a" * 60),
        ("x\x00\ny", "xy"),
    ],
)
def test_safe_layer_name(text, slug):
    assert safe_layer_name(text) == slug
    assert check_layer_name(slug) == slug


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("(2024) mines", r"starts with '\(', not a letter or digit"),
        ("-x", r"starts with '-', not a letter or digit"),
        (".x", r"starts with '\.', not a letter or digit"),
        ("<b>x</b>", r"starts with '<', not a letter or digit"),
        ("../../etc/x", r"starts with '\.', not a letter or digit"),
        ("etc/x", r"holds '/'"),
        ("a..b", r"holds '\.\.'"),
        ("x<script>", r"holds '<'"),
        ("", r"is empty"),
        ("gpkg_contents", r"is reserved by the workspace"),
        ("x" * 61, r"is 61 characters long, more than 60"),
    ],
)
def test_a_given_bad_name_is_refused_naming_the_argument(name, problem):
    with pytest.raises(
        LayerError, match=rf"^--name: .* cannot be a layer name: it {problem}; .*for example '"
    ):
        check_layer_name(name, argument="--name")


def test_a_given_good_name_passes_unchanged():
    for name in ("my sites", "Lohum 2024", "x (points)", "sites-v1.2", "खनिज"):
        assert check_layer_name(name) == name


# ----------------------------------------------------------------------------- issue 19: CRS
def _fc(features, **top):
    return json.dumps({"type": "FeatureCollection", **top, "features": features}).encode()


def _pt(lon, lat, **props):
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def test_same_crs_on_every_feature_is_honoured_and_noted():
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(77.5, 28.47)
    crs = {"type": "name", "properties": {"name": "EPSG:3857"}}
    data = _fc([{**_pt(x, y, name="Lohum"), "crs": crs}, {**_pt(x + 1000, y, name="b"), "crs": crs}])
    gdf = read_layer(data, name="per_feature.geojson")
    assert gdf.geometry.iloc[0].x == pytest.approx(77.5) and gdf.geometry.iloc[0].y == pytest.approx(28.47)
    note = (
        "every feature declares crs EPSG:3857 (WGS 84 / Pseudo-Mercator) in a GeoJSON 2008 crs member; "
        "the layer was read in that CRS and reprojected to EPSG:4326"
    )
    assert gdf.attrs["notes"] == [note]


def test_feature_crs_differing_from_the_file_crs_is_refused():
    crs = {"type": "name", "properties": {"name": "EPSG:32644"}}
    data = _fc(
        [{**_pt(8627000.0, 3308000.0), "crs": crs}], crs={"type": "name", "properties": {"name": "EPSG:3857"}}
    )
    with pytest.raises(
        LayerError, match=r"^f.geojson: feature 1 declares crs EPSG:32644 .* but the file declares EPSG:3857"
    ):
        read_layer(data, name="f.geojson")


def test_unreadable_feature_crs_is_refused():
    data = _fc(
        [{**_pt(77.5, 28.5), "crs": {"type": "link", "properties": {"href": "http://example.org/crs"}}}]
    )
    with pytest.raises(
        LayerError, match=r"^f.geojson: feature 1: its crs member names no coordinate reference system"
    ):
        read_layer(data, name="f.geojson")


def test_projected_layers_inside_their_area_are_read(tmp_path):
    """A layer in UTM zone 44N that reaches into the next zones (all-India data) stays acceptable."""
    src = gpd.GeoDataFrame(
        {"name": ["Reasi", "Korba", "Kochi", "Kolkata"]},
        geometry=[
            shapely.Point(74.8, 33.1),
            shapely.Point(82.7, 22.35),
            shapely.Point(76.27, 9.93),
            shapely.Point(88.36, 22.57),
        ],
        crs="EPSG:4326",
    )
    for crs in ("EPSG:32644", "EPSG:3857", "EPSG:7755"):
        path = tmp_path / f"india_{crs[5:]}.gpkg"
        src.to_crs(crs).to_file(path, engine="pyogrio")
        back = read_layer(path)
        assert back.geometry.geom_equals_exact(src.geometry, 1e-6).all(), crs


# ----------------------------------------------------------------------------- issue 19: several layers
def test_list_layers_of_every_multi_layer_kind():
    assert list_layers(BAD / "two_layers.gpkg") == [
        LayerInfo("mines", "Point", 2),
        LayerInfo("blocks", "Polygon", 1),
    ]
    assert list_layers(BAD / "two_folders.kml") == [
        LayerInfo("Mines", "Point", 2),
        LayerInfo("Plants", "Point", 1),
    ]
    assert list_layers(BAD / "two_shapefiles.zip") == [
        LayerInfo("blocks", "Polygon", 1),
        LayerInfo("mines", "Point", 2),
    ]
    assert list_layers(b"name,lat,lon\nA,28.5,77.5\nB,28.6,77.6\n", name="sites.csv") == [
        LayerInfo("sites.csv", "Point", 2)
    ]


@pytest.mark.parametrize("filename", ["two_layers.gpkg", "two_folders.kml", "two_shapefiles.zip"])
def test_the_chosen_layer_is_read_with_its_name(filename):
    layer = "Mines" if filename.endswith(".kml") else "mines"
    gdf = read_layer(BAD / filename, layer=layer)
    assert sorted(gdf["name"] if "name" in gdf else gdf["Name"]) == ["Korba", "Reasi"]
    assert (gdf.attrs["name"], gdf.attrs["title"], gdf.attrs["source"]) == ("mines", layer, filename)
    assert read_layer(BAD / filename, layer="mines").attrs["title"] == layer  # the safe name works too


def test_the_choice_error_carries_the_layers():
    with pytest.raises(LayerChoiceError) as info:
        read_layer(BAD / "two_layers.gpkg")
    assert [i.name for i in info.value.layers] == ["mines", "blocks"]
    assert isinstance(info.value, LayerError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("filename", ["two_layers.gpkg", "two_folders.kml", "two_shapefiles.zip"])
def test_read_layers_reads_all_with_safe_names(filename):
    layers = read_layers(BAD / filename)
    expected = {"mines": 2, "plants": 1} if filename.endswith(".kml") else {"mines": 2, "blocks": 1}
    assert {k: len(v) for k, v in layers.items()} == expected
    assert all(v.attrs["name"] == k for k, v in layers.items())


def test_a_kml_with_one_non_empty_folder_is_read_without_asking():
    kml = (
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>d</name>'
        "<Folder><name>empty</name></Folder><Folder><name>Sites</name><Placemark><name>Lohum</name>"
        "<Point><coordinates>77.5,28.47</coordinates></Point></Placemark></Folder></Document></kml>"
    )
    gdf = read_layer(kml.encode(), name="one.kml")
    assert gdf.attrs["title"] == "Sites" and len(gdf) == 1
    assert list(read_layers(kml.encode(), name="one.kml")) == ["sites"]


def test_a_bad_layer_is_named_in_the_message(tmp_path):
    path = tmp_path / "atlas.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(77.5, 28.5)], crs="EPSG:4326").to_file(
        path, layer="good", engine="pyogrio"
    )
    gpd.GeoDataFrame({"name": ["b"]}, geometry=[shapely.Point(200, 95)], crs="EPSG:4326").to_file(
        path, layer="far", engine="pyogrio"
    )
    with pytest.raises(LayerError, match=r"^atlas.gpkg, layer 'far': feature 1: coordinates out of range"):
        read_layers(path)


# ----------------------------------------------------------------------------- issue 19: encodings
CSV_TEXT = "name,lat,lon,operator\nSão Paulo refinery,-23.55,-46.63,Companhia – “Níquel”\n"


@pytest.mark.parametrize(
    ("data", "note"),
    [
        (CSV_TEXT.encode("utf-8"), None),
        (codecs.BOM_UTF8 + CSV_TEXT.encode("utf-8"), None),
        (CSV_TEXT.encode("utf-16"), r"text is UTF-16 \(byte-order mark\)"),
        (CSV_TEXT.encode("utf-16-le"), r"text is UTF-16-LE without a byte-order mark"),
        (CSV_TEXT.encode("utf-16-be"), r"text is UTF-16-BE without a byte-order mark"),
        (CSV_TEXT.encode("utf-32"), r"text is UTF-32 \(byte-order mark\)"),
        (
            CSV_TEXT.encode("cp1252"),
            r"text is not UTF-8 \(byte 0xe3 at offset 23\); read as Windows-1252 \(cp1252\)",
        ),
    ],
)
def test_csv_encodings_are_detected(data, note):
    gdf = read_layer(data, name="sites.csv")
    assert list(gdf.columns) == ["name", "operator", "geometry"]
    assert gdf["name"].iloc[0] == "São Paulo refinery" and gdf["operator"].iloc[0] == "Companhia – “Níquel”"
    assert gdf.geometry.iloc[0].x == pytest.approx(-46.63)
    notes = gdf.attrs["notes"]
    assert (notes == []) if note is None else (len(notes) == 1 and re.match(note, notes[0]))


def test_bytes_undefined_in_cp1252_fall_back_to_latin1():
    gdf = read_layer("name,lat,lon\nA\x81,1,2\n".encode("latin-1"), name="x.csv")
    assert gdf["name"].iloc[0] == "A\x81"
    assert gdf.attrs["notes"][0].endswith(
        "read as Latin-1 (ISO-8859-1): check accented letters, or import again with the right encoding"
    )


def test_explicit_encoding_wins_and_geojson_is_detected_too():
    doc = _fc([_pt(-46.63, -23.55, name="São Paulo")]).decode()
    assert read_layer(doc.encode("utf-16"), name="sp.geojson")["name"].iloc[0] == "São Paulo"
    assert read_layer(doc.encode("cp1252"), name="sp.geojson", encoding="cp1252").attrs["notes"] == []
    assert (
        read_layer(CSV_TEXT.encode("utf-8"), name="x.csv", encoding="latin-1")["name"].iloc[0]
        == "SÃ£o Paulo refinery"
    )
    with pytest.raises(
        LayerError, match=r"^x.csv: text starts with a UTF-16 byte-order mark but is not valid UTF-16"
    ):
        read_layer(codecs.BOM_UTF16_LE + b"a,b\n\x00\xd8", name="x.csv")


# ----------------------------------------------------------------------------- issue 19: CSV details
def test_csv_separators_duplicates_and_types():
    text = (
        "name;lat;lon;code;capacity_t;grade;name\n"
        "Lohum;28,47;77,5;007;1000;0.5;x\n"
        "SMM;33.96;133.28;012;;1e3;y\n"
    )
    gdf = read_layer(text.encode(), name="semi.csv")
    assert gdf.geometry.iloc[0].y == pytest.approx(28.47)
    assert list(gdf["code"]) == ["007", "012"]  # leading zeros stay text
    assert gdf["capacity_t"].iloc[0] == 1000 and pd.isna(gdf["capacity_t"].iloc[1])
    assert list(gdf["grade"]) == [0.5, 1000.0]
    assert list(gdf["name.1"]) == ["x", "y"]
    assert gdf.attrs["notes"] == [
        "columns are separated by semicolons",
        "column 'name' appears more than once; this one is named 'name.1'",
    ]


def test_csv_integers_stay_integers_and_hex_stays_text():
    gdf = read_layer(b"name,lat,lon,n,h\nA,1,2,5,0x10\nB,1,2,-7,0x11\n", name="x.csv")
    assert gdf["n"].dtype == np.int64 and list(gdf["n"]) == [5, -7]
    assert list(gdf["h"]) == ["0x10", "0x11"]


# ----------------------------------------------------------------------------- issue 19: fuzzing
def _json_trees():
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(-(10**6), 10**6)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=8)
    )
    keys = st.sampled_from(
        ["type", "features", "geometry", "coordinates", "properties", "crs", "id", "name", "x"]
    )

    def extend(kids: st.SearchStrategy) -> st.SearchStrategy:  # a def: hypothesis reads its source
        return st.lists(kids, max_size=4) | st.dictionaries(keys, kids, max_size=4)

    return st.recursive(leaves, extend, max_leaves=30)


GEOMETRY_TYPES = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
    "Feature",
    "FeatureCollection",
    "Topology",
]


def _geojson_like():
    """Documents that look like GeoJSON, often valid, with random members: they reach GDAL and the checks."""
    lonlat = st.lists(st.floats(-180, 180, allow_nan=False), min_size=2, max_size=2).map(
        lambda c: [c[0], c[1] / 2]
    )
    good = st.one_of(
        lonlat.map(lambda c: {"type": "Point", "coordinates": c}),
        st.lists(lonlat, min_size=2, max_size=5).map(lambda cs: {"type": "LineString", "coordinates": cs}),
        st.lists(lonlat, min_size=3, max_size=5).map(
            lambda cs: {"type": "Polygon", "coordinates": [[*cs, cs[0]]]}
        ),
    )
    coords = st.recursive(
        st.floats(-1e7, 1e7, allow_nan=False) | st.integers(-300, 300),
        lambda kids: st.lists(kids, max_size=5),
        max_leaves=20,
    )
    odd = st.fixed_dictionaries({"type": st.sampled_from(GEOMETRY_TYPES), "coordinates": coords})
    crs = st.sampled_from(["EPSG:3857", "EPSG:32644", "EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84"]).map(
        lambda n: {"type": "name", "properties": {"name": n}}
    )
    feature = st.fixed_dictionaries(
        {
            "type": st.just("Feature"),
            "geometry": good | good | good | odd | st.none() | _json_trees(),
            "properties": st.dictionaries(st.text(max_size=5), _json_trees(), max_size=3) | _json_trees(),
        },
        optional={"crs": crs | _json_trees(), "id": st.integers(0, 3) | st.text(max_size=2) | st.none()},
    )
    return st.fixed_dictionaries(
        {
            "type": st.sampled_from(["FeatureCollection"] * 6 + GEOMETRY_TYPES),
            "features": st.lists(feature, max_size=4),
        },
        optional={
            "crs": crs | _json_trees(),
            "coordinates": coords,
            "geometries": st.lists(good, max_size=2),
        },
    )


def _accept(data: bytes, name: str) -> None:
    """A valid layer or a LayerError; nothing else (no other exception, no wrong layer)."""
    try:
        gdf = read_layer(data, name=name)
    except LayerError as exc:
        assert str(exc).startswith(name) and "\n" not in str(exc)
        return
    assert len(gdf) > 0 and gdf.crs.equals("EPSG:4326")
    geoms = np.asarray(gdf.geometry.values)
    assert not (shapely.is_missing(geoms) | shapely.is_empty(geoms)).any()
    assert shapely.is_valid(geoms).all()
    coords = shapely.get_coordinates(geoms)
    assert (
        np.isfinite(coords).all()
        and (np.abs(coords[:, 0]) <= 180).all()
        and (np.abs(coords[:, 1]) <= 90).all()
    )


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), suffix=st.sampled_from(sorted(FORMATS)))
def test_random_bytes_give_a_layer_or_a_layer_error(data, suffix):
    _accept(data, f"fuzz{suffix}")


@settings(max_examples=150, deadline=None)
@given(tree=_json_trees() | _geojson_like())
def test_random_json_trees_give_a_layer_or_a_layer_error(tree):
    _accept(json.dumps(tree).encode(), "fuzz.geojson")


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.text(max_size=6) | st.floats(-300, 300).map(str), min_size=1, max_size=4), max_size=5
    )
)
def test_random_csv_tables_give_a_layer_or_a_layer_error(rows):
    text = "\n".join(
        ",".join(json.dumps(c) if any(x in c for x in ',"\n') else c for c in row)
        for row in [["name", "lat", "lon", "wkt"], *rows]
    )
    _accept(text.encode(), "fuzz.csv")


@pytest.mark.parametrize("encoding", sorted(TEXT_ENCODINGS))
def test_every_offered_encoding_reads_text_written_in_it(encoding):
    text = "name,lat,lon\nNiihama,33.96,133.28\n"
    codec = "utf-8" if encoding == "auto" else encoding
    gdf = read_layer(text.encode(codec), name="x.csv", encoding=encoding)
    assert gdf["name"].iloc[0] == "Niihama" and gdf.geometry.iloc[0].x == pytest.approx(133.28)


def test_shapefile_attributes_without_a_declared_encoding_are_read_as_cp1252(tmp_path):
    """GDAL passes undeclared 8-bit attributes through Arrow as they are; they would fail on first use."""
    folder = tmp_path / "shp"
    folder.mkdir()
    gpd.GeoDataFrame(
        {"name": ["São Paulo – Níquel"]}, geometry=[shapely.Point(-46.63, -23.55)], crs="EPSG:4326"
    ).to_file(folder / "sp.shp", engine="pyogrio", encoding="cp1252")
    (folder / "sp.cpg").unlink()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    gdf = read_layer(buffer.getvalue(), name="sp.zip")
    assert gdf["name"].iloc[0] == "São Paulo – Níquel"
    assert gdf.attrs["notes"][0].startswith(
        "attributes are not UTF-8 and the file declares no encoding; read as"
    )
    assert read_layer(buffer.getvalue(), name="sp.zip", encoding="cp1252").attrs["notes"] == []


def test_geopackage_text_that_is_not_utf8_is_read_as_cp1252_with_a_note():
    gdf = read_layer(BAD / "latin1_text.gpkg")
    assert gdf["name"].iloc[0] == "São Paulo refinery"
    assert gdf.attrs["notes"][0].startswith("attributes are not UTF-8 and the file declares no encoding")
