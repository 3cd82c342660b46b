"""The context every page reads: the layers, what is shown after the filters, the basemap and the user."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd

import layers
from layers import LayerSpec


@dataclass(frozen=True)
class PageContext:
    """What a page needs from the frame (``streamlit_app.py``).

    Attributes
    ----------
    frames : dict of str to GeoDataFrame
        Every layer: the built-in ones and the user's workspace layers, unfiltered, EPSG:4326.
    shown : dict of str to GeoDataFrame
        The layers ticked in the sidebar, after the filters.
    basemap : str
        The chosen basemap (see :data:`layers.BASEMAPS`).
    user : str
        Who is using this session (``"local"`` for ``make run``).
    user_specs : mapping of str to LayerSpec
        Styles of this session's workspace layers (per session, stable across re-runs).
    drawn : mapping of str to GeoDataFrame
        What the map draws of a shown layer too large to draw whole (see :mod:`layers.budget`);
        analyses and downloads use ``shown``.
    notes : list of str
        One sentence per layer drawn differently from its data.
    """

    frames: dict[str, gpd.GeoDataFrame]
    shown: dict[str, gpd.GeoDataFrame]
    basemap: str
    user: str = "local"
    user_specs: Mapping[str, LayerSpec] = field(default_factory=dict)
    drawn: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def for_map(self, frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
        """``frames`` with each layer too large to draw replaced by its drawing (see ``drawn``)."""
        return {name: self.drawn.get(name, gdf) for name, gdf in frames.items()}

    def spec(self, name: str) -> LayerSpec:
        """The :class:`LayerSpec` of a built-in or workspace layer."""
        return self.user_specs[name] if name in self.user_specs else layers.spec(name)

    def title(self, name: str) -> str:
        """The human title of layer ``name``."""
        return self.spec(name).title

    def is_user_layer(self, name: str) -> bool:
        """True for a workspace layer of this session."""
        return name in self.user_specs
