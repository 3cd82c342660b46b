"""OGC API – Features at /ogc: in-process on small seeded frames (parameters, paging, filters, errors,
escaping), then on the real server with clients no one here wrote: GDAL's OAPIF driver (pyogrio) and
OWSLib."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from starlette.applications import Starlette
from starlette.testclient import TestClient

import layers
from app.ogc import BuiltinLayers, FrameProvider, Providers, routes
from app.ogc.query import MAX_LIMIT, parse_datetime, period
from tests.conftest import XSS_NAME

KEY_PROPERTIES = ("name", "operator", "kind", "materials", "status", "country", "source", "source_date")


def _sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c", "x"],
            "name": ["Alpha", "Beta", "Gamma", XSS_NAME],
            "status": ["operating", "planned", "operating", "operating"],
            "materials": ["Li;Co", "Ni", "", "Li"],
            "tonnes": [1.5, 2.0, np.nan, 3.0],
            "source": ["https://example.org/a", "javascript:alert(3)", "Report — Outlet", "<b>bold</b>"],
            "source_date": ["2025-07-10", "2025-04", "2024", "unknown"],
        },
        geometry=[
            shapely.Point(77.5, 28.47),
            shapely.Point(133.28, 33.96),
            shapely.Point(-119.44, 39.54),
            shapely.Point(179.5, -16.5),
        ],
        crs="EPSG:4326",
    )


def _frames() -> dict[str, gpd.GeoDataFrame]:
    line = gpd.GeoDataFrame(
        {"id": ["l1"], "name": ["a line"]},
        geometry=[shapely.LineString([(8_600_000, 3_300_000), (8_700_000, 3_400_000)])],
        crs="EPSG:3857",
    )
    return {"sites": _sites(), "line_3857": line, "<svg onload=alert(1)>": _sites().head(1)}


@pytest.fixture
def client() -> TestClient:
    return TestClient(Starlette(routes=routes(FrameProvider(_frames))))


def _ids(collection: dict) -> list[str]:
    return [f["id"] for f in collection["features"]]


def _items(client: TestClient, query: str = "", collection: str = "sites") -> dict:
    response = client.get(f"/ogc/collections/{collection}/items?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    return response.json()


# ----------------------------------------------------------------------------- documents
def test_landing_page_links_the_api_conformance_and_collections(client):
    body = client.get("/ogc").json()
    rels = {link["rel"]: link for link in body["links"]}
    assert rels["service-desc"]["href"] == "http://testserver/ogc/api"
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert rels["conformance"]["href"] == "http://testserver/ogc/conformance"
    assert rels["data"]["href"] == "http://testserver/ogc/collections"
    assert client.get("/ogc/").json() == body  # OWSLib asks with a trailing slash


def test_conformance_declares_core_geojson_and_openapi(client):
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    for part in ("core", "geojson", "oas30", "html"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{part}" in classes


def test_openapi_document_lists_every_collection_and_its_filters(client):
    response = client.get("/ogc/api")
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    api = response.json()
    assert api["openapi"].startswith("3.0")
    assert api["servers"] == [{"url": "http://testserver/ogc"}]
    items = api["paths"]["/collections/sites/items"]["get"]
    params = {p["name"]: p for p in items["parameters"]}
    assert params["limit"]["schema"]["maximum"] == MAX_LIMIT
    assert {"bbox", "datetime", "offset", "status", "materials", "tonnes"} <= set(params)
    assert params["tonnes"]["schema"]["type"] == "number"
    assert "/collections/%3Csvg%20onload%3Dalert%281%29%3E/items" in api["paths"]
    enum = api["paths"]["/collections/{collectionId}"]["get"]["parameters"][0]["schema"]["enum"]
    assert enum == ["sites", "line_3857", "<svg onload=alert(1)>"]


def test_collection_extent_and_dates(client):
    sites = client.get("/ogc/collections/sites").json()
    assert sites["extent"]["spatial"]["bbox"] == [list(_sites().total_bounds)]
    # "2024" starts the first year, "2025-07-10" ends the last day; "unknown" is no date
    assert sites["extent"]["temporal"]["interval"] == [
        ["2024-01-01T00:00:00Z", "2025-07-10T23:59:59.999999Z"]
    ]
    rels = [link["rel"] for link in sites["links"]]
    assert rels.count("items") == 2 and "self" in rels
    line = client.get("/ogc/collections/line_3857").json()
    assert "temporal" not in line["extent"]
    lon_lat = gpd.GeoSeries([shapely.Point(8_600_000, 3_300_000)], crs="EPSG:3857").to_crs("EPSG:4326")[0]
    assert line["extent"]["spatial"]["bbox"][0][:2] == pytest.approx([lon_lat.x, lon_lat.y])
    listed = client.get("/ogc/collections").json()["collections"]
    assert [c["id"] for c in listed] == ["sites", "line_3857", "<svg onload=alert(1)>"]


def test_queryables_are_the_properties(client):
    schema = client.get("/ogc/collections/sites/queryables").json()
    assert schema["properties"]["tonnes"]["type"] == "number"
    assert set(schema["properties"]) == {"name", "status", "materials", "tonnes", "source", "source_date"}


# ----------------------------------------------------------------------------- items
def test_features_are_geojson_with_exact_coordinates_and_null_for_missing(client):
    collection = _items(client)
    assert collection["type"] == "FeatureCollection"
    assert collection["numberMatched"] == collection["numberReturned"] == 4
    gamma = next(f for f in collection["features"] if f["id"] == "c")
    assert gamma["geometry"] == {"type": "Point", "coordinates": [-119.44, 39.54]}
    assert gamma["properties"]["tonnes"] is None
    assert "id" not in gamma["properties"]
    line = _items(client, collection="line_3857")["features"][0]
    expected = _frames()["line_3857"].to_crs("EPSG:4326").geometry[0]
    assert shapely.geometry.shape(line["geometry"]).equals_exact(expected, 1e-12)


def test_paging_with_next_and_prev_links(client):
    first = _items(client, "limit=3")
    assert (first["numberMatched"], first["numberReturned"]) == (4, 3)
    links = {link["rel"]: link["href"] for link in first["links"]}
    assert "prev" not in links
    assert links["next"] == "http://testserver/ogc/collections/sites/items?limit=3&offset=3&f=json"
    second = client.get(links["next"]).json()
    assert _ids(first) + _ids(second) == ["a", "b", "c", "x"]
    links = {link["rel"]: link["href"] for link in second["links"]}
    assert "next" not in links
    assert "offset=0" in links["prev"]
    beyond = _items(client, "offset=10")
    assert (beyond["numberMatched"], beyond["numberReturned"]) == (4, 0)


def test_limit_above_the_maximum_is_cut_to_it(client):
    assert _items(client, f"limit={MAX_LIMIT * 10}")["numberReturned"] == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=operating", ["a", "c", "x"]),
        ("status=operating&status=planned", ["a", "b", "c", "x"]),  # a repeated parameter: any value
        ("materials=Li", ["a", "x"]),  # one of the ;-separated materials
        ("materials=Co", ["a"]),
        ("tonnes=2", ["b"]),
        ("status=operating&materials=Li", ["a", "x"]),
        ("status=closed", []),
    ],
)
def test_property_filters(client, query, expected):
    assert _ids(_items(client, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("datetime=2025-07", ["a"]),
        ("datetime=2025-04-15", ["b"]),  # a source dated 2025-04 covers the whole month
        ("datetime=2024-06-01T12:00:00Z", ["c"]),
        ("datetime=2024-06/2025-05", ["b", "c"]),
        ("datetime=../2024-12-31", ["c"]),
        ("datetime=2025-07-01T00:00:00%2B05:30/..", ["a"]),
        ("datetime=1999", []),
    ],
)
def test_datetime_filters_on_source_date(client, query, expected):
    assert _ids(_items(client, query)) == expected


def test_datetime_on_a_collection_without_dates_matches_nothing(client):
    assert _items(client, "datetime=2025", collection="line_3857")["numberMatched"] == 0


@pytest.mark.parametrize(
    ("bbox", "expected"),
    [
        ("70,20,80,30", ["a"]),
        ("170,-20,-170,-10", ["x"]),  # across the antimeridian
        ("70,20,-100,80,30,100", ["a"]),  # heights (third and sixth) ignored
        ("-180,-90,180,90", ["a", "b", "c", "x"]),
        ("0,0,1,1", []),
    ],
)
def test_bbox(client, bbox, expected):
    assert _ids(_items(client, f"bbox={bbox}")) == expected


def test_single_feature(client):
    response = client.get("/ogc/collections/sites/items/b")
    assert response.status_code == 200
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == "b"
    assert feature["properties"]["name"] == "Beta"
    assert {link["rel"] for link in feature["links"]} == {"self", "alternate", "collection"}


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("bbox=1,2,3", "bbox: expected 4 numbers"),
        ("bbox=a,b,c,d", "bbox: expected numbers"),
        ("bbox=0,10,1,5", "bbox: latitudes"),
        ("bbox=0,0,200,1", "bbox: longitudes"),
        ("bbox=0,0,nan,1", "bbox: expected finite"),
        ("limit=-1", "limit: expected a whole number from 1"),
        ("limit=0", "limit: expected a whole number from 1"),
        ("limit=ten", "limit: expected a whole number"),
        ("offset=-5", "offset: expected a whole number from 0"),
        ("datetime=2025-13-45", "datetime: expected an RFC 3339"),
        ("datetime=yesterday", "datetime: expected an RFC 3339"),
        ("datetime=2025/2024", "datetime: the start is after the end"),
        ("datetime=../..", "datetime: an interval needs at least one end"),
        ("datetime=2024/x", "datetime: end 'x'"),
        ("datetime=2024/2025/2026", "datetime: expected an instant or start/end"),
        ("f=xml", "f: expected json or html"),
        ("colour=red", "unknown query parameter 'colour'"),
        ("limit=1&limit=2", "limit: given more than once"),
        ("tonnes=abc", "tonnes: expected a number"),
        ("crs=EPSG:3857", "crs: only http://www.opengis.net/def/crs/OGC/1.3/CRS84"),
    ],
)
def test_bad_parameters_are_400_with_an_ogc_exception(client, query, named):
    response = client.get(f"/ogc/collections/sites/items?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert named in body["description"]


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/ogc/collections/nowhere", "no collection 'nowhere'; collections: sites"),
        ("/ogc/collections/nowhere/items", "no collection 'nowhere'"),
        ("/ogc/collections/sites/items/zz", "collection 'sites' has no feature 'zz'"),
        ("/ogc/collections/sites/tiles", "no resource at /ogc/collections/sites/tiles"),
        ("/ogc/nothing/here", "no resource at /ogc/nothing/here"),
    ],
)
def test_unknown_resources_are_404_with_an_ogc_exception(client, path, named):
    response = client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "NotFound" and named in body["description"]


def test_other_endpoints_refuse_unknown_parameters(client):
    response = client.get("/ogc/collections?bbox=1,2,3,4")
    assert response.status_code == 400
    assert "unknown query parameter 'bbox'" in response.json()["description"]


def test_read_only(client):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/ogc/collections/sites/items").status_code == 405
    assert client.head("/ogc/collections/sites/items").status_code == 200


def test_a_layer_without_crs_is_a_500_naming_it_without_traceback():
    broken = _sites().set_crs(None, allow_override=True)
    client = TestClient(Starlette(routes=routes(FrameProvider(lambda: {"broken": broken}))))
    response = client.get("/ogc/collections")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "ServerError"
    assert "layer 'broken'" in body["description"] and "Traceback" not in response.text


# ----------------------------------------------------------------------------- HTML
def test_browsers_get_html_and_clients_get_json(client):
    browser = client.get("/ogc/collections", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/html")
    assert (
        client.get("/ogc/collections", headers={"Accept": "*/*"}).headers["content-type"]
        == "application/json"
    )
    assert client.get("/ogc/collections?f=html").headers["content-type"].startswith("text/html")


def test_html_escapes_every_value(client):
    pages = [
        client.get("/ogc/collections/sites/items?f=html").text,
        client.get("/ogc/collections/sites/items/x?f=html").text,
        client.get("/ogc/collections?f=html").text,
        client.get("/ogc/api?f=html").text,
    ]
    for page in pages:
        assert "<img" not in page and "<svg" not in page and "<b>bold" not in page
        assert 'href="javascript:' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1]
    assert "&lt;svg onload=alert(1)&gt;" in pages[2]
    # an http(s) source is a link, anything else stays text
    assert '<a href="https://example.org/a" rel="noopener noreferrer nofollow">' in pages[0]
    assert "javascript:alert(3)" in pages[0]


# ----------------------------------------------------------------------------- providers
def test_frame_provider_reads_again_only_when_the_version_changes():
    calls, version = [], [1]

    def frames():
        calls.append(1)
        return {"sites": _sites().head(len(calls) + 1)}

    client = TestClient(Starlette(routes=routes(FrameProvider(frames, version=lambda: version[0]))))
    assert client.get("/ogc/collections/sites").json()["extent"]
    assert _items(client)["numberMatched"] == 2
    assert len(calls) == 1
    version[0] = 2  # a save in the workspace
    assert _items(client)["numberMatched"] == 3
    assert len(calls) == 2
    # the frames are shared between requests and no request changes them
    _items(client, "status=operating&bbox=70,20,80,30&datetime=2025")
    client.get("/ogc/collections/sites/items?f=html")
    assert _ids(_items(client)) == ["a", "b", "c"]
    assert _items(client)["features"][2]["properties"]["tonnes"] is None


def test_duplicate_ids_become_row_numbers_and_the_ids_are_kept():
    doubled = _sites().assign(id=["a", "a", "b", "c"])
    client = TestClient(Starlette(routes=routes(FrameProvider(lambda: {"d": doubled}))))
    features = _items(client, collection="d")["features"]
    assert [f["id"] for f in features] == ["1", "2", "3", "4"]
    assert [f["properties"]["source_id"] for f in features] == ["a", "a", "b", "c"]


def test_providers_chain_with_a_prefix_keeping_the_builtin_layers_first():
    saved = FrameProvider(lambda: {"nearest": _sites()}, id_prefix="saved-")
    chained = Providers(BuiltinLayers(["facilities"]), saved)
    assert [c.id for c in chained.collections()] == ["facilities", "saved-nearest"]
    assert list(chained.features("saved-nearest")["id"]) == ["a", "b", "c", "x"]
    with pytest.raises(KeyError, match="nowhere"):
        chained.features("nowhere")


def test_an_open_ended_interval_of_a_provider_shows_as_dots_in_html():
    class OpenEnded:
        def __init__(self) -> None:
            self.inner = FrameProvider(_frames)

        def collections(self):
            return [
                replace(c, interval=(c.interval[0], None)) if c.interval else c
                for c in self.inner.collections()
            ]

        def features(self, collection_id):
            return self.inner.features(collection_id)

    client = TestClient(Starlette(routes=routes(OpenEnded())))
    page = client.get("/ogc/collections/sites", params={"f": "html"})
    assert page.status_code == 200 and "2024-01-01T00:00:00Z to .." in page.text


def test_builtin_layers_serve_every_layer_top_of_the_map_first():
    provider = BuiltinLayers()
    assert [c.id for c in provider.collections()] == list(reversed(layers.names()))
    facilities = next(c for c in provider.collections() if c.id == "facilities")
    assert facilities.count == len(layers.load("facilities"))
    assert facilities.temporal_property == "source_date"
    assert "data/facilities.csv" in facilities.description and "/work" not in facilities.description


def test_reduced_precision_dates_are_whole_periods():
    start, end = period("2024-02")
    assert (start.isoformat(), end.isoformat()) == (
        "2024-02-01T00:00:00+00:00",
        "2024-02-29T23:59:59.999999+00:00",
    )
    assert period("2024")[1].isoformat() == "2024-12-31T23:59:59.999999+00:00"
    assert period("2024-12")[1].isoformat() == "2024-12-31T23:59:59.999999+00:00"
    assert period("2024-02-30") is None and period("soon") is None
    start, end = parse_datetime("2025-07-10T10:00:00+02:00")
    assert start == end and start.isoformat() == "2025-07-10T08:00:00+00:00"


# ----------------------------------------------------------------------------- real server, real clients
def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_gdal_reads_facilities_equal_to_the_layer(atlas_server):
    served = pyogrio.read_dataframe(f"OAPIF:{atlas_server['url']}/ogc", layer="facilities")
    expected = layers.load("facilities")
    assert list(served["id"]) == list(expected["id"])
    assert served.crs.equals("OGC:CRS84")
    assert all(shapely.equals_exact(served.geometry.values, expected.geometry.values, tolerance=0))
    for name in KEY_PROPERTIES:
        assert list(served[name]) == list(expected[name]), name


def test_gdal_lists_every_layer_and_reads_each_whole(atlas_server):
    source = f"OAPIF:{atlas_server['url']}/ogc"
    listed = {name for name, _ in pyogrio.list_layers(source)}
    assert listed == set(layers.names())
    for name in ("routes", "lithium_blocks", "demand"):  # lines, polygons, and several pages of points
        served = pyogrio.read_dataframe(source, layer=name)
        expected = layers.load(name)
        assert sorted(served["id"]) == sorted(expected["id"]), name
        if name == "routes":
            by_id = served.set_index("id").loc[expected["id"]]
            assert np.allclose(by_id["length_km"], expected["length_km"])
            assert all(shapely.equals_exact(by_id.geometry.values, expected.geometry.values, tolerance=0))


def test_gdal_bbox_is_answered_by_the_server(atlas_server):
    box = (68.0, 6.0, 90.0, 37.0)  # India
    served = pyogrio.read_dataframe(f"OAPIF:{atlas_server['url']}/ogc", layer="demand", bbox=box)
    demand = layers.load("demand")
    expected = demand[demand.intersects(shapely.box(*box))]
    assert 0 < len(served) < len(demand)
    assert sorted(served["id"]) == sorted(expected["id"])


def test_owslib_lists_collections_and_pages_through_items(atlas_server):
    from owslib.ogcapi.features import Features

    service = Features(f"{atlas_server['url']}/ogc")
    assert service.feature_collections() == list(reversed(layers.names()))
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
        in service.conformance()["conformsTo"]
    )
    assert service.api()["paths"]["/collections/facilities/items"]

    page = service.collection_items("facilities", bbox=[70, 20, 80, 30], limit=2)
    facilities = layers.load("facilities")
    inside = facilities[facilities.intersects(shapely.box(70, 20, 80, 30))]
    assert page["numberMatched"] == len(inside) > 2
    assert [f["id"] for f in page["features"]] == list(inside["id"][:2])

    ids, offset = [], 0
    while True:
        page = service.collection_items("demand", limit=200, offset=offset)
        ids += [f["id"] for f in page["features"]]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 200
    assert ids == list(layers.load("demand")["id"])

    operating = service.collection_items("facilities", status="operating", limit=100)
    assert {f["id"] for f in operating["features"]} == set(
        facilities.loc[facilities["status"] == "operating", "id"]
    )
    feature = service.collection_item("facilities", "lohum-greater-noida-li")
    assert feature["properties"]["name"] == "Lohum lithium refinery (Greater Noida)"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/ogc/collections/facilities/items?bbox=70,20,80", 400, "InvalidParameterValue"),
        ("/ogc/collections/facilities/items?limit=-1", 400, "InvalidParameterValue"),
        ("/ogc/collections/facilities/items?datetime=2025-02-30", 400, "InvalidParameterValue"),
        ("/ogc/collections/mines", 404, "NotFound"),
        ("/ogc/collections/facilities/items/no-such-plant", 404, "NotFound"),
    ],
)
def test_real_server_answers_bad_requests_with_ogc_exceptions(atlas_server, path, status, code):
    got, headers, body = _get(atlas_server["url"] + path)
    assert got == status
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["code"] == code


def test_ogc_json_is_gzipped(atlas_server):
    url = f"{atlas_server['url']}/ogc/collections/countries/items?limit=50"
    status, headers, body = _get(url, **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    collection = json.loads(gzip.decompress(body))
    assert collection["numberReturned"] == 50
    plain_status, plain_headers, plain = _get(url)
    assert plain_status == 200 and "content-encoding" not in plain_headers
    assert len(body) < len(plain) / 2
    assert json.loads(plain)["features"][0]["id"] == collection["features"][0]["id"]


def test_ogc_serves_the_layers_shared_with_the_team_and_no_private_one(tmp_path, monkeypatch):
    import geopandas as gpd

    from app import asgi
    from app.store import open_workspace

    monkeypatch.setenv("MINERAL_ATLAS_WORKSPACE", str(tmp_path / "workspace.gpkg"))
    monkeypatch.delenv("MINERAL_ATLAS_DATABASE_URL", raising=False)
    point = gpd.GeoDataFrame({"name": ["a"]}, geometry=gpd.points_from_xy([77.5], [28.5]), crs=4326)
    open_workspace(user="alice").save("Alice's sites / 2026", point, kind="analysis", shared=True)
    open_workspace(user="bob").save("bob private", point, kind="analysis")
    shared = asgi._SharedLayers()
    frames = shared.frames()
    assert list(frames) == ["alice-s-sites-2026"]
    assert shared.names["alice-s-sites-2026"] == "Alice's sites / 2026"
    client = TestClient(Starlette(routes=routes(FrameProvider(shared.frames, id_prefix="shared-"))))
    ids = {c["id"] for c in client.get("/ogc/collections", params={"f": "json"}).json()["collections"]}
    assert ids == {"shared-alice-s-sites-2026"}
