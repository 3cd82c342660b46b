"""CRS contract: a GeoDataFrame without a CRS is an error; reprojection never mutates the caller's frame."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo._errors import CRSError, InputError
from geo.settings import WGS84


def require_crs(gdf: gpd.GeoDataFrame, *, argument: str) -> gpd.GeoDataFrame:
    """Return ``gdf`` unchanged if it has a CRS, else raise.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The frame to check.
    argument : str
        Name of the argument or layer, used in the error message.

    Raises
    ------
    CRSError
        If ``gdf`` is not a GeoDataFrame or has no CRS.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"{argument}: expected a GeoDataFrame, got {type(gdf).__name__}"
        raise CRSError(msg)
    if gdf.crs is None:
        msg = (
            f"{argument}: GeoDataFrame has no CRS; set the CRS it is in with "
            "gdf.set_crs(...) (for lon/lat degrees: 'EPSG:4326')"
        )
        raise CRSError(msg)
    return gdf


def to_wgs84(gdf: gpd.GeoDataFrame, *, argument: str) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in EPSG:4326 (lon, lat), for display and GeoJSON.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Frame in any CRS; it must have one.
    argument : str
        Name used in error messages.
    """
    require_crs(gdf, argument=argument)
    if gdf.crs.equals(WGS84):
        return gdf.copy()
    return gdf.to_crs(WGS84)


def wgs84_geometries(gdf: gpd.GeoDataFrame, *, argument: str) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """:func:`to_wgs84` of ``gdf`` and its geometries as an array, every feature having one.

    Parameters
    ----------
    gdf, argument
        As in :func:`to_wgs84`.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS.
    InputError
        If a feature's geometry is missing or empty (the first such feature, 1-based, and its index).
    """
    wgs = to_wgs84(gdf, argument=argument)
    geoms = np.asarray(wgs.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        msg = f"{argument}: feature {row + 1} ({wgs.index[row]!r}) has no geometry"
        raise InputError(msg)
    return wgs, geoms
