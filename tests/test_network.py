"""Routing on the real road, rail and sea networks, and the path kernels on hand-built graphs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

import layers
from geo import _graphs, _intermodal, _legs, _paths
from geo._errors import CRSError, InputError, LayerError
from geo._paths import astar, many_to_many, workspace
from geo.distance import geodesic_m, unit_vectors
from geo.network import (
    BOUND_RADIUS_KM,
    OBJECTIVES,
    _land_crossing_km,
    access_km,
    network,
    network_distance_matrix,
    route,
    route_totals,
    route_transfers,
)
from geo.settings import MODE_KG_CO2E_PER_TKM, MODE_SPEED_KMH, MODE_USD_PER_TKM, TRANSFER
from layers.routes import routing_inputs

NOIDA = shapely.Point(77.5040, 28.4744)
CHENNAI_PORT = shapely.Point(80.30, 13.10)
ARABIAN_SEA = shapely.Point(65.0, 15.0)
CENTRAL_INDIA = shapely.Point(79.0, 22.0)


@pytest.fixture(scope="module")
def inputs() -> dict:
    """Ports and land from the layers, as the app passes them."""
    return routing_inputs()


def _facility(fid: str) -> shapely.Point:
    facilities = layers.load("facilities")
    return facilities.loc[facilities["id"] == fid].geometry.iloc[0]


# ----------------------------------------------------------------------------- kernels
def _csr(n: int, edges: list[tuple[int, int, float]]):
    rows, cols, w = zip(*[(a, b, d) for a, b, d in edges] + [(b, a, d) for a, b, d in edges], strict=True)
    m = csr_matrix((w, (rows, cols)), shape=(n, n))
    m.sort_indices()
    return m


@pytest.mark.parametrize("max_pairs", [4_000_000, 150], ids=["one block", "blocks of sources"])
def test_matrix_searches_each_pair_once_and_equals_scipy(max_pairs, monkeypatch):
    # two components, overlapping and repeated origins/destinations (several points on one node):
    # one search per pair of nodes, from whichever end, gives scipy's all-pairs answer
    monkeypatch.setattr(_paths, "MAX_PAIRS", max_pairs)
    rng = np.random.default_rng(8)
    n = 500
    lon = np.r_[rng.uniform(70, 90, 400), rng.uniform(130, 140, 100)]
    lat = np.r_[rng.uniform(10, 30, 400), rng.uniform(30, 40, 100)]
    xyz = np.ascontiguousarray(unit_vectors(lon, lat))
    _, near = __import__("scipy.spatial", fromlist=["cKDTree"]).cKDTree(xyz).query(xyz, 3)
    edges = {(min(i, j), max(i, j)) for i in range(n) for j in near[i, 1:] if (i < 400) == (j < 400)}
    weighted = [
        (a, b, float(geodesic_m(lon[a], lat[a], lon[b], lat[b])) / 1000 * rng.uniform(1, 1.3))
        for a, b in sorted(edges)
    ]
    m = _csr(n, weighted)
    indptr, indices = m.indptr.astype(np.int64), m.indices.astype(np.int64)
    component = __import__("scipy.sparse.csgraph", fromlist=["x"]).connected_components(m)[1].astype(np.int64)
    expected = dijkstra(m)
    origins = np.r_[rng.integers(0, n, 40), 7, 7]
    for destinations in (origins, np.r_[origins[:10], rng.integers(0, n, 25)], rng.integers(390, 410, 12)):
        for symmetric in (False, True):
            got = many_to_many(
                indptr, indices, m.data, origins, destinations, component, symmetric=symmetric, xyz=xyz
            )
            want = expected[origins][:, destinations]
            assert np.array_equal(np.isinf(got), np.isinf(want))
            np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-12)
            if destinations is origins:
                np.testing.assert_allclose(got, got.T, rtol=1e-12)


def test_astar_known_answer_on_a_small_graph():
    # three sides of a square and a detouring diagonal; nodes on the equator 1 degree apart,
    # weights the exact geodesics
    lon = np.array([0.0, 1.0, 1.0, 0.0, 2.0])
    lat = np.array([0.0, 0.0, 1.0, 1.0, 0.0])

    def km(a, b):
        return float(geodesic_m(lon[a], lat[a], lon[b], lat[b])) / 1000

    m = _csr(
        5, [(0, 1, km(0, 1)), (1, 2, km(1, 2)), (3, 0, km(3, 0)), (0, 2, km(0, 2) * 1.5), (1, 4, km(1, 4))]
    )
    xyz = np.ascontiguousarray(unit_vectors(lon, lat))
    scratch = workspace(5, m.nnz)
    length, path = astar(
        m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data, xyz, 0, 2, BOUND_RADIUS_KM, *scratch
    )
    assert list(path) == [0, 1, 2]  # the diagonal is a detour (1.5 x)
    assert length == pytest.approx(km(0, 1) + km(1, 2))
    length, path = astar(
        m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data, xyz, 3, 4, BOUND_RADIUS_KM, *scratch
    )
    assert list(path) == [3, 0, 1, 4]


def test_kernels_match_scipy_on_a_random_graph():
    rng = np.random.default_rng(3)
    n = 400
    lon, lat = rng.uniform(70, 90, n), rng.uniform(10, 30, n)
    xyz = np.ascontiguousarray(unit_vectors(lon, lat))
    _, nearest = __import__("scipy.spatial", fromlist=["cKDTree"]).cKDTree(xyz).query(xyz, 4)
    edges = {(min(i, j), max(i, j)) for i in range(n) for j in nearest[i, 1:]}
    edges |= {(i, n - 1 - i) for i in range(20)}  # a few long links
    weighted = [
        (a, b, float(geodesic_m(lon[a], lat[a], lon[b], lat[b])) / 1000 * rng.uniform(1, 1.3))
        for a, b in edges
    ]
    m = _csr(n, weighted)
    expected = dijkstra(m, indices=np.arange(10))
    indptr, indices = m.indptr.astype(np.int64), m.indices.astype(np.int64)
    component = __import__("scipy.sparse.csgraph", fromlist=["x"]).connected_components(m)[1].astype(np.int64)
    got = many_to_many(indptr, indices, m.data, np.arange(10), np.arange(n), component)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    scratch = workspace(n, m.nnz)
    for t in (57, 123, 399):  # the scratch arrays are reset between queries
        length, path = astar(indptr, indices, m.data, xyz, 0, t, BOUND_RADIUS_KM, *scratch)
        assert length == pytest.approx(expected[0, t], rel=1e-12)
        assert path[0] == 0 and path[-1] == t


def test_scgraph_text_is_parsed_without_importing_it(tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text(
        "\nfrom scgraph.core import GeoGraph\ngraph=[{1: 1.5, 2: 0.5}, {0: 1.5}, {0: 0.5}, {}]\n"
        "nodes=[[10.0, 20.0], [10.5, 20.0], [10.0, 20.5], [0.0, 0.0]]\n"
        "x = GeoGraph(graph=graph, nodes=nodes)\n"
    )
    row, col, lonlat = _graphs._parse_scgraph(path)
    assert row.tolist() == [0, 0, 1, 2] and col.tolist() == [1, 2, 0, 0]
    assert lonlat[1].tolist() == [20.0, 10.5]  # stored lat, lon; returned lon, lat


def test_network_cache_is_written_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("MINERAL_ATLAS_CACHE_DIR", str(tmp_path))
    built = _graphs.load_graph("sea")
    files = list(tmp_path.glob("network-sea-searoute-*.npz"))
    assert len(files) == 1
    again = _graphs.load_graph("sea")
    np.testing.assert_array_equal(again.indptr, built.indptr)
    np.testing.assert_array_equal(again.weight_km, built.weight_km)
    files[0].write_bytes(b"not an npz")  # a broken cache is rebuilt, not fatal
    assert _graphs.load_graph("sea").n_nodes == built.n_nodes


def test_graphs_are_symmetric_with_geodesic_weights():
    g = network("rail").graph
    m = csr_matrix((g.weight_km, g.indices, g.indptr))
    assert (m != m.T).nnz == 0
    sample = np.random.default_rng(1).integers(0, len(g.indices), 500)
    rows = np.searchsorted(g.indptr, sample, side="right") - 1
    exact = geodesic_m(g.lon[rows], g.lat[rows], g.lon[g.indices[sample]], g.lat[g.indices[sample]]) / 1000
    np.testing.assert_allclose(
        g.weight_km[sample], np.maximum(exact, _graphs.MIN_EDGE_KM), rtol=1e-9
    )  # Vincenty, either direction


# ----------------------------------------------------------------------------- routes
@pytest.fixture(scope="module")
def default_routes() -> gpd.GeoDataFrame:
    return layers.load("routes")


def test_default_routes_cover_the_story(default_routes):
    assert {
        "reasi-noida-road",
        "reasi-noida-rail",
        "korba-noida-road",
        "korba-gujarat-road",
        "noida-sharjah-multimodal",
        "south-india-niihama-multimodal",
        "osaka-niihama-multimodal",
        "redwood-gigafactory-road",
    } <= set(default_routes["route_id"])
    assert default_routes["purpose"].str.len().min() > 20


def test_land_routes_are_longer_than_the_geodesic_and_plausibly_circuitous(default_routes):
    land = default_routes[default_routes["mode"].isin(["road", "rail"]) & (default_routes["network_km"] > 50)]
    assert len(land) >= 5
    for leg in land.itertuples():
        start, end = shapely.get_coordinates(leg.geometry)[[0, -1]]
        direct_km = float(geodesic_m(start[0], start[1], end[0], end[1])) / 1000
        assert 1.0 <= leg.length_km / direct_km <= 2.0, (leg.id, leg.length_km, direct_km)


def test_sea_legs_start_and_end_at_ports_and_stay_off_land(default_routes):
    ports = layers.load("ports")
    sea = default_routes[default_routes["mode"] == "sea"]
    assert len(sea) >= 4
    for leg in sea.itertuples():
        assert {leg.from_name, leg.to_name} <= set(ports["name"])
        coords = shapely.get_coordinates(leg.geometry)
        for name, point in ((leg.from_name, coords[0]), (leg.to_name, coords[-1])):
            port = ports.loc[ports["name"] == name].geometry.iloc[0]
            assert (port.x, port.y) == pytest.approx(tuple(point))
        assert leg.land_crossing_km < 5.0, leg.id


def test_multimodal_legs_chain_and_metrics_add_up(default_routes):
    legs = default_routes[default_routes["route_id"] == "noida-sharjah-multimodal"].sort_values("leg")
    assert "sea" in legs["mode"].tolist() and legs["mode"].iloc[-1] == "road"  # Sharjah is inland of its port
    assert (legs["to_name"].to_numpy()[:-1] == legs["from_name"].to_numpy()[1:]).all()
    for leg in legs.itertuples():
        assert leg.hours == pytest.approx(leg.length_km / MODE_SPEED_KMH[leg.mode])
        assert leg.co2e_t == pytest.approx(leg.length_km * MODE_KG_CO2E_PER_TKM[leg.mode] / 1000)
        assert leg.cost_usd == pytest.approx(leg.length_km * MODE_USD_PER_TKM[leg.mode])
    totals = route_totals(legs)
    assert totals["length_km"] == pytest.approx(legs["length_km"].sum())
    assert totals["hours"] == pytest.approx(legs["hours"].sum() + legs["transfer_hours"].sum())
    assert totals["transfers"] == len(legs) - 1


def test_rail_emits_less_than_road_for_the_same_trip():
    road = route(NOIDA, CENTRAL_INDIA, mode="road", tonnes=20)
    rail = route(NOIDA, CENTRAL_INDIA, mode="rail", tonnes=20)
    assert rail["co2e_t"].sum() < road["co2e_t"].sum()
    assert road["tonne_km"].iloc[0] == pytest.approx(20 * road["length_km"].iloc[0])


def test_every_mainland_india_facility_is_reachable_by_road_from_greater_noida():
    facilities = layers.load("facilities")
    india = facilities[facilities["country"] == "IN"]
    noida = facilities[facilities["id"] == "lohum-greater-noida-li"]
    km = network_distance_matrix(noida, india, mode="road")
    assert np.isfinite(km.to_numpy()).all()
    assert (km.to_numpy() < 3500).all()


def test_distance_matrix_matches_single_routes():
    pts = gpd.GeoDataFrame(geometry=[NOIDA, CENTRAL_INDIA, CHENNAI_PORT], crs="EPSG:4326")
    km = network_distance_matrix(pts, pts, mode="road")
    assert (np.diag(km.to_numpy()) <= 2 * 60).all()  # only the access legs, there and back
    single = route(NOIDA, CHENNAI_PORT, mode="road")["length_km"].iloc[0]
    assert km.iloc[0, 2] == pytest.approx(single, rel=1e-9)
    np.testing.assert_allclose(km.to_numpy(), km.to_numpy().T, rtol=1e-9)


def test_distance_matrix_reports_other_continents_as_unreachable():
    a = gpd.GeoDataFrame(geometry=[NOIDA], crs="EPSG:4326")
    b = gpd.GeoDataFrame(geometry=[shapely.Point(-119.44, 39.54)], crs="EPSG:4326").to_crs("EPSG:3857")
    assert np.isinf(network_distance_matrix(a, b, mode="road").iloc[0, 0])


def test_land_crossing_is_measured(inputs):
    across_india = np.array([[70.0, 21.0], [87.0, 21.0]])
    assert _land_crossing_km(across_india, inputs["land"]) > 1400
    at_sea = np.array([[62.0, 12.0], [68.0, 10.0]])
    assert _land_crossing_km(at_sea, inputs["land"]) == 0.0


# ----------------------------------------------------------------------------- errors
def test_point_at_sea_has_no_road(inputs):
    with pytest.raises(InputError, match=r"destination .*no road network within .* at sea"):
        route(NOIDA, ARABIAN_SEA, mode="road", land=inputs["land"])


def test_inland_point_has_no_sea_route(inputs):
    with pytest.raises(InputError, match=r"origin .*no sea network within .*inland.*multimodal"):
        route(NOIDA, CHENNAI_PORT, mode="sea", land=inputs["land"])


def test_different_continents_by_road_is_an_error():
    with pytest.raises(InputError, match="no road connection between origin and destination"):
        route(NOIDA, shapely.Point(-119.44, 39.54), mode="road")


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"mode": "air"}, "mode: expected one of road, rail, sea, multimodal"),
        ({"mode": "road", "tonnes": 0}, "tonnes: expected a positive number"),
        ({"mode": "multimodal", "objective": "speed"}, "objective: expected one of co2e, hours, km, cost"),
        ({"mode": "road", "land": "land"}, "land: expected a shapely"),
        ({"mode": "multimodal", "ports": [1, 2]}, "ports: expected a GeoDataFrame"),
    ],
)
def test_bad_arguments_are_named(kwargs, pattern):
    with pytest.raises(InputError, match=pattern):
        route(NOIDA, CENTRAL_INDIA, **kwargs)


def test_bad_points_are_named():
    with pytest.raises(InputError, match="origin: expected a shapely Point"):
        route(shapely.LineString([(0, 0), (1, 1)]), NOIDA, mode="road")
    with pytest.raises(InputError, match=r"destination: \(200.0, 10.0\) is not a lon/lat position"):
        route(NOIDA, shapely.Point(200, 10), mode="road")
    with pytest.raises(CRSError, match="origins: GeoDataFrame has no CRS"):
        network_distance_matrix(
            gpd.GeoDataFrame(geometry=[NOIDA]), gpd.GeoDataFrame(geometry=[NOIDA], crs=4326), mode="road"
        )
    with pytest.raises(InputError, match="mode: expected one of road, rail, sea, got 'multimodal'"):
        network_distance_matrix(
            gpd.GeoDataFrame(geometry=[NOIDA], crs=4326),
            gpd.GeoDataFrame(geometry=[NOIDA], crs=4326),
            mode="multimodal",
        )


def test_access_km_is_the_geodesic_distance_to_the_nearest_usable_node():
    # Greater Noida is on the road network; the Bay of Bengal point is 150 km off the coast
    lon, lat = np.array([77.50, 87.9]), np.array([28.47, 19.0])
    km = access_km(lon, lat, mode="road")
    assert km[0] < 5 < 100 < km[1]
    net = network("road")
    nodes = net.tree_nodes
    brute = geodesic_m(lon[1], lat[1], net.graph.lon[nodes], net.graph.lat[nodes]).min() / 1000.0
    assert km[1] == pytest.approx(brute, rel=1e-3)


# ----------------------------------------------------------------------------- intermodal
def _objective_value(legs, objective: str) -> float:
    totals = route_totals(legs)
    return {
        "km": totals["length_km"],
        "hours": totals["hours"],
        "co2e": totals["co2e_t"],
        "cost": totals["cost_usd"],
    }[objective]


def _india_city_pairs(n: int, seed: int) -> list[tuple[shapely.Point, shapely.Point]]:
    countries = layers.load("countries")
    india = countries.loc[countries["country"] == "IN", "geometry"].iloc[0]
    mainland = max(getattr(india, "geoms", [india]), key=lambda p: p.area)
    cities = layers.load("demand")
    cities = cities[shapely.contains_xy(mainland, cities.geometry.x, cities.geometry.y)]
    pairs = np.random.default_rng(seed).choice(len(cities), size=(n, 2), replace=False)
    points = cities.geometry.to_numpy()
    return [(points[i], points[j]) for i, j in pairs]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_multimodal_is_never_worse_than_road_or_rail_on_random_india_pairs(inputs, objective):
    changed = 0
    for a, b in _india_city_pairs(20, seed=13):
        best = _objective_value(route(a, b, mode="multimodal", objective=objective, **inputs), objective)
        for mode in ("road", "rail"):
            try:
                single = _objective_value(route(a, b, mode=mode, **inputs), objective)
            except InputError:  # off that network or not connected to it
                continue
            assert best <= single * (1 + 1e-9), (objective, mode, a, b, best, single)
            changed += best < single * (1 - 1e-6)
    if objective in ("co2e", "cost"):
        assert changed > 0  # rail (or a road + rail chain) beats road somewhere


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_reasi_to_greater_noida_stays_inland(inputs, objective):
    blocks = layers.load("lithium_blocks")
    reasi = shapely.point_on_surface(
        blocks.loc[blocks["id"] == "li-block-reasi-salal-haimana"].geometry.iloc[0]
    )
    noida = _facility("lohum-greater-noida-li")
    legs = route(reasi, noida, mode="multimodal", objective=objective, names=("Reasi", "Noida"), **inputs)
    assert set(legs["mode"]) <= {"road", "rail"}  # no port detour
    assert legs["from_name"].iloc[0] == "Reasi" and legs["to_name"].iloc[-1] == "Noida"
    value = _objective_value(legs, objective)
    for mode in ("road", "rail"):
        assert value <= _objective_value(route(reasi, noida, mode=mode), objective) * (1 + 1e-9)
    if objective in ("co2e", "cost"):
        assert legs["mode"].tolist() == [
            "rail"
        ]  # 721 km by rail: 0.023 t and 17 USD per tonne against 0.087 t, 31 USD


def test_osaka_to_niihama_by_road_over_the_bridges(inputs):
    legs = route(_facility("panasonic-energy-osaka"), _facility("smm-niihama-nickel"), mode="road", **inputs)
    assert 230 <= legs["length_km"].iloc[0] <= 340
    coords = shapely.get_coordinates(legs.geometry.iloc[0])
    assert ((coords[:, 0] > 134.6) & (coords[:, 0] < 135.1) & (coords[:, 1] < 34.6)).any()  # across Awaji


def test_transfers_are_listed_with_their_cited_handling(inputs):
    tonnes = 20.0
    legs = route(NOIDA, _facility("lohum-sharjah-jv"), mode="multimodal", tonnes=tonnes, **inputs)
    transfers = route_transfers(legs)
    assert len(transfers) == len(legs) - 1 >= 2
    ports = set(inputs["ports"]["name"])
    at_port = transfers[transfers["transfer"].isin(["road to sea", "sea to road"])]
    assert len(at_port) == 2 and set(at_port["at"]) <= ports
    assert (at_port["hours"] == TRANSFER["port"]["hours"]).all()
    assert at_port["cost_usd"].to_numpy() == pytest.approx(tonnes * TRANSFER["port"]["usd_per_t"])
    assert at_port["co2e_t"].to_numpy() == pytest.approx(tonnes * TRANSFER["port"]["kg_co2e_per_t"] / 1000)
    totals = route_totals(legs)
    assert totals["cost_usd"] == pytest.approx(legs["cost_usd"].sum() + transfers["cost_usd"].sum())
    assert totals["co2e_t"] == pytest.approx(legs["co2e_t"].sum() + transfers["co2e_t"].sum())


def test_without_ports_a_multimodal_route_keeps_to_land():
    legs = route(NOIDA, CENTRAL_INDIA, mode="multimodal", objective="cost")
    assert set(legs["mode"]) <= {"road", "rail"}
    with pytest.raises(InputError, match=r"no multimodal connection .*ports="):
        route(NOIDA, shapely.Point(-119.44, 39.54), mode="multimodal")


def test_cost_objective_prices_each_mode_and_transfer():
    road = route(NOIDA, CENTRAL_INDIA, mode="road", tonnes=10)
    assert road["cost_usd"].iloc[0] == pytest.approx(road["tonne_km"].iloc[0] * MODE_USD_PER_TKM["road"])
    cheap = route(NOIDA, CENTRAL_INDIA, mode="multimodal", objective="cost", tonnes=10)
    assert route_totals(cheap)["cost_usd"] < route_totals(road)["cost_usd"]


def _tiny_intermodal() -> _intermodal.Intermodal:
    """Road A-B-C along the equator (0, 1, 2 degrees E), rail D-E from 0 to 2 degrees E (one edge),
    transfers A<->D and C<->E at the same places (0 km)."""
    lon = np.array([0.0, 1.0, 2.0, 0.0, 2.0])
    lat = np.zeros(5)

    def km(a, b):
        return float(geodesic_m(lon[a], lat[a], lon[b], lat[b])) / 1000

    base = _csr(5, [(0, 1, km(0, 1)), (1, 2, km(1, 2)), (3, 4, km(3, 4))])
    xrow, xcol = np.array([0, 2, 3, 4]), np.array([3, 4, 0, 2])
    return _intermodal.Intermodal(
        offset=np.array([0, 3, 5, 5, 5]),
        indptr=base.indptr.astype(np.int64),
        indices=base.indices.astype(np.int64),
        weight_km=base.data,
        layer=np.array([0, 0, 0, 1, 1]),
        lon=lon,
        lat=lat,
        xyz=np.ascontiguousarray(unit_vectors(lon, lat)),
        xindptr=np.r_[0, np.cumsum(np.bincount(xrow, minlength=5))].astype(np.int64),
        xindices=xcol,
        xkm=np.zeros(4),
        xowner=np.ones(4, dtype=np.int64),
        xkind=np.full(4, _intermodal.RAIL_TRANSFER),
        port_names=[],
    )


def test_known_answer_on_a_small_graph_with_a_transfer():
    im = _tiny_intermodal()
    span_km = float(geodesic_m(0, 0, 2, 0)) / 1000
    dest = unit_vectors(np.array([2.0]), np.array([0.0]))[0]
    start, end = np.array([0]), np.array([2])
    no_access = np.zeros(1)
    # CO2e: the rail detour through two transfers is cheaper than the truck
    cost, path = im.search("co2e", start, no_access, end, no_access, dest)
    assert path.tolist() == [0, 3, 4, 2]
    expected = 2 * TRANSFER["rail"]["kg_co2e_per_t"] + span_km * MODE_KG_CO2E_PER_TKM["rail"]
    assert cost == pytest.approx(expected, rel=1e-12)
    assert cost < span_km * MODE_KG_CO2E_PER_TKM["road"]
    # hours: two handlings of nine hours cost more than the truck saves
    cost, path = im.search("hours", start, no_access, end, no_access, dest)
    assert path.tolist() == [0, 1, 2]
    assert cost == pytest.approx(span_km / MODE_SPEED_KMH["road"], rel=1e-12)


def test_westport_to_kingston_sails_the_st_lawrence_not_land(inputs):
    from layers.ports import _port_table

    table = _port_table()  # searoute's table (Westport and Kingston are not in the ports layer)
    westport = table[(table["name"] == "Westport") & (table["cty"] == "Ireland")].geometry.iloc[0]
    kingston = table[(table["name"] == "Kingston") & (table["cty"] == "Canada")].geometry.iloc[0]
    legs = route(westport, kingston, mode="sea", land=inputs["land"])
    assert legs["land_crossing_km"].iloc[0] < 50  # the corner at the Strait of Belle Isle, and river bends
    path = shapely.get_coordinates(legs.geometry.iloc[0])[1:-1]
    assert _land_crossing_km(path, inputs["land"]) > 200  # the raw land polygon covers the river and the lake
    assert np.isnan(route(westport, kingston, mode="sea")["land_crossing_km"].iloc[0])  # no land given


# ----------------------------------------------------------------------------- patches, frame, layout
def test_network_patches_are_cited_and_checked(tmp_path):
    patches = _graphs.read_patches()
    assert {p["id"] for p in patches} >= {
        "honshu-shikoku-kobe-awaji-naruto",
        "honshu-shikoku-seto-chuo",
        "honshu-shikoku-nishiseto",
    }
    assert all(p["url"].startswith("https://") and len(p["source"]) > 40 for p in patches)
    bad = tmp_path / "patches.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"id": "x", "mode": "road",'
        ' "length_km": 1.0, "source": "s", "source_date": "2020", "url": "https://x"}, "geometry":'
        ' {"type": "LineString", "coordinates": [[0, 0], [1, 0]]}}]}'
    )
    with pytest.raises(
        LayerError, match=r"feature 1 \(x\): length_km 1.0 is shorter than its drawn line \(111.3 km\)"
    ):
        _graphs.read_patches(bad)
    assert _graphs._patch_hash(bad) != _graphs._patch_hash()


def test_fast_legs_frame_equals_the_ordinary_constructors():
    legs = route(NOIDA, CENTRAL_INDIA, mode="multimodal", objective="co2e", tonnes=3)
    floats = np.vstack([legs[c].to_numpy(dtype=float) for c in _legs.FLOAT_COLUMNS])
    texts = legs[_legs.TEXT_COLUMNS].to_numpy().tolist()
    slow = _legs.frame(floats, texts, legs.geometry.to_numpy(), legs.crs, fast=False)
    from geopandas.testing import assert_geodataframe_equal

    assert_geodataframe_equal(legs, slow)
    assert list(legs.columns) == _legs.NAMES


def test_routing_does_not_import_layers():
    import ast
    from pathlib import Path

    import geo

    routing = ("network.py", "_graphs.py", "_paths.py", "_intermodal.py", "_legs.py", "settings.py")
    for path in (Path(geo.__file__).parent / name for name in routing):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "layers" or n.startswith("layers.") for n in names), path.name
