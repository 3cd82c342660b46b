import io
import json
import re
import subprocess
import sys

import pytest
from pypdf import PdfReader

from app.cli import main


def test_layers_lists_counts(capsys):
    assert main(["layers"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["layer", "features", "geometry", "title"]
    rows = {line.split()[0]: line.split()[1] for line in out[1:]}
    assert set(rows) == {"countries", "lithium_blocks", "routes", "demand", "ports", "facilities"}
    assert int(rows["facilities"]) >= 15


def test_export_writes_rfc7946_file(tmp_path, capsys):
    out = tmp_path / "f.geojson"
    assert main(["export", "facilities", "-o", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert all(f["properties"]["source"] and f["properties"]["location_precision"] for f in doc["features"])
    assert "wrote" in capsys.readouterr().err


def test_export_to_stdout(capsys):
    assert main(["export", "lithium_blocks", "-o", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["features"]) == 2


def test_bad_layer_is_one_line_and_non_zero(capsys):
    assert main(["export", "mines", "-o", "-"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert (
        "unknown layer 'mines'; valid layers: countries, lithium_blocks, routes, demand, ports, facilities"
        in err
    )


def test_usage_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export", "facilities"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "-o/--output" in err


def test_unwritable_output_keeps_nothing_half_written(tmp_path, capsys):
    assert main(["export", "facilities", "-o", str(tmp_path / "missing" / "f.geojson")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_console_script_is_installed(tmp_path):
    exe = __import__("shutil").which(
        "mineral-atlas", path=str(__import__("pathlib").Path(sys.executable).parent)
    )
    assert exe, "mineral-atlas console script not installed in the venv"
    done = subprocess.run(
        [exe, "export", "ports", "-o", str(tmp_path / "p.geojson")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "p.geojson").read_text())["features"]


def test_nearest_table(capsys):
    assert main(["nearest", "facilities", "lithium_blocks", "--k", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == [
        "source_id",
        "source_name",
        "target_id",
        "target_name",
        "rank",
        "distance_km",
    ]
    noida = [line.split("\t") for line in lines[1:] if line.startswith("lohum-greater-noida-li\t")]
    assert [row[2] for row in noida] == ["li-block-reasi-salal-haimana", "li-block-katghora-korba"]
    assert 500 < float(noida[0][5]) < 650


def test_nearest_geojson(tmp_path):
    out = tmp_path / "n.geojson"
    assert (
        main(["nearest", "demand", "facilities", "--k", "3", "--max-distance-km", "300", "-o", str(out)]) == 0
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    props = [f["properties"] for f in doc["features"]]
    assert props and all(p["distance_km"] <= 300 and p["rank"] in (1, 2, 3) for p in props)
    assert {f["geometry"]["type"] for f in doc["features"]} == {"LineString"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nearest", "demand", "facilities", "--k", "99"], "k: 99 is larger than the number of targets"),
        (["nearest", "countries", "facilities"], "sources: expected Point geometries, feature 'ne-"),
        (["nearest", "demand", "mines"], "unknown layer 'mines'"),
    ],
)
def test_nearest_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_import_list_export_delete(tmp_path, capsys):
    assert main(["import", "tests/data/bad/swapped_latlon.csv"]) == 2
    assert "look like lat/lon swapped" in capsys.readouterr().err
    assert main(["import", "tests/data/bad/swapped_latlon.csv", "--swap-xy", "--name", "japan"]) == 0
    assert main(["workspace"]) == 0
    assert "japan\timport\tswapped_latlon.csv" in capsys.readouterr().out
    out = tmp_path / "japan.gpkg"
    assert main(["export", "japan", "--format", "gpkg", "-o", str(out)]) == 0
    from geo.io import read_layer

    assert list(read_layer(out)["name"]) == ["Osaka", "Niihama"]
    assert main(["nearest", "japan", "facilities"]) == 0
    assert "smm-niihama-nickel" in capsys.readouterr().out
    assert main(["workspace", "--delete", "japan"]) == 0
    assert main(["export", "japan", "-o", "-"]) == 2
    assert "unknown layer 'japan'" in capsys.readouterr().err


def test_import_bad_file_is_one_line(capsys):
    assert main(["import", "tests/data/bad/zip_bomb.zip"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "decompression bomb" in err


def test_export_csv_to_stdout(capsysbinary):
    assert main(["export", "ports", "--format", "csv", "-o", "-"]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert out.splitlines()[0].startswith("id,name,") and "POINT (" in out


def test_site_select_writes_every_cell_or_top(tmp_path):
    out = tmp_path / "cells.geojson"
    assert (
        main(
            ["site-select", "--region", "IN", "--res", "5", "--weights", "feedstock=1,port=1", "-o", str(out)]
        )
        == 0
    )
    cells = json.loads(out.read_text())["features"]
    assert len(cells) > 10_000 and all(isinstance(f["properties"]["score"], float) for f in cells)
    scores = [f["properties"]["score"] for f in cells]
    assert scores == sorted(scores, reverse=True)
    assert main(["site-select", "--res", "5", "--top", "3", "-o", str(out)]) == 0
    assert [f["properties"]["rank"] for f in json.loads(out.read_text())["features"]] == [1, 2, 3]


def test_allocate_p_median_and_coverage(tmp_path, capsys):
    out = tmp_path / "alloc.geojson"
    assert (
        main(
            [
                "allocate",
                "--candidates",
                "facilities",
                "--k",
                "2",
                "--fixed",
                "lohum-greater-noida-li",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    feats = json.loads(out.read_text())["features"]
    sites = [f for f in feats if f["properties"]["feature"] == "site"]
    assert len(sites) == 2 and "lohum-greater-noida-li" in {f["properties"]["site_id"] for f in sites}
    err = capsys.readouterr().err
    assert (
        "p-median (network distances) assigns all demand; see mean/max distance" in err
        and "left out, no road route to any candidate: Port Blair" in err
    )
    assert (
        main(
            [
                "allocate",
                "--candidates",
                "facilities",
                "--k",
                "1",
                "--model",
                "coverage",
                "--service-km",
                "300",
                "--cost",
                "geodesic",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert "(geodesic distances)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["site-select", "--weights", "feedstock:1", "-o", "-"],
            "--weights: expected criterion=number pairs",
        ),
        (["site-select", "--weights", "beauty=1", "-o", "-"], "weights: unknown criterion beauty"),
        (["site-select", "--region", "XX", "-o", "-"], "--region: 'XX' is neither an ISO country code"),
        (
            ["site-select", "--res", "9", "-o", "-"],
            "resolution: expected an H3 resolution from 5 to 8, got 9",
        ),
        (
            ["allocate", "--candidates", "facilities", "--k", "2", "--fixed", "nope", "-o", "-"],
            "--fixed: nope not among the candidates' ids",
        ),
        (
            ["allocate", "--candidates", "facilities", "--k", "1", "--model", "coverage", "-o", "-"],
            "service_km: expected a service distance",
        ),
    ],
)
def test_siting_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_route_writes_legs_and_a_summary(tmp_path, capsys):
    out = tmp_path / "route.geojson"
    assert (
        main(
            [
                "route",
                "li-block-reasi-salal-haimana",
                "lohum-greater-noida-li",
                "--mode",
                "road",
                "--tonnes",
                "20",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    (leg,) = doc["features"]
    assert leg["properties"]["mode"] == "road" and 600 < leg["properties"]["length_km"] < 1000
    assert leg["properties"]["tonne_km"] == pytest.approx(20 * leg["properties"]["length_km"])
    err = capsys.readouterr().err
    assert "t CO2e, " in err and " USD for 20 t (1 leg, 0 transfers)" in err


def test_route_multimodal_from_coordinates(tmp_path):
    out = tmp_path / "mm.geojson"
    assert main(["route", "77.504,28.474", "port-aeshj", "--mode", "multimodal", "-o", str(out)]) == 0
    modes = [f["properties"]["mode"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]]
    assert "sea" in modes and modes[-1] != "sea"  # to a port of Sharjah by sea, then on land


def test_corridor_writes_polygon_and_features_by_chainage(tmp_path, capsys):
    out = tmp_path / "corridor.geojson"
    assert main(["corridor", "reasi-noida-road", "--width-km", "50", "-o", str(out)]) == 0
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert features[0]["properties"]["feature"] == "corridor" and features[0]["geometry"]["type"] in (
        "Polygon",
        "MultiPolygon",
    )
    inside = [f["properties"] for f in features[1:]]
    assert inside and all(p["distance_to_route_km"] <= 50 for p in inside)
    assert "lohum-greater-noida-li" in {p["id"] for p in inside}
    assert "features inside" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["route", "nowhere", "lohum-gujarat", "-o", "-"], "ORIGIN: 'nowhere' is neither a feature id"),
        (["route", "lohum-gujarat", "65,15", "-o", "-"], "65,15 .*no road network within .* at sea"),
        (["route", "lohum-gujarat", "gigafactory-1-nevada", "-o", "-"], "no road connection between"),
        (["corridor", "nope", "--width-km", "5", "-o", "-"], "ROUTE_ID: 'nope' is not a route"),
        (
            ["corridor", "reasi-noida-road", "--width-km", "0", "-o", "-"],
            "width_km: expected a width in km > 0",
        ),
    ],
)
def test_route_and_corridor_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err)


def test_site_select_dask_engine_matches_pandas(tmp_path):
    a, b = tmp_path / "pandas.geojson", tmp_path / "dask.geojson"
    assert main(["site-select", "--res", "5", "--top", "30", "-o", str(a)]) == 0
    assert main(["site-select", "--res", "5", "--top", "30", "--engine", "dask", "-o", str(b)]) == 0
    scores = [[f["properties"]["score"] for f in json.loads(p.read_text())["features"]] for p in (a, b)]
    assert scores[0] == scores[1]


def test_unreachable_scheduler_is_one_line(capsys):
    assert (
        main(["site-select", "--res", "5", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "-o", "-"])
        == 2
    )
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1 and "--scheduler: cannot reach the dask scheduler at 'tcp://127.0.0.1:9'" in err
    )


def test_audit_prints_claims_by_basis_and_assumed_values(capsys):
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Provenance audit") and "Assumed values and scenario flows" in out
    assert main(["audit", "--csv"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("layer,records,claims,reported,assumed,scenario")
    assert any(line.startswith("facilities,") for line in table[1:])


def test_import_of_several_layers_asks_then_imports_one_or_all(tmp_path, capsys, private_workspace):
    import geopandas as gpd

    source = tmp_path / "two.gpkg"
    for layer, x in (("mines", 77.0), ("depots", 78.0)):
        gdf = gpd.GeoDataFrame({"name": [layer]}, geometry=gpd.points_from_xy([x], [28.0]), crs=4326)
        gdf.to_file(source, layer=layer, driver="GPKG")
    assert main(["import", str(source)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert (
        "holds 2 layers with features" in err
        and "'mines'" in err
        and "(--layer NAME, or --all-layers)" in err
    )
    assert main(["import", str(source), "--layer", "depots"]) == 0
    assert "imported 1 features into the workspace as 'depots'" in capsys.readouterr().err
    assert main(["import", str(source), "--all-layers", "--name", "site"]) == 0
    assert "'site_mines'" in capsys.readouterr().err
    assert main(["workspace"]) == 0
    listed = capsys.readouterr().out
    assert "site_depots" in listed and "site_mines" in listed


def test_import_names_from_any_file_name_and_checks_a_given_one(tmp_path, capsys, private_workspace):
    source = tmp_path / "(2024) mines.csv"
    source.write_text("lat,lon,name\n28.4,77.5,a\n", encoding="utf-8")
    assert main(["import", str(source)]) == 0
    assert "as '2024_mines'" in capsys.readouterr().err
    assert main(["import", str(source), "--name", "../../etc/x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mineral-atlas: error: --name") and len(err.strip().splitlines()) == 1


def test_an_upload_named_like_a_built_in_layer_never_replaces_it(tmp_path, capsys, private_workspace):
    import layers

    source = tmp_path / "facilities.csv"
    source.write_text("lat,lon,name\n28.4,77.5,mine\n", encoding="utf-8")
    assert main(["import", str(source)]) == 0
    assert "as 'facilities (2)'" in capsys.readouterr().err
    assert main(["import", str(source), "--name", "facilities"]) == 2
    assert "reserved" in capsys.readouterr().err
    assert len(layers.load("facilities")) > 1  # the curated layer is untouched


def _pdf(path) -> tuple[PdfReader, str]:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(page.extract_text() for page in reader.pages)


def test_service_area_writes_bands_and_a_report(tmp_path, capsys):
    out, pdf = tmp_path / "sa.geojson", tmp_path / "sa.pdf"
    argv = [
        "service-area",
        "lohum-greater-noida-li",
        "--hours",
        "8",
        "4",
        "-o",
        str(out),
        "--report",
        str(pdf),
    ]
    assert main(argv) == 0
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    props = [f["properties"] for f in features]
    assert [p["band_h"] for p in props] == [4.0, 8.0]  # ascending, whatever the order typed
    assert props[0]["area_km2"] < props[1]["area_km2"]
    assert props[0]["feedstock_population"] <= props[1]["feedstock_population"]
    assert "lohum-greater-noida-li" in props[0]["facility_ids"].split(
        ";"
    )  # the origin is inside its own band
    assert {f["geometry"]["type"] for f in features} == {"MultiPolygon"}
    err = capsys.readouterr().err
    assert "Lohum lithium refinery (Greater Noida) within 4 h by road: " in err and "wrote the report" in err
    reader, text = _pdf(pdf)
    assert len(reader.pages) >= 3
    assert reader.metadata.title == "Service areas by road: Lohum lithium refinery (Greater Noida)"
    assert "Each origin and band" in text and "Feedstock population inside each band" in text
    assert "Road network: OpenStreetMap contributors" in text  # the network is cited
    assert "Dainik Jagran" in text  # and the origin's own record


def test_service_area_in_km_for_two_origins_merged(tmp_path):
    out = tmp_path / "sa.geojson"
    argv = ["service-area", "lohum-greater-noida-li", "77.1,28.6", "--km", "100", "--merge", "-o", str(out)]
    assert main(argv) == 0
    (feature,) = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert feature["properties"]["band_km"] == 100.0
    assert feature["properties"]["origin_id"] == "lohum-greater-noida-li;77.1,28.6"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["service-area", "nowhere", "--hours", "4", "-o", "-"], "ID: 'nowhere' is neither a feature id"),
        (["service-area", "65,15", "--hours", "4", "-o", "-"], "65.*15.*no road network within"),
        (["select", "facilities", "-o", "-"], "select: give one of --within-km D, --inside or --along"),
        (["select", "facilities", "--inside", "-o", "-"], "B: name the second layer"),
        (
            ["select", "facilities", "countries", "--inside", "--within-km", "5", "-o", "-"],
            "--inside: selects features inside polygons; it takes no --within-km",
        ),
        (["select", "facilities", "--along", "reasi-noida-road", "-o", "-"], "--along: give the corridor's"),
        (
            ["select", "facilities", "--along", "nope", "--within-km", "5", "-o", "-"],
            "--along: 'nope' is not a route_id of layer 'routes'; known: reasi-noida-road",
        ),
        (["select", "mines", "ports", "--within-km", "5", "-o", "-"], "unknown layer 'mines'"),
    ],
)
def test_gis_tool_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err)


@pytest.mark.parametrize(
    "argv",
    [
        ["service-area", "lohum-greater-noida-li", "-o", "-"],
        ["service-area", "lohum-greater-noida-li", "--hours", "-4", "-o", "-"],
        ["service-area", "lohum-greater-noida-li", "--hours", "4", "--km", "50", "-o", "-"],
        ["service-area", "lohum-greater-noida-li", "--hours", "4", "--mode", "sea", "-o", "-"],
        ["select", "facilities", "ports", "--inside", "--along", "x", "-o", "-"],
    ],
)
def test_gis_tool_usage_errors_are_one_line(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err


def test_select_within_inside_along_and_save(tmp_path, capsys):
    out = tmp_path / "sel.geojson"
    assert (
        main(["select", "ports", "facilities", "--within-km", "100", "-o", str(out), "--save", "near"]) == 0
    )
    near = [f["properties"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]]
    assert near and {p["selected_by"] for p in near} == {"within 100 km of facilities (geodesic)"}
    assert all(p["id"].startswith("port-") for p in near)
    assert "saved" in capsys.readouterr().err
    assert main(["workspace"]) == 0
    assert (
        "near\tanalysis\tmineral-atlas select: ports within 100 km of facilities" in capsys.readouterr().out
    )
    assert main(["select", "facilities", "countries", "--inside", "-o", str(out)]) == 0
    inside = json.loads(out.read_text(encoding="utf-8"))["features"]
    import layers

    on_land = layers.load("facilities")
    assert 0 < len(inside) <= len(on_land)
    assert (
        main(["select", "facilities", "--along", "reasi-noida-road", "--within-km", "50", "-o", str(out)])
        == 0
    )
    along = [f["properties"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]]
    assert "lohum-greater-noida-li" in {p["id"] for p in along}
    chainage = [p["chainage_km"] for p in along]
    assert chainage == sorted(chainage) and all(p["distance_to_route_km"] <= 50 for p in along)


@pytest.mark.parametrize(
    ("argv", "title", "cited"),
    [
        (
            ["site-select", "--res", "5", "--top", "5"],
            "Site selection: IN, H3 resolution 5",
            ["Ranking stability", "weight: feedstock", "Natural Earth"],
        ),
        (
            ["route", "li-block-reasi-salal-haimana", "lohum-greater-noida-li", "--mode", "road"],
            "Routes from Salal-Haimana",
            ["Mode comparison", "Road network: OpenStreetMap contributors", "Dainik Jagran"],
        ),
        (
            ["corridor", "reasi-noida-road", "--width-km", "50"],
            "Corridor of reasi-noida-road, ±50 km",
            ["by chainage", "Features along the route", "GeoNames"],
        ),
    ],
)
def test_report_option_writes_a_pdf(tmp_path, argv, title, cited):
    pdf = tmp_path / "report.pdf"
    assert main([*argv, "-o", str(tmp_path / "out.geojson"), "--report", str(pdf)]) == 0
    reader, text = _pdf(pdf)
    assert len(reader.pages) >= 2 and reader.metadata.title.startswith(title)
    assert "Sources" in text and "Parameters" in text
    for words in cited:
        assert words in text


def test_report_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    pdf = tmp_path / "missing" / "r.pdf"
    argv = ["corridor", "reasi-noida-road", "--width-km", "20", "-o", str(tmp_path / "c.geojson")]
    assert main([*argv, "--report", str(pdf)]) == 2
    err = capsys.readouterr().err
    assert err == f"mineral-atlas: error: --report: folder '{pdf.parent}' of '{pdf}' does not exist\n"
    assert not (tmp_path / "c.geojson").exists()  # refused before the work
