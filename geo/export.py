"""RFC 7946 GeoJSON export.

What the writer guarantees (RFC 7946 sections 3.1.1, 3.1.6, 3.1.9, 4):

- coordinates in WGS84 lon/lat order, no ``crs`` member;
- polygon exterior rings counter-clockwise, holes clockwise;
- lines and polygons that cross the antimeridian split into Multi* parts at +/-180 degrees
  (consecutive vertices more than 180 degrees of longitude apart are taken to cross it);
- coordinates rounded to ``precision`` decimals (6 by default, about 0.11 m);
- properties as JSON-native values: NaN/None/NaT become ``null``, dates and times ISO 8601 strings,
  numpy scalars plain numbers.

Files are written atomically: a temporary file in the target folder, then a rename, so a failed
export never leaves a half-written file or destroys the previous one.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import math
import os
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo._errors import ExportError
from geo.crs import to_wgs84
from geo.settings import EXPORT_FORMATS, GEOJSON_PRECISION

logger = logging.getLogger(__name__)

_WORLD_BOXES = {k: shapely.box(-180 + 360 * k, -90, 180 + 360 * k, 90) for k in (-1, 0, 1)}


def _jumps(lon: np.ndarray) -> np.ndarray:
    """Steps between successive vertices that cross the antimeridian.

    A step of more than 180 degrees crosses it, except a step between two vertices both on it
    (+180 to -180: an edge running along the antimeridian or a pole, as in Natural Earth's rings).
    """
    steps = np.diff(lon)
    on_line: npt.NDArray[np.bool_] = np.isclose(np.abs(lon), 180.0)
    return (np.abs(steps) > 180) & ~(on_line[:-1] & on_line[1:])


def _unwrap(coords: np.ndarray) -> np.ndarray:
    """Make longitudes continuous: successive vertices never jump across the antimeridian."""
    lon = coords[:, 0]
    steps = np.diff(lon)
    shift = -360.0 * np.cumsum(np.round(steps / 360.0) * _jumps(lon))
    out = coords.copy()
    out[1:, 0] = lon[1:] + shift
    return out


def _crosses_antimeridian(geom: BaseGeometry) -> bool:
    if geom.geom_type not in ("LineString", "MultiLineString", "Polygon", "MultiPolygon"):
        return False
    for part in getattr(geom, "geoms", [geom]):
        rings = [part] if part.geom_type == "LineString" else [part.exterior, *part.interiors]
        for ring in rings:
            lon = np.asarray(ring.coords)[:, 0]
            if lon.size > 1 and np.any(_jumps(lon)):
                return True
    return False


def split_antimeridian(geom: BaseGeometry) -> BaseGeometry:
    """Split a line or polygon crossing the antimeridian into parts on either side of it.

    Parameters
    ----------
    geom : shapely geometry
        Geometry in lon/lat degrees: either wrapped (a jump of more than 180 degrees between two
        vertices crosses the antimeridian) or continuous with longitudes past +/-180. Points and
        geometries that do not cross are returned as is.

    Returns
    -------
    shapely geometry
        A MultiLineString or MultiPolygon whose parts touch +/-180 degrees, or ``geom`` itself.
    """
    if geom is None or geom.is_empty:
        return geom
    beyond = geom.geom_type != "Point" and (geom.bounds[0] < -180 or geom.bounds[2] > 180)
    if not beyond and not _crosses_antimeridian(geom):
        return geom
    parts: list[BaseGeometry] = []
    for part in getattr(geom, "geoms", [geom]):
        if beyond:  # already continuous, with longitudes past +/-180: only cut and shift
            unwrapped = part
        elif part.geom_type == "LineString":
            unwrapped = shapely.LineString(_unwrap(np.asarray(part.coords)))
        else:
            shell = _unwrap(np.asarray(part.exterior.coords))
            holes = [_unwrap(np.asarray(r.coords)) for r in part.interiors]
            # holes follow the shell's sheet of longitudes
            holes = [h + [360.0 * round((shell[0, 0] - h[0, 0]) / 360.0), 0] for h in holes]
            unwrapped = shapely.make_valid(shapely.Polygon(shell, holes), method="structure")
        for k, box in _WORLD_BOXES.items():
            piece = unwrapped.intersection(box)
            if piece.is_empty:
                continue
            piece = shapely.transform(piece, lambda c, k=k: c - [360.0 * k, 0.0])
            parts.extend(p for p in getattr(piece, "geoms", [piece]) if p.geom_type == part.geom_type)
    if geom.geom_type.endswith("LineString"):
        return shapely.MultiLineString(parts)
    return shapely.MultiPolygon(parts)


def json_value(value: Any) -> Any:
    """Convert one property value to a JSON-native value."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, BaseGeometry):
        return value.wkt
    if isinstance(value, bytes):
        return value.hex()
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return str(value) if not isinstance(value, str) else value


def prepare_geometries(geoms: Collection[BaseGeometry], *, precision: int = GEOJSON_PRECISION) -> np.ndarray:
    """Split at the antimeridian, orient rings (RFC 7946 winding) and round coordinates."""
    arr = np.empty(len(geoms), dtype=np.object_)
    arr[:] = list(geoms)
    if arr.size == 0:
        return arr
    # only a geometry spanning more than 180 degrees of longitude can jump across the antimeridian
    bounds = shapely.bounds(arr)
    for i in np.flatnonzero(
        (bounds[:, 2] - bounds[:, 0] > 180) | (bounds[:, 0] < -180) | (bounds[:, 2] > 180)
    ):
        arr[i] = split_antimeridian(arr[i])
    arr = shapely.orient_polygons(arr, exterior_cw=False)
    rounded: np.ndarray = shapely.transform(arr, lambda c: np.round(c, precision))  # shapely is untyped
    return rounded


def to_geojson(gdf: gpd.GeoDataFrame, *, precision: int = GEOJSON_PRECISION, argument: str = "layer") -> str:
    """Serialise a GeoDataFrame as an RFC 7946 FeatureCollection.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in any CRS (it must have one); reprojected to EPSG:4326.
    precision : int, optional
        Decimal places of the coordinates, 0 to 15.
    argument : str, optional
        Name of the layer or argument used in error messages.

    Returns
    -------
    str
        The GeoJSON text. A column named ``id`` also becomes each feature's ``id`` member.
    """
    if not isinstance(precision, int) or not 0 <= precision <= 15:
        msg = f"precision: expected a whole number of decimals from 0 to 15, got {precision!r}"
        raise ExportError(msg)
    wgs = to_wgs84(gdf, argument=argument)
    geoms = prepare_geometries(wgs.geometry.values, precision=precision)
    geom_json = shapely.to_geojson(geoms) if len(geoms) else []
    props = pd.DataFrame(wgs.drop(columns=wgs.geometry.name))
    props.columns = [str(c) for c in props.columns]
    has_id = "id" in props.columns
    records = props.to_dict(orient="records")
    features = []
    for record, gjson in zip(records, geom_json, strict=True):
        clean = {k: json_value(v) for k, v in record.items()}
        head = (
            f'{{"type":"Feature","id":{json.dumps(clean["id"])},'
            if has_id and clean["id"] is not None
            else '{"type":"Feature",'
        )
        geometry = gjson if gjson is not None else "null"
        features.append(
            f'{head}"properties":{json.dumps(clean, ensure_ascii=False, allow_nan=False)},'
            f'"geometry":{geometry}}}'
        )
    logger.debug("serialised %d features of %s", len(features), argument)
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically. See :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    Raises
    ------
    ExportError
        If the target folder does not exist or the file cannot be written; any previous file at
        ``path`` is left as it was.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        msg = f"output {str(target)!r}: folder {str(folder)!r} does not exist"
        raise ExportError(msg)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        msg = f"output {str(target)!r}: cannot write ({exc.strerror or exc})"
        raise ExportError(msg) from exc
    return target


def write_geojson(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    precision: int = GEOJSON_PRECISION,
    argument: str = "layer",
) -> Path:
    """Write ``gdf`` as an RFC 7946 GeoJSON file, atomically. See :func:`to_geojson`."""
    return atomic_write_text(path, to_geojson(gdf, precision=precision, argument=argument))


# ----------------------------------------------------------------------------- other formats
#: Leading characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection), and
#: their full-width forms, which some spreadsheets fold to the ASCII ones.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: Characters a spreadsheet may skip before it looks for a formula's leading character.
_SKIPPED = " \t\r\n\x0b\x0c\x85\u00a0\u2028\u2029\u3000\ufeff\u200b"


def neutralise_formula(value: Any) -> Any:
    r"""Prefix with ``'`` a text cell that a spreadsheet could run as a formula; other values pass.

    OWASP's CSV-injection guidance: a cell starting with ``= + - @``, a tab or a carriage return
    is prefixed with a single quote, so that spreadsheets show it as text. The check also looks
    past leading spaces and line breaks (``" =1+1"``, ``"\n=1+1"``) and at the full-width forms
    ``＝ ＋ － ＠``. Numbers (``int``/``float`` values) are never changed.
    """
    if isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or value.lstrip(_SKIPPED).startswith(FORMULA_PREFIXES)
    ):
        return "'" + value
    return value


def plain_properties(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns that every format can store: names as text, lists/dicts as JSON text, dates as ISO text."""
    out = gdf.copy()
    out.columns = [str(c) for c in out.columns]
    for column in out.columns:
        if column == out.geometry.name:
            continue
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.map(lambda v: None if pd.isna(v) else v.isoformat())
        elif series.dtype == object and series.map(lambda v: isinstance(v, (list, dict, tuple))).any():
            out[column] = series.map(
                lambda v: json.dumps(json_value(v)) if isinstance(v, (list, dict, tuple)) else v
            )
    return out


def _csv_bytes(wgs: gpd.GeoDataFrame) -> bytes:
    """CSV with a WKT ``geometry`` column; header and text cells neutralised against formula injection."""
    table = pd.DataFrame(wgs.drop(columns=wgs.geometry.name))
    table = table.apply(
        lambda col: (
            col.map(neutralise_formula) if col.dtype == object or pd.api.types.is_string_dtype(col) else col
        )
    )
    columns = [neutralise_formula(str(c)) for c in table.columns]
    table.columns = columns
    name = "geometry" if "geometry" not in columns else "geometry_wkt"
    table[name] = shapely.to_wkt(np.asarray(prepare_geometries(wgs.geometry.values)), rounding_precision=-1)
    # RFC 4180 line ends: a cell holding a bare CR (or LF) is quoted, so it cannot start a new row
    text: str = table.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8")


def to_bytes(gdf: gpd.GeoDataFrame, fmt: str, *, layer_name: str = "layer", argument: str = "layer") -> bytes:
    """Serialise ``gdf`` in an export format.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in any CRS (it must have one); written in EPSG:4326.
    fmt : str
        One of :data:`EXPORT_FORMATS`: ``geojson`` (RFC 7946), ``gpkg``, ``parquet`` (GeoParquet),
        ``csv`` (RFC 4180 with CRLF line ends, a WKT ``geometry`` column; header and text cells
        that a spreadsheet could run as a formula prefixed with ``'``, see :func:`neutralise_formula`)
        or ``kml``.
    layer_name : str, keyword-only
        Layer name inside GeoPackage and KML files.
    argument : str, keyword-only
        Name used in error messages.
    """
    if fmt not in EXPORT_FORMATS:
        msg = f"format: expected one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}"
        raise ExportError(msg)
    if fmt == "geojson":
        return to_geojson(gdf, argument=argument).encode("utf-8")
    wgs = plain_properties(to_wgs84(gdf, argument=argument))
    if fmt == "csv":
        return _csv_bytes(wgs)
    if fmt == "parquet":
        buffer = io.BytesIO()
        wgs.to_parquet(buffer)
        return buffer.getvalue()
    with tempfile.TemporaryDirectory(prefix="mineral-atlas-export-") as folder:
        path = Path(folder) / f"out{EXPORT_FORMATS[fmt]}"
        driver = {"gpkg": "GPKG", "kml": "KML"}[fmt]
        import pyogrio

        pyogrio.write_dataframe(wgs, path, layer=layer_name, driver=driver)
        return path.read_bytes()


def write_layer(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    layer_name: str = "layer",
    argument: str = "layer",
) -> Path:
    """Write ``gdf`` to ``path`` in ``fmt`` (default: from the extension), atomically."""
    target = Path(path)
    if fmt is None:
        by_suffix = {v: k for k, v in EXPORT_FORMATS.items()} | {".json": "geojson", ".geoparquet": "parquet"}
        fmt = by_suffix.get(target.suffix.lower())
        if fmt is None:
            msg = (
                f"output {str(target)!r}: cannot tell the format from {target.suffix or 'no extension'!r}; "
                f"give --format ({', '.join(EXPORT_FORMATS)})"
            )
            raise ExportError(msg)
    return atomic_write_bytes(target, to_bytes(gdf, fmt, layer_name=layer_name, argument=argument))
