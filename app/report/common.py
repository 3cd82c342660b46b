"""What every report shares: the citations of layers and networks, and the context layers of its map.

:func:`layer_sources` cites each layer shown and each record drawn from it; :func:`network_sources`
the networks and average speeds behind figures by mode; :func:`context_layers` draws the layers an
analysis was run against under its result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from app.static_map import LAYER_COLORS, MapLayer
from geo.settings import MODE_SPEED_SOURCES, NETWORK_ATTRIBUTION

#: Most distinct record sources listed per layer (the rest is counted).
MAX_SOURCES_PER_LAYER = 40
_ID_SUFFIX = re.compile(r",\s*(geonameid|UN/LOCODE)\s+\S+$")


def layer_sources(frames: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """The citation of each layer and of each record drawn from it.

    A built-in layer is cited by its title and attribution; its records by their ``source`` (with
    ``source_date``), identifiers at the end such as ``, geonameid 1273294`` folded into one line
    per dataset; at most :data:`MAX_SOURCES_PER_LAYER` records per layer are listed and the rest
    counted. Layers not built in are cited as the user's own data.
    """
    import layers

    lines: list[str] = []
    for name, gdf in frames.items():
        try:
            spec = layers.spec(name)
            lines.append(f"{spec.title}: {spec.attribution or spec.description}")
        except layers.LayerError:
            lines.append(f"{name}: a layer given with the analysis (not a built-in layer)")
        if gdf is None or "source" not in gdf.columns or gdf.empty:
            continue
        sources = gdf["source"].fillna("").astype(str).str.replace(_ID_SUFFIX, "", regex=True)
        dates = (
            gdf["source_date"].fillna("").astype(str)
            if "source_date" in gdf.columns
            else pd.Series("", index=gdf.index)
        )
        cited = [f"{s} ({d})" if d else s for s, d in zip(sources, dates, strict=True) if s.strip()]
        unique = list(dict.fromkeys(cited))
        lines.extend(f"{name}: {c}" for c in unique[:MAX_SOURCES_PER_LAYER])
        if len(unique) > MAX_SOURCES_PER_LAYER:
            lines.append(
                f"{name}: and {len(unique) - MAX_SOURCES_PER_LAYER} more sources (see the layer's export)"
            )
    return list(dict.fromkeys(lines))


def network_sources(modes: Sequence[str]) -> list[str]:
    """The networks and average speeds behind figures by ``modes`` (multimodal: road and sea)."""
    out = []
    for mode in modes:
        parts = ["road", "sea"] if mode == "multimodal" else [mode]
        for part in parts:
            if part in NETWORK_ATTRIBUTION:
                out.append(NETWORK_ATTRIBUTION[part])
            if part in MODE_SPEED_SOURCES:
                out.append(f"Average {part} speed: {MODE_SPEED_SOURCES[part]}")
    return list(dict.fromkeys(out))


def context_layers(context: Mapping[str, gpd.GeoDataFrame] | None) -> list[MapLayer]:
    """The ``context`` layers, drawn faint under a result and labelled by their titles; not zoomed to."""
    import layers

    out = []
    for name, gdf in (context or {}).items():
        try:
            label = layers.spec(name).title
        except layers.LayerError:
            label = name
        out.append(
            MapLayer(
                gdf, label, color=LAYER_COLORS.get(name, "#546e7a"), marker_size=14, alpha=0.5, fit=False
            )
        )
    return out
