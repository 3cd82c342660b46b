"""Layers the user imports: a generic style and popup so they draw and analyse like built-in ones.

Their properties are data like any other: the popup escapes every value (see :mod:`layers._render`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from layers import palette
from layers._spec import LayerSpec, LegendEntry, Style

#: Colours given to imported layers in turn.
PALETTE = palette.USER
#: Point layers with more features than this are clustered.
CLUSTER_ABOVE = 200
#: Properties shown in the popup at most.
MAX_POPUP_FIELDS = 12


def spec_for(name: str, gdf: gpd.GeoDataFrame, *, position: int = 0, title: str | None = None) -> LayerSpec:
    """A :class:`LayerSpec` for an imported layer: one colour, popups listing its properties.

    ``title`` is what the user reads (the original file name); ``name`` the workspace's key.
    """
    title = title or name
    color = PALETTE[position % len(PALETTE)]
    points = set(gdf.geometry.geom_type) <= {"Point", "MultiPoint"}

    def style(props: Mapping[str, Any]) -> Style:
        # a white outline marks imported data; lines and polygons keep their colour as the stroke
        if points:
            return {"radius": 6, "color": "#ffffff", "weight": 2, "fillColor": color, "fillOpacity": 0.9}
        return {"color": color, "weight": 2.5, "fillColor": color, "fillOpacity": 0.25}

    fields = tuple(c for c in gdf.columns if c not in (gdf.geometry.name, "name", "source"))[
        :MAX_POPUP_FIELDS
    ]
    kinds = sorted({t.replace("Multi", "") for t in gdf.geometry.geom_type})
    return LayerSpec(
        name=name,
        title=title,
        description=f"Imported layer: {len(gdf)} features ({', '.join(kinds)}).",
        source=f"workspace layer {name!r}",
        read=lambda: gdf,
        style=style,
        legend=(
            LegendEntry(
                f"{title} (imported)",
                color,
                "circle" if points else "square",
                outline="#ffffff" if points else color,
            ),
        ),
        geom_types=tuple(sorted(set(gdf.geometry.geom_type))),
        required=(),
        popup_fields=fields,
        cluster=points and len(gdf) > CLUSTER_ABOVE,
        attribution=f"{title}: imported by the user",
    )
