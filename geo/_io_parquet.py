"""GeoParquet in: WKB nesting checked column by column, then read by geopandas; text checked for UTF-8.

pyarrow raises many unrelated exception types for a corrupt file; those of pyarrow, shapely,
pyproj and json (and a few built-ins) become one-line :class:`~geo._errors.LayerError` messages.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd

from geo._errors import LayerError
from geo._io_gdal import check_wkb_depth
from geo._io_messages import brief, fail
from geo._io_sources import Source


def read_parquet(src: Source) -> gpd.GeoDataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    label = src.label
    try:
        metadata = pq.read_schema(src.path).metadata or {}
        geo = json.loads(metadata.get(b"geo", b"{}"))
        columns = geo.get("columns", {}) if isinstance(geo, dict) else {}
        for column, spec in columns.items() if isinstance(columns, dict) else []:
            if not isinstance(spec, dict) or str(spec.get("encoding", "WKB")).upper() == "WKB":
                table = pq.read_table(src.path, columns=[column])
                check_wkb_depth(label, table[column])
                del table
        gdf = gpd.read_parquet(src.path)
        for column in gdf.columns:
            if column != gdf.geometry.name and isinstance(gdf[column].dtype, pd.StringDtype):
                try:  # Parquet does not check that its text is UTF-8; a bad value fails on first use
                    pa.array(gdf[column].array).validate(full=True)
                except pa.ArrowInvalid:
                    raise fail(label, f"column {column!r} holds text that is not UTF-8") from None
        return gdf
    except LayerError:
        raise
    except ValueError as exc:
        if "geo" in str(exc).lower() and "metadata" in str(exc).lower():
            raise fail(label, "no geometry: a Parquet file without GeoParquet metadata") from None
        raise fail(label, f"not parseable as GeoParquet ({brief(exc)})") from None
    except Exception as exc:  # pyarrow raises many unrelated types for corrupt files
        if type(exc).__module__.startswith(("pyarrow", "shapely", "pyproj", "json")) or isinstance(
            exc, (KeyError, TypeError, OSError, UnicodeError)
        ):
            raise fail(label, f"not parseable as GeoParquet ({brief(exc)})") from None
        raise
