"""Facilities layer: recycling, refining, smelting and cell plants, and the conference venue.

Read from ``data/facilities.csv`` (one row a facility, lon/lat in WGS84 degrees); every row carries
its source and location precision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.settings import DATA_DIR, WGS84
from layers import labels, palette
from layers._spec import LayerSpec, LegendEntry, Style

FILE = DATA_DIR / "facilities.csv"

#: Colour of each facility kind (see :mod:`layers.palette`).
KIND_COLORS: dict[str, str] = palette.KIND
#: Statuses drawn dashed and paler: not (yet) producing.
NOT_OPERATING = frozenset({"planned", "under_development"})


def read() -> gpd.GeoDataFrame:
    """Read the facilities CSV into a GeoDataFrame in EPSG:4326."""
    frame = pd.read_csv(FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    lon = pd.to_numeric(frame.pop("lon"), errors="coerce")
    lat = pd.to_numeric(frame.pop("lat"), errors="coerce")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)


def style(props: Mapping[str, Any]) -> Style:
    """Colour by kind; planned and under-development sites dashed and paler."""
    color = KIND_COLORS.get(props.get("kind", ""), palette.OTHER)
    pending = props.get("status") in NOT_OPERATING
    return {
        "radius": 8,
        "color": palette.OUTLINE,
        "weight": 2 if pending else 1,
        "dashArray": "3 3" if pending else None,
        "fillColor": color,
        "fillOpacity": 0.45 if pending else 0.9,
    }


SPEC = LayerSpec(
    name="facilities",
    title="Facilities",
    description="Recycling, refining, smelting and cell plants, and the conference venue (curated, cited).",
    source=FILE,
    read=read,
    style=style,
    legend=tuple(LegendEntry(labels.KINDS[k], c, column="kind", values=(k,)) for k, c in KIND_COLORS.items())
    + (
        LegendEntry(
            "Planned / under development (dashed, pale)",
            "#ffffff",
            dashed=True,
            column="status",
            values=tuple(sorted(NOT_OPERATING)),
        ),
    ),
    cluster=True,
    attribution="Facilities: cited press and company sources",
)
