"""CRS sanity after reading: coordinates that cannot be in the declared CRS, and what they likely are.

A projected layer whose vertices all lie within +/-180, +/-90 holds degrees, not metres; vertices
far outside the CRS's area of use point to another CRS (Web Mercator is tried). Coordinates out
of range after reprojection get a hint: lat/lon swapped, or metres of a projected CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo._io_messages import fail, feature_label
from geo.settings import WGS84


def crs_name(crs: pyproj.CRS) -> str:
    """``"EPSG:3857 (WGS 84 / Pseudo-Mercator)"``, or the CRS's name when no authority code fits."""
    code = crs.to_authority(min_confidence=70)
    return f"{code[0]}:{code[1]} ({crs.name})" if code else crs.name


def _fits(coords: np.ndarray, crs: str) -> bool:
    """Whether the coordinates, read in ``crs``, are finite lon/lat on Earth (a sample of 1,000)."""
    sample = coords[:: max(1, len(coords) // 1000)]
    transformer = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    with np.errstate(all="ignore"):
        lon, lat = transformer.transform(sample[:, 0], sample[:, 1], errcheck=False)
    return bool(np.isfinite(lon).all() and np.isfinite(lat).all() and (np.abs(lon) <= 180).all())


def check_declared_crs(gdf: gpd.GeoDataFrame, label: str) -> None:
    """Refuse coordinates that cannot be in the layer's projected CRS, naming the likely CRS.

    Two signs: every vertex within +/-180, +/-90 (degrees, not metres or feet: the layer would fit
    in a few hundred metres at the projection's origin), or vertices far outside the CRS's area of
    use (beyond its own width or height from it). Geographic CRSs are checked after reprojection
    (coordinates out of range).
    """
    crs = gdf.crs
    if crs is None or not crs.is_projected:
        return
    geoms = np.asarray(gdf.geometry.values)
    coords = shapely.get_coordinates(geoms)
    owner = np.repeat(np.arange(len(gdf)), shapely.get_num_coordinates(geoms))
    finite = np.isfinite(coords).all(axis=1)
    if not finite.any():
        return
    coords, owner = coords[finite], owner[finite]
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    unit = {"metre": "metres", "foot": "feet", "US survey foot": "US survey feet"}.get(unit, f"{unit} units")
    if (np.abs(coords[:, 0]) <= 180).all() and (np.abs(coords[:, 1]) <= 90).all():
        x, y = coords[0]
        raise fail(
            label,
            f"coordinates look like longitude/latitude degrees (first vertex {x:g}, {y:g}), not {unit} of "
            f"the declared CRS {crs_name(crs)}, in which the whole layer would lie within a few hundred "
            f"{unit} of the projection's origin; the CRS is likely EPSG:4326 (WGS84 lon/lat): declare it "
            "(a GeoJSON file: remove its crs member) or reproject the layer",
        )
    area = crs.area_of_use
    if area is None:
        return
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    try:
        xmin, ymin, xmax, ymax = transformer.transform_bounds(
            area.west, area.south, area.east, area.north, densify_pts=21
        )
    except pyproj.exceptions.ProjError:
        return
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return
    width, height = xmax - xmin, ymax - ymin
    far = (
        (coords[:, 0] < xmin - width)
        | (coords[:, 0] > xmax + width)
        | (coords[:, 1] < ymin - height)
        | (coords[:, 1] > ymax + height)
    )
    if not far.any():
        return
    i = int(np.flatnonzero(far)[0])
    x, y = coords[i]
    likely = [c for c in ("EPSG:3857",) if not crs.equals(c) and _fits(coords, c)]
    hint = f"; they would fit {likely[0]} (Web Mercator)" if likely else ""
    raise fail(
        label,
        f"{feature_label(gdf, int(owner[i]))}: coordinates ({x:g}, {y:g}) lie far outside the area of use "
        f"of the declared CRS {crs_name(crs)} (lon {area.west:g} to {area.east:g}, "
        f"lat {area.south:g} to {area.north:g}); the declared CRS is likely wrong{hint}",
    )


def out_of_range_hint(coords: np.ndarray, swap_xy: bool) -> str:
    swapped = (np.abs(coords[:, 1]) <= 180).all() and (np.abs(coords[:, 0]) <= 90).all()
    if swapped and not swap_xy:
        return "; they look like lat/lon swapped: import again with lat/lon swapped (--swap-xy)"
    finite = np.isfinite(coords).all(axis=1)
    if finite.any() and (np.abs(coords[finite]) > 1000).any() and _fits(coords[finite], "EPSG:3857"):
        return (
            "; they look like metres of a projected CRS such as EPSG:3857 (Web Mercator), not degrees: "
            "declare the file's CRS, or reproject it to EPSG:4326"
        )
    return ""
