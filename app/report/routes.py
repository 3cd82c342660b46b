"""The route report (:func:`route_comparison_report`).

The routes between two places by several modes, side by side, cited down to the networks, speeds,
CO2e and freight costs behind their figures.
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
from app.report.common import context_layers, layer_sources, network_sources
from app.static_map import BASEMAP_ATTRIBUTION, MODE_COLORS, MapLayer, drawable
from geo import InputError
from geo.settings import INR_PER_USD_SOURCE, MODE_CO2E_SOURCE, MODE_COST_SOURCE, TRANSFER_SOURCES, WGS84


def _route_sources(routes: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """Networks, speeds, CO2e, freight costs and transfers behind a set of routes' figures."""
    legs = pd.concat([pd.DataFrame(legs.drop(columns="geometry")) for legs in routes.values()])
    modes = sorted(set(legs["mode"].astype(str))) if "mode" in legs.columns else list(routes)
    out = [*network_sources(modes), f"CO2e intensities: {MODE_CO2E_SOURCE}"]
    if "cost_usd" in legs.columns:
        out += [f"Freight cost per tonne-km: {MODE_COST_SOURCE}", f"Exchange rate: {INR_PER_USD_SOURCE}"]
    done = set(legs["transfer"].astype(str)) if "transfer" in legs.columns else set()
    for kind, sources in TRANSFER_SOURCES.items():
        if any(kind in t or (kind == "port" and "sea" in t) for t in done if t):
            out += [f"Transfer ({kind}) {what}: {text}" for what, text in sources.items()]
    return out


def route_comparison_report(
    routes: Mapping[str, gpd.GeoDataFrame],
    *,
    origin: str,
    destination: str,
    parameters: Mapping[str, Any] | None = None,
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    title: str | None = None,
) -> Report:
    """A report comparing the routes between two places by several modes (:func:`geo.network.route`).

    Parameters
    ----------
    routes : mapping of mode to legs
        Each mode's legs (``length_km``, ``hours``, ``co2e_t``, ``access_km``, ...).
    origin, destination : str, keyword-only
        Names of the two ends.
    parameters : mapping, optional, keyword-only
        Tonnes, objective, and so on.
    context : mapping of layer name to GeoDataFrame, optional, keyword-only
        Layers drawn and cited (the ports used by a multimodal route, the end features).
    title : str, optional, keyword-only
        Default: "Routes from ORIGIN to DESTINATION".
    """
    if not routes:
        msg = "routes: expected at least one mode's legs, got none"
        raise InputError(msg)
    from geo.network import route_totals

    rows = []
    for mode, legs in routes.items():
        row: dict[str, Any] = {"mode": mode, **route_totals(legs)}
        row["access_km"] = float(legs["access_km"].sum()) if "access_km" in legs else np.nan
        row["legs"] = len(legs)
        rows.append(row)
    totals = pd.DataFrame(rows)
    ends = []
    for legs in routes.values():
        coords = [shapely.get_coordinates(g) for g in drawable(legs, "legs").geometry.values]
        if coords:
            ends = [coords[0][0], coords[-1][-1]]
            break
    map_layers = context_layers(context)
    map_layers += [
        MapLayer(legs, f"{mode}", color=MODE_COLORS.get(mode, "#455a64"), linewidth=2.0)
        for mode, legs in routes.items()
    ]
    if ends:
        map_layers.append(
            MapLayer(
                gpd.GeoDataFrame(
                    {"name": [origin, destination]},
                    geometry=[shapely.Point(e[0], e[1]) for e in ends],
                    crs=WGS84,
                ),
                "origin and destination",
                color="#212121",
                marker_size=40,
                labels="name",
            )
        )

    def comparison(ax: Axes) -> None:
        metrics = [("length_km", "km"), ("hours", "hours"), ("co2e_t", "t CO2e")]
        if "cost_usd" in totals.columns:
            metrics.append(("cost_usd", "US$"))
        modes = totals["mode"].tolist()
        x = np.arange(len(metrics))
        step = 0.8 / max(len(modes), 1)
        for k, mode in enumerate(modes):
            row = totals[totals["mode"] == mode].iloc[0]
            peak = [float(totals[m].max()) or 1.0 for m, _ in metrics]
            values = [float(row[m]) / p for (m, _), p in zip(metrics, peak, strict=True)]
            ax.bar(x + k * step, values, width=step, color=MODE_COLORS.get(mode, "#455a64"), label=mode)
        ax.set_xticks(x + step * (len(modes) - 1) / 2, [label for _, label in metrics])
        ax.set_ylabel("share of the largest")
        ax.legend(fontsize=6)

    legs_table = pd.concat(
        [
            pd.DataFrame(legs.drop(columns="geometry")).assign(route_mode=mode)
            for mode, legs in routes.items()
        ],
        ignore_index=True,
    )
    keep = [
        c
        for c in (
            "route_mode",
            "leg",
            "mode",
            "from_name",
            "to_name",
            "length_km",
            "access_km",
            "hours",
            "co2e_t",
        )
        if c in legs_table.columns
    ]
    return Report(
        title=title or f"Routes from {origin} to {destination}",
        analysis="Route comparison by mode on the road, rail and sea networks",
        map_layers=map_layers,
        table=pd.concat(
            [totals, legs_table[keep].rename(columns={"route_mode": "mode", "mode": "leg_mode"})],
            ignore_index=True,
        ),
        table_title="Modes side by side (totals), then each leg",
        parameters={"origin": origin, "destination": destination, **dict(parameters or {})},
        charts=[
            Chart(
                "Mode comparison",
                comparison,
                caption="Length, hours, tonnes CO2e (and freight cost) of each mode, as a share of the "
                "largest; the table holds the figures.",
            )
        ],
        sources=[
            BASEMAP_ATTRIBUTION,
            *_route_sources(routes),
            *layer_sources(dict(context or {})),
        ],
        summary={
            f"{r['mode']}": f"{r['length_km']:,.0f} km, {r['hours']:,.1f} h, {r['co2e_t']:,.3f} t CO2e"
            for r in totals.to_dict("records")
        },
        notes=[
            "Shortest paths are exact on the networks (A* with a geodesic lower bound); the straight legs to "
            "and from the network (access_km) are included in every figure.",
            "Hours use each mode's average door-to-door speed; CO2e is direct (tank-to-wheel) emissions.",
        ],
    )
