"""The corridor report (:func:`corridor_report`).

A route's corridor on the map and the features within it, by chainage and side of the route.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes

from app.pdf import Chart, Report
from app.report.common import layer_sources
from app.static_map import BASEMAP_ATTRIBUTION, LAYER_COLORS, MapLayer
from geo.settings import WGS84


def corridor_report(
    route: shapely.Geometry,
    polygon: shapely.Geometry,
    inside: gpd.GeoDataFrame,
    summary: Mapping[str, Any],
    *,
    width_km: float,
    route_name: str,
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    parameters: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> Report:
    """A report of a corridor analysis (``app.workflows.corridor``'s result).

    Parameters
    ----------
    route : LineString
        The route, lon/lat.
    polygon : Polygon or MultiPolygon
        The corridor (:func:`geo.corridor.corridor_polygon`).
    inside : GeoDataFrame
        Features inside, with ``layer``, ``distance_to_route_km``, ``chainage_km`` and ``side``.
    summary : mapping
        :func:`geo.corridor.corridor_summary` (``route_km``, ``area_km2``, ``population``...).
    width_km : float, keyword-only
        Half-width of the corridor.
    route_name : str, keyword-only
        Name of the route.
    context : mapping of layer name to GeoDataFrame, optional, keyword-only
        The layers searched (cited; their features inside are drawn by layer).
    parameters : mapping, optional, keyword-only
        Other parameters.
    title : str, optional, keyword-only
        Default: "Corridor of ROUTE".
    """
    frames = {"corridor": gpd.GeoDataFrame(geometry=[polygon], crs=WGS84)}
    map_layers = [MapLayer(frames["corridor"], f"corridor ±{width_km:g} km", color="#ffb300", alpha=0.35)]
    map_layers.append(
        MapLayer(gpd.GeoDataFrame(geometry=[route], crs=WGS84), "route", color="#6d4c41", linewidth=2.2)
    )
    by_layer = (
        dict(tuple(inside.groupby("layer", sort=False)))
        if "layer" in inside.columns
        else {"features": inside}
    )
    for name, part in by_layer.items():
        map_layers.append(
            MapLayer(
                gpd.GeoDataFrame(part, geometry="geometry", crs=inside.crs),
                f"{name} inside",
                color=LAYER_COLORS.get(str(name), "#546e7a"),
            )
        )
    columns = [
        c
        for c in (
            "layer",
            "id",
            "name",
            "kind",
            "country",
            "population",
            "distance_to_route_km",
            "chainage_km",
            "side",
        )
        if c in inside.columns
    ]

    def along(ax: Axes) -> None:
        for name, part in by_layer.items():
            ax.scatter(
                part["chainage_km"],
                np.where(part["side"] == "left", 1, -1) * part["distance_to_route_km"],
                s=10,
                color=LAYER_COLORS.get(str(name), "#546e7a"),
                label=str(name),
            )
        ax.axhline(0, color="#6d4c41", linewidth=1)
        ax.set_xlabel("km along the route")
        ax.set_ylabel("km left (+) / right (-)")
        ax.legend(fontsize=6)

    counts = summary.get("counts")
    # the layers searched are cited; the records of those inside, and the route's own records
    cited = {name: gdf if name == "routes" else gdf.iloc[0:0] for name, gdf in (context or {}).items()}
    cited.update({str(name): part for name, part in by_layer.items()})
    return Report(
        title=title or f"Corridor of {route_name}",
        analysis="Corridor analysis: what lies within a width of a route",
        map_layers=map_layers,
        table=pd.DataFrame(inside[columns]) if columns else pd.DataFrame(),
        table_title=f"{len(inside):,} features within {width_km:g} km, by chainage",
        parameters={"route": route_name, "half-width km": width_km, **dict(parameters or {})},
        charts=[
            Chart(
                "Features along the route", along, caption="Each feature at its chainage and signed distance."
            )
        ]
        if len(inside)
        else [],
        sources=[BASEMAP_ATTRIBUTION, *layer_sources(cited)],
        summary={
            "route km": summary.get("route_km", np.nan),
            "corridor km2": summary.get("area_km2", np.nan),
            "features inside": len(inside),
            "population inside": summary.get("population", np.nan),
            **(
                {
                    "features by layer": ", ".join(
                        f"{r.layer} {r.features}"
                        for r in counts.groupby("layer", as_index=False)["features"].sum().itertuples()
                    )
                }
                if isinstance(counts, pd.DataFrame) and len(counts)
                else {}
            ),
        },
        notes=[
            "Distances are WGS84 geodesics from each feature to the route; the corridor polygon is "
            "correct to 0.1 % of its width."
        ],
    )
