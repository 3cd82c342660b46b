"""The site-selection report (:func:`site_selection_report`).

Scored H3 candidates on the map, the best in a table, the score histogram and the ranking-stability
chart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from app.pdf import Chart, Report
from app.report.common import context_layers, layer_sources
from app.static_map import BASEMAP_ATTRIBUTION, MapLayer
from geo import InputError
from geo.settings import NETWORK_ATTRIBUTION


def _histogram(values: pd.Series, *, xlabel: str, color: str = "#1565c0") -> Callable[[Axes], None]:
    finite = pd.to_numeric(values, errors="coerce").dropna()

    def draw(ax: Axes) -> None:
        ax.hist(finite, bins=30, color=color)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("features")

    return draw


def _sensitivity(best: gpd.GeoDataFrame, weights: Mapping[str, float], *, top_n: int) -> pd.DataFrame | None:
    """The ranking stability of the best candidates, from their normalised criteria (None without them)."""
    from geo.siting import RAW_COLUMNS, sensitivity

    columns = [f"n_{c}" for c in RAW_COLUMNS]
    if top_n < 1 or not set(columns) <= set(best.columns):
        return None
    normalised = pd.DataFrame(best[columns]).rename(columns=lambda c: c.removeprefix("n_"))
    return sensitivity(normalised, weights, top_n=top_n)


def site_selection_report(
    scored: gpd.GeoDataFrame,
    *,
    weights: Mapping[str, float],
    parameters: Mapping[str, Any] | None = None,
    sensitivity: pd.DataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    top_n: int = 20,
    title: str = "Site selection",
) -> Report:
    """A report of a suitability analysis (:func:`geo.siting.suitability`).

    Parameters
    ----------
    scored : GeoDataFrame
        The scored candidates (hexagons or centres) with ``score`` and ``rank``, best first.
    weights : mapping, keyword-only
        Criterion weights used.
    parameters : mapping, optional, keyword-only
        Other parameters (region, resolution, demand radius, competition, exclusion...).
    sensitivity : DataFrame, optional, keyword-only
        :func:`geo.siting.sensitivity` (``share_in_top`` per top candidate): the ranking-stability
        chart. By default it is computed from the normalised criteria (``n_<criterion>`` columns)
        when ``scored`` has them (weights +/-20 %, 300 draws, seed 0, the app's settings).
    sites : GeoDataFrame, optional, keyword-only
        Chosen sites (location-allocation), drawn on top.
    context : mapping of layer name to GeoDataFrame, optional, keyword-only
        Layers drawn under the result and cited (the criteria's targets: demand, blocks, ports,
        facilities).
    top_n : int, keyword-only
        Rows of the table (the best candidates), outlined on the map.
    title : str, keyword-only
        The report's title.
    """
    if "score" not in scored.columns:
        msg = "scored: expected the output of geo.siting.suitability (a 'score' column)"
        raise InputError(msg)
    best = scored.sort_values("score", ascending=False, kind="stable")
    top = best.head(top_n)
    top_outline = top.assign(label=(top["rank"] if "rank" in top.columns else range(1, len(top) + 1)))
    map_layers = [
        MapLayer(best, "candidate score", column="score", cmap="viridis", marker_size=4),
        *context_layers(context),
        MapLayer(
            top_outline.head(10).assign(geometry=top_outline.head(10).geometry.representative_point()),
            f"best {min(10, len(top))} (rank)",
            color="#d50000",
            marker_size=30,
            labels="label",
        ),
    ]
    if sites is not None and len(sites):
        map_layers.append(MapLayer(sites, "chosen sites", color="#ff6f00", marker_size=60))
    columns = [c for c in top.columns if c not in ("geometry",) and not c.startswith("n_")]
    charts = [Chart(f"Scores of all {len(scored):,} candidates", _histogram(scored["score"], xlabel="score"))]
    if sensitivity is None:
        sensitivity = _sensitivity(best, weights, top_n=min(10, len(best)))
    if sensitivity is not None and len(sensitivity):
        shares = sensitivity["share_in_top"].to_numpy()
        cells = scored["cell"] if "cell" in scored.columns else scored.index.to_series()
        names = [str(cells.get(i, i)) for i in sensitivity.index]

        def stability(ax: Axes) -> None:
            ax.barh(range(len(shares))[::-1], shares, color="#2e7d32")
            ax.set_yticks(range(len(shares))[::-1], names, fontsize=5.5)
            ax.set_xlim(0, 1)
            ax.set_xlabel("share of draws in the top")

        charts.append(
            Chart(
                "Ranking stability",
                stability,
                caption="Share of weight draws (each weight varied) in which each of the baseline best "
                "candidates stays among the best.",
            )
        )
    all_parameters = {**{f"weight: {k}": v for k, v in weights.items()}, **dict(parameters or {})}
    return Report(
        title=title,
        analysis="Site selection (weighted suitability on an H3 grid)",
        map_layers=map_layers,
        table=pd.DataFrame(top[columns]),
        table_title=f"The best {len(top)} candidates",
        parameters=all_parameters,
        charts=charts,
        sources=[BASEMAP_ATTRIBUTION, *layer_sources(dict(context or {})), NETWORK_ATTRIBUTION["road"]],
        summary={
            "candidates scored": len(scored),
            "best score": float(best["score"].iloc[0]) if len(best) else np.nan,
        },
        notes=[
            "Criteria are measured with exact WGS84 geodesic distances, normalised 0-1 over the candidates "
            "(1 = best) and combined as the weighted sum of the weights listed.",
            "Candidates are H3 cells (hexagonal grid); a cell stands for its centre.",
        ],
    )
