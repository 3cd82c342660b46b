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

from geo.settings import DATA_DIR, NOT_PRODUCING, PLACEHOLDER_PRECISIONS, WGS84
from layers import _provenance, labels, palette
from layers._spec import LayerSpec, LegendEntry, Style

FILE = DATA_DIR / "facilities.csv"

#: Colour of each facility kind (see :mod:`layers.palette`).
KIND_COLORS: dict[str, str] = palette.KIND
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
    description=(
        "Recycling, refining, smelting, material and cell plants, and the conference venue "
        "(curated; every claim cited or marked assumed)."
    ),
    source=FILE,
    read=read,
    style=style,
    legend=tuple(LegendEntry(labels.KINDS[k], c, column="kind", values=(k,)) for k, c in KIND_COLORS.items())
    + (
        LegendEntry(
            "Planned / under construction / closed (dashed, pale)",
            "#ffffff",
            dashed=True,
            column="status",
            values=tuple(sorted(NOT_OPERATING)),
        ),
        LegendEntry(
            "Approximate location (region or country placeholder)",
            palette.OTHER,
            hollow=True,
            column="location_precision",
            values=PLACEHOLDER_PRECISIONS,
        ),
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
