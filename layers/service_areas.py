"""Service areas on the map: one polygon per origin and band, one colour ramp by band.

The bands share ColorBrewer's YlGnBu ramp, as in the PDF report (:mod:`app.report`): the nearest
band darkest, drawn last so that it lies on top. Each polygon's tooltip names its origin, band, area,
feedstock population and the facilities inside (text, escaped here).
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import matplotlib
import numpy as np

from layers._render import feature_collection
from layers._spec import LegendEntry

#: Colour map of the bands (matplotlib name) and the part of it used, light to dark.
BAND_CMAP = "YlGnBu"
BAND_RANGE = (0.3, 0.9)


def band_column(areas: gpd.GeoDataFrame) -> tuple[str, str]:
    """The band column of :func:`geo.service_area.service_areas`'s frame and its unit: (``band_h``, ``h``)."""
    return ("band_h", "h") if "band_h" in areas.columns else ("band_km", "km")


def band_colors(bands: list[float] | np.ndarray) -> dict[float, str]:
    """Hex colour of each band value: the largest lightest, the smallest darkest."""
    ramp = matplotlib.colormaps[BAND_CMAP]
    ordered = sorted({float(b) for b in bands}, reverse=True)
    lo, hi = BAND_RANGE
    step = (hi - lo) / max(len(ordered) - 1, 1)
    return {b: matplotlib.colors.to_hex(ramp(lo + k * step)) for k, b in enumerate(ordered)}


def legend_entries(areas: gpd.GeoDataFrame, *, mode: str | None = None) -> list[LegendEntry]:
    """One legend row per band, nearest first: "within 4 h by road"."""
    column, unit = band_column(areas)
    colors = band_colors(areas[column].to_numpy())
    by = f" by {mode}" if mode else ""
    return [LegendEntry(f"within {b:g} {unit}{by}", c, "square") for b, c in sorted(colors.items())]


def service_area_group(
    areas: gpd.GeoDataFrame, *, name: str = "Service areas", facility_names: dict[str, str] | None = None
) -> folium.FeatureGroup:
    """The polygons of ``areas`` coloured by band, largest band first (under the smaller ones).

    ``facility_names`` maps facility ids to names for the tooltips (ids are shown otherwise).
    """
    column, unit = band_column(areas)
    group = folium.FeatureGroup(name=html.escape(f"{name} ({len(areas)})"))
    drawn = areas[~(areas.geometry.isna() | areas.geometry.is_empty)]
    if drawn.empty:
        return group
    colors = band_colors(drawn[column].to_numpy())
    drawn = drawn.sort_values(column, ascending=False, kind="stable")
    names = facility_names or {}
    texts, styles = [], []
    for row in drawn.itertuples():
        band = float(getattr(row, column))
        inside = [names.get(i, i) for i in str(row.facility_ids).split(";") if i]
        listed = ", ".join(inside[:8]) + (f" and {len(inside) - 8} more" if len(inside) > 8 else "")
        text = (
            f"{row.origin_name}: within {band:g} {unit} by {row.mode} · {row.area_km2:,.0f} km² · "
            f"feedstock population {row.feedstock_population:,.0f} · "
            f"{row.facilities_inside} facilit{'y' if row.facilities_inside == 1 else 'ies'} inside"
            + (f" ({listed})" if listed else "")
        )
        texts.append(html.escape(text))
        styles.append({"color": colors[band], "weight": 1.2, "fillColor": colors[band], "fillOpacity": 0.45})
    feature_collection(drawn.geometry.values, texts, texts, styles, permanent=False).add_to(group)
    return group
