"""GeoPackage tables written and read with Python's ``sqlite3`` alone (OGC GeoPackage 1.4 encoding).

Why not GDAL: pyogrio's GDAL carries its own copy of SQLite. Two SQLite libraries using one file in one
process break SQLite's POSIX locks (closing a file in one copy drops the locks the other holds), which
corrupts a database that other processes write at the same time. The workspace therefore touches its
file through ``sqlite3`` only; the tables it writes are standard GeoPackage feature tables (geometry
blobs, ``gpkg_contents``, ``gpkg_geometry_columns``, an R-tree spatial index with the standard triggers)
that GDAL, QGIS and pyogrio read as usual.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo import LayerError

#: ``PRAGMA application_id`` of a GeoPackage ("GPKG") and the version written (1.4.0).
APPLICATION_ID = 0x47504B47
USER_VERSION = 10400
#: Geometry column of the tables written here.
GEOM = "geom"
#: Primary key column of the tables written here.
FID = "fid"
RTREE_EXTENSION = "http://www.geopackage.org/spec120/#extension_rtree"
#: Layers with more features than this get no R-tree: SQLite builds one by single inserts, about 10 s for
#: 450,000 points, all of it while every other writer waits. The workspace itself never uses the index
#: (it reads whole layers); GDAL and QGIS read a GeoPackage layer without one as usual.
RTREE_MAX_FEATURES = 100_000
#: Envelope sizes by the flags' envelope contents indicator (GeoPackage 1.4, 2.1.3.1.1).
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_TYPE_NAMES = {
    0: "POINT",
    1: "LINESTRING",
    2: "LINESTRING",  # a LinearRing is written as a LineString
    3: "POLYGON",
    4: "MULTIPOINT",
    5: "MULTILINESTRING",
    6: "MULTIPOLYGON",
    7: "GEOMETRYCOLLECTION",
}


def q(identifier: str) -> str:
    """``identifier`` quoted for SQLite."""
    return '"' + identifier.replace('"', '""') + '"'


def create_skeleton(conn: sqlite3.Connection) -> None:
    """The GeoPackage's required tables in an empty database (spatial reference systems, contents...)."""
    wgs84 = pyproj.CRS("EPSG:4326").to_wkt("WKT1_GDAL")
    conn.executescript(
        f"""
        PRAGMA application_id = {APPLICATION_ID};
        PRAGMA user_version = {USER_VERSION};
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
            description TEXT);
        CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
            CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT uk_gc_table_name UNIQUE (table_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
        CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
            definition TEXT NOT NULL, scope TEXT NOT NULL,
            CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
        """
    )
    conn.executemany(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                "Undefined cartesian SRS",
                -1,
                "NONE",
                -1,
                "undefined",
                "undefined cartesian coordinate reference system",
            ),
            (
                "Undefined geographic SRS",
                0,
                "NONE",
                0,
                "undefined",
                "undefined geographic coordinate reference system",
            ),
            (
                "WGS 84 geodetic",
                4326,
                "EPSG",
                4326,
                wgs84,
                "longitude/latitude coordinates in decimal degrees",
            ),
        ],
    )


def register_attributes(conn: sqlite3.Connection, table: str, description: str) -> None:
    """List a table without geometry in ``gpkg_contents`` (so GeoPackage readers know it)."""
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, ?)",
        (table, table, description),
    )


# ----------------------------------------------------------------------------- geometry blobs
def encode(geoms: np.ndarray, *, srs_id: int) -> list[bytes | None]:
    """GeoPackage geometry blobs (little-endian header, envelope for all but points, ISO WKB)."""
    wkb = shapely.to_wkb(geoms, byte_order=1, flavor="iso", output_dimension=3)
    type_ids = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms)
    bounds = shapely.bounds(geoms)
    point_header = struct.pack("<2sBBi", b"GP", 0, 0b0000_0001, srs_id)
    empty_header = struct.pack("<2sBBi", b"GP", 0, 0b0001_0001, srs_id)
    envelope_header = struct.pack("<2sBBi", b"GP", 0, 0b0000_0011, srs_id)
    pack = struct.Struct("<4d").pack
    out: list[bytes | None] = []
    for blob, type_id, is_empty, (x0, y0, x1, y1) in zip(wkb, type_ids, empty, bounds, strict=True):
        if blob is None:
            out.append(None)
        elif is_empty:
            out.append(empty_header + blob)
        elif type_id == 0:
            out.append(point_header + blob)
        else:
            out.append(envelope_header + pack(x0, x1, y0, y1) + blob)
    return out


def decode(blobs: Sequence[bytes | None], *, table: str) -> np.ndarray:
    """Shapely geometries of GeoPackage geometry blobs."""
    fast = _decode_points(blobs)
    if fast is not None:
        return fast
    wkb: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkb.append(None)
            continue
        blob = bytes(blob)
        flags = blob[3] if len(blob) > 8 else 0
        envelope = (flags >> 1) & 0b111
        if blob[:2] != b"GP" or envelope not in _ENVELOPE_BYTES or flags & 0b10_0000:
            msg = f"table {table!r}: a geometry is not a standard GeoPackage geometry blob"
            raise LayerError(msg)
        wkb.append(blob[8 + _ENVELOPE_BYTES[envelope] :])
    return shapely.from_wkb(np.array(wkb, dtype=object))


#: A 2D point as written here: header (no envelope, little-endian), then little-endian ISO WKB.
_POINT_BLOB = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs", "<i4"), ("order", "u1"), ("type", "<u4"),
     ("x", "<f8"), ("y", "<f8")]
)  # fmt: skip


def _decode_points(blobs: Sequence[bytes | None]) -> np.ndarray | None:
    """2D points decoded straight from their bytes (ten times faster than WKB parsing), else None."""
    present = [b for b in blobs if b is not None]
    if not blobs or len(present) < len(blobs) or any(len(b) != _POINT_BLOB.itemsize for b in present):
        return None
    records = np.frombuffer(b"".join(present), dtype=_POINT_BLOB)
    if not (
        (records["magic"] == b"GP").all()
        and (records["flags"] & 0b1110_1111 == 1).all()
        and (records["order"] == 1).all()
        and (records["type"] == 1).all()
    ):
        return None
    points = shapely.points(records["x"], records["y"])
    empty = (records["flags"] & 0b1_0000).astype(bool)
    if empty.any():
        points[empty] = shapely.Point()
    return points


# ----------------------------------------------------------------------------- columns
def storable_columns(columns: Sequence[str]) -> tuple[list[str], dict[str, str] | None]:
    """Column names SQLite keeps apart (it ignores case), away from ``fid`` and ``geom``.

    Returns the stored names and the mapping stored -> original of those renamed (None when none was).
    """
    taken = {FID, GEOM}
    stored, mapping = [], {}
    for i, column in enumerate(columns):
        name = column
        if name.casefold() in taken or "\x00" in name:
            n = i
            name = f"col_{n}"
            while name.casefold() in taken or name in columns:
                n += 1000
                name = f"col_{n}"
            mapping[name] = column
        taken.add(name.casefold())
        stored.append(name)
    return stored, mapping or None


def _sql_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(series):
        return "INTEGER"
    if pd.api.types.is_float_dtype(series):
        return "REAL"
    return "TEXT"


def _values(series: pd.Series, sql_type: str) -> list[Any]:
    values = series.astype(object).where(series.notna(), None).tolist()
    if sql_type == "BOOLEAN":
        return [None if v is None else int(bool(v)) for v in values]
    if sql_type == "INTEGER":
        return [None if v is None else int(v) for v in values]
    if sql_type == "REAL":
        return [None if v is None else float(v) for v in values]
    return [None if v is None else v if isinstance(v, (str, bytes)) else str(v) for v in values]


# ----------------------------------------------------------------------------- tables
def _rtree_triggers(t: str, c: str) -> list[str]:
    """The R-tree triggers of GeoPackage 1.4 (F.3), as GDAL writes them."""
    r = q(f"rtree_{t}_{c}")
    T, C, F = q(t), q(c), q(FID)

    def name(suffix: str) -> str:
        return q(f"rtree_{t}_{c}_{suffix}")

    bbox = f"ST_MinX(NEW.{C}), ST_MaxX(NEW.{C}), ST_MinY(NEW.{C}), ST_MaxY(NEW.{C})"
    return [
        (
            f"CREATE TRIGGER {name('insert')} AFTER INSERT ON {T} "
            f"WHEN (new.{C} NOT NULL AND NOT ST_IsEmpty(NEW.{C})) "
            f"BEGIN INSERT OR REPLACE INTO {r} VALUES (NEW.{F}, {bbox}); END"
        ),
        (
            f"CREATE TRIGGER {name('update6')} AFTER UPDATE OF {C} ON {T} WHEN OLD.{F} = NEW.{F} AND "
            f"(NEW.{C} NOTNULL AND NOT ST_IsEmpty(NEW.{C})) "
            f"AND (OLD.{C} NOTNULL AND NOT ST_IsEmpty(OLD.{C})) "
            f"BEGIN UPDATE {r} SET minx = ST_MinX(NEW.{C}), maxx = ST_MaxX(NEW.{C}), "
            f"miny = ST_MinY(NEW.{C}), maxy = ST_MaxY(NEW.{C}) WHERE id = NEW.{F}; END"
        ),
        (
            f"CREATE TRIGGER {name('update7')} AFTER UPDATE OF {C} ON {T} WHEN OLD.{F} = NEW.{F} AND "
            f"(NEW.{C} NOTNULL AND NOT ST_IsEmpty(NEW.{C})) AND (OLD.{C} ISNULL OR ST_IsEmpty(OLD.{C})) "
            f"BEGIN INSERT INTO {r} VALUES (NEW.{F}, {bbox}); END"
        ),
        (
            f"CREATE TRIGGER {name('update2')} AFTER UPDATE OF {C} ON {T} WHEN OLD.{F} = NEW.{F} AND "
            f"(NEW.{C} ISNULL OR ST_IsEmpty(NEW.{C})) BEGIN DELETE FROM {r} WHERE id = OLD.{F}; END"
        ),
        (
            f"CREATE TRIGGER {name('update5')} AFTER UPDATE ON {T} WHEN OLD.{F} != NEW.{F} AND "
            f"(NEW.{C} NOTNULL AND NOT ST_IsEmpty(NEW.{C})) BEGIN DELETE FROM {r} WHERE id = OLD.{F}; "
            f"INSERT OR REPLACE INTO {r} VALUES (NEW.{F}, {bbox}); END"
        ),
        (
            f"CREATE TRIGGER {name('update4')} AFTER UPDATE ON {T} WHEN OLD.{F} != NEW.{F} AND "
            f"(NEW.{C} ISNULL OR ST_IsEmpty(NEW.{C})) "
            f"BEGIN DELETE FROM {r} WHERE id IN (OLD.{F}, NEW.{F}); END"
        ),
        (
            f"CREATE TRIGGER {name('delete')} AFTER DELETE ON {T} WHEN old.{C} NOT NULL "
            f"BEGIN DELETE FROM {r} WHERE id = OLD.{F}; END"
        ),
    ]


def write_table(
    conn: sqlite3.Connection, table: str, frame: gpd.GeoDataFrame, *, description: str
) -> dict[str, str] | None:
    """Create feature table ``table`` holding ``frame`` (EPSG:4326), inside the caller's transaction.

    With an R-tree spatial index up to :data:`RTREE_MAX_FEATURES` features.

    Returns the mapping stored -> original of the column names that had to be renamed, or None.
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    attributes = [c for c in frame.columns if c != frame.geometry.name]
    stored, mapping = storable_columns(attributes)
    types = [_sql_type(frame[c]) for c in attributes]
    type_ids = shapely.get_type_id(geoms)
    present = type_ids[(type_ids >= 0) & ~shapely.is_empty(geoms)]
    names = {_TYPE_NAMES.get(int(t), "GEOMETRY") for t in np.unique(present)}
    geometry_type = names.pop() if len(names) == 1 else "GEOMETRY"
    has_z = shapely.has_z(geoms[type_ids >= 0]) if len(geoms) else np.array([], dtype=bool)
    z = 0 if not has_z.any() else 1 if has_z.all() else 2
    columns = ", ".join(
        [f"{q(FID)} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", f"{q(GEOM)} {geometry_type}"]
    )
    columns += "".join(f", {q(s)} {t}" for s, t in zip(stored, types, strict=True))
    conn.execute(f"CREATE TABLE {q(table)} ({columns})")
    blobs = encode(geoms, srs_id=4326)
    data = [_values(frame[c], t) for c, t in zip(attributes, types, strict=True)]
    fids = range(1, len(frame) + 1)
    placeholders = ", ".join("?" for _ in range(len(attributes) + 2))
    conn.executemany(f"INSERT INTO {q(table)} VALUES ({placeholders})", zip(fids, blobs, *data, strict=True))
    bounds = shapely.bounds(geoms)
    usable = ~np.isnan(bounds).any(axis=1)
    extent = (
        (float(bounds[usable, 0].min()), float(bounds[usable, 1].min()), float(bounds[usable, 2].max()),
         float(bounds[usable, 3].max()))
        if usable.any()
        else (None, None, None, None)
    )  # fmt: skip
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
        "min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, 4326)",
        (table, table, description, *extent),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, 4326, ?, 0)", (table, GEOM, geometry_type, z)
    )
    if len(frame) > RTREE_MAX_FEATURES:
        return mapping
    rtree = f"rtree_{table}_{GEOM}"
    conn.execute(f"CREATE VIRTUAL TABLE {q(rtree)} USING rtree(id, minx, maxx, miny, maxy)")
    ids = np.flatnonzero(usable) + 1
    conn.executemany(
        f"INSERT INTO {q(rtree)} VALUES (?, ?, ?, ?, ?)",
        zip(
            ids.tolist(),
            bounds[usable, 0].tolist(),
            bounds[usable, 2].tolist(),
            bounds[usable, 1].tolist(),
            bounds[usable, 3].tolist(),
            strict=True,
        ),
    )
    for trigger in _rtree_triggers(table, GEOM):
        conn.execute(trigger)
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', ?, 'write-only')",
        (table, GEOM, RTREE_EXTENSION),
    )
    return mapping


def read_table(conn: sqlite3.Connection, table: str) -> gpd.GeoDataFrame:
    """Feature table ``table`` as a GeoDataFrame, in ``fid`` order (inside the caller's read transaction)."""
    info = conn.execute(f"PRAGMA table_info({q(table)})").fetchall()
    if not info:
        raise KeyError(table)
    geometry = conn.execute(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)", (table,)
    ).fetchone()
    geom_column, srs_id = geometry if geometry else (None, 4326)
    crs = "EPSG:4326"
    if srs_id not in (4326, 0, -1):
        org = conn.execute(
            "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
            (srs_id,),
        ).fetchone()
        if org and org[0].upper() == "EPSG":
            crs = f"EPSG:{org[1]}"
    pk = next((name for _, name, decl, _, _, is_pk in info if is_pk and "INT" in decl.upper()), None)
    attributes = [
        (name, (decl or "").upper()) for _, name, decl, _, _, _ in info if name not in (pk, geom_column)
    ]
    selected = ", ".join(q(c) for c in ([geom_column] if geom_column else []) + [a for a, _ in attributes])
    order = f" ORDER BY {q(pk)}" if pk else ""
    rows = conn.execute(f"SELECT {selected or 'NULL'} FROM {q(table)}{order}").fetchall()
    columns = (
        list(zip(*rows, strict=True)) if rows else [() for _ in range(len(attributes) + bool(geom_column))]
    )
    geoms = decode(columns[0], table=table) if geom_column else np.full(len(rows), None, dtype=object)
    data = {}
    for (name, decl), values in zip(attributes, columns[1:] if geom_column else columns, strict=True):
        data[name] = _typed(list(values), decl)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)


def _typed(values: list[Any], decl: str) -> pd.Series:
    """A column read back with the type it was written with (numbers with gaps become floats)."""
    series = pd.Series(values, dtype=object)
    if decl == "BOOLEAN":
        nulls = series.isna()
        series = series.map(lambda v: None if v is None else bool(v))
        return series if nulls.any() else series.astype(bool)
    if "INT" in decl or any(k in decl for k in ("REAL", "FLOA", "DOUB")):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in ("integer", "floating", "mixed-integer-float", "empty"):
            numbers = pd.to_numeric(series)
            if "INT" in decl and inferred == "integer" and not series.isna().any():
                return numbers.astype("int64")
            return numbers.astype("float64")
    return series
