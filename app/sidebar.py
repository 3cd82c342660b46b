"""The sidebar: the user's data panel, layer choice, filters and basemap; it builds the page context."""

from __future__ import annotations

from functools import partial
from typing import Any

import geopandas as gpd
import streamlit as st

import layers
from app.cache import load_layers, workspace_snapshot
from app.context import PageContext
from app.mapview import FELL_BACK
from app.widgets import shown_as
from geo import LayerError
from geo.io import FORMATS, read_layer, split_by_geometry_type
from geo.workspace import Workspace
from layers import labels, user
from layers.map import BASEMAPS


def build_context() -> PageContext:
    """Draw the sidebar and return what the pages need; a broken built-in layer stops the page."""
    try:
        builtin = load_layers()
    except LayerError as exc:
        st.error(f"Could not load the built-in data: {exc}")
        st.stop()
    panel = st.sidebar.container()
    import_panel()
    saved = workspace_layers()
    frames = {**builtin, **saved}
    specs = user_specs(saved)
    visible, selected, basemap = sidebar(frames, panel, specs)
    shown = {name: layers.filter_layer(frames[name], **selected) for name in visible}
    return PageContext(frames=frames, shown=shown, basemap=basemap, user_specs=specs)


def user_specs(saved: dict[str, gpd.GeoDataFrame]) -> dict[str, layers.LayerSpec]:
    """Styles of the workspace layers, kept in this session: each layer keeps its colour across re-runs."""
    order: list[str] = st.session_state.setdefault("user_layer_order", [])
    order.extend(n for n in saved if n not in order)
    return {name: user.spec_for(name, gdf, position=order.index(name)) for name, gdf in saved.items()}


def workspace_layers() -> dict[str, gpd.GeoDataFrame]:
    """The workspace's layers (a broken workspace is reported, not lost; built-in names are kept)."""
    try:
        _, saved = workspace_snapshot()
    except LayerError as exc:
        st.sidebar.error(f"Workspace: {exc}")
        return {}
    clash = sorted(set(saved) & set(layers.names()))
    if clash:
        st.sidebar.warning(f"Workspace layers named like built-in layers are not shown: {', '.join(clash)}")
    return {name: gdf for name, gdf in saved.items() if name not in clash}


def _import(uploaded: Any, *, swap_xy: bool) -> None:
    """Read an uploaded file into the workspace; a bad file gets a message and changes nothing."""
    try:
        gdf = read_layer(uploaded.getvalue(), name=uploaded.name, swap_xy=swap_xy)
    except LayerError as exc:
        st.session_state["import_error"] = str(exc)
        return
    workspace = Workspace()
    base = gdf.attrs.get("name") or "imported"
    parts = split_by_geometry_type(gdf) if len(gdf.attrs.get("geometry_types", {})) > 1 else {"": gdf}
    for kind, part in parts.items():
        name = f"{base} ({kind})" if kind else base
        try:
            workspace.save(name, part.copy(), kind="import", source=uploaded.name)
        except (LayerError, OSError) as exc:
            st.session_state["import_error"] = (
                f"{uploaded.name}: read, but not saved to the workspace ({exc}); the workspace is unchanged"
            )
            return
        st.session_state.setdefault("new_layers", []).append(name)
    notes = [
        f"Imported {labels.plural(len(gdf), 'feature')} from {uploaded.name}"
        + (f", split into {', '.join(parts)}" if len(parts) > 1 else "")
    ]
    notes += [f"Repaired {r}" for r in gdf.attrs.get("repairs", [])]
    st.session_state["import_notes"] = notes
    st.session_state.pop("import_error", None)


def import_panel() -> None:
    """Upload a layer into the workspace; list and delete saved layers."""
    st.sidebar.subheader("Your data")
    uploaded = st.sidebar.file_uploader(
        "Import a layer",
        type=sorted({ext.lstrip(".") for ext in FORMATS}),
        key="upload",
        help="GeoJSON, GeoPackage, CSV (lat/lon or WKT), KML/KMZ, zipped Shapefile, GeoParquet",
    )
    if uploaded is not None and st.session_state.get("upload_done") != uploaded.file_id:
        st.session_state["upload_done"] = uploaded.file_id
        _import(uploaded, swap_xy=False)
    error = st.session_state.get("import_error")
    if error:
        st.sidebar.error(f"Import failed: {error}")
        if (
            "swapped" in error
            and uploaded is not None
            and st.sidebar.button("Swap lat/lon and import", key="swap_import")
        ):
            _import(uploaded, swap_xy=True)
            st.rerun()
    for note in st.session_state.pop("import_notes", []):
        st.sidebar.success(note)
    try:
        index, _ = workspace_snapshot()
    except LayerError:
        return  # reported once by workspace_layers()
    if len(index):
        with st.sidebar.expander(f"Workspace ({labels.plural(len(index), 'layer')})"):
            for row in index.itertuples():
                c1, c2 = st.columns([3, 1])
                c1.write(f"{row.name} · {row.kind} · {labels.plural(int(row.features), 'feature')}")
                if c2.button("Delete", key=f"delete_{row.name}"):
                    Workspace().delete(row.name)
                    st.rerun()


def _label(column: str, value: object) -> str:
    """A filter value as the list shows it."""
    return labels.value(column, value)


def _sort_key(column: str, value: object) -> str:
    """Filter values in the order of their labels."""
    return _label(column, value).casefold()


#: Placeholder of each filter: "All operators" and so on.
_ALL = {
    "operator": "operators",
    "kind": "kinds",
    "status": "statuses",
    "country": "countries",
    "materials": "materials",
}


def filter_options(frames: dict[str, gpd.GeoDataFrame]) -> dict[str, list[str]]:
    """Values offered by each sidebar filter."""
    options: dict[str, set[str]] = {c: set() for c in layers.FILTER_COLUMNS}
    for gdf in frames.values():
        for column in layers.FILTER_COLUMNS:
            if column in gdf.columns:
                for value in gdf[column].dropna():
                    options[column].update(v for v in str(value).split(";") if v)
    return {c: sorted(v) for c, v in options.items()}


def sidebar(
    frames: dict[str, gpd.GeoDataFrame], panel: Any, specs: dict[str, layers.LayerSpec]
) -> tuple[list[str], dict[str, list[str]], str]:
    """Layer choice, filters and basemap, drawn in ``panel`` (a sidebar container)."""

    def spec(name: str) -> layers.LayerSpec:
        return specs[name] if name in specs else layers.spec(name)

    record_layers = [n for n in frames if spec(n).filterable]
    new = [n for n in st.session_state.pop("new_layers", []) if n in record_layers]
    if new and "visible_layers" in st.session_state:  # a fresh import is shown at once
        kept = [n for n in st.session_state["visible_layers"] if n in record_layers]
        st.session_state["visible_layers"] = kept + [n for n in new if n not in kept]
    visible = panel.multiselect(
        "Layers",
        record_layers,
        default=record_layers,
        format_func=shown_as("visible_layers", lambda n: spec(n).title),
        key="visible_layers",
        bind="query-params",
    )
    panel.subheader("Filters")
    options = filter_options({n: frames[n] for n in record_layers})
    selected = {
        column: panel.multiselect(
            labels.column(column),
            sorted(options[column], key=partial(_sort_key, column)),
            format_func=shown_as(f"filter_{column}", partial(_label, column)),
            key=f"filter_{column}",
            bind="query-params",
            placeholder=f"All {_ALL[column]}",
            help="Type a name to find it, e.g. India" if column == "country" else None,
        )
        for column in layers.FILTER_COLUMNS
    }
    basemap = panel.radio(
        "Basemap",
        BASEMAPS,
        key="basemap",
        bind="query-params",
        help="The offline basemap (country borders and names, main cities) needs no tile server.",
    )
    if st.session_state.get(FELL_BACK):
        panel.caption("OpenStreetMap tiles could not be loaded here, so the map shows the offline basemap.")
    return visible, selected, basemap
