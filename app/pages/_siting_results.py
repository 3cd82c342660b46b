"""What the Site selection tab shows of its results: tables and charts, downloads, the PDF report.

:mod:`app.pages.siting` takes the inputs and computes; this module only presents the scored grid,
its ranking's stability and the chosen sites it is given.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app import workflows
from app.cache import USER_LAYER, GridParams, export_bytes
from app.context import PageContext
from app.widgets import download, histogram
from geo import ExportError
from geo.settings import EXPORT_FORMATS, MIME_TYPES
from geo.siting import RAW_COLUMNS, hexagons
from layers import labels


def _place(lat: float, lon: float) -> str:
    """A cell's position as a reader finds it on a map."""
    return f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'}, {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}"


def results(
    scored: gpd.GeoDataFrame,
    top: gpd.GeoDataFrame,
    stability: pd.DataFrame,
    allocation: workflows.Allocation | None,
) -> None:
    """Tables and charts of the scored grid and of the chosen sites."""
    left, right = st.columns([3, 2])
    left.subheader(f"Best {labels.plural(len(top), 'cell')}")
    order = ("rank", "score", "lat", "lon", *RAW_COLUMNS.values(), *(f"n_{c}" for c in RAW_COLUMNS), "cell")
    left.dataframe(
        labels.table(pd.DataFrame(top.drop(columns="geometry")).round(3), columns=order),
        hide_index=True,
        width="stretch",
        key="site_table",
    )
    right.caption(f"Scores of all {labels.plural(len(scored), 'cell')}")
    right.bar_chart(
        histogram(scored["score"], "score"),
        x="score",
        y="features",
        x_label="Score (0–1), bin start",
        y_label="Cells",
        height=200,
    )
    right.subheader("Ranking stability")
    best = scored.loc[stability.index]
    right.dataframe(
        pd.DataFrame(
            {
                "Rank": stability["baseline_rank"].to_numpy(),
                "Cell (centre)": [_place(la, lo) for la, lo in zip(best["lat"], best["lon"], strict=True)],
                labels.column("share_in_top"): stability["share_in_top"].to_numpy(),
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            labels.column("share_in_top"): st.column_config.ProgressColumn(
                format="percent", min_value=0.0, max_value=1.0
            )
        },
        key="site_stability",
    )
    right.caption(
        "How often each of today's 10 best cells stays in the top 10 when every weight moves by up to "
        "±20 % (300 draws)."
    )
    if allocation is None:
        return
    st.subheader(f"Chosen sites ({labels.plural(len(allocation.sites), 'site')})")
    st.caption(allocation.result.summary)
    for warning in allocation.result.warnings:
        st.warning(warning)
    st.dataframe(
        labels.table(pd.DataFrame(allocation.sites.drop(columns="geometry")).round(3)),
        hide_index=True,
        width="stretch",
        key="alloc_table",
    )


def downloads(
    params: GridParams,
    scored: gpd.GeoDataFrame,
    top: gpd.GeoDataFrame,
    top_n: int,
    allocation: workflows.Allocation | None,
) -> None:
    """Download buttons: every scored cell (made when clicked), the best N and the chosen sites.

    No button re-runs the page when clicked (``on_click="ignore"``): a re-run would replace the
    deferred file of "All scored cells" while the browser still asks for the old one.
    """
    fmt = st.selectbox("Format", list(EXPORT_FORMATS), format_func=str.upper, key="site_download_format")
    d1, d2, d3 = st.columns(3)
    key = tuple(str(p) for p in params)

    def all_cells() -> Any:
        try:
            return export_bytes(hexagons(scored), ("scored-cells", *key), fmt)
        except ExportError as exc:  # the button shows the failure under it
            raise RuntimeError(f"Export failed: {exc}") from exc

    d1.download_button(
        f"All {labels.plural(len(scored), 'scored cell')} ({fmt.upper()})",
        all_cells,
        file_name=f"scored-cells{EXPORT_FORMATS[fmt]}",
        mime=MIME_TYPES[fmt],
        key="download_cells",
        on_click="ignore",
        width="stretch",
        wrap=True,
        help="Made when you click: a large file for a fine grid",
    )
    download(
        d2,
        f"Best {labels.plural(len(top), 'cell')} ({fmt.upper()})",
        top,
        ("best-cells", str(top_n), *key),
        fmt,
        "best-cells",
        "download_top",
    )
    if allocation is not None:
        download(
            d3,
            f"Chosen sites ({fmt.upper()})",
            allocation.sites,
            ("chosen-sites", *allocation.sites.index.astype(str)),
            fmt,
            "chosen-sites",
            "download_sites",
        )


def report(
    ctx: PageContext,
    params: GridParams,
    scored: gpd.GeoDataFrame,
    stability: pd.DataFrame,
    allocation: workflows.Allocation | None,
) -> None:
    """The "Report (PDF)" button of the scored grid (and the chosen sites), built when pressed."""
    from app import exports
    from app.report import site_selection_report

    region, resolution, weights, competition, exclude_km, radius_km = params
    inputs = workflows.site_inputs(ctx.frames)
    context = {
        "demand": inputs["demand"],
        "lithium_blocks": inputs["blocks"],
        "ports": inputs["ports"],
        "facilities": inputs["facilities"],
    }
    parameters = {
        "region": region.removeprefix(USER_LAYER),
        "H3 resolution": resolution,
        "feedstock radius km": radius_km,
        "existing recyclers/refiners": competition,
        "excluded within km of a facility": exclude_km or "none",
    }
    if allocation is not None:
        parameters["location-allocation"] = allocation.result.summary
    exports.report_button(
        st,
        lambda: site_selection_report(
            scored,
            weights=dict(weights),
            parameters=parameters,
            sensitivity=stability,
            sites=allocation.sites if allocation is not None else None,
            context=context,
            title=f"Site selection: {region.removeprefix(USER_LAYER)}, H3 resolution {resolution}",
        ),
        key="site_report",
        file_name=f"site-selection-{exports.file_stem(region)}-res{resolution}.pdf",
    )
