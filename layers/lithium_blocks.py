"""Lithium blocks layer: exploration and auctioned blocks as (approximate) polygons.

Read from ``data/lithium_blocks.geojson``. Block boundaries are not public: each polygon is an
approximate square of the reported area, and its ``location_precision`` and ``notes`` say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from geo.settings import DATA_DIR, WGS84
from layers import palette
from layers._schema import RECORD_COLUMNS
from layers._spec import LayerSpec, LegendEntry, Style

FILE = DATA_DIR / "lithium_blocks.geojson"
COLOR = palette.LITHIUM_FILL


def read() -> gpd.GeoDataFrame:
    """Read the lithium blocks GeoJSON (RFC 7946, so WGS84 lon/lat)."""
    gdf = gpd.read_file(FILE, engine="pyogrio", datetime_as_string=True)
    return gdf.set_crs(WGS84, allow_override=True)


def style(props: Mapping[str, Any]) -> Style:
    """Yellow fill (no other layer is yellow); blocks still in exploration dashed."""
    exploring = props.get("status") == "exploration"
    return {
        "color": palette.LITHIUM_OUTLINE,
        "weight": 2,
        "dashArray": "6 4" if exploring else None,
        "fillColor": COLOR,
        "fillOpacity": 0.7,
    }


SPEC = LayerSpec(
    name="lithium_blocks",
    title="Lithium blocks",
    description=(
        "Lithium blocks in Jammu & Kashmir (Reasi) and Chhattisgarh (Korba): approximate polygons of "
        "the reported areas."
    ),
    source=FILE,
    read=read,
    style=style,
    legend=(
        LegendEntry(
            "Lithium block (auctioned)",
            COLOR,
            "square",
            column="status",
            values=("auctioned",),
            outline=palette.LITHIUM_OUTLINE,
        ),
        LegendEntry(
            "Lithium block (exploration)",
            COLOR,
            "square",
            dashed=True,
            column="status",
            values=("exploration",),
            outline=palette.LITHIUM_OUTLINE,
        ),
    ),
    geom_types=("Polygon", "MultiPolygon"),
    required=RECORD_COLUMNS,
    popup_fields=(
        "operator",
        "status",
        "materials",
        "resource",
        "area_ha_reported",
        "auction",
        "location_precision",
        "source_date",
        "notes",
    ),
    attribution="Lithium blocks: GSI / Ministry of Mines via cited press",
)
