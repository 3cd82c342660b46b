"""Mineral Atlas: the Streamlit app. UI only: widgets, tabs and map assembly calls."""

from __future__ import annotations

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

import layers
from geo._errors import ExportError, LayerError
from geo.export import to_geojson
from layers._map import BASEMAPS, build_map

st.set_page_config(page_title="Mineral Atlas", page_icon=":world_map:", layout="wide")

ABOUT = """
**Mineral Atlas** maps the battery and critical-minerals supply chain behind the India-Japan story:
Lohum's refineries in Greater Noida and its other sites, the lithium blocks of Reasi (Jammu & Kashmir)
and Katghora (Korba, Chhattisgarh), Panasonic Energy's Osaka factory and Sumitomo Metal Mining's Toyo
and Niihama refineries, Redwood Materials and Gigafactory 1 in Nevada.

| Key figure | Value | Source |
|---|---|---|
| India's projected lithium carbonate need | about 300,000 t | Lohum Cleantech hosts Japanese delegation (METI, JBIC, JETRO, MoF), news report, July 2025 |
| National Critical Minerals Mission | ₹34,000 crore (2025 budget) | same report |
| Panasonic Energy's recycled cathode content target | 20 % by 2030 | Panasonic Launches Closed-Loop Recycling Initiative in Japan with Sumitomo Metal Mining, 2 Apr 2025 (source: Panasonic Energy) |
| Lithium inferred resource, Salal-Haimana (Reasi) | 5.9 Mt lithium ore (G3) | GSI, Feb 2023, as reported by Hindustan Times, 25 Feb 2023 |
| Katghora lithium & REE block | 256.12 ha; auctioned June 2024 | Business Standard, 21 May 2024; New Indian Express, 12 Apr 2025 |

Every record carries a `source`, a `source_date` and a `location_precision` (exact, site, town,
district, region). Where a site's address is not public, the point sits at the town or region and the
record's notes say so; lithium-block polygons are approximate squares of the reported areas.
"""


@st.cache_data(show_spinner="Loading layers…")
def load_layers() -> dict[str, gpd.GeoDataFrame]:
    """Every built-in layer, validated."""
    return {name: layers.load(name) for name in layers.names()}


@st.cache_data(show_spinner=False, max_entries=64)
def geojson_text(_frame: gpd.GeoDataFrame, key: tuple[str, ...]) -> str:
    """GeoJSON of a (filtered) frame; ``key`` (layer and ids) identifies it for the cache."""
    return to_geojson(_frame, argument=key[0])


def filter_options(frames: dict[str, gpd.GeoDataFrame]) -> dict[str, list[str]]:
    """Values offered by each sidebar filter."""
    options: dict[str, set[str]] = {c: set() for c in layers.FILTER_COLUMNS}
    for gdf in frames.values():
        for column in layers.FILTER_COLUMNS:
            if column in gdf.columns:
                for value in gdf[column].dropna():
                    options[column].update(v for v in str(value).split(";") if v)
    return {c: sorted(v) for c, v in options.items()}


def sidebar(frames: dict[str, gpd.GeoDataFrame]) -> tuple[list[str], dict[str, list[str]], str]:
    """Layer choice, filters and basemap from the sidebar."""
    st.sidebar.title("Mineral Atlas")
    record_layers = [n for n in frames if layers.spec(n).filterable]
    visible = st.sidebar.multiselect(
        "Layers", record_layers, default=record_layers, format_func=lambda n: layers.spec(n).title, key="visible_layers"
    )
    st.sidebar.subheader("Filters")
    options = filter_options({n: frames[n] for n in record_layers})
    selected = {
        column: st.sidebar.multiselect(column.capitalize(), options[column], key=f"filter_{column}")
        for column in layers.FILTER_COLUMNS
    }
    basemap = st.sidebar.radio("Basemap", BASEMAPS, key="basemap", help="The offline basemap needs no tile server.")
    return visible, selected, basemap


def map_tab(frames: dict[str, gpd.GeoDataFrame], shown: dict[str, gpd.GeoDataFrame], basemap: str) -> None:
    """The map, the table of filtered features and the downloads."""
    counts = ", ".join(f"{layers.spec(n).title}: {len(g)}" for n, g in shown.items())
    st.caption(f"Showing {counts or 'no layers'}")
    atlas = build_map({"countries": frames["countries"], **shown}, basemap=basemap)
    st_folium(atlas, height=620, use_container_width=True, returned_objects=[], key="atlas_map")

    st.subheader("Features")
    st.dataframe(
        layers.attribute_table(shown),
        hide_index=True,
        width="stretch",
        column_config={"source": st.column_config.TextColumn("source", width="large")},
        key="features_table",
    )
    st.subheader("Download")
    columns = st.columns(len(shown) + 1 or 1)
    try:
        combined = layers.combine(shown)
        key = ("filtered", *combined["layer"].astype(str), *combined.get("id", combined.index).astype(str))
        columns[0].download_button(
            "All shown layers (GeoJSON)",
            geojson_text(combined, key),
            file_name="mineral-atlas.geojson",
            mime="application/geo+json",
            key="download_all",
        )
        for column, (name, gdf) in zip(columns[1:], shown.items(), strict=False):
            column.download_button(
                f"{layers.spec(name).title} ({len(gdf)})",
                geojson_text(gdf, (name, *gdf["id"].astype(str))),
                file_name=f"{name}.geojson",
                mime="application/geo+json",
                key=f"download_{name}",
            )
    except ExportError as exc:
        st.error(f"Export failed: {exc}")


def about_tab(frames: dict[str, gpd.GeoDataFrame]) -> None:
    """The story, its figures and the attribution of every dataset."""
    st.markdown(ABOUT)
    st.subheader("Data and attribution")
    st.markdown("- Basemap tiles (online): © OpenStreetMap contributors, ODbL")
    for name in frames:
        layer = layers.spec(name)
        st.markdown(f"- **{layer.title}**: {layer.description} — {layer.attribution}")
    st.markdown("- Map library: Leaflet (BSD-2-Clause) with Leaflet.markercluster and leaflet.fullscreen (MIT), served by this app")


def main() -> None:
    try:
        frames = load_layers()
    except LayerError as exc:
        st.error(f"Could not load the built-in data: {exc}")
        st.stop()
    visible, selected, basemap = sidebar(frames)
    shown = {name: layers.filter_layer(frames[name], **selected) for name in visible}
    tab_map, tab_about = st.tabs(["Map", "About"])
    with tab_map:
        map_tab(frames, shown, basemap)
    with tab_about:
        about_tab(frames)


main()
