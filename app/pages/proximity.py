"""Proximity tab: nearest targets of every source, range rings, nearest to a clicked point."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

import layers
from app import find
from app.cache import nearest_result, workspace
from app.context import PageContext
from app.mapview import fit_target, show_map
from app.widgets import (
    MAX_RING_KM,
    approximate_toggle,
    download,
    histogram,
    ids,
    md,
    parse_radii,
    save,
    shown_as,
)
from geo import CRSError, InputError
from geo.proximity import geodesic_circle, nearest, nearest_lines
from geo.settings import EXPORT_FORMATS, MAX_DRAWN_FEATURES
from layers import labels
from layers.map import bounds_of, map_parts
from layers.results import nearest_lines_group, point_group, range_rings_group

#: URL parameter of the clicked point (``prox_click=lat,lon``): a shared link keeps it.
CLICK_PARAM = "prox_click"


def clicked_point() -> tuple[float, float] | None:
    """The clicked point as (lon, lat): a new click on the map, else the one in the link."""
    last = (st.session_state.get("prox_map") or {}).get("last_clicked")
    if last and last != st.session_state.get("_prox_click_seen"):
        st.session_state["_prox_click_seen"] = last
        st.query_params[CLICK_PARAM] = f"{last['lat']:.5f},{last['lng']:.5f}"
    text = st.query_params.get(CLICK_PARAM)
    if not text:
        return None
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        st.warning(f"The link's clicked point {CLICK_PARAM}={text!r} is not 'lat,lon': it is left out")
        del st.query_params[CLICK_PARAM]
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        st.warning(f"The link's clicked point {CLICK_PARAM}={text!r} is off the globe: it is left out")
        del st.query_params[CLICK_PARAM]
        return None
    return lon, lat


def _layer_choice(
    ctx: PageContext, where: Any, label: str, options: list[str], default: str, *, key: str
) -> str:
    """A list of layers by title, at first on ``default`` when it is offered (else the first)."""
    choice: str = where.selectbox(
        label,
        options,
        index=options.index(default) if default in options else 0,
        format_func=shown_as(key, ctx.title),
        key=key,
        bind="query-params",
    )
    return choice


def render(ctx: PageContext) -> None:
    """Nearest targets of every source, range rings around a feature, nearest to a clicked point."""
    indexed = {n: layers.by_id(g) for n, g in ctx.shown.items() if len(g)}
    point_layers = [n for n, g in indexed.items() if set(g.geometry.geom_type) == {"Point"}]
    if not point_layers:
        st.info("Show at least one point layer (sidebar) to compute distances.")
        return
    c1, c2, c3, c4 = st.columns(4)
    source = _layer_choice(ctx, c1, "Sources", point_layers, "demand", key="prox_source")
    target = _layer_choice(ctx, c2, "Targets", list(indexed), "facilities", key="prox_target")
    k = int(
        c3.number_input(
            "Nearest k",
            min_value=1,
            max_value=min(10, len(indexed[target])),
            value=1,
            key="prox_k",
            bind="query-params",
        )
    )
    max_km = c4.number_input(
        "Max distance (km, 0 = none)",
        min_value=0.0,
        max_value=20_000.0,
        value=0.0,
        step=50.0,
        key="prox_max_km",
        bind="query-params",
    )
    t1, t2 = st.columns(2)
    include_placeholders = approximate_toggle(t1, key="prox_approximate", what="Targets")
    include_venues = t2.toggle(
        "Include places that are not facilities",
        key="prox_venues",
        bind="query-params",
        help="Venues such as a conference place are left out of the targets by default",
    )
    sources = indexed[source]
    targets = layers.analysis_targets(
        indexed[target], include_placeholders=include_placeholders, include_venues=include_venues
    )
    left_out = {why: ids_ for why, ids_ in targets.attrs.get("left_out", {}).items() if ids_}
    if left_out:
        st.caption(
            "Left out of the targets: "
            + "; ".join(f"{len(v)} {why} ({md(', '.join(map(str, v)))})" for why, v in left_out.items())
        )
    if targets.empty:
        st.info("No target left: include approximate locations or places, or pick another layer.")
        return
    try:
        lines = nearest_result(
            sources, targets, (source, target, ids(sources), ids(targets)), k, max_km * 1000.0 or None
        )
    except (InputError, CRSError) as exc:
        st.error(f"Cannot compute distances: {md(exc)}")
        return
    if lines.get("target_approximate_location", pd.Series(dtype=bool)).any():
        st.warning("Some nearest targets are approximate locations (region or country level): see the table.")

    r1, r2 = st.columns([2, 1])
    features = {
        f"{ctx.title(n)}: {name}": (n, i)
        for n, g in indexed.items()
        for i, name in zip(g.index, g["name"] if "name" in g else g.index, strict=True)
    }
    ring_choice = r1.selectbox(
        "Range rings around", ["(none)", *features], key="prox_ring_feature", bind="query-params"
    )
    radii_text = r2.text_input(
        "Ring radii (km, comma-separated)", "100, 250, 500", key="prox_ring_radii", bind="query-params"
    )
    drawn_lines = (
        lines.nsmallest(MAX_DRAWN_FEATURES, "distance_m") if len(lines) > MAX_DRAWN_FEATURES else lines
    )
    if len(drawn_lines) < len(lines):
        st.info(
            f"The map draws the {len(drawn_lines):,} shortest of {len(lines):,} lines; "
            "the table and the download have them all."
        )
    overlays = [nearest_lines_group(drawn_lines, name=f"Nearest {ctx.title(target).lower()}")]
    fit = fit_target(
        bounds_of(sources, targets),
        what=f"nearest|{source}|{target}|{len(sources)}|{len(targets)}",
        label="Fit the map to the sources and targets",
    )
    if ring_choice != "(none)":
        try:
            radii = parse_radii(radii_text)
        except ValueError:
            st.error(
                f"Ring radii: expected positive numbers of km (at most {MAX_RING_KM:,.0f}) "
                f"separated by commas, got {radii_text!r}"
            )
        else:
            layer_name, fid = features[ring_choice]
            centre = indexed[layer_name].geometry.loc[fid].representative_point()
            overlays.append(range_rings_group(centre.x, centre.y, radii, label=ring_choice))
            outer = gpd.GeoDataFrame(
                geometry=[geodesic_circle(centre.x, centre.y, max(radii) * 1000.0)], crs="EPSG:4326"
            )
            fit = fit_target(
                bounds_of(outer), what=f"rings|{ring_choice}|{radii}", label="Fit the map to the range rings"
            )
    # a row picked in the table below is highlighted and the map fits it (app.find)
    picked = find.table_focus("prox_table", lines, label=_line_label)
    if picked:
        overlays += find.focus_overlays(picked, name="Picked")
        fit = fit_target(
            bounds_of(gpd.GeoDataFrame(geometry=[picked["geometry"]], crs="EPSG:4326")),
            what=f"picked|{picked['token']}",
            label="Fit the map to the picked line",
        )
    clicked = clicked_point()
    near = None
    if clicked:
        point = gpd.GeoDataFrame(
            {"name": ["clicked point"]},
            geometry=gpd.points_from_xy([clicked[0]], [clicked[1]]),
            crs="EPSG:4326",
            index=["clicked"],
        )
        near = nearest_lines(point, targets, nearest(point, targets, k=min(5, len(targets))))
        overlays.append(nearest_lines_group(near, name="Nearest to the clicked point"))
        overlays.append(
            point_group(clicked[0], clicked[1], label=f"Clicked point {clicked[1]:.4f}, {clicked[0]:.4f}")
        )
    parts = map_parts(
        ctx.for_map({source: sources, target: targets}),
        basemap=ctx.basemap,
        overlays=overlays,
        specs=ctx.user_specs,
        fit=fit,
    )
    st.caption("Click the map to drop a point and list its nearest " + md(ctx.title(target).lower()) + ".")
    show_map(parts, key="prox_map", returned_objects=["last_clicked"])

    if clicked and near is not None:
        st.subheader("Nearest to the clicked point")
        st.dataframe(
            labels.table(
                near.round({"distance_km": 1}), columns=("target_name", "target_id", "rank", "distance_km")
            ),
            hide_index=True,
            width="stretch",
            key="prox_click_table",
        )
        b1, b2 = st.columns(2)
        if b1.button("Save the clicked point as a candidate site", key="save_candidate", wrap=True):
            candidate = point.assign(name=f"candidate {clicked[1]:.4f}, {clicked[0]:.4f}")
            save(
                lambda: workspace(ctx.user).append(
                    "candidate_sites", candidate, kind="candidates", source="map click"
                ),
                "candidate_sites",
            )
        if b2.button("Remove the clicked point", key="clear_click", wrap=True):
            del st.query_params[CLICK_PARAM]
            st.rerun()

    st.subheader(f"Nearest {md(ctx.title(target).lower())} of each {md(ctx.title(source).lower())}")
    table = pd.DataFrame(lines.drop(columns="geometry"))
    left, right = st.columns([3, 2])
    left.dataframe(
        labels.table(
            table.round({"distance_km": 1}),
            columns=("source_name", "target_name", "rank", "distance_km", "source_id", "target_id"),
        ),
        hide_index=True,
        width="stretch",
        key="prox_table",
        on_select="rerun",
        selection_mode="single-row",
    )
    left.caption("Pick a row to highlight its line on the map.")
    right.caption(f"Distribution of the distances ({labels.plural(len(table), 'line')})")
    right.bar_chart(
        histogram(table["distance_km"], "distance_km"),
        x="distance_km",
        y="features",
        x_label="Distance (km), bin start",
        y_label="Lines",
        height=260,
    )
    if st.button("Save this result to the workspace", key="save_nearest"):
        name = f"nearest {target} of {source}"
        save(lambda: workspace(ctx.user).save(name, lines, kind="analysis", source="Proximity tab"), name)
    fmt = st.selectbox("Format", list(EXPORT_FORMATS), format_func=str.upper, key="prox_download_format")
    download(
        st,
        f"Nearest lines ({fmt.upper()}, {labels.plural(len(lines), 'line')})",
        lines,
        ("nearest", source, target, str(k), str(max_km), *ids(sources), *ids(targets)),
        fmt,
        f"nearest-{target}-of-{source}",
        "download_nearest",
    )


def _line_label(row: pd.Series) -> str:
    """A nearest line in words: source → target: km."""
    source = row.get("source_name", row.get("source_id", ""))
    target = row.get("target_name", row.get("target_id", ""))
    return f"{source} → {target}: {row['distance_km']:,.1f} km"
