"""The service-area report (:func:`service_area_report`).

The bands reachable from each origin on the map, and the feedstock population inside each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.axes import Axes

from app.pdf import Chart, Report
from app.report.common import context_layers, layer_sources, network_sources
from app.static_map import BASEMAP_ATTRIBUTION, MapLayer


def service_area_report(
    areas: gpd.GeoDataFrame,
    *,
    origins: gpd.GeoDataFrame | None = None,
    origins_layer: str = "origins",
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    parameters: Mapping[str, Any] | None = None,
    title: str = "Service areas",
) -> Report:
    """A report of service areas (:func:`geo.service_area.service_areas`): bands on the map, figures per band.

    Parameters
    ----------
    areas : GeoDataFrame
        The service areas (one row per origin and band).
    origins : GeoDataFrame, optional, keyword-only
        The origins, drawn and cited under ``origins_layer`` (e.g. ``facilities``).
    origins_layer : str, keyword-only
        Layer name of the origins, for the sources.
    context : mapping of layer name to GeoDataFrame, optional, keyword-only
        Layers drawn and cited (the demand counted inside, facilities).
    parameters : mapping, optional, keyword-only
        Other parameters (access km, grid km...).
    title : str, keyword-only
        The report's title.
    """
    band = "band_h" if "band_h" in areas.columns else "band_km"
    unit = "h" if band == "band_h" else "km"
    bands = sorted(areas[band].unique(), reverse=True)
    ramp = matplotlib.colormaps["YlGnBu"]
    map_layers = context_layers(context)
    for k, value in enumerate(bands):
        map_layers.append(
            MapLayer(
                areas[areas[band] == value],
                f"within {value:g} {unit}",
                color=matplotlib.colors.to_hex(ramp(0.3 + 0.6 * k / max(len(bands) - 1, 1))),
                alpha=0.55,
            )
        )
    if origins is not None:
        map_layers.append(MapLayer(origins, "origins", color="#d50000", marker_size=30))

    def population(ax: Axes) -> None:
        table = areas.pivot_table(
            index="origin_id", columns=band, values="feedstock_population", aggfunc="sum"
        )
        table.plot.bar(
            ax=ax,
            color=[ramp(0.3 + 0.6 * k / max(len(table.columns) - 1, 1)) for k in range(len(table.columns))][
                ::-1
            ],
            width=0.8,
        )
        ax.set_ylabel("people inside")
        ax.set_xlabel("")
        ax.legend(title=unit, fontsize=6, title_fontsize=6)

    modes = sorted(areas["mode"].unique()) if "mode" in areas.columns else []
    columns = [c for c in areas.columns if c not in ("geometry", "facility_ids")]
    return Report(
        title=title,
        analysis="Service areas on the transport networks",
        map_layers=map_layers,
        table=pd.DataFrame(areas[columns]),
        table_title="Each origin and band",
        parameters={
            "bands": ", ".join(f"{v:g} {unit}" for v in sorted(bands)),
            "modes": ", ".join(modes),
            **dict(parameters or {}),
        },
        charts=[Chart("Feedstock population inside each band", population)]
        if "feedstock_population" in areas.columns
        else [],
        sources=[
            BASEMAP_ATTRIBUTION,
            *network_sources(modes),
            *layer_sources(
                {**dict(context or {}), **({origins_layer: origins} if origins is not None else {})}
            ),
        ],
        summary={"origins": areas["origin_id"].nunique(), "bands": len(bands)},
        notes=[
            "A place is inside a band when origin -> network -> place fits the band, both straight legs "
            "off the "
            "network (at most access_km at the far end) counted at the mode's speed.",
        ],
    )
