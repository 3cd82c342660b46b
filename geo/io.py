"""Reading user layers: GeoJSON, GeoPackage, CSV, KML/KMZ, zipped Shapefile, GeoParquet.

:func:`read_layer` returns a GeoDataFrame in EPSG:4326 with the file's properties, or raises
:class:`LayerError` with one line naming the file, the feature (index or id) where relevant, and the
problem. Bad files are the normal case: unparseable text, unsupported formats, no features, no
geometry, unknown CRS, coordinates out of range (and the likely lat/lon swap), invalid geometry
(repaired with ``make_valid`` and reported), mixed geometry types (reported), files over the size
limit, archives with path traversal, too many members or a bomb's compression ratio, XML with a DTD
or entities (KML), text that is not UTF-8 and duplicate ids.

Nothing is executed or unpickled; an uploaded file name never becomes a path: bytes are written
under fixed names inside a private temporary folder.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import stat
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo._errors import LayerError
from geo.settings import MAX_ARCHIVE_MEMBERS, MAX_COMPRESSION_RATIO, MAX_IMPORT_BYTES, WGS84

__all__ = ["FORMATS", "LayerError", "read_layer", "split_by_geometry_type"]

logger = logging.getLogger(__name__)

#: File name endings and the format each one means.
FORMATS: dict[str, str] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".csv": "csv",
    ".kml": "kml",
    ".kmz": "kmz",
    ".zip": "shapefile",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
}
LAT_NAMES = ("lat", "latitude", "y")
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


def _fail(label: str, problem: str) -> LayerError:
    return LayerError(f"{label}: {problem}")


# ----------------------------------------------------------------------------- bytes in
def _read_bytes(
    source: str | os.PathLike[str] | bytes | BinaryIO, name: str | None, max_bytes: int
) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        label = name or "uploaded file"
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = name or path.name
        try:
            info = path.stat()
        except OSError as exc:
            raise _fail(str(path), f"cannot open ({exc.strerror})") from exc
        if not stat.S_ISREG(info.st_mode):
            raise _fail(str(path), "is not a regular file")
        if info.st_size > max_bytes:
            raise _fail(
                label,
                f"file is {info.st_size / 1e6:.1f} MB, over the import limit of {max_bytes / 1e6:.0f} MB",
            )
        data = path.read_bytes()
    else:
        label = name or getattr(source, "name", None) or "uploaded file"
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _fail(label, f"file is over the import limit of {max_bytes / 1e6:.0f} MB")
    if not data:
        raise _fail(label, "file is empty")
    return data, Path(str(label)).name


def _detect_format(label: str, data: bytes) -> str:
    suffix = Path(label).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    head = data[:16]
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if head.startswith(b"PAR1"):
        return "parquet"
    known = ", ".join(sorted(FORMATS))
    raise _fail(label, f"unsupported format {suffix or '(no file extension)'!r}; expected one of {known}")


def _text(label: str, data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _fail(
            label,
            f"text is not valid {encoding.upper()} (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8 or pass the encoding",
        ) from None
    except LookupError:
        raise _fail(label, f"unknown text encoding {encoding!r}") from None
    return text.lstrip("\ufeff")


# ----------------------------------------------------------------------------- archives and XML
def _safe_members(label: str, archive: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise _fail(
            label, f"archive holds {len(members)} members, more than the {MAX_ARCHIVE_MEMBERS} allowed"
        )
    total = 0
    for info in members:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", info.filename):
            raise _fail(
                label, f"archive member {info.filename!r} points outside the archive (path traversal)"
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise _fail(label, f"archive member {info.filename!r} is a symbolic link")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise _fail(
                label,
                f"archive member {info.filename!r} expands {info.file_size / info.compress_size:.0f}-fold, a decompression bomb",
            )
    if total > max_bytes:
        raise _fail(
            label,
            f"archive expands to {total / 1e6:.1f} MB, over the import limit of {max_bytes / 1e6:.0f} MB",
        )
    return [m for m in members if not m.is_dir()]


def _open_zip(label: str, data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _fail(label, "not parseable: not a valid zip archive") from None


def _check_xml(label: str, data: bytes) -> None:
    import defusedxml.ElementTree as safe_et
    from defusedxml import DefusedXmlException

    try:
        safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _fail(
            label, "XML with a DTD or entity declarations is refused (external entities or entity expansion)"
        ) from None
    except safe_et.ParseError as exc:
        raise _fail(label, f"not parseable: XML error {exc}") from None


# ----------------------------------------------------------------------------- readers
@contextlib.contextmanager
def _gdal_warnings_logged(label: str) -> Iterator[None]:
    """GDAL's warnings about a bad file go to the log; the error that follows names the problem."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        logger.debug("%s: GDAL: %s", label, warning.message)


def _ogr(label: str, path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    try:
        with _gdal_warnings_logged(label):
            return pyogrio.read_dataframe(path, layer=layer, datetime_as_string=True)
    except pyogrio.errors.DataSourceError as exc:
        raise _fail(label, f"not parseable ({str(exc).splitlines()[0][:200]})") from None
    except pyogrio.errors.DataLayerError as exc:
        raise _fail(label, f"no readable layer ({str(exc).splitlines()[0][:200]})") from None


def _read_geojson(label: str, data: bytes, tmp: Path, encoding: str, layer: str | None) -> gpd.GeoDataFrame:
    text = _text(label, data, encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            label, f"not parseable: JSON error at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    if not isinstance(doc, dict) or doc.get("type") not in (
        "FeatureCollection",
        "Feature",
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    ):
        raise _fail(
            label, "not GeoJSON: expected an object with type FeatureCollection, Feature or a geometry"
        )
    if doc.get("type") == "FeatureCollection" and not doc.get("features"):
        raise _fail(label, "no features")
    path = tmp / "layer.geojson"
    path.write_text(text, encoding="utf-8")
    gdf = _ogr(label, path)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)  # RFC 7946: GeoJSON is WGS84 lon/lat
    return gdf


def _read_gpkg(label: str, data: bytes, tmp: Path, encoding: str, layer: str | None) -> gpd.GeoDataFrame:
    path = tmp / "layer.gpkg"
    path.write_bytes(data)
    try:
        with _gdal_warnings_logged(label):
            names = [row[0] for row in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError:
        raise _fail(label, "not parseable: not a GeoPackage") from None
    if not names:
        raise _fail(label, "no layers in the GeoPackage")
    if layer is not None and layer not in names:
        raise _fail(label, f"no layer {layer!r}; layers: {', '.join(names)}")
    return _ogr(label, path, layer or names[0])


def _find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _read_csv(label: str, data: bytes, tmp: Path, encoding: str, layer: str | None) -> gpd.GeoDataFrame:
    text = _text(label, data, encoding)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _fail(label, f"not parseable as CSV ({str(exc).strip().splitlines()[0]})") from None
    if frame.empty:
        raise _fail(label, "no features (no data rows)")
    columns = list(frame.columns)
    lat_col, lon_col = _find_column(columns, LAT_NAMES), _find_column(columns, LON_NAMES)
    wkt_col = _find_column(columns, WKT_NAMES)
    if lat_col and lon_col:
        coords = {}
        for col in (lon_col, lat_col):
            values = pd.to_numeric(frame[col].str.strip().str.replace(",", ".", regex=False), errors="coerce")
            bad = np.flatnonzero(values.isna().to_numpy())
            if bad.size:
                raise _fail(
                    label,
                    f"feature {bad[0]} (line {bad[0] + 2}): {col} {frame[col].iloc[bad[0]]!r} is not a number",
                )
            coords[col] = values.to_numpy()
        props = frame.drop(columns=[lat_col, lon_col])
        geometry = gpd.points_from_xy(coords[lon_col], coords[lat_col])
    elif wkt_col:
        try:
            geometry = shapely.from_wkt(frame[wkt_col].replace("", None).to_numpy(), on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise _fail(label, f"column {wkt_col!r} holds text that is not WKT ({str(exc)[:120]})") from None
        props = frame.drop(columns=[wkt_col])
    else:
        raise _fail(
            label,
            f"no geometry: expected lat/lon columns (one of {', '.join(LAT_NAMES)} and one of {', '.join(LON_NAMES)}) or a WKT column ({', '.join(WKT_NAMES)})",
        )
    props = props.apply(lambda col: _infer(col))
    return gpd.GeoDataFrame(props, geometry=geometry, crs=WGS84)


def _infer(column: pd.Series) -> pd.Series:
    """Numbers stay numbers when every non-empty cell is one; otherwise text."""
    stripped = column.str.strip()
    numeric = pd.to_numeric(stripped.replace("", None), errors="coerce")
    filled = stripped != ""
    if filled.any() and numeric[filled].notna().all() and not stripped[filled].str.match(r"^0\d").any():
        return numeric
    return column


def _read_kml(label: str, data: bytes, tmp: Path, encoding: str, layer: str | None) -> gpd.GeoDataFrame:
    _check_xml(label, data)
    path = tmp / "layer.kml"
    path.write_bytes(data)
    return _ogr(label, path, layer)


def _members_ending(
    label: str, archive: zipfile.ZipFile, max_bytes: int, suffix: str, missing: str
) -> tuple[list[zipfile.ZipInfo], list[zipfile.ZipInfo]]:
    """The archive's (checked) members, and those whose name ends with ``suffix`` (at least one)."""
    members = _safe_members(label, archive, max_bytes)
    matches = [m for m in members if m.filename.lower().endswith(suffix)]
    if not matches:
        raise _fail(label, missing)
    return members, matches


def _read_kmz(
    label: str, data: bytes, tmp: Path, encoding: str, layer: str | None, *, max_bytes: int
) -> gpd.GeoDataFrame:
    with _open_zip(label, data) as archive:
        _, kml = _members_ending(label, archive, max_bytes, ".kml", "KMZ archive holds no .kml document")
        doc = archive.read(kml[0])
    return _read_kml(label, doc, tmp, encoding, layer)


def _read_shapefile(
    label: str, data: bytes, tmp: Path, encoding: str, layer: str | None, *, max_bytes: int
) -> gpd.GeoDataFrame:
    with _open_zip(label, data) as archive:
        members, shp = _members_ending(
            label, archive, max_bytes, ".shp", "zip archive holds no .shp file (expected a zipped Shapefile)"
        )
        stem = shp[0].filename[:-4]
        parts = {
            m.filename[len(stem) :].lower(): m
            for m in members
            if m.filename.startswith(stem) and m.filename[len(stem) :].startswith(".")
        }
        for required in (".shx", ".dbf"):
            if required not in parts:
                raise _fail(label, f"Shapefile {Path(shp[0].filename).name!r} lacks its {required} part")
        if ".prj" not in parts:
            raise _fail(
                label,
                f"unknown CRS: Shapefile {Path(shp[0].filename).name!r} has no .prj file; add it, or export the layer with its CRS",
            )
        for suffix, member in parts.items():
            (tmp / f"layer{suffix}").write_bytes(archive.read(member))
    return _ogr(label, tmp / "layer.shp")


def _read_parquet(label: str, data: bytes, tmp: Path, encoding: str, layer: str | None) -> gpd.GeoDataFrame:
    path = tmp / "layer.parquet"
    path.write_bytes(data)
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        if "geo" in str(exc).lower() and "metadata" in str(exc).lower():
            raise _fail(label, "no geometry: a Parquet file without GeoParquet metadata") from None
        raise _fail(label, f"not parseable as GeoParquet ({str(exc)[:160]})") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many unrelated types for corrupt files
        if type(exc).__module__.startswith("pyarrow"):
            raise _fail(label, f"not parseable as Parquet ({str(exc)[:160]})") from None
        raise


_READERS = {
    "geojson": _read_geojson,
    "gpkg": _read_gpkg,
    "csv": _read_csv,
    "kml": _read_kml,
    "parquet": _read_parquet,
}


# ----------------------------------------------------------------------------- checks after reading
def _feature(gdf: gpd.GeoDataFrame, pos: int) -> str:
    if "id" in gdf.columns and pd.notna(gdf["id"].iloc[pos]) and str(gdf["id"].iloc[pos]):
        return f"feature {str(gdf['id'].iloc[pos])!r}"
    return f"feature {pos}"


def _finish(gdf: gpd.GeoDataFrame, label: str, *, swap_xy: bool) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        raise _fail(label, "no features")
    geoms = gdf.geometry.values
    missing = shapely.is_missing(np.asarray(geoms)) | shapely.is_empty(np.asarray(geoms))
    if missing.all():
        raise _fail(label, "no geometry: every feature's geometry is empty")
    if missing.any():
        raise _fail(
            label,
            f"{_feature(gdf, int(np.flatnonzero(missing)[0]))}: geometry is missing or empty ({int(missing.sum())} features)",
        )
    if gdf.crs is None:
        raise _fail(label, "unknown CRS: the file does not say which coordinate reference system it uses")
    if swap_xy:
        gdf = gdf.set_geometry(
            shapely.transform(np.asarray(gdf.geometry.values), lambda c: c[:, ::-1]), crs=gdf.crs
        )
    try:
        gdf = gdf.to_crs(WGS84)
    except Exception as exc:  # noqa: BLE001 - pyproj raises its own errors for impossible transforms
        raise _fail(label, f"cannot transform from {gdf.crs} to EPSG:4326 ({exc})") from None
    coords_per = shapely.get_num_coordinates(np.asarray(gdf.geometry.values))
    coords = shapely.get_coordinates(np.asarray(gdf.geometry.values))
    owner = np.repeat(np.arange(len(gdf)), coords_per)
    bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if bad.any():
        first = int(owner[np.flatnonzero(bad)[0]])
        lon, lat = coords[np.flatnonzero(bad)[0]]
        swapped = (np.abs(coords[:, 1]) <= 180).all() and (np.abs(coords[:, 0]) <= 90).all()
        hint = (
            "; they look like lat/lon swapped: import again with lat/lon swapped (--swap-xy)"
            if swapped and not swap_xy
            else ""
        )
        raise _fail(
            label,
            f"{_feature(gdf, first)}: coordinates out of range (lon {lon:g}, lat {lat:g}; lon must be within -180..180, lat within -90..90){hint}",
        )
    invalid = ~shapely.is_valid(np.asarray(gdf.geometry.values))
    repairs = []
    if invalid.any():
        fixed = np.asarray(gdf.geometry.values).copy()
        for pos in np.flatnonzero(invalid):
            reason = shapely.is_valid_reason(fixed[pos])
            fixed[pos] = shapely.make_valid(fixed[pos])
            repairs.append(f"{_feature(gdf, int(pos))}: {reason}, repaired with make_valid")
        gdf = gdf.set_geometry(fixed, crs=WGS84)
    if "id" in gdf.columns:
        ids = gdf["id"].astype(str)
        dupes = ids[ids.duplicated()]
        if len(dupes):
            raise _fail(
                label,
                f"feature {dupes.iloc[0]!r}: id is not unique ({int(ids.duplicated(keep=False).sum())} features share ids)",
            )
    types = gdf.geometry.geom_type.value_counts().to_dict()
    gdf.attrs["repairs"] = repairs
    gdf.attrs["geometry_types"] = {str(k): int(v) for k, v in types.items()}
    for repair in repairs:
        logger.info("%s: %s", label, repair)
    return gdf


# ----------------------------------------------------------------------------- public API
def read_layer(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    name: str | None = None,
    swap_xy: bool = False,
    encoding: str = "utf-8",
    layer: str | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> gpd.GeoDataFrame:
    """Read a user layer into a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    source : path, bytes or binary file
        The file. For bytes and file objects, ``name`` gives the file name (its extension picks
        the format).
    name : str, optional, keyword-only
        File name used for the format and in messages; defaults to the path's name.
    swap_xy : bool, keyword-only
        Swap the two coordinates of every vertex (for files with lat/lon in the wrong order).
    encoding : str, keyword-only
        Text encoding of GeoJSON and CSV files (UTF-8 by default, as RFC 7946 requires).
    layer : str, optional, keyword-only
        Layer to read from a multi-layer GeoPackage or KML (the first by default).
    max_bytes : int, keyword-only
        Size limit of the file, and of an archive's uncompressed content.

    Returns
    -------
    geopandas.GeoDataFrame
        With the original properties. ``attrs["repairs"]`` lists geometries repaired with
        ``make_valid``; ``attrs["geometry_types"]`` counts the geometry types (several types: see
        :func:`split_by_geometry_type`).

    Raises
    ------
    LayerError
        One line naming the file, the feature where relevant, and the problem.
    """
    data, label = _read_bytes(source, name, max_bytes)
    fmt = _detect_format(label, data)
    with tempfile.TemporaryDirectory(prefix="mineral-atlas-import-") as folder:
        tmp = Path(folder)
        if fmt in ("kmz", "shapefile"):
            reader = _read_kmz if fmt == "kmz" else _read_shapefile
            gdf = reader(label, data, tmp, encoding, layer, max_bytes=max_bytes)
        else:
            gdf = _READERS[fmt](label, data, tmp, encoding, layer)
        gdf = _finish(gdf, label, swap_xy=swap_xy)
    gdf.attrs["name"] = Path(label).stem
    logger.info("read %d features from %s (%s)", len(gdf), label, fmt)
    return gdf


def split_by_geometry_type(gdf: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Split a layer of mixed geometry types into points, lines and polygons (Multi* kept with their kind)."""
    kinds = (
        gdf.geometry.geom_type.str.replace("Multi", "", regex=False)
        .map({"Point": "points", "LineString": "lines", "Polygon": "polygons"})
        .fillna("other")
    )
    return {
        kind: gdf[kinds == kind] for kind in ("points", "lines", "polygons", "other") if (kinds == kind).any()
    }
