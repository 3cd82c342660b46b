"""Layers read by GDAL (pyogrio) through Arrow, with WKB nesting checked before GEOS parses it.

GeoPackage, GeoJSON, KML and Shapefile layers come through :func:`ogr`: GDAL's warnings go to the
log (the error that follows names the problem), its errors become one-line
:class:`~geo._errors.LayerError` messages, attributes that are not UTF-8 and declare no encoding
are read as Windows-1252 with a note, and :func:`check_wkb_depth` (GeoParquet uses it too) refuses
collections nested deeper than :data:`~geo.settings.MAX_GEOMETRY_DEPTH`.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geo._io_encoding import AUTO_ENCODING
from geo._io_messages import fail, gdal_problem
from geo._io_sources import Source
from geo.settings import MAX_GEOMETRY_DEPTH

if TYPE_CHECKING:  # pyarrow is imported when a file is read
    import pyarrow as pa

logger = logging.getLogger("geo.io")  # the importers log under their public module's name


@contextlib.contextmanager
def gdal_warnings_logged(label: str) -> Iterator[None]:
    """GDAL's warnings about a bad file go to the log; the error that follows names the problem."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        logger.debug("%s: GDAL: %s", label, warning.message)


def check_wkb_depth(label: str, column: pa.ChunkedArray | pa.Array) -> None:
    """Refuse WKB collections nested deeper than :data:`MAX_GEOMETRY_DEPTH` before GEOS parses them."""
    import pyarrow as pa

    from geo._wkb import wkb_depths

    row0 = 0
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        if pa.types.is_binary(chunk.type) or pa.types.is_large_binary(chunk.type):
            _, offsets_buf, data_buf = chunk.buffers()
            kind = np.int64 if pa.types.is_large_binary(chunk.type) else np.int32
            offsets = np.frombuffer(offsets_buf, dtype=kind)[chunk.offset : chunk.offset + len(chunk) + 1]
            data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
            depths = wkb_depths(data, offsets.astype(np.int64), MAX_GEOMETRY_DEPTH)
            deep = np.flatnonzero(depths > MAX_GEOMETRY_DEPTH)
            if deep.size:
                raise fail(
                    label,
                    f"feature {row0 + int(deep[0]) + 1}: geometry nested more than {MAX_GEOMETRY_DEPTH} "
                    "levels deep (collections within collections); the file is refused",
                )
        row0 += len(chunk)


def _arrow_frame(src: Source, meta: dict[str, Any], table: pa.Table) -> gpd.GeoDataFrame:
    """A GeoDataFrame from pyogrio's Arrow table, checking the WKB's nesting before GEOS parses it.

    Dates and times become ISO 8601 text (as with ``datetime_as_string``) and JSON fields are
    parsed as pyogrio does.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    name = meta["geometry_name"] or "wkb_geometry"
    if name not in table.column_names:
        raise fail(src.label, "no geometry: the layer is a table without a geometry column")
    wkb = table[name]
    check_wkb_depth(src.label, wkb)
    props = table.drop_columns([name])
    for i, column in enumerate(props.column_names):
        kind = props.schema.field(i).type
        if pa.types.is_date(kind) or pa.types.is_time(kind) or pa.types.is_timestamp(kind):
            props = props.set_column(i, column, pc.cast(props[column], pa.string()))
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            try:  # GDAL passes attributes in an undeclared 8-bit encoding through as they are
                props[column].validate(full=True)
            except pa.ArrowInvalid:
                raise UnicodeDecodeError("utf-8", b"", 0, 1, f"column {column!r} is not UTF-8") from None
    frame = props.to_pandas()
    for subtype, column in zip(meta["ogr_subtypes"], meta["fields"], strict=False):
        if subtype == "OFSTJSON" and column in frame.columns:
            values = frame[column].map(lambda v: v if isinstance(v, str) else None)
            try:
                frame[column] = values.map(json.loads, na_action="ignore")
            except (ValueError, RecursionError):
                frame[column] = values
    geometry = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False), on_invalid="ignore")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=meta["crs"] or None)


def ogr(
    src: Source,
    path: Path,
    layer: str | None = None,
    *,
    columns: list[str] | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """One layer read by GDAL through Arrow.

    ``encoding`` is that of a Shapefile's attributes (None: GDAL decides). Attributes that are not
    UTF-8 are read in the encoding the user gave, else as cp1252 (with a note).
    """
    label = src.label
    try:
        with gdal_warnings_logged(label):
            try:
                meta, table = pyogrio.read_arrow(
                    path, layer=layer, columns=columns, datetime_as_string=True, encoding=encoding
                )
                return _arrow_frame(src, meta, table)
            except UnicodeDecodeError:  # attributes that are not UTF-8: in the encoding given, else cp1252
                explicit = src.encoding not in AUTO_ENCODING
                fallback = str(src.encoding) if explicit else "cp1252"
                if codecs.lookup(fallback).name == "utf-8":
                    raise
                if not explicit:
                    src.notes.append(
                        "attributes are not UTF-8 and the file declares no encoding; read as Windows-1252 "
                        "(cp1252): check accented letters, or import again with the right encoding"
                    )
                try:  # GDAL recodes a Shapefile's attributes
                    meta, table = pyogrio.read_arrow(
                        path, layer=layer, columns=columns, datetime_as_string=True, encoding=fallback
                    )
                    return _arrow_frame(src, meta, table)
                except (ValueError, UnicodeDecodeError):  # other drivers: pyogrio decodes them
                    frame = pyogrio.read_dataframe(
                        path, layer=layer, columns=columns, read_geometry=False, encoding=fallback
                    )
                    meta, table = pyogrio.read_arrow(path, layer=layer, columns=[])
                    shapes = _arrow_frame(src, meta, table)
                    return gpd.GeoDataFrame(frame, geometry=shapes.geometry.values, crs=shapes.crs)
    except UnicodeDecodeError as exc:
        given = "Windows-1252" if src.encoding in AUTO_ENCODING else str(src.encoding).upper()
        raise fail(
            label,
            f"attributes are not valid text in {given} ({exc.reason}); import again with the right encoding",
        ) from None
    except pyogrio.errors.DataSourceError as exc:
        raise fail(label, gdal_problem(exc, tmp=src.tmp, label=label, kind="not parseable")) from None
    except pyogrio.errors.DataLayerError as exc:
        raise fail(label, gdal_problem(exc, tmp=src.tmp, label=label, kind="no readable layer")) from None
