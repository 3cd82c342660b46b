"""The description every layer module gives of itself: how to read it and how to draw it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from layers._schema import RECORD_COLUMNS

#: Style of one feature for folium: keys of Leaflet path options (color, fillColor, radius, ...).
Style = dict[str, Any]


@dataclass(frozen=True)
class LegendEntry:
    """One row of the map legend: a label and the swatch that draws it.

    ``shape`` is ``circle``, ``square``, ``line``, ``letter`` or ``square-letter`` (a marker
    showing ``text``);
    ``dash`` is the SVG dash pattern of a line (``dashed`` draws a dashed outline). With ``column``
    and ``values``, the row is shown only when some feature has one of those values there (a legend
    that follows the filters).
    """

    label: str
    color: str
    shape: str = "circle"  # circle, square, line, or note (text without a swatch)
    dashed: bool = False
    hollow: bool = False  # a ring in ``color``: the marker of a placeholder location
    column: str = ""
    values: tuple[str, ...] = ()
    outline: str = "#1a1a1a"
    dash: str = ""
    text: str = ""

    def applies(self, gdf: gpd.GeoDataFrame) -> bool:
        """True when the row describes some feature of ``gdf`` (always, for a row without ``column``)."""
        if not self.column:
            return not gdf.empty
        if self.column not in gdf.columns:
            return False
        return bool(gdf[self.column].astype(str).isin(self.values).any())


@dataclass(frozen=True)
class LayerSpec:
    """How to load, validate and draw one map layer.

    Attributes
    ----------
    name : str
        Stable name used by ``layers.load`` and the CLI.
    title : str
        Human title for the layer control and the UI.
    description : str
        One sentence on what the layer holds and where it comes from.
    source : Path or str
        The file or package the layer is read from, named in errors.
    read : callable
        Returns the raw layer as a GeoDataFrame in EPSG:4326.
    style : callable
        Maps a feature's properties to a Leaflet style.
    legend : tuple of LegendEntry
        Legend rows.
    geom_types : tuple of str
        Allowed geometry types.
    required : tuple of str
        Required columns.
    popup_fields : tuple of str
        Columns shown in the popup, in order (``source`` is always shown, as a link when a URL).
    cluster : bool
        Whether point markers are clustered.
    filterable : bool
        Whether the sidebar filters (operator, kind, status, country, material) apply.
    attribution : str
        Credit line for the data.
    """

    name: str
    title: str
    description: str
    source: Path | str
    read: Callable[[], gpd.GeoDataFrame]
    style: Callable[[Mapping[str, Any]], Style]
    legend: tuple[LegendEntry, ...]
    geom_types: tuple[str, ...] = ("Point",)
    required: tuple[str, ...] = RECORD_COLUMNS
    popup_fields: tuple[str, ...] = (
        "operator",
        "kind",
        "materials",
        "status",
        "country",
        "location_precision",
        "source_date",
        "notes",
    )
    cluster: bool = False
    filterable: bool = True
    attribution: str = ""
