"""Service areas tab: what is reachable within several bands of hours or km of origins, by road or rail."""

from __future__ import annotations

import html
import math
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app import drawing, exports, find
from app.cache import service_area_result, workspace
from app.context import PageContext
from app.mapview import fit_target, show_map
from app.widgets import download, md, save
from geo import CRSError, InputError
from geo.settings import MODE_SPEED_KMH, MODE_SPEED_SOURCES
from layers.map import bounds_of, map_parts
from layers.results import point_group
from layers.service_areas import band_column, legend_entries, service_area_group

#: Where the origins come from: label -> layer (None: a clicked or drawn point).
SOURCES: dict[str, str | None] = {
    "Facilities": "facilities",
    "Ports": "ports",
    "Lithium blocks": "lithium_blocks",
    "Demand cities": "demand",
    "Clicked point": None,
    "Drawn points": None,
}
#: Origins picked at first, by layer.
DEFAULT_ORIGINS: dict[str, list[str]] = {"facilities": ["lohum-greater-noida-li"]}
#: Most origins at once (each is one Dijkstra and one grid).
MAX_ORIGINS = 10
#: Most bands, and the default bands of each unit.
MAX_BANDS = 6
DEFAULT_BANDS = {"hours": "4, 8, 12", "km": "100, 250, 500"}
#: Largest band in km on the network (the widest Indian trip is under 4,000 km).
MAX_BAND_KM = 5000.0


def parse_bands(text: str, *, unit: str, mode: str) -> list[float]:
    """Band values from comma-separated text.

    Raises
    ------
    ValueError
        With the reason: not numbers, none, too many, not positive, or beyond :data:`MAX_BAND_KM`.
    """
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        msg = f"expected numbers of {unit} separated by commas, got {text!r}"
        raise ValueError(msg) from None
    if not values:
        msg = f"expected at least one band in {unit}"
        raise ValueError(msg)
    if len(set(values)) > MAX_BANDS:
        msg = f"at most {MAX_BANDS} bands at once, got {len(set(values))}"
        raise ValueError(msg)
    scale = MODE_SPEED_KMH[mode] if unit == "hours" else 1.0
    for v in values:
        if not (math.isfinite(v) and 0 < v * scale <= MAX_BAND_KM):
            limit = f"at most {MAX_BAND_KM:,.0f} km on the network"
            msg = f"each band must be above 0 and {limit}, got {v:g} {unit}"
            raise ValueError(msg)
    return sorted(set(values))


def _origins(ctx: PageContext, where: Any, source: str) -> list[str]:
    """The origins picked: feature ids, or ``lon,lat`` of a clicked or drawn point."""
    layer = SOURCES[source]
    if layer is not None:
        frame = ctx.frames[layer]
        names = dict(zip(frame["id"].astype(str), frame["name"].astype(str), strict=True))
        return where.multiselect(
            f"{source} ({len(names)})",
            list(names),
            default=[i for i in DEFAULT_ORIGINS.get(layer, []) if i in names],
            format_func=lambda i: names.get(i, i),
            key=f"sa_origins_{layer}",
            bind="query-params",
            max_selections=MAX_ORIGINS,
        )
    if source == "Clicked point":
        last = (st.session_state.get("sa_map") or {}).get("last_clicked")
        if not last:
            where.caption("Click the map to place the origin.")
            return []
        where.caption(
            f"Origin: the clicked point {last['lat']:.4f}, {last['lng']:.4f} (click again to move it)."
        )
        return [f"{last['lng']:.6f},{last['lat']:.6f}"]
    points = drawing.kept()
    points = points[points["shape"] == "point"] if len(points) else points
    if points.empty:
        where.caption("No drawn points: draw points on the Map tab (marker tool), then come back.")
        return []
    where.caption(f"Origins: the {len(points)} point{'s' if len(points) != 1 else ''} drawn on the Map tab.")
    return [f"{lon:.6f},{lat:.6f}" for lon, lat in zip(points["lon"], points["lat"], strict=True)][
        :MAX_ORIGINS
    ]


def render(ctx: PageContext) -> None:
    """Origins, network, bands; the areas on the map, their figures, downloads and saving."""
    c1, c2, c3, c4 = st.columns([2, 4, 2, 2])
    source = c1.radio("Origins from", list(SOURCES), key="sa_source", bind="query-params")
    refs = _origins(ctx, c2, source)
    mode = c3.radio("Network", ["road", "rail"], key="sa_mode", bind="query-params", horizontal=True)
    unit = c3.radio("Bands in", ["hours", "km"], key="sa_unit", bind="query-params", horizontal=True)
    text = c4.text_input(
        f"Bands ({unit}, comma-separated)",
        DEFAULT_BANDS[unit],
        key=f"sa_bands_{unit}",
        bind="query-params",
    )
    merge = c4.toggle(
        "One area for all origins",
        key="sa_merge",
        bind="query-params",
        help="Each place is served by its nearest origin; otherwise one area per origin and band",
    )
    st.caption(
        f"Hours are travel at the mode's average speed: road {MODE_SPEED_KMH['road']:.1f} km/h "
        f"({md(MODE_SPEED_SOURCES['road'])}); rail {MODE_SPEED_KMH['rail']:g} km/h "
        f"({md(MODE_SPEED_SOURCES['rail'])})."
    )
    try:
        bands = parse_bands(text, unit=unit, mode=mode)
    except ValueError as exc:
        st.error(f"Bands: {md(exc)}")
        return
    if not refs:
        st.info("Pick at least one origin.")
        _map(ctx, None, None, source)
        return
    try:
        areas, origins = service_area_result(
            tuple(refs),
            mode,
            tuple(bands) if unit == "hours" else None,
            tuple(bands) if unit == "km" else None,
            bool(merge),
        )
    except (InputError, CRSError) as exc:
        st.error(f"Cannot compute the service areas: {md(exc)}")
        _map(ctx, None, None, source)
        return
    _map(ctx, areas, origins, source)
    _results(ctx, areas, origins, source=source, mode=mode, unit=unit, bands=bands, merge=bool(merge))


def _facility_names(ctx: PageContext) -> dict[str, str]:
    frame = ctx.frames["facilities"]
    return dict(zip(frame["id"].astype(str), frame["name"].astype(str), strict=True))


def _map(
    ctx: PageContext, areas: gpd.GeoDataFrame | None, origins: gpd.GeoDataFrame | None, source: str
) -> None:
    """The areas (one colour ramp by band, legend above), the origins and the facilities inside."""
    overlays = []
    shown: dict[str, gpd.GeoDataFrame] = {}
    if areas is not None and len(areas):
        overlays.append(service_area_group(areas, facility_names=_facility_names(ctx)))
        inside = set(";".join(areas["facility_ids"]).split(";")) - {""}
        facilities = ctx.frames["facilities"]
        shown["facilities"] = facilities[facilities["id"].astype(str).isin(inside)]
        mode = str(areas["mode"].iloc[0])
        swatches = " ".join(
            f"<span style='background:{html.escape(e.color)};padding:0 10px;opacity:.8'>&nbsp;</span> "
            f"{html.escape(e.label)}"
            for e in legend_entries(areas, mode=mode)
        )
        st.markdown(f"Service areas: {swatches}", unsafe_allow_html=True)
    if origins is not None:
        for row in origins.itertuples():
            overlays.append(
                point_group(row.geometry.x, row.geometry.y, label=str(row.name), name=f"Origin: {row.name}")
            )
    picked = find.table_focus("sa_table", areas, label=_row_label) if areas is not None else None
    overlays += find.focus_overlays(picked, name="Picked")
    fit_frames = [f for f in (areas, origins) if f is not None and len(f)]
    if picked:
        fit_frames = [gpd.GeoDataFrame(geometry=[picked["geometry"]], crs="EPSG:4326")]
    fit = fit_target(
        bounds_of(*fit_frames) if fit_frames else None,
        what=f"service-areas|{picked['token'] if picked else len(overlays)}",
        label="Fit the map to the service areas",
    )
    if source == "Clicked point":
        st.caption("Click the map to place the origin.")
    parts = map_parts(shown, basemap=ctx.basemap, overlays=overlays, specs=ctx.user_specs, fit=fit)
    show_map(parts, key="sa_map", returned_objects=["last_clicked"] if source == "Clicked point" else [])


def _row_label(row: pd.Series) -> str:
    column = "band_h" if "band_h" in row.index else "band_km"
    unit = "h" if column == "band_h" else "km"
    return f"{row['origin_name']}: within {row[column]:g} {unit} by {row['mode']}"


def _results(
    ctx: PageContext,
    areas: gpd.GeoDataFrame,
    origins: gpd.GeoDataFrame,
    *,
    source: str,
    mode: str,
    unit: str,
    bands: list[float],
    merge: bool,
) -> None:
    """The figures per origin and band, a chart, downloads (GeoJSON, PDF) and saving."""
    column, short = band_column(areas)
    names = _facility_names(ctx)
    table = pd.DataFrame(areas.drop(columns="geometry"))
    table["facilities"] = [
        ", ".join(names.get(i, i) for i in str(ids).split(";") if i) for ids in table["facility_ids"]
    ]
    shown = [
        column,
        "origin_name",
        "mode",
        "area_km2",
        "feedstock_population",
        "demand_points",
        "facilities_inside",
        "facilities",
        "budget_km",
        "origin_access_km",
        "reached_nodes",
    ]
    st.subheader("Each origin and band")
    st.caption("Pick a row to highlight its area on the map.")
    st.dataframe(
        table[shown].round({"area_km2": 0, "feedstock_population": 0, "budget_km": 1, "origin_access_km": 2}),
        hide_index=True,
        width="stretch",
        key="sa_table",
        on_select="rerun",
        selection_mode="single-row",
    )
    access, grid = float(areas["access_km"].iloc[0]), float(areas["grid_km"].iloc[0])
    st.caption(
        f"A place is inside a band when the origin's straight leg to the {mode} network, the shortest path "
        f"on it and a straight leg of at most {access:g} km off it fit the band. The polygons buffer the "
        f"reached network by the budget left (traced on a {grid:g} km grid): unlike a concave hull of the "
        "reached nodes they do not span bays or borders no road crosses. Feedstock population: the "
        "Indian cities of the demand layer inside; areas on the WGS84 ellipsoid."
    )
    if len(set(table["origin_name"])) * len(bands) > 1:
        chart = table.pivot_table(
            index=column, columns="origin_name", values="feedstock_population", aggfunc="sum"
        )
        chart.index = [f"{v:g} {short}" for v in chart.index]
        st.caption("Feedstock population inside each band")
        st.bar_chart(chart, height=220, stack=False)
    d1, d2, d3 = st.columns(3)
    stem = f"service-areas-{mode}-{'-'.join(f'{b:g}' for b in bands)}{short}"
    download(
        d1,
        f"Service areas (GeoJSON, {len(areas)})",
        areas,
        ("service-areas", mode, unit, str(merge), *origins["id"], *map(str, bands)),
        "geojson",
        stem,
        "sa_download",
    )
    layer = SOURCES.get(source)

    def build() -> Any:
        from app.report import service_area_report
        from app.tools import parameters_text

        inside = set(";".join(areas["facility_ids"]).split(";")) - {""}
        facilities = ctx.frames["facilities"]
        context = {
            "demand": ctx.frames["demand"],
            "facilities": facilities[facilities["id"].astype(str).isin(inside)],
        }
        if layer is not None:
            frame = ctx.frames[layer]
            picked = frame[frame["id"].astype(str).isin(origins["id"])]
            context[layer] = (
                pd.concat([context[layer], picked]).drop_duplicates("id") if layer in context else picked
            )
        return service_area_report(
            areas,
            origins=origins,
            origins_layer=layer or "origins",
            context=context,
            parameters=parameters_text(
                {
                    "origins": list(origins["name"]),
                    "mode": mode,
                    unit: bands,
                    "one area for all origins (merge)": "yes" if merge else "no",
                    "longest leg off the network km": access,
                    "grid cell km": grid,
                }
            ),
            title=f"Service areas by {mode}: {', '.join(origins['name'])}"[:150],
        )

    exports.report_button(d2, build, key="sa_report", file_name=f"{stem}.pdf")
    name = d3.text_input(
        "Save as", f"service areas {mode} {', '.join(f'{b:g}' for b in bands)} {short}", key="sa_save_name"
    )
    if d3.button("Save to the workspace", key="sa_save"):
        save(
            lambda: workspace(ctx.user).save(
                name, areas, kind="analysis", source=f"Service areas tab: {', '.join(origins['name'])}"
            ),
            name,
        )
