"""The GIS tools as the CLI will call them (app.tools): ids to origins, service areas to GeoJSON and PDF."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pytest
import shapely
from pypdf import PdfReader

from app import report as R
from app import tools
from geo import InputError, LayerError
from geo.export import write_geojson


@pytest.fixture(scope="module")
def frames() -> dict[str, gpd.GeoDataFrame]:
    import layers

    return {name: layers.load(name) for name in ("facilities", "lithium_blocks", "ports", "demand")}


def test_resolve_places_reads_ids_and_coordinates(frames):
    out = tools.resolve_places(
        ["lohum-greater-noida-li", "li-block-reasi-salal-haimana", " 77.1,28.6 "], frames
    )
    assert out["id"].tolist() == ["lohum-greater-noida-li", "li-block-reasi-salal-haimana", "77.1,28.6"]
    assert out["layer"].tolist() == ["facilities", "lithium_blocks", "coordinates"]
    assert out.geometry.geom_type.eq("Point").all()  # a block starts from a point inside it
    block = frames["lithium_blocks"].set_index("id").geometry.loc["li-block-reasi-salal-haimana"]
    assert block.contains(out.geometry.iloc[1])
    assert out.geometry.iloc[2].equals(shapely.Point(77.1, 28.6))
    with pytest.raises(InputError, match="ID: 'nowhere' is neither a feature id of the facilities"):
        tools.resolve_places(["nowhere"], frames)
    with pytest.raises(InputError, match=r"ID: '200,10' is not a lon,lat position"):
        tools.resolve_places(["200,10"], frames)
    with pytest.raises(InputError, match="expected at least one"):
        tools.resolve_places([], frames)


def test_service_area_command_writes_geojson_and_a_report(frames, tmp_path):
    # what `mineral-atlas service-area lohum-greater-noida-li 77.1,28.6 --hours 4 8 -o f.geojson
    # --report r.pdf` does once the lead wires it
    areas, origins = tools.service_areas_for(["lohum-greater-noida-li", "77.1,28.6"], frames, hours=[8, 4])
    assert len(areas) == 4 and areas["band_h"].tolist() == [4.0, 8.0, 4.0, 8.0]
    assert areas["origin_name"].iloc[0] == "Lohum lithium refinery (Greater Noida)"
    assert (areas["feedstock_population"] > 0).all()
    path = write_geojson(areas, tmp_path / "f.geojson")
    data = json.loads(path.read_text())
    assert len(data["features"]) == 4
    assert data["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert data["features"][0]["properties"]["band_h"] == 4.0
    report = R.service_area_report(
        areas,
        origins=origins,
        origins_layer="facilities",
        context=tools.report_context(frames, ["demand"]),
        parameters=tools.parameters_text({"hours": [4, 8], "mode": "road", "merge": False}),
    )
    pdf = R.write_report(report, tmp_path / "r.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Service areas" in text and "4, 8" in text and "Feedstock demand (cities)" in text


def test_select_by_location_dispatches(frames):
    ports = frames["ports"]
    near = tools.select_by_location(
        ports, frames["facilities"], how="within", distance_km=100, b_name="facilities"
    )
    assert near["selected_by"].iloc[0] == "within 100 km of facilities (geodesic)"
    india = shapely.box(68.0, 6.0, 98.0, 36.0)
    inside = tools.select_by_location(ports, india, how="inside", b_name="the drawn box")
    assert set(inside["id"]) == {p for p in ports["id"] if p.startswith("port-in")}
    along = tools.select_by_location(
        ports, shapely.LineString([(69.5, 22.7), (70.5, 23.1)]), how="along", distance_km=30, b_name="Kutch"
    )
    assert along["id"].tolist() == ["port-inmun", "port-inixy"]  # Mundra, then Kandla along the line
    with pytest.raises(InputError, match="distance_km: 'within' needs a distance"):
        tools.select_by_location(ports, india, how="within")
    with pytest.raises(InputError, match="how: expected one of within, inside, intersects, along"):
        tools.select_by_location(ports, india, how="near")
    with pytest.raises(LayerError, match="report: layer"):
        tools.report_context(frames, ["routes"])
