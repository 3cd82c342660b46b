"""Query parameters of ``/collections/{collectionId}/items`` and the selection they make.

Parsing raises :class:`geo._errors.InputError` naming the parameter, the value and what was expected;
the API answers it with a 400 and an OGC exception body. Selection never fails on data: a feature
without a date does not match a ``datetime`` query, one without geometry does not match a ``bbox``.

Dates of the atlas are of reduced precision (``source_date`` is ``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``): each stands for the whole period it names, so ``datetime=2025-07-10`` matches a
source dated ``2025-07`` and ``2025``. A ``datetime`` is an instant or an interval ``start/end``
(RFC 3339 date-times or dates; ``..`` or nothing for an open end), compared in UTC.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import InputError

#: Page size when ``limit`` is not given, and the largest page served (a larger ``limit`` is cut to it).
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
#: Query parameters with a meaning of their own; every other parameter filters on a property.
RESERVED = ("f", "bbox", "datetime", "limit", "offset", "crs", "bbox-crs")
#: The one coordinate reference system served (lon/lat WGS84); ``crs`` and ``bbox-crs`` may only name it.
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_CRS84_NAMES = frozenset({CRS84, "[OGC:CRS84]", "OGC:CRS84"})
#: Properties holding a ``;``-separated list: a filter value matches any entry (as the sidebar filters do).
LIST_PROPERTIES = frozenset({"materials"})

_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)
_REDUCED_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ONE_TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class ItemsQuery:
    """The parsed parameters of an items request.

    Attributes
    ----------
    bbox : tuple of float or None
        ``(min_lon, min_lat, max_lon, max_lat)``; ``min_lon > max_lon`` crosses the antimeridian.
    interval : tuple of datetime or None
        Closed UTC interval ``(start, end)`` of ``datetime``.
    limit, offset : int
        Page size and the 0-based position of the page's first feature among the matches.
    filters : dict of str to tuple of str
        Property name to accepted values (a repeated parameter accepts any of its values).
    """

    bbox: tuple[float, float, float, float] | None = None
    interval: tuple[dt.datetime, dt.datetime] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)


def parse_items_query(params: Sequence[tuple[str, str]], *, properties: Collection[str]) -> ItemsQuery:
    """Parse the query string of an items request (pairs in request order; a name may repeat).

    Parameters
    ----------
    params : sequence of (str, str)
        The query parameters.
    properties : collection of str
        The collection's properties, the only other parameter names accepted (as filters).

    Raises
    ------
    InputError
        A repeated reserved parameter, an unknown parameter, or a value that does not parse.
    """
    single: dict[str, str] = {}
    filters: dict[str, list[str]] = {}
    for name, value in params:
        if name in RESERVED:
            if name in single:
                msg = f"{name}: given more than once"
                raise InputError(msg)
            single[name] = value
        elif name in properties:
            filters.setdefault(name, []).append(value)
        else:
            known = ", ".join([*RESERVED, *sorted(properties)])
            msg = f"unknown query parameter {name!r}; expected one of {known}"
            raise InputError(msg)
    for name in ("crs", "bbox-crs"):
        check_crs(single.get(name), name=name)
    return ItemsQuery(
        bbox=parse_bbox(single["bbox"]) if "bbox" in single else None,
        interval=parse_datetime(single["datetime"]) if "datetime" in single else None,
        limit=parse_limit(single["limit"]) if "limit" in single else DEFAULT_LIMIT,
        offset=parse_offset(single["offset"]) if "offset" in single else 0,
        filters={name: tuple(values) for name, values in filters.items()},
    )


def reject_parameters(params: Iterable[tuple[str, str]], *, allowed: Collection[str] = ("f",)) -> None:
    """Refuse any query parameter other than ``allowed`` (for the endpoints that take none but ``f``)."""
    for name, _ in params:
        if name not in allowed:
            msg = f"unknown query parameter {name!r}; expected one of {', '.join(allowed)}"
            raise InputError(msg)


def check_crs(value: str | None, *, name: str) -> None:
    """Accept a ``crs`` or ``bbox-crs`` only when absent or naming :data:`CRS84`, the one CRS served."""
    if value is not None and value.strip() not in _CRS84_NAMES:
        msg = f"{name}: only {CRS84} (lon/lat WGS84) is served, got {value!r}"
        raise InputError(msg)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``min_lon,min_lat,max_lon,max_lat`` (or 6 numbers with heights, which are ignored), WGS84 degrees.

    ``min_lon > max_lon`` is a box crossing the antimeridian.
    """
    parts = text.split(",")
    if len(parts) not in (4, 6):
        msg = (
            "bbox: expected 4 numbers (min_lon,min_lat,max_lon,max_lat) or 6 with heights, got "
            f"{len(parts)} in {text!r}"
        )
        raise InputError(msg)
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        msg = f"bbox: expected numbers, got {text!r}"
        raise InputError(msg) from None
    if not all(math.isfinite(n) for n in numbers):
        msg = f"bbox: expected finite numbers, got {text!r}"
        raise InputError(msg)
    min_lon, min_lat, max_lon, max_lat = numbers if len(numbers) == 4 else [numbers[i] for i in (0, 1, 3, 4)]
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        msg = f"bbox: longitudes must lie in [-180, 180], got {min_lon:g} and {max_lon:g}"
        raise InputError(msg)
    if not (-90 <= min_lat <= max_lat <= 90):
        msg = (
            f"bbox: latitudes must lie in [-90, 90] with the southern first, got {min_lat:g} and {max_lat:g}"
        )
        raise InputError(msg)
    return min_lon, min_lat, max_lon, max_lat


def _whole_number(text: str, *, name: str, minimum: int, expected: str) -> int:
    """``text`` as a whole number of at least ``minimum``; else the error says it ``expected`` one."""
    try:
        number = int(text)
    except ValueError:
        msg = f"{name}: expected {expected}, got {text!r}"
        raise InputError(msg) from None
    if number < minimum:
        msg = f"{name}: expected {expected}, got {number}"
        raise InputError(msg)
    return number


def parse_limit(text: str) -> int:
    """A page size from 1 up; above :data:`MAX_LIMIT` it is cut to it."""
    limit = _whole_number(text, name="limit", minimum=1, expected=f"a whole number from 1 to {MAX_LIMIT}")
    return min(limit, MAX_LIMIT)


def parse_offset(text: str) -> int:
    """The 0-based position of the first feature returned."""
    return _whole_number(text, name="offset", minimum=0, expected="a whole number from 0")


def period(value: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The closed UTC interval a date stands for; None for text that is not a date.

    A whole year, month or day for ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``; an instant for an RFC 3339
    date-time (UTC when it has no offset).
    """
    value = value.strip()
    match = _REDUCED_DATE.match(value)
    try:
        if match:
            year_text, month_text, day_text = match.groups()
            year = int(year_text)  # the pattern always has the year
            month = int(month_text) if month_text else None
            day = int(day_text) if day_text else None
            start = dt.datetime(year, month or 1, day or 1, tzinfo=dt.UTC)
            if day is not None:
                end = start + dt.timedelta(days=1)
            elif month is not None:
                end = start.replace(year=year + (month == 12), month=month % 12 + 1)
            else:
                end = start.replace(year=year + 1)
            return start, end - _ONE_TICK
        if "T" not in value.upper():
            return None
        instant = dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        return None
    instant = instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant.astimezone(dt.UTC)
    return instant, instant


def parse_datetime(text: str) -> tuple[dt.datetime, dt.datetime]:
    """An instant or an interval ``start/end`` as a closed UTC interval; ``..`` or nothing is an open end."""
    ends = text.split("/")
    if len(ends) > 2:
        msg = f"datetime: expected an instant or start/end, got {text!r}"
        raise InputError(msg)
    if len(ends) == 1:
        whole = period(text)
        if whole is None:
            msg = (
                "datetime: expected an RFC 3339 date-time or a date (YYYY, YYYY-MM, YYYY-MM-DD), got "
                f"{text!r}"
            )
            raise InputError(msg)
        return whole
    bounds = []
    for position, end in enumerate(ends):
        if end.strip() in ("", ".."):
            bounds.append(_EARLIEST if position == 0 else _LATEST)
            continue
        whole = period(end)
        if whole is None:
            which = "start" if position == 0 else "end"
            msg = f"datetime: {which} {end!r} is not an RFC 3339 date-time or a date"
            raise InputError(msg)
        bounds.append(whole[position])
    if bounds[0] == _EARLIEST and bounds[1] == _LATEST:
        msg = f"datetime: an interval needs at least one end, got {text!r}"
        raise InputError(msg)
    if bounds[0] > bounds[1]:
        msg = f"datetime: the start is after the end in {text!r}"
        raise InputError(msg)
    return bounds[0], bounds[1]


def _matches(column: pd.Series, name: str, values: tuple[str, ...]) -> pd.Series:
    """Rows of ``column`` equal to one of ``values`` (numbers compared as numbers); NA never matches."""
    if name in LIST_PROPERTIES:
        wanted = set(values)
        return column.map(lambda v: isinstance(v, str) and bool(wanted & set(v.split(";")))).astype(bool)
    if pd.api.types.is_bool_dtype(column):
        truth = {"true": True, "false": False}
        if any(v.lower() not in truth for v in values):
            msg = f"{name}: expected true or false, got {', '.join(values)}"
            raise InputError(msg)
        return column.isin([truth[v.lower()] for v in values]).fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(column):
        try:
            numbers = [float(v) for v in values]
        except ValueError:
            msg = f"{name}: expected a number, got {', '.join(values)}"
            raise InputError(msg) from None
        return column.astype(float).isin(numbers).fillna(False).astype(bool)
    return column.map(lambda v: v is not None and v is not pd.NA and str(v) in values).astype(bool)


def _in_interval(column: pd.Series, interval: tuple[dt.datetime, dt.datetime]) -> np.ndarray:
    """Rows whose date (the period it names) overlaps the closed ``interval``."""
    start, end = interval
    spans = {v: period(v) for v in column.dropna().astype(str).unique()}
    hit = {v: s is not None and s[0] <= end and start <= s[1] for v, s in spans.items()}
    return column.map(
        lambda v: hit.get(str(v), False) if v is not None and v is not pd.NA else False
    ).to_numpy(dtype=bool)


def _in_bbox(gdf: gpd.GeoDataFrame, bbox: tuple[float, float, float, float]) -> np.ndarray:
    min_lon, min_lat, max_lon, max_lat = bbox
    boxes = (
        [shapely.box(min_lon, min_lat, max_lon, max_lat)]
        if min_lon <= max_lon
        else [shapely.box(min_lon, min_lat, 180, max_lat), shapely.box(-180, min_lat, max_lon, max_lat)]
    )
    keep = np.zeros(len(gdf), dtype=bool)
    for box in boxes:
        keep[gdf.sindex.query(box, predicate="intersects")] = True
    return keep


def select(
    gdf: gpd.GeoDataFrame, query: ItemsQuery, *, temporal_property: str | None = None
) -> gpd.GeoDataFrame:
    """The features of ``gdf`` matching every filter of ``query`` (before paging), in their order.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in lon/lat (EPSG:4326).
    query : ItemsQuery
        The parsed request.
    temporal_property : str, optional, keyword-only
        The column ``datetime`` compares with; without one no feature matches a ``datetime``.

    Raises
    ------
    InputError
        A filter value that cannot be compared with its property (``leg=abc`` on numbers).
    """
    keep = np.ones(len(gdf), dtype=bool)
    for name, values in query.filters.items():
        keep &= _matches(gdf[name], name, values).to_numpy(dtype=bool)
    if query.interval is not None:
        if temporal_property is None or temporal_property not in gdf.columns:
            keep[:] = False
        else:
            keep &= _in_interval(gdf[temporal_property], query.interval)
    if query.bbox is not None and keep.any():
        keep &= _in_bbox(gdf, query.bbox)
    return gdf[keep]
