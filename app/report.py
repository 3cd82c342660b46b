"""Analysis reports as PDF: what each of the atlas's analyses puts in its report, and the sources.

Builders: :func:`site_selection_report`, :func:`route_comparison_report`, :func:`corridor_report`,
:func:`service_area_report`; each returns a :class:`Report` (a title, the layers of its map, a result
table, charts, parameters, notes and every source: the attribution of each layer shown and the
``source`` of each record drawn, :func:`layer_sources`). Then :func:`report_pdf` (bytes) or
:func:`write_report` (a file, written atomically). :func:`static_map_png` draws any layers as a PNG.

Where the rest lives: the document and its PDF typesetting in :mod:`app.pdf`, the map drawing in
:mod:`app.static_map`; their public names are importable from here too. This module stays whole at
about 600 lines: four builders, one per analysis, each read on its own and kept side by side so
that the reports stay alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes

from app.pdf import MAX_TABLE_ROWS, Chart, Report, report_pdf, write_report
from app.static_map import (
    BASEMAP_ATTRIBUTION,
    LAYER_COLORS,
    MODE_COLORS,
    MapLayer,
    drawable,
    map_bounds,
    scale_bar_km,
    static_map_png,
)
from geo import InputError
from geo.settings import (
    INR_PER_USD_SOURCE,
    MODE_CO2E_SOURCE,
    MODE_COST_SOURCE,
    MODE_SPEED_SOURCES,
    NETWORK_ATTRIBUTION,
    TRANSFER_SOURCES,
    WGS84,
)

__all__ = [
    "BASEMAP_ATTRIBUTION",
    "MAX_SOURCES_PER_LAYER",
    "MAX_TABLE_ROWS",
    "Chart",
    "MapLayer",
    "Report",
    "corridor_report",
    "layer_sources",
    "map_bounds",
    "report_pdf",
    "route_comparison_report",
    "scale_bar_km",
    "service_area_report",
    "site_selection_report",
    "static_map_png",
    "write_report",
]

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


def _route_sources(routes: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """Networks, speeds, CO2e, freight costs and transfers behind a set of routes' figures."""
    legs = pd.concat([pd.DataFrame(legs.drop(columns="geometry")) for legs in routes.values()])
    modes = sorted(set(legs["mode"].astype(str))) if "mode" in legs.columns else list(routes)
    out = [*_network_sources(modes), f"CO2e intensities: {MODE_CO2E_SOURCE}"]
    if "cost_usd" in legs.columns:
        out += [f"Freight cost per tonne-km: {MODE_COST_SOURCE}", f"Exchange rate: {INR_PER_USD_SOURCE}"]
    done = set(legs["transfer"].astype(str)) if "transfer" in legs.columns else set()
    for kind, sources in TRANSFER_SOURCES.items():
        if any(kind in t or (kind == "port" and "sea" in t) for t in done if t):
            out += [f"Transfer ({kind}) {what}: {text}" for what, text in sources.items()]
    return out


def _network_sources(modes: Sequence[str]) -> list[str]:
    out = []
    for mode in modes:
        parts = ["road", "sea"] if mode == "multimodal" else [mode]
        for part in parts:
            if part in NETWORK_ATTRIBUTION:
                out.append(NETWORK_ATTRIBUTION[part])
            if part in MODE_SPEED_SOURCES:
                out.append(f"Average {part} speed: {MODE_SPEED_SOURCES[part]}")
    return list(dict.fromkeys(out))


def _context_layers(context: Mapping[str, gpd.GeoDataFrame] | None) -> list[MapLayer]:
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
        *_context_layers(context),
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
    map_layers = _context_layers(context)
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
    map_layers = _context_layers(context)
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
            *_network_sources(modes),
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
