"""Ports layer: the ports relevant to the story's routes, taken from searoute's port table.

``data/ports.csv`` lists UN/LOCODEs and why each port matters; names and coordinates come from
``searoute/data/ports.geojson`` in the installed searoute package (not typed by hand).
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import LayerError
from geo.settings import DATA_DIR, WGS84
from layers import palette
from layers._spec import LayerSpec, LegendEntry, Style

FILE = DATA_DIR / "ports.csv"
COLOR = palette.PORT
#: Release month of each searoute version whose port table we have checked.
SEAROUTE_RELEASES: dict[str, str] = {"1.6.0": "2026-05"}


def _port_table() -> gpd.GeoDataFrame:
    path = importlib.resources.files("searoute") / "data" / "ports.geojson"
    with importlib.resources.as_file(path) as real:
        ports = gpd.read_file(real, engine="pyogrio")
    # searoute lists a few codes twice (old and new names); keep the one flagged as in use
    ports = ports.sort_values("t", ascending=False, na_position="last").drop_duplicates("port")
    return ports.set_index("port")


def read() -> gpd.GeoDataFrame:
    """Join the curated port list with searoute's port coordinates."""
    wanted = pd.read_csv(FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    table = _port_table()
    unknown = sorted(set(wanted["port"]) - set(table.index))
    if unknown:
        msg = f"{FILE}: port code(s) {', '.join(unknown)} not found in searoute's ports.geojson"
        raise LayerError(msg)
    version = importlib.metadata.version("searoute")
    rows = table.loc[wanted["port"]]
    frame = pd.DataFrame(
        {
            "id": "port-" + wanted["port"].str.lower(),
            "name": rows["name"].to_numpy(),
            "operator": "",
            "kind": "port",
            "materials": "",
            "status": "operating",
            "country": wanted["port"].str[:2],
            "locode": wanted["port"],
            "role": wanted["role"],
            "source": f"searoute {version} port table (searoute/data/ports.geojson), UN/LOCODE "
            + wanted["port"],
            "source_date": SEAROUTE_RELEASES.get(version, ""),
            "location_precision": "town",
            "notes": "Port point as given in searoute's table (UN/LOCODE location, port or town level). "
            + wanted["notes"],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=rows.geometry.to_numpy(), crs=WGS84)


def style(props: Mapping[str, Any]) -> Style:
    """Small dark dots with a white ring: context, not a facility."""
    return {"radius": 4, "color": "#ffffff", "weight": 1.5, "fillColor": COLOR, "fillOpacity": 1.0}


SPEC = LayerSpec(
    name="ports",
    title="Ports",
    description="Sea ports on the India-UAE-Japan-US routes, from searoute's port table.",
    source=FILE,
    read=read,
    style=style,
    legend=(LegendEntry("Port", COLOR, outline="#ffffff"),),
    popup_fields=("locode", "role", "country", "location_precision", "source_date", "notes"),
    attribution="Ports: searoute",
)
