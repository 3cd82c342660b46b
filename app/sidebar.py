"""The sidebar: the user's data panel, layer choice, filters and basemap; it builds the page context."""

from __future__ import annotations

from functools import partial
from typing import Any

import geopandas as gpd
import streamlit as st

import layers
from app import workflows
from app.cache import load_layers, workspace, workspace_snapshot
from app.context import PageContext
from app.identity import LOCAL_USER, current_user
from app.mapview import FELL_BACK
from app.widgets import md, shown_as
from geo import LayerChoiceError, LayerError
from geo.io import FORMATS, TEXT_ENCODINGS
from layers import budget, labels, user
from layers.map import BASEMAPS


def build_context() -> PageContext:
    """Draw the sidebar and return what the pages need; a broken built-in layer stops the page."""
    try:
        builtin = load_layers()
    except LayerError as exc:
        st.error(f"Could not load the built-in data: {exc}")
        st.stop()
    who = current_user()
    if who != LOCAL_USER:
        st.sidebar.caption(f"Signed in as {md(who)}")
    panel = st.sidebar.container()
    import_panel(who)
    saved, titles = workspace_layers(who)
    frames = {**builtin, **saved}
    specs = user_specs(saved, titles)
    visible, selected, basemap = sidebar(frames, panel, specs)
    shown = {name: layers.filter_layer(frames[name], **selected) for name in visible}
    drawn, notes = {}, []
    for name in set(shown) & set(saved):
        frame, note = budget.for_drawing(shown[name])
        if note:
            drawn[name] = frame
            specs[name] = user.spec_for(name, frame, position=_position(name), title=titles.get(name))
            notes.append(f"{md(specs[name].title)}: {note}")
    return PageContext(
        frames=frames, shown=shown, basemap=basemap, user=who, user_specs=specs, drawn=drawn, notes=notes
    )


def _position(name: str) -> int:
    """The colour slot of a workspace layer in this session: kept across re-runs."""
    order: list[str] = st.session_state.setdefault("user_layer_order", [])
    if name not in order:
        order.append(name)
    return order.index(name)


def user_specs(saved: dict[str, gpd.GeoDataFrame], titles: dict[str, str]) -> dict[str, layers.LayerSpec]:
    """Styles of the workspace layers, kept in this session: each layer keeps its colour across re-runs."""
    return {
        name: user.spec_for(name, gdf, position=_position(name), title=titles.get(name))
        for name, gdf in saved.items()
    }


def workspace_layers(who: str) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """``who``'s workspace layers and those shared with them, and their titles.

    A broken workspace is reported in the sidebar, not lost.
    """
    try:
        index, saved = workspace_snapshot(who)
    except LayerError as exc:
        st.sidebar.error(f"Workspace: {md(exc)}")
        return {}, {}
    titles = {str(r.name): str(r.title or r.name) for r in index.itertuples()}
    clash = sorted(set(saved) & set(layers.names()))
    if clash:
        st.sidebar.warning(f"Workspace layers named like built-in layers are not shown: {', '.join(clash)}")
    return {name: gdf for name, gdf in saved.items() if name not in clash}, titles


def _import(
    uploaded: Any, who: str, *, swap_xy: bool = False, layer: str | None = None, every: bool = False
) -> None:
    """Read an uploaded file into ``who``'s workspace; a bad file gets a message and changes nothing.

    A file of several layers (a GeoPackage, KML folders, zipped Shapefiles) asks which to import.
    """
    st.session_state.pop("import_choice", None)
    try:
        done = workflows.import_file(
            uploaded.getvalue(),
            workspace(who),
            file_name=uploaded.name,
            swap_xy=swap_xy,
            encoding=st.session_state.get("upload_encoding", "auto"),
            layer=layer,
            all_layers=every,
        )
    except LayerChoiceError as exc:
        st.session_state["import_choice"] = {"file_id": uploaded.file_id, "layers": exc.layers}
        st.session_state.pop("import_error", None)
        return
    except (LayerError, OSError) as exc:
        st.session_state["import_error"] = f"{exc}; the workspace is unchanged"
        return
    st.session_state.setdefault("new_layers", []).extend(done.names)
    n = done.features
    st.session_state["import_notes"] = [
        f"Imported {labels.plural(n, 'feature')} from {uploaded.name}",
        *done.notes,
    ]
    st.session_state.pop("import_error", None)


def _layer_choice(uploaded: Any, who: str) -> None:
    """The layers of a multi-layer upload, to import one or all of them."""
    choice = st.session_state.get("import_choice")
    if not choice or uploaded is None or choice["file_id"] != uploaded.file_id:
        return
    infos = {info.name: info for info in choice["layers"]}
    st.sidebar.info(f"{md(uploaded.name)} holds {len(infos)} layers: choose one, or import them all.")
    picked = st.sidebar.selectbox(
        "Layer to import", list(infos), format_func=lambda n: infos[n].describe(), key="import_layer"
    )
    c1, c2 = st.sidebar.columns(2)
    if c1.button("Import this layer", key="import_one"):
        _import(uploaded, who, layer=picked)
        st.rerun()
    if c2.button("Import all", key="import_all"):
        _import(uploaded, who, every=True)
        st.rerun()


def import_panel(who: str) -> None:
    """Upload a layer into ``who``'s workspace; list the layers, share or delete one's own."""
    st.sidebar.subheader("Your data")
    uploaded = st.sidebar.file_uploader(
        "Import a layer",
        type=sorted({ext.lstrip(".") for ext in FORMATS}),
        key="upload",
        help="GeoJSON, GeoPackage, CSV (lat/lon or WKT), KML/KMZ, zipped Shapefile, GeoParquet",
    )
    st.sidebar.selectbox(
        "Text encoding (CSV, GeoJSON)",
        list(TEXT_ENCODINGS),
        format_func=lambda code: TEXT_ENCODINGS[code],
        key="upload_encoding",
        help="Detected by default; choose one when a file's accents come out wrong",
    )
    if uploaded is not None and st.session_state.get("upload_done") != uploaded.file_id:
        st.session_state["upload_done"] = uploaded.file_id
        _import(uploaded, who)
    _layer_choice(uploaded, who)
    error = st.session_state.get("import_error")
    if error:
        st.sidebar.error(f"Import failed: {md(error)}")
        if (
            "swapped" in error
            and uploaded is not None
            and st.sidebar.button("Swap lat/lon and import", key="swap_import")
        ):
            _import(uploaded, who, swap_xy=True)
            st.rerun()
    for note in st.session_state.pop("import_notes", []):
        st.sidebar.success(md(note))
    try:
        index, _ = workspace_snapshot(who)
    except LayerError:
        return  # reported once by workspace_layers()
    if len(index):
        with st.sidebar.expander(f"Workspace ({labels.plural(len(index), 'layer')})"):
            for i, row in enumerate(index.itertuples()):
                _workspace_row(who, i, row)


def _workspace_row(who: str, i: int, row: Any) -> None:
    """One layer of the workspace list: its own user may share or delete it; others' are read-only."""
    c1, c2 = st.columns([3, 1])
    features = labels.plural(int(row.features), "feature")
    if row.owner != who:
        c1.markdown(f"{md(row.title or row.name)} · {features} · shared by {md(row.owner)} (read-only)")
        return
    c1.markdown(f"{md(row.title or row.name)} · {row.kind} · {features}")
    shared = c1.toggle("Shared with the team", value=bool(row.shared), key=f"share_{i}")
    try:
        if shared != bool(row.shared):
            workspace(who).share(row.name, shared)
            st.rerun()
        if c2.button("Delete", key=f"delete_{i}"):
            workspace(who).delete(row.name)
            st.rerun()
    except LayerError as exc:
        st.sidebar.error(md(exc))


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
