"""Checks after reading, common to every format: features, geometry, CRS, range, validity and ids.

:func:`finish` refuses a layer without features or with missing geometries, without a CRS, with
coordinates that cannot be in its CRS or out of range after reprojection to EPSG:4326, or with
duplicate ids; it repairs invalid geometries with ``make_valid`` (listed in ``attrs["repairs"]``)
and counts the geometry types (``attrs["geometry_types"]``).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._io_crs import check_declared_crs, out_of_range_hint
from geo._io_messages import brief, fail, feature_label, quantity
from geo.settings import WGS84

logger = logging.getLogger("geo.io")  # the importers log under their public module's name


def _duplicate_id(column: pd.Series) -> tuple[str, int] | None:
    """The first id (in file order) that an earlier feature already has, and how many features share ids.

    Features without an id (null or empty) clash with nothing. Ids are compared as text, sorted in
    Arrow (a hash table of millions of strings would take several times the memory).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column
    if values.dtype == object:  # JSON ids can be anything: only text and numbers are ids
        values = values.map(lambda v: str(v) if isinstance(v, (str, int, float, np.number)) else None)
    elif pd.api.types.is_numeric_dtype(values):
        values = (
            values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v))
        )
    ids = pa.chunked_array([pa.array(values.array, type=pa.string(), from_pandas=True)])
    keep = pc.and_(pc.is_valid(ids), pc.not_equal(ids, ""))
    positions = pc.indices_nonzero(pc.fill_null(keep, False))
    ids = ids.take(positions)
    if len(ids) < 2:
        return None
    order = pc.sort_indices(ids)  # stable: equal ids keep file order
    ranked = ids.take(order)
    same = pc.fill_null(pc.equal(ranked.slice(0, len(ranked) - 1), ranked.slice(1)), False).to_numpy(
        zero_copy_only=False
    )
    if not same.any():
        return None
    order = order.to_numpy()
    second = order[1:][same]  # the later feature of each equal pair
    first = int(second.min())
    shared = np.zeros(len(order), dtype=bool)
    shared[:-1] |= same
    shared[1:] |= same
    return str(ids[first].as_py()), int(shared.sum())


def finish(gdf: gpd.GeoDataFrame, label: str, *, swap_xy: bool) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        raise fail(label, "no features")
    geoms = np.asarray(gdf.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.all():
        raise fail(label, "no geometry: every feature's geometry is empty")
    if missing.any():
        raise fail(
            label,
            f"{feature_label(gdf, int(np.flatnonzero(missing)[0]))}: geometry is missing or empty "
            f"({quantity(int(missing.sum()), 'feature')})",
        )
    if gdf.crs is None:
        raise fail(label, "unknown CRS: the file does not say which coordinate reference system it uses")
    if swap_xy:
        gdf = gdf.set_geometry(shapely.transform(geoms, lambda c: c[:, ::-1]), crs=gdf.crs)
    before = np.asarray(gdf.geometry.values)  # for the hint of an error only
    check_declared_crs(gdf, label)
    if not gdf.crs.equals(WGS84):
        try:
            gdf = gdf.to_crs(WGS84)
        except Exception as exc:  # pyproj raises its own errors for impossible transforms
            raise fail(label, f"cannot transform from {gdf.crs} to EPSG:4326 ({brief(exc)})") from None
    else:
        gdf = gdf.set_crs(WGS84, allow_override=True)
    geoms = np.asarray(gdf.geometry.values)
    coords = shapely.get_coordinates(geoms)
    bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if bad.any():
        owner = np.repeat(np.arange(len(gdf)), shapely.get_num_coordinates(geoms))
        first = int(owner[np.flatnonzero(bad)[0]])
        lon, lat = coords[np.flatnonzero(bad)[0]]
        hint = out_of_range_hint(shapely.get_coordinates(before), swap_xy)
        raise fail(
            label,
            f"{feature_label(gdf, first)}: coordinates out of range (lon {lon:g}, lat {lat:g}; "
            f"lon must be within -180..180, lat within -90..90){hint}",
        )
    del before, coords
    invalid = ~shapely.is_valid(geoms)
    repairs = []
    if invalid.any():
        fixed = geoms.copy()
        for pos in np.flatnonzero(invalid):
            reason = shapely.is_valid_reason(fixed[pos])
            try:
                fixed[pos] = shapely.make_valid(fixed[pos])
            except shapely.errors.GEOSException as exc:
                raise fail(
                    label, f"{feature_label(gdf, int(pos))}: {reason}, and make_valid failed ({brief(exc)})"
                ) from None
            repairs.append(f"{feature_label(gdf, int(pos))}: {brief(reason)}, repaired with make_valid")
        gdf = gdf.set_geometry(fixed, crs=WGS84)
        geoms = fixed
    duplicate = _duplicate_id(gdf["id"]) if "id" in gdf.columns else None
    if duplicate:
        raise fail(label, f"feature {duplicate[0]!r}: id is not unique ({duplicate[1]:,} features share ids)")
    type_ids, counts = np.unique(shapely.get_type_id(geoms), return_counts=True)
    names = {int(t): shapely.GeometryType(int(t)).name for t in type_ids}
    pretty = {
        "POINT": "Point",
        "LINESTRING": "LineString",
        "LINEARRING": "LinearRing",
        "POLYGON": "Polygon",
        "MULTIPOINT": "MultiPoint",
        "MULTILINESTRING": "MultiLineString",
        "MULTIPOLYGON": "MultiPolygon",
        "GEOMETRYCOLLECTION": "GeometryCollection",
    }
    gdf.attrs["repairs"] = repairs
    gdf.attrs["geometry_types"] = {
        pretty.get(names[int(t)], names[int(t)]): int(n) for t, n in zip(type_ids, counts, strict=True)
    }
    for repair in repairs:
        logger.info("%s: %s", label, repair)
    return gdf
