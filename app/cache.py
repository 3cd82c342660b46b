"""Every cached computation of the app, in one place.

``st.cache_data`` for data a page may change (a copy per caller), ``st.cache_resource`` for large
read-only objects shared by every session (the H3 grid). Arguments whose name starts with ``_`` are
not hashed: a ``key`` argument identifies them.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

import layers
from app import workflows
from app.store import BaseWorkspace, open_workspace
from geo import InputError
from geo.export import to_bytes

#: Prefix of workspace layers offered as a region or as candidate sites.
USER_LAYER = "layer: "
#: India at res 7 (600,000 cells) fits one app process; res 8 is for smaller regions.
GRID_MAX_CELLS = 1_000_000


@st.cache_data(show_spinner="Loading layers…")
def load_layers() -> dict[str, gpd.GeoDataFrame]:
    """Every built-in layer, validated."""
    return {name: layers.load(name) for name in layers.names()}


@st.cache_data(show_spinner=False, max_entries=64)
def export_bytes(_frame: gpd.GeoDataFrame, key: tuple[str, ...], fmt: str) -> bytes:
    """A (filtered) frame in an export format; ``key`` identifies it for the cache."""
    return to_bytes(_frame, fmt, layer_name=key[0], argument=key[0])


def workspace(user: str) -> BaseWorkspace:
    """The deployment's workspace as ``user`` sees it (GeoPackage, or PostGIS for a team)."""
    return open_workspace(user=user)


# shared by the sessions of one user, not copied per call: the pages only read the frames
@st.cache_resource(show_spinner="Reading your workspace…", max_entries=16)
def read_workspace(
    location: str, user: str, version: int
) -> tuple[pd.DataFrame, dict[str, gpd.GeoDataFrame]]:
    """``user``'s view of the workspace at ``location``: index and layers, read once per ``version``."""
    ws = workspace(user)
    return ws.index(), ws.load_all()


def workspace_snapshot(user: str) -> tuple[pd.DataFrame, dict[str, gpd.GeoDataFrame]]:
    """``user``'s layers and the ones shared with them, as of the workspace's current version."""
    ws = workspace(user)
    return read_workspace(ws.location, user, ws.version())


def workspace_key(user: str) -> tuple[str, int]:
    """Identifies ``user``'s view of the workspace for the caches of analyses that read it."""
    return user, workspace(user).version()


@st.cache_data(show_spinner="Computing geodesic distances…", max_entries=32)
def nearest_result(
    _sources: gpd.GeoDataFrame,
    _targets: gpd.GeoDataFrame,
    key: tuple[Any, ...],
    k: int,
    max_distance_m: float | None,
) -> gpd.GeoDataFrame:
    """Geodesic lines from each source to its k nearest targets; ``key`` identifies the inputs."""
    from geo.proximity import nearest, nearest_lines

    return nearest_lines(_sources, _targets, nearest(_sources, _targets, k=k, max_distance_m=max_distance_m))


@st.cache_resource(show_spinner=False, max_entries=4)  # shared, not copied: nothing writes to it
def grid_cells(region_code: str, resolution: int, version: tuple[str, int]) -> gpd.GeoDataFrame:
    """The H3 cell centres of a country or a user's polygon layer (``version``: :func:`workspace_key`)."""
    from geo.siting import candidate_grid

    countries = load_layers()["countries"]
    if region_code.startswith(USER_LAYER):
        name = region_code.removeprefix(USER_LAYER)
        saved = workspace_snapshot(version[0])[1]
        if name not in saved:
            msg = f"Region: the workspace layer {name!r} no longer exists"
            raise InputError(msg)
        region = workflows.region_frame(name, countries.iloc[:0], saved, argument="Region")
    else:
        region = workflows.region_frame(region_code, countries, {}, argument="Region")
    return candidate_grid(
        region, resolution=resolution, geometry="centre", max_cells=GRID_MAX_CELLS
    )  # hexagons for what is shown


@st.cache_data(show_spinner=False, max_entries=32)
def criterion_values(
    region_code: str, resolution: int, version: tuple[str, int], criterion: str, radius_km: float
) -> gpd.pd.DataFrame:
    """One criterion over the grid, cached on its own: new weights re-rank without measuring again."""
    from geo.siting import measure

    return measure(
        grid_cells(region_code, resolution, version),
        **workflows.site_inputs(load_layers()),
        demand_radius_km=radius_km,
        criteria=[criterion],
    )


#: The grid's parameters: region, resolution, weights, competition, exclusion km, feedstock radius km.
GridParams = tuple[str, int, tuple[tuple[str, float], ...], str, float, float]


# shared, not copied (a cache_data copy of 600,000 rows costs a second on every re-run); nothing
# writes to it
@st.cache_resource(show_spinner=False, max_entries=4)
def scored_grid(params: GridParams, version: tuple[str, int] = ("", 0)) -> gpd.GeoDataFrame:
    """The scored grid (cached by its parameters and the workspace ``version``)."""
    from geo.siting import RAW_COLUMNS, rank

    region_code, resolution, weights, competition, exclude_km, radius_km = params
    raw = gpd.pd.concat(
        [criterion_values(region_code, resolution, version, c, radius_km) for c in RAW_COLUMNS], axis=1
    )
    return rank(
        grid_cells(region_code, resolution, version),
        raw,
        weights=dict(weights),
        competition=competition,
        exclude_within_km=exclude_km or None,
    )


@st.cache_data(show_spinner=False, max_entries=64)  # the page names the mode it routes
def routed(
    origin: tuple[float, float],
    destination: tuple[float, float],
    mode: str,
    tonnes: float,
    objective: str,
    names: tuple[str, str],
) -> gpd.GeoDataFrame:
    """One route (cached by its parameters); the networks themselves are loaded once per process."""
    from geo.network import route
    from layers.routes import routing_inputs

    return route(
        gpd.points_from_xy([origin[0]], [origin[1]])[0],
        gpd.points_from_xy([destination[0]], [destination[1]])[0],
        mode=mode,
        tonnes=tonnes,
        objective=objective,
        names=names,
        **routing_inputs(),
    )


@st.cache_data(show_spinner=False)
def endpoint_choices() -> dict[str, tuple[float, float]]:
    """Features a route can start or end at: label -> (lon, lat)."""
    from layers.routes import endpoints

    ends = endpoints()
    return {
        f"{n} ({layer})": (p.x, p.y)
        for n, layer, p in zip(ends["name"], ends["layer"], ends.geometry, strict=True)
    }


@st.cache_data(show_spinner="Finding features in the corridor…", max_entries=32)
def corridor_result(
    _line: shapely.LineString, key: tuple[Any, ...], width_km: float, _other: shapely.LineString | None
) -> workflows.CorridorResult:
    """Corridor polygon, features inside (by chainage) and the summary; ``key`` identifies the routes."""
    frames = load_layers()
    chosen = {n: frames[n] for n in workflows.CORRIDOR_LAYERS}
    return workflows.corridor(_line, chosen, width_km=width_km, other_route=_other)


@st.cache_data(show_spinner=False, max_entries=16)
def ranking_stability(params: GridParams, version: tuple[str, int] = ("", 0)) -> gpd.pd.DataFrame:
    """How often each of the 10 best cells stays in the top 10 when the weights move by ±20 % (300 draws)."""
    from geo.siting import RAW_COLUMNS, sensitivity

    scored = scored_grid(params, version)
    norm = scored[[f"n_{c}" for c in RAW_COLUMNS]].rename(columns=lambda c: c[2:])
    weights = params[2]
    return sensitivity(norm, dict(weights), top_n=10, draws=300, seed=0)


# ----------------------------------------------------------------------------- GIS tools
@st.cache_data(show_spinner="Computing the service areas on the network…", max_entries=32)
def service_area_result(
    refs: tuple[str, ...],
    mode: str,
    hours: tuple[float, ...] | None,
    km: tuple[float, ...] | None,
    merge: bool,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Service areas of the origins ``refs`` (feature ids or ``lon,lat``) and the origins resolved.

    The feedstock population and the facilities inside come from the built-in layers; the
    networks load once per process.
    """
    from app.tools import service_areas_for

    return service_areas_for(
        list(refs),
        load_layers(),
        mode=mode,
        hours=list(hours) if hours is not None else None,
        km=list(km) if km is not None else None,
        merge=merge,
    )


@st.cache_data(show_spinner=False, max_entries=128)
def place_search(
    query: str, _user_layers: dict[str, gpd.GeoDataFrame], version: tuple[str, int]
) -> gpd.GeoDataFrame:
    """Ranked places matching ``query`` (see :func:`layers.search.search_places`).

    ``version`` identifies the workspace layers searched too (:func:`workspace_key`).
    """
    from layers.search import search_places

    return search_places(query, extra=_user_layers, limit=10)
