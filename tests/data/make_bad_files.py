"""Writes the corpus of bad import files in tests/data/bad/ (run once; the files are committed).

Each file has one problem; tests/test_io.py maps every file to the message it must produce.
``python tests/data/make_bad_files.py`` writes every file; ``--hardening`` only those of issue 19
(deep nesting, wrong CRSs, per-feature crs members, several layers, ragged CSV, tables without
geometry), so that the older files stay byte-identical.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

BAD = Path(__file__).parent / "bad"


def fc(features):
    return json.dumps({"type": "FeatureCollection", "features": features})


def feature(geometry, **props):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_zip(path: Path, members: dict[str, bytes], *, symlinks: tuple[str, ...] = ()) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = 0o120777 << 16
            archive.writestr(info, data)


def shapefile_parts(with_prj: bool = True) -> dict[str, bytes]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(77.5, 28.5)], crs="EPSG:4326")
        gdf.to_file(Path(tmp) / "sites.shp", engine="pyogrio")
        parts = {p.name: p.read_bytes() for p in Path(tmp).iterdir()}
    if not with_prj:
        parts.pop("sites.prj")
    return parts


def point(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]}


def named_crs(name):
    return {"type": "name", "properties": {"name": name}}


def hardening() -> None:
    """The files of issue 19: each must give a LayerError naming the problem, never a traceback."""
    BAD.mkdir(exist_ok=True)
    # 100,000 nested arrays in a geometry, and a property nested 20,000 objects deep
    (BAD / "deep_arrays.geojson").write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
        '{"type":"Point","coordinates":' + "[" * 100_000 + "]" * 100_000 + "}}]}",
        encoding="utf-8",
    )
    (BAD / "deep_property.geojson").write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":'
        + '{"b":' * 20_000 + "1" + "}" * 20_000
        + '},"geometry":{"type":"Point","coordinates":[77.5,28.5]}}]}',
        encoding="utf-8",
    )
    (BAD / "deep_folders.kml").write_text(
        '<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        + "<Folder><name>f</name>" * 1000
        + "<Placemark><name>p</name><Point><coordinates>77.5,28.5</coordinates></Point></Placemark>"
        + "</Folder>" * 1000
        + "</Document></kml>\n",
        encoding="utf-8",
    )
    (BAD / "top_level_array.geojson").write_text(json.dumps([feature(point(77.5, 28.5))]), encoding="utf-8")
    # a CRS declared that the coordinates cannot be in
    (BAD / "mercator_degrees.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "crs": named_crs("urn:ogc:def:crs:EPSG::3857"),
                    "features": [feature(point(77.5, 28.47), name="Lohum"), feature(point(133.28, 33.96), name="SMM")]}),
        encoding="utf-8",
    )
    (BAD / "utm_holding_mercator.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "crs": named_crs("EPSG:32644"),
                    "features": [feature(point(8627000.0, 3308000.0), name="Lohum")]}),
        encoding="utf-8",
    )
    (BAD / "wgs84_holding_metres.geojson").write_text(
        fc([feature(point(8627000.0, 3308000.0), name="Lohum")]), encoding="utf-8"
    )
    # GeoJSON 2008 crs members on features, which GDAL ignores
    mixed = [
        {**feature(point(8627000.0, 3308000.0), name="a"), "crs": named_crs("EPSG:3857")},
        {**feature(point(77.6, 28.4), name="b"), "crs": named_crs("EPSG:4326")},
    ]
    (BAD / "mixed_feature_crs.geojson").write_text(fc(mixed), encoding="utf-8")
    partial = [mixed[0], feature(point(77.6, 28.4), name="b")]
    (BAD / "partial_feature_crs.geojson").write_text(fc(partial), encoding="utf-8")
    # several layers and no choice
    mines = gpd.GeoDataFrame({"name": ["Reasi", "Korba"]}, geometry=[shapely.Point(74.8, 33.1), shapely.Point(82.7, 22.35)], crs="EPSG:4326")
    blocks = gpd.GeoDataFrame({"name": ["block"]}, geometry=[shapely.box(82.5, 22.4, 82.7, 22.6)], crs="EPSG:4326")
    mines.to_file(BAD / "two_layers.gpkg", layer="mines", engine="pyogrio")
    blocks.to_file(BAD / "two_layers.gpkg", layer="blocks", engine="pyogrio")
    placemark = "<Placemark><name>{}</name><Point><coordinates>{},{}</coordinates></Point></Placemark>"
    (BAD / "two_folders.kml").write_text(
        '<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>atlas</name>'
        "<Folder><name>Mines</name>" + placemark.format("Reasi", 74.8, 33.1) + placemark.format("Korba", 82.7, 22.35)
        + "</Folder><Folder><name>Plants</name>" + placemark.format("Lohum", 77.5, 28.47) + "</Folder></Document></kml>\n",
        encoding="utf-8",
    )
    members = {}
    with tempfile.TemporaryDirectory() as tmp:
        mines.to_file(Path(tmp) / "mines.shp", engine="pyogrio")
        blocks.to_file(Path(tmp) / "blocks.shp", engine="pyogrio")
        for part in sorted(Path(tmp).iterdir()):
            members[f"atlas/{part.name}"] = part.read_bytes()
    write_zip(BAD / "two_shapefiles.zip", members)
    # tables
    (BAD / "ragged.csv").write_text("name,lat,lon\nLohum,28.47,77.5\nSMM,33.96,133.28,extra\n", encoding="utf-8")
    import pyogrio

    pyogrio.write_dataframe(pd.DataFrame({"name": ["a"]}), BAD / "table_only.gpkg", driver="GPKG")
    # Parquet text must be UTF-8 (and is not checked on reading); this one holds Latin-1 bytes
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = "São Paulo refinery".encode("latin-1")
    name = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, len(raw)], np.int32).tobytes()), pa.py_buffer(raw)])
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": {"encoding": "WKB"}}}
    table = pa.table({"name": name, "geometry": pa.array([shapely.to_wkb(shapely.Point(-46.63, -23.55))])})
    pq.write_table(table.replace_schema_metadata({b"geo": json.dumps(geo).encode()}), BAD / "not_utf8.parquet")
    # text in a GeoPackage must be UTF-8; this one holds Latin-1 bytes
    import sqlite3

    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(-46.63, -23.55)], crs="EPSG:4326").to_file(
        BAD / "latin1_text.gpkg", layer="sites", engine="pyogrio"
    )
    with sqlite3.connect(BAD / "latin1_text.gpkg") as con:
        for (trigger,) in con.execute("select name from sqlite_master where type = 'trigger'").fetchall():
            con.execute(f'drop trigger "{trigger}"')
        con.execute("update sites set name = cast(? as text)", ("São Paulo refinery".encode("latin-1"),))


def main() -> None:
    BAD.mkdir(exist_ok=True)
    (BAD / "not_json.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    (BAD / "wrong_type.geojson").write_text('{"type": "Topology", "objects": {}}', encoding="utf-8")
    (BAD / "no_features.geojson").write_text(fc([]), encoding="utf-8")
    (BAD / "null_geometry.geojson").write_text(fc([feature(None, name="a"), feature(None, name="b")]), encoding="utf-8")
    (BAD / "out_of_range.geojson").write_text(fc([feature({"type": "Point", "coordinates": [200.0, 95.0]}, name="far")]), encoding="utf-8")
    (BAD / "duplicate_ids.geojson").write_text(
        fc([feature({"type": "Point", "coordinates": [77.5, 28.5]}, id="site-1"), feature({"type": "Point", "coordinates": [78.0, 28.0]}, id="site-1")]),
        encoding="utf-8",
    )
    (BAD / "empty_file.geojson").write_bytes(b"")
    (BAD / "swapped_latlon.csv").write_text("name,lat,lon\nOsaka,135.5023,34.6937\nNiihama,133.2834,33.9603\n", encoding="utf-8")
    (BAD / "latin1.csv").write_bytes("name,lat,lon\nSão Paulo refinery,-23.55,-46.63\n".encode("latin-1"))
    (BAD / "no_coordinates.csv").write_text("name,city\nLohum,Greater Noida\n", encoding="utf-8")
    (BAD / "bad_number.csv").write_text("name,latitude,longitude\nA,28.5,77.5\nB,north,77.6\n", encoding="utf-8")
    (BAD / "bad_wkt.csv").write_text('name,wkt\nA,"POINT (77.5 28.5)"\nB,"POINT (77.5"\n', encoding="utf-8")
    (BAD / "header_only.csv").write_text("name,lat,lon\n", encoding="utf-8")
    (BAD / "unsupported.txt").write_text("just text\n", encoding="utf-8")
    write_zip(BAD / "path_traversal.zip", {"../../evil.shp": b"x", "evil.shx": b"x", "evil.dbf": b"x"})
    write_zip(BAD / "zip_bomb.zip", {"bomb.shp": b"\0" * 20_000_000})
    write_zip(BAD / "too_many_members.zip", {f"part{i}.txt": b"x" for i in range(1001)})
    write_zip(BAD / "symlink.zip", {"link.shp": b"/etc/passwd"}, symlinks=("link.shp",))
    write_zip(BAD / "shapefile_no_prj.zip", shapefile_parts(with_prj=False))
    parts = shapefile_parts()
    parts.pop("sites.dbf")
    write_zip(BAD / "shapefile_no_dbf.zip", parts)
    write_zip(BAD / "no_shapefile.zip", {"readme.txt": b"no shapefile here"})
    (BAD / "not_a_zip.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    (BAD / "external_entity.kml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&xxe;</name>'
        "<Point><coordinates>77.5,28.5</coordinates></Point></Placemark></kml>\n",
        encoding="utf-8",
    )
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    (BAD / "billion_laughs.kml").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY lol0 "lol">{lol}]>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&lol9;</name>'
        "<Point><coordinates>77.5,28.5</coordinates></Point></Placemark></kml>\n",
        encoding="utf-8",
    )
    (BAD / "broken.kml").write_text('<?xml version="1.0"?><kml><Placemark><name>x</name></kml>', encoding="utf-8")
    (BAD / "not_a_zip.kmz").write_bytes(b"this is not a kmz archive")
    buffer = io.BytesIO()
    pd.DataFrame({"name": ["a"], "lon": [77.5], "lat": [28.5]}).to_parquet(buffer)
    (BAD / "plain_table.parquet").write_bytes(buffer.getvalue())
    (BAD / "garbage.gpkg").write_bytes(b"SQLite format 3\0" + bytes(range(256)) * 4)
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(500000, 3000000)]).to_file(BAD / "no_crs.gpkg", engine="pyogrio")


if __name__ == "__main__":
    if "--hardening" in sys.argv:
        hardening()
    else:
        main()
        hardening()
