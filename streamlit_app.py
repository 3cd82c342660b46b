"""Mineral Atlas: the Streamlit app. UI only: widgets, tabs and map assembly calls."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import streamlit as st
from streamlit_folium import st_folium

import layers
from geo._errors import CRSError, ExportError, InputError, LayerError
from geo.export import EXPORT_FORMATS, MIME_TYPES, to_bytes
from geo.io import FORMATS, read_layer, split_by_geometry_type
from geo.workspace import Workspace
from geo.proximity import nearest, nearest_lines
from layers._map import BASEMAPS, build_map
from geo.siting import (
    RAW_COLUMNS,
    allocate,
    candidate_grid,
    hexagons,
    measure,
    network_cost_km,
    rank,
    sensitivity,
    with_existing,
)
from layers.results import (
    SCORE_RAMP,
    allocation_group,
    corridor_group,
    nearest_lines_group,
    point_group,
    range_rings_group,
    route_group,
    scored_cells_group,
)
from layers.routes import endpoints
from geo.corridor import corridor_polygon, corridor_summary, features_in_corridor
from geo.network import MODES, join_legs, route, route_totals
from geo.settings import (
    DEFAULT_WEIGHTS,
    MODE_CO2E_SOURCE,
    MODE_SPEED_SOURCES,
    NETWORK_ATTRIBUTION,
    PROJECT_DIR,
)

st.set_page_config(page_title="Mineral Atlas", page_icon=":world_map:", layout="wide")


@st.cache_data(show_spinner="Loading layers…")
def load_layers() -> dict[str, gpd.GeoDataFrame]:
    """Every built-in layer, validated."""
    return {name: layers.load(name) for name in layers.names()}


@st.cache_data(show_spinner=False, max_entries=64)
def export_bytes(_frame: gpd.GeoDataFrame, key: tuple[str, ...], fmt: str) -> bytes:
    """A (filtered) frame in an export format; ``key`` identifies it for the cache."""
    return to_bytes(_frame, fmt, layer_name=key[0], argument=key[0])


def download(
    where, label: str, frame: gpd.GeoDataFrame, key: tuple[str, ...], fmt: str, stem: str, widget: str
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


@st.cache_data(show_spinner=False, max_entries=4)
def read_workspace(path: str, mtime_ns: int) -> tuple[gpd.pd.DataFrame, dict[str, gpd.GeoDataFrame]]:
    """The workspace's index and layers; read again only when the file changes (``mtime_ns``)."""
    workspace = Workspace(path)
    return workspace.index(), workspace.load_all()


def workspace_snapshot() -> tuple[gpd.pd.DataFrame, dict[str, gpd.GeoDataFrame]]:
    """The current workspace (empty when there is none yet)."""
    path = Workspace().path
    if not path.exists():
        return gpd.pd.DataFrame(columns=["name", "kind", "source", "saved_at", "features"]), {}
    return read_workspace(str(path), path.stat().st_mtime_ns)


def workspace_layers() -> dict[str, gpd.GeoDataFrame]:
    """The workspace's layers, registered for the map and analyses (a broken workspace is reported, not lost)."""
    try:
        _, saved = workspace_snapshot()
    except LayerError as exc:
        st.sidebar.error(f"Workspace: {exc}")
        return {}
    for name, gdf in saved.items():
        layers.register_user_layer(name, gdf)
    return saved


def _import(uploaded, *, swap_xy: bool) -> None:
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
        f"Imported {len(gdf)} features from {uploaded.name}"
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
        with st.sidebar.expander(f"Workspace ({len(index)} layers)"):
            for row in index.itertuples():
                c1, c2 = st.columns([3, 1])
                c1.write(f"{row.name} · {row.kind} · {row.features}")
                if c2.button("Delete", key=f"delete_{row.name}"):
                    Workspace().delete(row.name)
                    st.rerun()


def filter_options(frames: dict[str, gpd.GeoDataFrame]) -> dict[str, list[str]]:
    """Values offered by each sidebar filter."""
    options: dict[str, set[str]] = {c: set() for c in layers.FILTER_COLUMNS}
    for gdf in frames.values():
        for column in layers.FILTER_COLUMNS:
            if column in gdf.columns:
                for value in gdf[column].dropna():
                    options[column].update(v for v in str(value).split(";") if v)
    return {c: sorted(v) for c, v in options.items()}


def sidebar(frames: dict[str, gpd.GeoDataFrame], panel) -> tuple[list[str], dict[str, list[str]], str]:
    """Layer choice, filters and basemap, drawn in ``panel`` (a sidebar container)."""
    record_layers = [n for n in frames if layers.spec(n).filterable]
    new = [n for n in st.session_state.pop("new_layers", []) if n in record_layers]
    if new and "visible_layers" in st.session_state:  # a fresh import is shown at once
        kept = [n for n in st.session_state["visible_layers"] if n in record_layers]
        st.session_state["visible_layers"] = kept + [n for n in new if n not in kept]
    visible = panel.multiselect(
        "Layers",
        record_layers,
        default=record_layers,
        format_func=lambda n: layers.spec(n).title,
        key="visible_layers",
        bind="query-params",
    )
    panel.subheader("Filters")
    options = filter_options({n: frames[n] for n in record_layers})
    selected = {
        column: panel.multiselect(
            column.capitalize(), options[column], key=f"filter_{column}", bind="query-params"
        )
        for column in layers.FILTER_COLUMNS
    }
    basemap = panel.radio(
        "Basemap",
        BASEMAPS,
        key="basemap",
        bind="query-params",
        help="The offline basemap needs no tile server.",
    )
    return visible, selected, basemap


def map_tab(shown: dict[str, gpd.GeoDataFrame], basemap: str) -> None:
    """The map, the table of filtered features and the downloads."""
    counts = ", ".join(f"{layers.spec(n).title}: {len(g)}" for n, g in shown.items())
    st.caption(f"Showing {counts or 'no layers'}")
    atlas = build_map(shown, basemap=basemap)
    st_folium(atlas, height=620, use_container_width=True, returned_objects=[], key="atlas_map")

    if st.toggle(
        "Attribute table",
        key="show_table",
        bind="query-params",
        help="The filtered features with their sources (off by default: a lighter first page)",
    ):
        source_column = st.column_config.TextColumn("source", width="large")
        st.dataframe(
            layers.attribute_table(shown),
            hide_index=True,
            width="stretch",
            column_config={"source": source_column},
            key="features_table",
        )
    st.subheader("Download")
    fmt = st.selectbox("Format", list(EXPORT_FORMATS), format_func=str.upper, key="download_format")
    columns = st.columns(len(shown) + 1 or 1)
    try:
        combined = layers.combine(shown)
        key = (
            "mineral-atlas",
            *combined["layer"].astype(str),
            *(combined["id"] if "id" in combined else combined.index).astype(str),
        )
        download(
            columns[0],
            f"All shown layers ({fmt.upper()})",
            combined,
            key,
            fmt,
            "mineral-atlas",
            "download_all",
        )
        for column, (name, gdf) in zip(columns[1:], shown.items(), strict=False):
            download(
                column,
                f"{layers.spec(name).title} ({len(gdf)})",
                gdf,
                (name, *(gdf["id"] if "id" in gdf else gdf.index).astype(str)),
                fmt,
                name,
                f"download_{name}",
            )
    except ExportError as exc:
        st.error(f"Export failed: {exc}")


@st.cache_data(show_spinner="Computing geodesic distances…", max_entries=32)
def nearest_result(
    _sources: gpd.GeoDataFrame, _targets: gpd.GeoDataFrame, key: tuple, k: int, max_distance_m: float | None
) -> gpd.GeoDataFrame:
    """Geodesic lines from each source to its k nearest targets; ``key`` identifies the inputs."""
    return nearest_lines(_sources, _targets, nearest(_sources, _targets, k=k, max_distance_m=max_distance_m))


def _ids(gdf: gpd.GeoDataFrame) -> tuple[str, ...]:
    return tuple(gdf.index.astype(str))


def histogram(values, name: str, *, bins: int = 30) -> gpd.pd.DataFrame:
    """Counts per bin, labelled by the bin's centre, for a bar chart."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return gpd.pd.DataFrame({name: [], "features": []})
    counts, edges = np.histogram(finite, bins=bins)
    return gpd.pd.DataFrame({name: (edges[:-1] + edges[1:]) / 2, "features": counts})


def _parse_radii(text: str) -> list[float]:
    values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    if not values or any(v <= 0 for v in values):
        raise ValueError
    return values


def _save(action, name: str) -> None:
    """Run a workspace write; report success or the failure (the workspace stays as it was)."""
    try:
        action()
    except (LayerError, OSError) as exc:
        st.error(f"Could not save {name!r} to the workspace ({exc}); the workspace is unchanged")
    else:
        st.success(f"Saved to the workspace as {name!r}")


def proximity_tab(shown: dict[str, gpd.GeoDataFrame], basemap: str) -> None:
    """Nearest targets of every source, range rings around a feature, nearest to a clicked point."""
    indexed = {n: layers.by_id(g) for n, g in shown.items() if len(g)}
    point_layers = [n for n, g in indexed.items() if set(g.geometry.geom_type) == {"Point"}]
    if not point_layers:
        st.info("Show at least one point layer (sidebar) to compute distances.")
        return
    c1, c2, c3, c4 = st.columns(4)
    source = c1.selectbox(
        "Sources",
        point_layers,
        index=point_layers.index("demand") if "demand" in point_layers else 0,
        format_func=lambda n: layers.spec(n).title,
        key="prox_source",
        bind="query-params",
    )
    target_layers = list(indexed)
    target = c2.selectbox(
        "Targets",
        target_layers,
        index=target_layers.index("facilities") if "facilities" in target_layers else 0,
        format_func=lambda n: layers.spec(n).title,
        key="prox_target",
        bind="query-params",
    )
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
    sources, targets = indexed[source], indexed[target]
    try:
        lines = nearest_result(
            sources, targets, (source, target, _ids(sources), _ids(targets)), k, max_km * 1000.0 or None
        )
    except (InputError, CRSError) as exc:
        st.error(f"Cannot compute distances: {exc}")
        return

    r1, r2 = st.columns([2, 1])
    features = {
        f"{layers.spec(n).title}: {name}": (n, i)
        for n, g in indexed.items()
        for i, name in zip(g.index, g["name"] if "name" in g else g.index, strict=True)
    }
    ring_choice = r1.selectbox(
        "Range rings around", ["(none)", *features], key="prox_ring_feature", bind="query-params"
    )
    radii_text = r2.text_input(
        "Ring radii (km, comma-separated)", "100, 250, 500", key="prox_ring_radii", bind="query-params"
    )
    overlays = [nearest_lines_group(lines, name=f"Nearest {layers.spec(target).title}")]
    if ring_choice != "(none)":
        try:
            radii = _parse_radii(radii_text)
        except ValueError:
            st.error(f"Ring radii: expected positive numbers of km separated by commas, got {radii_text!r}")
        else:
            layer_name, fid = features[ring_choice]
            centre = indexed[layer_name].geometry.loc[fid].representative_point()
            overlays.append(range_rings_group(centre.x, centre.y, radii, label=ring_choice))
    # the map's last click arrives in session state (st_folium's key) before this run starts
    last = (st.session_state.get("prox_map") or {}).get("last_clicked")
    clicked = (last["lng"], last["lat"]) if last else None
    if clicked:
        overlays.append(
            point_group(clicked[0], clicked[1], label=f"Clicked point {clicked[1]:.4f}, {clicked[0]:.4f}")
        )
    atlas = build_map({source: sources, target: targets}, basemap=basemap, overlays=overlays)
    st.caption(
        "Click the map to drop a point and list its nearest " + layers.spec(target).title.lower() + "."
    )
    st_folium(atlas, height=560, use_container_width=True, returned_objects=["last_clicked"], key="prox_map")

    if clicked:
        point = gpd.GeoDataFrame(
            {"name": ["clicked point"]},
            geometry=gpd.points_from_xy([clicked[0]], [clicked[1]]),
            crs="EPSG:4326",
            index=["clicked"],
        )
        near = nearest_lines(point, targets, nearest(point, targets, k=min(5, len(targets))))
        st.subheader("Nearest to the clicked point")
        st.dataframe(
            near[[c for c in ("target_id", "target_name", "rank", "distance_km") if c in near]].round(
                {"distance_km": 1}
            ),
            hide_index=True,
            width="stretch",
            key="prox_click_table",
        )
        if st.button("Save the clicked point as a candidate site", key="save_candidate"):
            candidate = point.assign(name=f"candidate {clicked[1]:.4f}, {clicked[0]:.4f}")
            _save(
                lambda: Workspace().append(
                    "candidate_sites", candidate, kind="candidates", source="map click"
                ),
                "candidate_sites",
            )

    st.subheader(f"Nearest {layers.spec(target).title.lower()} of each {layers.spec(source).title.lower()}")
    table = gpd.pd.DataFrame(lines.drop(columns="geometry"))
    left, right = st.columns([3, 2])
    left.dataframe(
        table.round({"distance_km": 1, "distance_m": 0}), hide_index=True, width="stretch", key="prox_table"
    )
    right.caption("Distribution of the distances (km)")
    right.bar_chart(histogram(table["distance_km"], "distance_km"), x="distance_km", y="features", height=260)
    if st.button("Save this result to the workspace", key="save_nearest"):
        name = f"nearest {target} of {source}"
        _save(lambda: Workspace().save(name, lines, kind="analysis", source="Proximity tab"), name)
    fmt = st.selectbox("Format", list(EXPORT_FORMATS), format_func=str.upper, key="prox_download_format")
    download(
        st,
        f"Nearest lines ({fmt.upper()}, {len(lines)})",
        lines,
        ("nearest", source, target, str(k), str(max_km), *_ids(sources), *_ids(targets)),
        fmt,
        f"nearest-{target}-of-{source}",
        "download_nearest",
    )


USER_LAYER = "layer: "  # prefix of workspace layers offered as a region or as candidate sites
GRID_MAX_CELLS = (
    1_000_000  # India at res 7 (600,000 cells) fits one app process; res 8 is for smaller regions
)


def user_layers(frames: dict[str, gpd.GeoDataFrame], kinds: tuple[str, ...]) -> list[str]:
    """Options for the workspace layers holding some geometry of ``kinds``."""
    return [
        USER_LAYER + n for n, g in frames.items() if n not in layers.names() and g.geom_type.isin(kinds).any()
    ]


@st.cache_resource(show_spinner=False, max_entries=4)  # shared, not copied: nothing writes to it
def grid_cells(region_code: str, resolution: int, version: int) -> gpd.GeoDataFrame:
    """The H3 cell centres of a country or a workspace polygon layer (``version``: the workspace's)."""
    frames = load_layers()
    if region_code.startswith(USER_LAYER):
        region = workspace_snapshot()[1].get(name := region_code.removeprefix(USER_LAYER))
        if region is None:
            msg = f"Region: the workspace layer {name!r} no longer exists"
            raise InputError(msg)
        region = region[region.geom_type.isin(["Polygon", "MultiPolygon"])]
    else:
        region = frames["countries"][frames["countries"]["country"] == region_code]
    return candidate_grid(
        region, resolution=resolution, geometry="centre", max_cells=GRID_MAX_CELLS
    )  # hexagons for what is shown


@st.cache_data(show_spinner=False, max_entries=32)
def criterion_values(
    region_code: str, resolution: int, version: int, criterion: str, radius_km: float
) -> gpd.pd.DataFrame:
    """One criterion over the grid, cached on its own: new weights re-rank without measuring again."""
    frames = load_layers()
    facilities = frames["facilities"][frames["facilities"]["kind"].isin(["recycling", "refining"])]
    targets = dict(
        demand=frames["demand"], blocks=frames["lithium_blocks"], ports=frames["ports"], facilities=facilities
    )
    return measure(
        grid_cells(region_code, resolution, version),
        **targets,
        demand_radius_km=radius_km,
        criteria=[criterion],
    )


@st.cache_data(show_spinner=False, max_entries=8)
def scored_grid(
    region_code: str,
    resolution: int,
    weights: tuple,
    competition: str,
    exclude_km: float,
    radius_km: float,
    version: int = 0,
) -> gpd.GeoDataFrame:
    """The scored grid (cached by its parameters and the workspace ``version``)."""
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


def siting_tab(frames: dict[str, gpd.GeoDataFrame], basemap: str) -> None:
    """Suitability grid with weights and sensitivity, then p-median or maximal coverage among the best cells."""
    codes = sorted(c for c in frames["countries"]["country"].unique() if c)
    c1, c2, c3, c4 = st.columns(4)
    regions = codes + user_layers(frames, ("Polygon", "MultiPolygon"))
    region = c1.selectbox(
        "Region",
        regions,
        index=regions.index("IN"),
        key="site_region",
        bind="query-params",
        help="A country, or a polygon layer you imported",
    )
    resolution = c2.selectbox(
        "H3 resolution",
        [5, 6, 7, 8],
        index=0,
        key="site_res",
        bind="query-params",
        help=f"Res 7 over India is 600,000 cells; at most {GRID_MAX_CELLS:,} (res 8 for a state or a district)",
    )
    competition = c3.radio(
        "Existing recyclers/refiners",
        ["avoid", "cluster"],
        key="site_competition",
        bind="query-params",
        horizontal=True,
    )
    exclude_km = c4.number_input(
        "Exclude within km of a facility (0 = none)",
        0.0,
        2000.0,
        0.0,
        step=25.0,
        key="site_exclude",
        bind="query-params",
    )
    w = st.columns(len(RAW_COLUMNS) + 1)
    weights = tuple(
        (
            criterion,
            w[i].slider(
                f"Weight: {criterion.replace('_', ' ')}",
                0.0,
                1.0,
                default,
                0.05,
                key=f"site_w_{criterion}",
                bind="query-params",
            ),
        )
        for i, (criterion, default) in enumerate(DEFAULT_WEIGHTS.items())
    )
    radius_km = w[-1].number_input(
        "Feedstock radius (km)", 10.0, 1000.0, 200.0, step=10.0, key="site_radius", bind="query-params"
    )
    top_n = st.slider("Show the best N cells", 10, 1000, 200, 10, key="site_top", bind="query-params")
    if sum(v for _, v in weights) <= 0:
        st.warning("Give at least one criterion a weight above zero.")
        return
    params = (region, resolution, weights, competition, exclude_km, radius_km)
    if st.button("Score the grid", key="site_run", type="primary"):
        st.session_state["site_params"] = params
        st.session_state.pop("allocation", None)
        st.query_params["scored"] = "1"
        if "allocated" in st.query_params:
            del st.query_params["allocated"]
    elif st.query_params.get("scored") == "1" and "site_params" not in st.session_state:
        st.session_state["site_params"] = params  # a shared link: score with its parameters
    if "site_params" not in st.session_state:
        st.info("Set the region, weights and constraints, then press **Score the grid**.")
        return
    if st.session_state["site_params"] != params:
        st.caption("The settings changed: press **Score the grid** to update the results below.")
    region_code, resolution, _, _, _, radius_km = st.session_state["site_params"]
    version = Workspace().path.stat().st_mtime_ns if region_code.startswith(USER_LAYER) else 0
    bar = st.progress(0.0, text="Building the H3 grid…")
    try:
        grid_cells(region_code, resolution, version)
        for step, criterion in enumerate(RAW_COLUMNS):  # each cached: a re-run only re-ranks
            bar.progress(
                (step + 1) / (len(RAW_COLUMNS) + 1),
                text=f"Measuring {criterion.replace('_', ' ')} over the grid…",
            )
            criterion_values(region_code, resolution, version, criterion, radius_km)
        scored = scored_grid(*st.session_state["site_params"], version=version)
    except InputError as exc:
        st.error(f"Cannot score the grid: {exc}")
        return
    finally:
        bar.empty()
    top = hexagons(scored.head(top_n))
    norm = scored[[f"n_{c}" for c in RAW_COLUMNS]].rename(columns=lambda c: c[2:])
    stability = sensitivity(norm, dict(st.session_state["site_params"][2]), top_n=10, draws=300, seed=0)

    a0, a1, a2, a3, a4 = st.columns(5)
    distances = a0.radio(
        "Distances",
        ["road network", "geodesic"],
        key="alloc_cost",
        bind="query-params",
        help="Road: shortest paths on the OpenStreetMap road graph; geodesic: straight WGS84 distance",
    )
    model = a1.radio(
        "Location-allocation",
        ["p-median", "coverage"],
        key="alloc_model",
        bind="query-params",
        horizontal=True,
    )
    k = int(a2.number_input("New sites k", 1, 20, 3, key="alloc_k", bind="query-params"))
    keep = a2.checkbox(
        "Existing recyclers/refiners stay open",
        key="alloc_keep",
        bind="query-params",
        disabled=region_code.startswith(USER_LAYER),
        help="Those of the scored region's country, fixed open; the model adds k new sites",
    )
    service_km = a3.number_input(
        "Coverage distance (km)",
        10.0,
        2000.0,
        250.0,
        step=10.0,
        key="alloc_service",
        bind="query-params",
        disabled=model != "coverage",
    )
    choices = ["best cells"] + user_layers(frames, ("Point", "MultiPoint"))
    among = a4.selectbox(
        "Candidate sites",
        choices,
        key="alloc_among",
        bind="query-params",
        help="The best N cells, or a point layer you imported",
    )
    pool = int(
        a4.number_input(
            "N best cells", 5, 300, 50, key="alloc_pool", bind="query-params", disabled=among != "best cells"
        )
    )
    overlays = [scored_cells_group(top, name=f"Best {len(top)} cells")]
    allocation = None
    restore = st.query_params.get("allocated") == "1" and "allocation" not in st.session_state
    if st.button("Choose sites", key="alloc_run") or restore:
        st.query_params["allocated"] = "1"
        demand = frames["demand"].set_axis(frames["demand"]["id"].to_numpy())
        candidates = (
            scored.head(pool).set_axis(scored.head(pool)["cell"].to_numpy())
            if among == "best cells"
            else frames[among.removeprefix(USER_LAYER)]
        )
        fac = frames["facilities"]
        existing = fac[fac["kind"].isin(["recycling", "refining"]) & (fac["country"] == region_code) & keep]
        try:
            with st.spinner("Routing and solving…"):
                candidates, fixed = with_existing(candidates, existing.set_axis(existing["id"].to_numpy()))
                cost_km = None
                if distances == "road network":
                    cost_km, dropped = network_cost_km(demand, candidates, mode="road")
                    if dropped:
                        st.warning(
                            f"Left out, no road route to any candidate: {', '.join(demand.loc[dropped, 'name'].astype(str))}"
                        )
                    demand = demand.drop(index=dropped)
                allocation = allocate(
                    candidates,
                    demand,
                    k=k + len(fixed),
                    fixed=fixed,
                    model=model,
                    service_km=service_km if model == "coverage" else None,
                    cost_km=cost_km,
                )
        except InputError as exc:
            st.error(f"Location-allocation failed: {exc}")
        else:
            st.session_state["allocation"] = allocation
    allocation = allocation or st.session_state.get("allocation")
    if allocation is not None:
        overlays.append(allocation_group(allocation[0], allocation[1]))
    legend = " ".join(f"<span style='background:{c};padding:0 10px'>&nbsp;</span>" for c in SCORE_RAMP)
    st.markdown(f"Score: low {legend} high", unsafe_allow_html=True)
    st_folium(
        build_map({}, basemap=basemap, overlays=overlays),
        height=560,
        use_container_width=True,
        returned_objects=[],
        key="site_map",
    )

    left, right = st.columns([3, 2])
    left.subheader(f"Best {len(top)} cells")
    left.dataframe(
        gpd.pd.DataFrame(top.drop(columns="geometry")).round(3),
        hide_index=True,
        width="stretch",
        key="site_table",
    )
    right.caption(f"Scores of all {len(scored):,} cells")
    right.bar_chart(histogram(scored["score"], "score"), x="score", y="features", height=200)
    right.subheader("Ranking stability (weights ±20 %, 300 draws)")
    right.bar_chart(
        stability.assign(cell=top["cell"].head(len(stability)).to_numpy()).set_index("cell")["share_in_top"],
        height=260,
    )
    right.caption("Share of draws in which each of today's top 10 cells stays in the top 10.")
    if allocation is not None:
        sites, lines, result = allocation
        served = result.served_weight / result.total_weight if result.total_weight else 0.0
        st.subheader("Chosen sites")
        st.caption(
            f"{'Road-network' if result.cost == 'network' else 'Geodesic'} distances. Demand served: {served:.1%}; mean {gpd.pd.Series(result.distance_km).mean():,.1f} km, max {gpd.pd.Series(result.distance_km).max():,.1f} km."
        )
        st.dataframe(
            gpd.pd.DataFrame(sites.drop(columns="geometry")).round(3),
            hide_index=True,
            width="stretch",
            key="alloc_table",
        )
    fmt = st.selectbox("Format", list(EXPORT_FORMATS), format_func=str.upper, key="site_download_format")
    d1, d2, d3 = st.columns(3)
    key = tuple(str(p) for p in st.session_state["site_params"])
    d1.download_button(
        f"All {len(scored):,} scored cells",
        lambda: export_bytes(hexagons(scored), ("scored-cells", *key), fmt),
        file_name=f"scored-cells{EXPORT_FORMATS[fmt]}",
        mime=MIME_TYPES[fmt],
        key="download_cells",
    )  # hexagons built when clicked
    download(
        d2, f"Best {len(top)} cells", top, ("best-cells", str(top_n), *key), fmt, "best-cells", "download_top"
    )
    if allocation is not None:
        download(
            d3,
            "Chosen sites",
            allocation[0],
            ("chosen-sites", *allocation[0].index.astype(str)),
            fmt,
            "chosen-sites",
            "download_sites",
        )


@st.cache_data(show_spinner="Routing over the network…", max_entries=64)
def routed(
    origin: tuple[float, float],
    destination: tuple[float, float],
    mode: str,
    tonnes: float,
    objective: str,
    names: tuple[str, str],
) -> gpd.GeoDataFrame:
    """One route (cached by its parameters); the networks themselves are loaded once per process."""
    return route(
        gpd.points_from_xy([origin[0]], [origin[1]])[0],
        gpd.points_from_xy([destination[0]], [destination[1]])[0],
        mode=mode,
        tonnes=tonnes,
        objective=objective,
        names=names,
    )


@st.cache_data(show_spinner=False)
def endpoint_choices() -> dict[str, tuple[float, float]]:
    """Features a route can start or end at: label -> (lon, lat)."""
    ends = endpoints()
    return {
        f"{n} ({layer})": (p.x, p.y)
        for n, layer, p in zip(ends["name"], ends["layer"], ends.geometry, strict=True)
    }


def routes_tab(basemap: str) -> None:
    """Route between any two features (or a clicked point) by several modes, compared side by side."""
    choices = dict(endpoint_choices())
    last = (st.session_state.get("route_map") or {}).get("last_clicked")
    if last:
        choices = {
            f"Clicked point ({last['lat']:.4f}, {last['lng']:.4f})": (last["lng"], last["lat"]),
            **choices,
        }
    labels = list(choices)
    c1, c2, c3, c4 = st.columns([3, 3, 3, 1])
    origin = c1.selectbox(
        "Origin",
        labels,
        index=next((i for i, n in enumerate(labels) if n.startswith("Salal-Haimana")), 0),
        key="route_origin",
        bind="query-params",
    )
    destination = c2.selectbox(
        "Destination",
        labels,
        index=next((i for i, n in enumerate(labels) if n.startswith("Lohum lithium refinery")), 0),
        key="route_destination",
        bind="query-params",
    )
    modes = c3.multiselect(
        "Modes", list(MODES), default=["road", "rail", "multimodal"], key="route_modes", bind="query-params"
    )
    tonnes = c4.number_input("Tonnes", 0.1, 1e6, 20.0, key="route_tonnes", bind="query-params")
    objective = st.radio(
        "Multimodal ports chosen by least",
        ["co2e", "hours", "km"],
        horizontal=True,
        key="route_objective",
        bind="query-params",
    )
    results, errors = {}, []
    for mode in modes:
        try:
            results[mode] = routed(
                choices[origin], choices[destination], mode, float(tonnes), objective, (origin, destination)
            )
        except InputError as exc:
            errors.append(f"{mode}: {exc}")
    for message in errors:
        st.warning(message)
    st.session_state["routes_result"] = {
        f"{origin} → {destination} ({m})": legs for m, legs in results.items()
    }
    overlays = [route_group(legs, name=mode) for mode, legs in results.items()]
    overlays += [
        point_group(*choices[origin], label=origin, name="Origin"),
        point_group(*choices[destination], label=destination, name="Destination"),
    ]
    st.caption("Click the map to route from or to that point (it appears first in the lists).")
    st_folium(
        build_map({}, basemap=basemap, overlays=overlays),
        height=520,
        use_container_width=True,
        returned_objects=["last_clicked"],
        key="route_map",
    )
    if not results:
        st.info("Pick at least one mode that connects the two places.")
        return
    totals = gpd.pd.DataFrame({m: route_totals(legs) for m, legs in results.items()}).T.rename_axis("mode")
    totals["access_km"] = [legs["access_km"].sum() for legs in results.values()]
    st.subheader("Modes side by side")
    st.dataframe(totals.round(2), width="stretch", key="route_totals")
    b1, b2, b3 = st.columns(3)
    for column, metric, title in ((b1, "length_km", "km"), (b2, "hours", "hours"), (b3, "co2e_t", "t CO2e")):
        column.caption(title)
        column.bar_chart(totals[metric], height=200, horizontal=True)
    legs = gpd.pd.concat([legs.assign(route_mode=m) for m, legs in results.items()], ignore_index=True)
    legs = gpd.GeoDataFrame(legs, geometry="geometry", crs="EPSG:4326")
    st.subheader("Legs")
    st.dataframe(
        gpd.pd.DataFrame(legs.drop(columns="geometry")).round(2),
        hide_index=True,
        width="stretch",
        key="route_legs",
    )
    st.caption(
        f"Hours from average speeds: {'; '.join(MODE_SPEED_SOURCES.values())}. CO2e: {MODE_CO2E_SOURCE}."
    )
    download(
        st,
        "Routes (GeoJSON)",
        legs,
        ("routes", origin, destination, objective, str(tonnes), *modes),
        "geojson",
        "routes",
        "download_route_legs",
    )


CORRIDOR_LAYERS = ("facilities", "demand", "ports", "lithium_blocks")


@st.cache_data(show_spinner="Finding features in the corridor…", max_entries=32)
def corridor_result(_line, key: tuple, width_km: float, _other) -> tuple:
    """Corridor polygon, features inside (by chainage) and the summary."""
    frames = load_layers()
    chosen = {n: frames[n] for n in CORRIDOR_LAYERS}
    inside = [
        features_in_corridor(_line, gdf, width_km=width_km).assign(layer=n) for n, gdf in chosen.items()
    ]
    inside = gpd.GeoDataFrame(
        gpd.pd.concat(inside, ignore_index=True), geometry="geometry", crs="EPSG:4326"
    ).sort_values("chainage_km")
    return (
        corridor_polygon(_line, width_km=width_km),
        inside,
        corridor_summary(_line, chosen, width_km=width_km, other_route=_other),
    )


def corridors_tab(frames: dict[str, gpd.GeoDataFrame], basemap: str) -> None:
    """What lies within X km of one route (and its overlap with a second), ordered along the way."""
    routes = {
        f"{rid}: {legs['purpose'].iloc[0][:70]}": legs
        for rid, legs in frames["routes"].groupby("route_id", sort=False)
    }
    routes.update(st.session_state.get("routes_result", {}))
    names = list(routes)
    c1, c2, c3 = st.columns([3, 3, 2])
    first = c1.selectbox("Route", names, key="corridor_route", bind="query-params")
    second = c2.selectbox(
        "Second route (overlap)", ["(none)", *names], key="corridor_route_2", bind="query-params"
    )
    width_km = c3.slider("Half-width (km)", 5, 200, 50, 5, key="corridor_width", bind="query-params")
    try:
        line = join_legs(routes[first])
        other = join_legs(routes[second]) if second != "(none)" else None
        polygon, inside, summary = corridor_result(
            line,
            (first, second, tuple(routes[first]["id"] if "id" in routes[first] else [])),
            float(width_km),
            other,
        )
    except (InputError, CRSError) as exc:
        st.error(f"Cannot build the corridor: {exc}")
        return
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Route length", f"{summary['route_km']:,.0f} km")
    m2.metric("Corridor area", f"{summary['area_km2']:,.0f} km²")
    m3.metric("Features inside", f"{len(inside):,}")
    m4.metric("Feedstock population", f"{summary['population']:,.0f}")
    if other is not None:
        st.caption(
            f"Overlap with the second route: {summary['shared_km']:,.0f} km of shared route, {summary['overlap_km2']:,.0f} km² of shared corridor."
        )
    overlays = [
        corridor_group(polygon, label=f"{first} ± {width_km} km"),
        route_group(routes[first], name="Route"),
    ]
    if other is not None:
        overlays.insert(
            1, corridor_group(corridor_polygon(other, width_km=width_km), label=f"{second} ± {width_km} km")
        )
    shown = {
        n: layers.by_id(inside[inside["layer"] == n].drop(columns=["layer"]))
        for n in CORRIDOR_LAYERS
        if (inside["layer"] == n).any()
    }
    st_folium(
        build_map(shown, basemap=basemap, overlays=overlays),
        height=520,
        use_container_width=True,
        returned_objects=[],
        key="corridor_map",
    )
    table = gpd.pd.DataFrame(inside.drop(columns="geometry"))[
        ["chainage_km", "distance_to_route_km", "side", "layer", "id", "name", "kind"]
    ]
    st.subheader("Along the route")
    st.scatter_chart(table, x="chainage_km", y="distance_to_route_km", color="layer", height=240)
    st.dataframe(table.round(1), hide_index=True, width="stretch", key="corridor_table")
    st.dataframe(summary["counts"], hide_index=True, key="corridor_counts")
    polygon_frame = gpd.GeoDataFrame(
        {"route": [first], "width_km": [width_km], "area_km2": [summary["area_km2"]]},
        geometry=[polygon],
        crs="EPSG:4326",
    )
    d1, d2 = st.columns(2)
    key = (first, second, str(width_km))
    download(
        d1,
        "Corridor polygon (GeoJSON)",
        polygon_frame,
        ("corridor", *key),
        "geojson",
        "corridor",
        "download_corridor",
    )
    download(
        d2,
        f"Features inside ({len(inside)}, GeoJSON)",
        inside,
        ("corridor-features", *key),
        "geojson",
        "corridor-features",
        "download_corridor_features",
    )


def about_tab(frames: dict[str, gpd.GeoDataFrame]) -> None:
    """The story, its figures and the attribution of every dataset."""
    st.markdown((PROJECT_DIR / "data" / "about.md").read_text(encoding="utf-8"))
    st.subheader("Data and attribution")
    st.markdown("- Basemap tiles (online): © OpenStreetMap contributors, ODbL")
    for credit in NETWORK_ATTRIBUTION.values():
        st.markdown(f"- {credit}")
    st.markdown(f"- Transit hours: {'; '.join(MODE_SPEED_SOURCES.values())}")
    st.markdown(f"- CO2e per tonne-km: {MODE_CO2E_SOURCE}")
    for name in frames:
        layer = layers.spec(name)
        st.markdown(f"- **{layer.title}**: {layer.description} — {layer.attribution}")
    st.markdown(
        "- Map library: Leaflet (BSD-2-Clause) with Leaflet.markercluster and leaflet.fullscreen (MIT), served by this app"
    )


def main() -> None:
    try:
        frames = load_layers()
    except LayerError as exc:
        st.error(f"Could not load the built-in data: {exc}")
        st.stop()
    st.sidebar.title("Mineral Atlas")
    panel = st.sidebar.container()
    import_panel()
    frames = {**frames, **workspace_layers()}
    visible, selected, basemap = sidebar(frames, panel)
    shown = {name: layers.filter_layer(frames[name], **selected) for name in visible}
    # the active tab lives in the URL (?tab=Routes) with every bound widget: a link restores the view;
    # only the open tab runs, so a widget change re-runs one tab, not six
    tabs = dict(zip(TABS, st.tabs(list(TABS), key="tab", bind="query-params"), strict=True))
    for label, tab in tabs.items():
        if tab.open:
            with tab:
                TABS[label](frames, shown, basemap)


TABS = {
    "Map": lambda frames, shown, basemap: map_tab(shown, basemap),
    "Proximity": lambda frames, shown, basemap: proximity_tab(shown, basemap),
    "Routes": lambda frames, shown, basemap: routes_tab(basemap),
    "Corridors": lambda frames, shown, basemap: corridors_tab(frames, basemap),
    "Site selection": lambda frames, shown, basemap: siting_tab(frames, basemap),
    "About": lambda frames, shown, basemap: about_tab(frames),
}

main()
