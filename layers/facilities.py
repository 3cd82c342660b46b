"""Facilities layer: recycling, refining, smelting, material and cell plants, and the conference venue.

Read from ``data/facilities.csv`` (one row a facility, lon/lat in WGS84 degrees, its location
precision and how the point was placed). What each field rests on is in ``data/claims.csv`` (see
:mod:`layers._provenance`); the cited sources, the date the status was last confirmed and the
evidence of every claim are added when the layer is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.settings import DATA_DIR, NOT_PRODUCING, WGS84
from layers import _provenance
from layers._spec import LayerSpec, LegendEntry, Style

FILE = DATA_DIR / "facilities.csv"

#: Colour of each facility kind.
KIND_COLORS: dict[str, str] = {
    "recycling": "#2e7d32",
    "refining": "#1565c0",
    "cathode": "#6a1b9a",
    "cell_manufacturing": "#ef6c00",
    "smelter": "#6d4c41",
    "battery_materials": "#00796b",
    "venue": "#c2185b",
}
#: Statuses drawn dashed and paler: not (yet, or any more) producing.
NOT_OPERATING = NOT_PRODUCING


def read() -> gpd.GeoDataFrame:
    """Read the facilities CSV into a GeoDataFrame in EPSG:4326, with the provenance of every claim."""
    frame = pd.read_csv(FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    lon = pd.to_numeric(frame.pop("lon"), errors="coerce")
    lat = pd.to_numeric(frame.pop("lat"), errors="coerce")
    frame = _provenance.attach(frame, layer="facilities", where=FILE)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)


def style(props: Mapping[str, Any]) -> Style:
    """Colour by kind; sites not producing (planned, under construction, closed) dashed and paler."""
    color = KIND_COLORS.get(props.get("kind", ""), "#424242")
    pending = props.get("status") in NOT_OPERATING
    return {
        "radius": 8,
        "color": "#212121",
        "weight": 2 if pending else 1,
        "dashArray": "3 3" if pending else None,
        "fillColor": color,
        "fillOpacity": 0.45 if pending else 0.9,
    }


SPEC = LayerSpec(
    name="facilities",
    title="Facilities",
    description=(
        "Recycling, refining, smelting, material and cell plants, and the conference venue "
        "(curated; every claim cited or marked assumed)."
    ),
    source=FILE,
    read=read,
    style=style,
    legend=tuple(LegendEntry(k.replace("_", " "), c) for k, c in KIND_COLORS.items())
    + (
        LegendEntry("planned / under construction / closed", "#ffffff", dashed=True),
        LegendEntry("“assumed: …” in a tooltip: a value no source reports", "#ffffff", "note"),
    ),
    popup_fields=(
        "operator",
        "ownership",
        "kind",
        "materials",
        "status",
        "status_confirmed",
        "capacity",
        "country",
        "location_precision",
        "placement",
        "notes",
    ),
    cluster=True,
    attribution="Facilities: cited press and company sources",
)
