"""CSV in: read through ``pyarrow.csv`` as text, points from lat/lon columns or shapes from WKT.

The separator is a comma, else ``;`` or a tab when the header holds none; duplicate column names
are made unique as pandas does; decimal commas are read in coordinates; a column becomes numbers
only when every non-empty cell is one without a leading zero (codes such as ``007`` stay text).
WKT nested deeper than :data:`~geo.settings.MAX_GEOMETRY_DEPTH` is refused before GEOS parses it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import LayerError
from geo._io_encoding import utf8_file
from geo._io_messages import brief, fail
from geo._io_sources import CHUNK, Source
from geo.settings import MAX_GEOMETRY_DEPTH, WGS84

if TYPE_CHECKING:  # pyarrow is imported when a file is read
    import pyarrow as pa

LAT_NAMES = ("lat", "latitude", "y")
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _csv_dialect(src: Source, path: Path) -> tuple[str, list[str]]:
    """The separator (a comma, else ``;`` or a tab when the header holds no comma) and the header's names."""
    with path.open(encoding="utf-8", newline="") as fh:
        first = fh.readline(1 << 20)
        fh.seek(0)
        delimiter = ","
        if "," not in first:
            delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
        try:
            header = next(csv.reader(fh, delimiter=delimiter), None)
        except csv.Error as exc:
            raise fail(src.label, f"not parseable as CSV ({brief(exc)})") from None
    if not header or not any(h.strip() for h in header):
        raise fail(src.label, "not parseable as CSV (no header row)")
    if delimiter != ",":
        src.notes.append(f"columns are separated by {'semicolons' if delimiter == ';' else 'tabs'}")
    return delimiter, header


def _ragged_row(label: str, path: Path, width: int, delimiter: str) -> LayerError | None:
    """The first record whose number of fields differs from the header's, as a message."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for record in reader:
                if record and len(record) != width:
                    return fail(
                        label,
                        f"not parseable as CSV: line {reader.line_num} has {len(record)} fields, "
                        f"the header {width}",
                    )
        except csv.Error as exc:
            return fail(label, f"not parseable as CSV (line {reader.line_num}: {brief(exc)})")
    return None


def _unique_columns(src: Source, header: list[str]) -> list[str]:
    """Header names made unique as pandas does (``name``, ``name.1``); empty ones ``Unnamed: i``."""
    names: list[str] = []
    for i, raw in enumerate(header):
        name = raw if raw.strip() else f"Unnamed: {i}"
        base, k = name, 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        if name != raw and raw.strip():
            src.notes.append(f"column {raw!r} appears more than once; this one is named {name!r}")
        names.append(name)
    return names


def read_csv(src: Source) -> gpd.GeoDataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    label = src.label
    path = utf8_file(src)
    delimiter, header = _csv_dialect(src, path)
    width = len(header)
    generated = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=generated, block_size=CHUNK),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={g: pa.string() for g in generated},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _ragged_row(label, path, width, delimiter) or fail(
            label, f"not parseable as CSV ({brief(exc)})"
        ) from None
    table = table.slice(1)  # the header row
    if table.num_rows == 0:
        raise fail(label, "no features (no data rows)")
    columns = _unique_columns(src, header)
    table = table.rename_columns(columns)
    lat_col, lon_col = _find_column(columns, LAT_NAMES), _find_column(columns, LON_NAMES)
    wkt_col = _find_column(columns, WKT_NAMES)
    if lat_col and lon_col:
        coords = {}
        for col in (lon_col, lat_col):
            text = pc.replace_substring(pc.utf8_trim_whitespace(table[col]), ",", ".")
            try:
                coords[col] = pc.cast(text, pa.float64()).to_numpy()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                numbers = pd.to_numeric(pd.Series(text.to_numpy(zero_copy_only=False)), errors="coerce")
                row = int(np.flatnonzero(numbers.isna().to_numpy())[0])
                raise fail(
                    label,
                    f"feature {row + 1} (line {row + 2}): {col} {table[col][row].as_py()!r} is not a number",
                ) from None
        props = table = table.drop_columns([lat_col, lon_col])  # their text can go before the points come
        geometry = gpd.points_from_xy(coords.pop(lon_col), coords.pop(lat_col))
    elif wkt_col:
        _check_wkt_depth(label, wkt_col, table[wkt_col])
        text = table[wkt_col].to_numpy(zero_copy_only=False)
        text = np.where(text == "", None, text)
        try:
            geometry = shapely.from_wkt(text, on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise fail(label, f"column {wkt_col!r} holds text that is not WKT ({brief(exc)})") from None
        props = table.drop_columns([wkt_col])
    else:
        raise fail(
            label,
            f"no geometry: expected lat/lon columns (one of {', '.join(LAT_NAMES)} and one of "
            f"{', '.join(LON_NAMES)}) or a WKT column ({', '.join(WKT_NAMES)})",
        )
    frame = pd.DataFrame(
        {name: _infer(props[name]) for name in props.column_names}, index=pd.RangeIndex(table.num_rows)
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


def _infer(column: pa.ChunkedArray) -> pd.Series:
    """Numbers stay numbers when every non-empty cell is one (and none has a leading zero); else text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text: pd.Series = column.to_pandas()
    head = pc.utf8_trim_whitespace(column.slice(0, 1000))
    head = head.filter(pc.not_equal(head, ""))
    if len(head) and not pc.all(pc.match_substring_regex(head, _NUMBER)).as_py():
        return text  # text in the first rows already: no pass over the whole column
    stripped = pc.utf8_trim_whitespace(column)
    filled = pc.not_equal(stripped, "")
    if not pc.any(filled).as_py():
        return text
    numeric = pc.match_substring_regex(stripped, _NUMBER)
    if not pc.all(pc.or_(numeric, pc.invert(filled))).as_py():
        return text
    if pc.any(pc.and_(filled, pc.match_substring_regex(stripped, r"^[+-]?0\d"))).as_py():
        return text
    nulled = pc.if_else(filled, stripped, pa.scalar(None, pa.string()))
    integral = pc.all(pc.or_(pc.match_substring_regex(stripped, r"^[+-]?\d+$"), pc.invert(filled))).as_py()
    for kind in (pa.int64(), pa.float64()) if integral else (pa.float64(),):
        try:
            numbers: pd.Series = pc.cast(nulled, kind).to_pandas()
            return numbers
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return text


def _wkt_depth(text: str) -> int:
    """Deepest nesting of parentheses in a WKT string."""
    arr = np.frombuffer(text.encode("utf-8", errors="replace"), dtype=np.uint8)
    steps = (arr == ord("(")).astype(np.int64) - (arr == ord(")"))
    return int(np.cumsum(steps).max()) if steps.size else 0


def _check_wkt_depth(label: str, column: str, values: pa.ChunkedArray) -> None:
    """Refuse WKT nested deeper than :data:`MAX_GEOMETRY_DEPTH` before GEOS parses it (recursively)."""
    import pyarrow.compute as pc

    counts = pc.count_substring(values, "(").to_numpy(zero_copy_only=False)
    for row in np.flatnonzero(counts > MAX_GEOMETRY_DEPTH):
        if _wkt_depth(values[int(row)].as_py()) > MAX_GEOMETRY_DEPTH:
            raise fail(
                label,
                f"feature {row + 1} (line {row + 2}): column {column!r} holds WKT nested more than "
                f"{MAX_GEOMETRY_DEPTH} levels deep (collections within collections); the file is refused",
            )
