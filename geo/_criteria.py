"""Criteria of site selection, measured per candidate.

Shared by :mod:`geo.siting`, its dask engine :mod:`geo._siting_dask` (which runs :func:`measure` on
partitions) and :mod:`geo.allocation` (:func:`centres`), so none of them imports another for these.

See :mod:`geo.siting` for what each criterion means.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from geo.crs import to_wgs84
from geo.distance import (
    EARTH_RADIUS_M,
    MERIDIAN_RADIUS_MIN_M,
    SPHERE_LOWER,
    SPHERE_UPPER,
    geodesic_m,
    unit_vectors,
)
from geo.network import access_km
from geo.proximity import nearest
from geo.settings import WGS84

#: criterion -> True when a higher raw value is better
HIGHER_IS_BETTER: dict[str, bool] = {
    "feedstock": True,
    "lithium_blocks": False,
    "port": False,
    "competition": True,
    "road": False,
}
#: raw column of each criterion, with its unit
RAW_COLUMNS: dict[str, str] = {
    "feedstock": "feedstock_population",
    "lithium_blocks": "lithium_block_km",
    "port": "port_km",
    "competition": "facility_km",
    "road": "road_network_km",
}


def centres(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One point per candidate in EPSG:4326.

    The grid's centre points, its ``lon``/``lat``, or a point inside each geometry.
    """
    if (
        {"lon", "lat"} <= set(cells.columns)
        and cells.crs is not None
        and cells.crs.equals(WGS84)
        and (cells.geom_type == "Point").all()
    ):
        return gpd.GeoDataFrame(index=cells.index, geometry=cells.geometry.values, crs=WGS84)  # a centre grid
    if {"lon", "lat"} <= set(cells.columns):
        return gpd.GeoDataFrame(
            index=cells.index, geometry=gpd.points_from_xy(cells["lon"], cells["lat"]), crs=WGS84
        )
    wgs = to_wgs84(cells, argument="candidates")
    return gpd.GeoDataFrame(index=cells.index, geometry=wgs.geometry.representative_point(), crs=WGS84)


def measure(
    candidates: gpd.GeoDataFrame,
    *,
    demand: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    ports: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    demand_radius_km: float = 200.0,
    criteria: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Raw criterion values of each candidate.

    Population within the radius, km to the nearest feature of each layer and to the road network;
    only ``criteria`` when given (one at a time lets a caller show progress and cache each).
    """
    if demand_radius_km <= 0:
        msg = f"demand_radius_km: expected a radius in km > 0, got {demand_radius_km!r}"
        raise InputError(msg)
    wanted = list(RAW_COLUMNS) if criteria is None else list(criteria)
    unknown = sorted(set(wanted) - set(RAW_COLUMNS))
    if unknown:
        msg = f"criteria: unknown criterion {', '.join(unknown)}; expected some of {', '.join(RAW_COLUMNS)}"
        raise InputError(msg)
    points = centres(candidates)
    raw = pd.DataFrame(index=candidates.index)
    xy = shapely.get_coordinates(points.geometry.values)
    if "feedstock" in wanted:
        population = (
            pd.to_numeric(demand["population"], errors="coerce").fillna(0).to_numpy()
            if "population" in demand
            else np.ones(len(demand))
        )
        demand_xy = shapely.get_coordinates(to_wgs84(demand, argument="demand").geometry.values)
        raw[RAW_COLUMNS["feedstock"]] = population_within(
            xy[:, 0], xy[:, 1], demand_xy[:, 0], demand_xy[:, 1], population, radius_km=demand_radius_km
        )
    for criterion, layer in (("lithium_blocks", blocks), ("port", ports), ("competition", facilities)):
        if criterion in wanted:
            result = nearest(points, layer.reset_index(drop=True))
            raw[RAW_COLUMNS[criterion]] = pd.Series(
                result["distance_m"].to_numpy() / 1000.0, index=result["source_id"]
            ).reindex(candidates.index)
    if "road" in wanted:
        raw[RAW_COLUMNS["road"]] = access_km(xy[:, 0], xy[:, 1], mode="road", workers=-1)
    return raw[[RAW_COLUMNS[c] for c in RAW_COLUMNS if c in wanted]]


def population_within(
    lon: np.ndarray,
    lat: np.ndarray,
    demand_lon: np.ndarray,
    demand_lat: np.ndarray,
    population: np.ndarray,
    *,
    radius_km: float,
) -> np.ndarray:
    """Sum of the population of demand points within ``radius_km`` (geodesic) of each point.

    One pass per demand point over the points in its latitude band, on the unit sphere; only the
    points in the narrow ring where the spherical bracket (:mod:`geo.distance`) cannot decide get an
    exact ellipsoidal distance.
    """
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    order = np.argsort(lat, kind="stable")  # each demand point looks only at its latitude band
    sorted_lat = lat[order]
    points = unit_vectors(lon[order], lat[order])
    total = np.zeros(len(lon))
    sure = np.cos(radius_km * 1000.0 / (EARTH_RADIUS_M * SPHERE_UPPER))  # certainly within
    maybe = np.cos(min(np.pi, radius_km * 1000.0 / (EARTH_RADIUS_M * SPHERE_LOWER)))  # possibly within
    # a geodesic of length r changes latitude by at most r / (smallest meridian radius, a(1 - e^2))
    band_deg = np.degrees(radius_km * 1000.0 / MERIDIAN_RADIUS_MIN_M) * 1.001
    ring_points, ring_demand = [], []  # pairs the bracket cannot decide, measured in one call
    for d, (y, weight, centre) in enumerate(
        zip(demand_lat, population, unit_vectors(demand_lon, demand_lat), strict=True)
    ):
        lo, hi = np.searchsorted(sorted_lat, [y - band_deg, y + band_deg + 1e-12])
        cos_angle = points[lo:hi] @ centre
        inside = cos_angle >= sure
        total[order[lo:hi][inside]] += weight
        ring = order[lo + np.flatnonzero((cos_angle >= maybe) & ~inside)]
        ring_points.append(ring)
        ring_demand.append(np.full(ring.size, d))
    where, demand = np.concatenate(ring_points), np.concatenate(ring_demand)
    close = (
        geodesic_m(lon[where], lat[where], np.asarray(demand_lon)[demand], np.asarray(demand_lat)[demand])
        <= radius_km * 1000.0
    )
    np.add.at(total, where[close], np.asarray(population, dtype=np.float64)[demand[close]])
    return total
