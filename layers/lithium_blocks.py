"""Lithium blocks layer: exploration and auctioned blocks as polygons, with their geometry quality.

Read from ``data/lithium_blocks.geojson``. Block boundaries are not public: each polygon is a square
of the reported area at the reported place, and its ``geometry_quality`` says ``schematic``
(surveyed and digitised boundaries are drawn solid). What each property rests on is in
``data/claims.csv`` (see :mod:`layers._provenance`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from geo import LayerError
from geo.settings import DATA_DIR, GEOMETRY_QUALITIES, WGS84
from layers import _provenance, palette
from layers._schema import RECORD_COLUMNS
from layers._spec import LayerSpec, LegendEntry, Style

FILE = DATA_DIR / "lithium_blocks.geojson"
COLOR = palette.LITHIUM_FILL
REQUIRED = (*RECORD_COLUMNS, "geometry_quality", "placement")


def read() -> gpd.GeoDataFrame:
    """Read the lithium blocks GeoJSON (RFC 7946, so WGS84 lon/lat), with the provenance of every claim."""
    gdf = gpd.read_file(FILE, engine="pyogrio", datetime_as_string=True)
    gdf = gdf.set_crs(WGS84, allow_override=True)
    if "geometry_quality" in gdf.columns:
        bad = sorted(set(gdf["geometry_quality"].fillna("")) - set(GEOMETRY_QUALITIES))
        if bad:
            msg = (
                f"{FILE}: geometry_quality {', '.join(map(repr, bad))} is not one of "
                f"{', '.join(GEOMETRY_QUALITIES)}"
            )
            raise LayerError(msg)
    frame = _provenance.attach(gdf.drop(columns=gdf.geometry.name), layer="lithium_blocks", where=FILE)
    return gpd.GeoDataFrame(frame, geometry=gdf.geometry.values, crs=WGS84)


def style(props: Mapping[str, Any]) -> Style:
    """Yellow fill (no other layer is yellow); a schematic boundary dashed with a light fill."""
    schematic = props.get("geometry_quality") != "surveyed" and props.get("geometry_quality") != "digitised"
    return {
        "color": palette.LITHIUM_OUTLINE,
        "weight": 2 if schematic else 3,
        "dashArray": "6 4" if schematic else None,
        "fillColor": COLOR,
        "fillOpacity": 0.2 if schematic else 0.5,
    }


SPEC = LayerSpec(
    name="lithium_blocks",
    title="Lithium blocks",
    description=(
        "Lithium blocks in Jammu & Kashmir (Reasi) and Chhattisgarh (Korba): schematic squares of "
        "the reported areas, not surveyed boundaries."
    ),
    source=FILE,
    read=read,
    style=style,
    legend=(
        LegendEntry(
            "Lithium block, surveyed or digitised boundary",
            COLOR,
            "square",
            column="geometry_quality",
            values=("surveyed", "digitised"),
            outline=palette.LITHIUM_OUTLINE,
        ),
        LegendEntry(
            "Lithium block, schematic boundary (square of the reported area)",
            "#fdecb3",
            "square",
            dashed=True,
            column="geometry_quality",
            values=("schematic",),
            outline=palette.LITHIUM_OUTLINE,
        ),
    ),
    geom_types=("Polygon", "MultiPolygon"),
    required=REQUIRED,
    popup_fields=(
        "operator",
        "ownership",
        "status",
        "status_confirmed",
        "materials",
        "resource",
        "area_ha_reported",
        "auction",
        "geometry_quality",
        "location_precision",
        "placement",
        "notes",
    ),
    attribution="Lithium blocks: GSI / Ministry of Mines via cited press",
)
