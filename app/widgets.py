"""Small widget helpers shared by the pages: downloads, histograms, workspace saves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from app.cache import export_bytes
from geo import ExportError, LayerError
from geo.settings import EXPORT_FORMATS, MIME_TYPES


def download(
    where: Any, label: str, frame: gpd.GeoDataFrame, key: tuple[str, ...], fmt: str, stem: str, widget: str
) -> None:
    """A download button for ``frame`` as ``fmt``; a failed export is a message, not a traceback."""
    try:
        data = export_bytes(frame, key, fmt)
    except ExportError as exc:
        where.error(f"Export failed: {exc}")
        return
    where.download_button(
        label, data, file_name=f"{stem}{EXPORT_FORMATS[fmt]}", mime=MIME_TYPES[fmt], key=widget
    )


def histogram(values: Iterable[float], name: str, *, bins: int = 30) -> pd.DataFrame:
    """Counts per bin, labelled by the bin's centre, for a bar chart."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return pd.DataFrame({name: [], "features": []})
    counts, edges = np.histogram(finite, bins=bins)
    return pd.DataFrame({name: (edges[:-1] + edges[1:]) / 2, "features": counts})


def parse_radii(text: str) -> list[float]:
    """Positive radii (km) from comma- or semicolon-separated text; ``ValueError`` otherwise."""
    values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    if not values or any(v <= 0 for v in values):
        raise ValueError
    return values


def save(action: Callable[[], None], name: str) -> None:
    """Run a workspace write; report success or the failure (the workspace stays as it was)."""
    try:
        action()
    except (LayerError, OSError) as exc:
        st.error(f"Could not save {name!r} to the workspace ({exc}); the workspace is unchanged")
    else:
        st.success(f"Saved to the workspace as {name!r}")


def ids(gdf: gpd.GeoDataFrame) -> tuple[str, ...]:
    """The index labels of ``gdf`` as text (a cache key)."""
    return tuple(gdf.index.astype(str))
