"""Service areas: the bounded multi-source Dijkstra against scipy, the polygons against geometry."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

import geo.service_area as service_area
from geo._errors import CRSError, InputError
from geo._graphs import Graph
from geo.distance import geodesic_m
from geo.service_area import ACCESS_KM, network_reach, service_areas
from geo.settings import MODE_SPEED_KMH

HOURS = (4, 8, 12, 24)


def _graph(n: int, edges: list[tuple[int, int, float]], lon=None, lat=None) -> Graph:
    u, v, w = (np.array(c) for c in zip(*edges, strict=True))
    m = sp.csr_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    m.sort_indices()
    return Graph(
        mode="road",
        source="test",
        indptr=m.indptr.astype(np.int64),
        indices=m.indices.astype(np.int64),
        weight_km=m.data.astype(np.float64),
        lon=np.zeros(n) if lon is None else np.asarray(lon, dtype=np.float64),
        lat=np.zeros(n) if lat is None else np.asarray(lat, dtype=np.float64),
        component=np.zeros(n, dtype=np.int64),
    )


def _scipy_reach(graph, sources, start, limit) -> np.ndarray:
    """Distances from several sources with start costs: a virtual node joined to each source."""
    n = len(graph.indptr) - 1
    m = sp.csr_matrix((graph.weight_km, graph.indices, graph.indptr), shape=(n, n)).tocoo()
    # the virtual edges carry start + 1 (scipy drops explicit zeros); the 1 comes off afterwards
    # a node listed twice keeps its least start (a sparse matrix would add the duplicates up)
    unique = np.unique(sources)
    least = np.array([np.min(np.asarray(start)[sources == s]) for s in unique])
    rows = np.r_[m.row, np.full(len(unique), n)]
    cols = np.r_[m.col, unique]
    data = np.r_[m.data, least + 1.0]
    full = sp.csr_matrix((data, (rows, cols)), shape=(n + 1, n + 1))
    return dijkstra(full, directed=True, indices=n, limit=limit + 1.0)[:n] - 1.0


# ----------------------------------------------------------------------------- Dijkstra
def test_reach_on_a_small_known_graph():
    # 0 -2- 1 -3- 2 -5- 4 -1- 5 and 0 -4- 3 -1- 2; sources 0 (start 0) and 5 (start 1.5)
    graph = _graph(6, [(0, 1, 2.0), (1, 2, 3.0), (0, 3, 4.0), (3, 2, 1.0), (2, 4, 5.0), (4, 5, 1.0)])
    reach = network_reach(graph, np.array([0, 5]), np.array([0.0, 1.5]), limit_km=4.0)
    assert reach.nodes.tolist() == [0, 5, 1, 4, 3]  # node 3 at exactly the limit is in; 2 (5 km) is out
    assert reach.km.tolist() == [0.0, 1.5, 2.0, 2.5, 4.0]
    assert reach.source.tolist() == [0, 1, 0, 1, 0]
    full = network_reach(graph, np.array([0, 5]), np.array([0.0, 1.5]), limit_km=100.0)
    expected = _scipy_reach(graph, np.array([0, 5]), np.array([0.0, 1.5]), 100.0)
    assert np.allclose(full.km, expected[full.nodes])
    assert sorted(full.nodes.tolist()) == list(range(6))
    assert dict(zip(full.nodes.tolist(), full.km.tolist(), strict=True))[2] == 5.0


def test_reach_skips_a_source_whose_access_is_beyond_the_limit():
    graph = _graph(3, [(0, 1, 1.0), (1, 2, 1.0)])
    reach = network_reach(graph, np.array([0, 2]), np.array([5.0, 0.5]), limit_km=2.0)
    assert reach.nodes.tolist() == [2, 1]
    assert reach.source.tolist() == [1, 1]


def test_reach_rejects_a_negative_start():
    graph = _graph(2, [(0, 1, 1.0)])
    with pytest.raises(InputError, match="start_km"):
        network_reach(graph, np.array([0]), np.array([-1.0]), limit_km=2.0)


@pytest.fixture(scope="module")
def india_origins() -> gpd.GeoDataFrame:
    import layers

    facilities = layers.load("facilities")
    ports = layers.load("ports")
    frame = gpd.pd.concat(
        [
            facilities[facilities["country"] == "IN"].head(7),
            ports[ports["id"].isin(["port-inmun", "port-inmaa", "port-invtz"])],
        ],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def test_reach_on_the_india_road_graph_matches_scipy(india_origins):
    from geo.network import network

    net = network("road")
    lon, lat = india_origins.geometry.x.to_numpy(), india_origins.geometry.y.to_numpy()
    nodes, access = net.snap(lon, lat, list(india_origins["id"]))
    assert len(nodes) == 10
    limits = [h * MODE_SPEED_KMH["road"] for h in HOURS]
    for i in range(len(nodes)):  # each origin alone
        reach = network_reach(net.graph, nodes[i : i + 1], access[i : i + 1], limit_km=limits[-1])
        expected = _scipy_reach(net.graph, nodes[i : i + 1], access[i : i + 1], limits[-1])
        for limit in limits:
            assert set(reach.nodes[reach.km <= limit]) == set(np.flatnonzero(expected <= limit))
        assert np.allclose(reach.km, expected[reach.nodes], rtol=0, atol=1e-9)
    merged = network_reach(net.graph, nodes, access, limit_km=limits[-1])
    expected = _scipy_reach(net.graph, nodes, access, limits[-1])
    for limit in limits:
        assert set(merged.nodes[merged.km <= limit]) == set(np.flatnonzero(expected <= limit))
    # each node is credited to the origin whose own distance is least
    each = np.stack(
        [_scipy_reach(net.graph, nodes[i : i + 1], access[i : i + 1], limits[-1]) for i in range(10)]
    )
    best = each[:, merged.nodes].min(axis=0)
    assert np.allclose(each[merged.source, merged.nodes], best, rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------- polygons
class _StraightRoad:
    """A road along the equator from -2 to 2 degrees, a node every 0.01 degree (1.1 km)."""

    def __init__(self) -> None:
        lon = np.round(np.arange(-2.0, 2.0001, 0.01), 6)
        km = geodesic_m(lon[:-1], 0.0, lon[1:], 0.0) / 1000.0
        self.graph = _graph(
            len(lon), [(i, i + 1, float(k)) for i, k in enumerate(km)], lon=lon, lat=np.zeros(len(lon))
        )

    def snap(self, lon, lat, labels):
        lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
        nodes = np.abs(self.graph.lon[None, :] - lon[:, None]).argmin(axis=1)
        return nodes, geodesic_m(lon, lat, self.graph.lon[nodes], self.graph.lat[nodes]) / 1000.0


@pytest.fixture
def straight_road(monkeypatch) -> _StraightRoad:
    road = _StraightRoad()
    monkeypatch.setattr(service_area, "network", lambda mode: road)
    return road


def _east(km: float, north_km: float = 0.0) -> tuple[float, float]:
    """lon/lat ``km`` east of (0, 0) along the equator, then ``north_km`` north."""
    from geo.distance import GEOD

    lon, _, _ = GEOD.fwd(0.0, 0.0, 90.0, km * 1000.0)
    lon2, lat2, _ = GEOD.fwd(lon, 0.0, 0.0, north_km * 1000.0)
    return lon2, lat2


def _inside(polygon, km: float, north_km: float = 0.0) -> bool:
    return bool(shapely.contains_xy(polygon, *_east(km, north_km)))


def test_a_straight_road_gives_a_capsule(straight_road):
    # the band of B km around a road through the origin with off-network legs of up to a km is
    # every place within a of the road between -(B - a) and B - a: a capsule of 4a(B - a) + pi a^2
    out = service_areas((np.array([0.0]), np.array([0.0])), mode="road", km=[50.0], access_km=6.0)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["band_km"] == 50.0 and row["budget_km"] == 50.0 and row["origin_access_km"] == 0.0
    assert row["area_km2"] == pytest.approx(4 * 6 * 44 + math.pi * 36, rel=0.01)
    polygon = row.geometry
    assert _inside(polygon, 49.3) and not _inside(polygon, 50.7)  # along the road
    assert _inside(polygon, -49.3) and not _inside(polygon, -50.7)
    assert _inside(polygon, 0.0, 5.6) and not _inside(polygon, 0.0, 6.4)  # off it, the width
    assert _inside(polygon, 30.0, -5.6) and not _inside(polygon, 30.0, -6.4)
    # past B - a the end is the circle of radius a about B - a: (47, 4) is 5 km from its centre,
    # (48, 5) 6.4 km
    assert _inside(polygon, 47.0, 4.0) and not _inside(polygon, 48.0, 5.0)
    assert row["reached_nodes"] == int(np.count_nonzero(np.abs(straight_road.graph.lon) <= 0.449))


def test_the_origins_access_leg_is_charged_to_every_band(straight_road):
    lon, lat = _east(0.0, 3.0)
    out = service_areas((np.array([lon]), np.array([lat])), mode="road", km=[20.0, 50.0], access_km=6.0)
    assert out["origin_access_km"].tolist() == pytest.approx([3.0, 3.0], abs=1e-6)
    small, large = out.geometry
    assert _inside(large, 46.3) and not _inside(large, 47.7)  # 3 + 47 = 50
    assert _inside(small, 16.3) and not _inside(small, 17.7)
    assert large.contains(small)
    assert out["area_km2"].is_monotonic_increasing


def test_hours_use_the_modes_speed(straight_road):
    hours = service_areas((np.array([0.0]), np.array([0.0])), mode="rail", hours=[2.0], access_km=5.0)
    km = service_areas(
        (np.array([0.0]), np.array([0.0])), mode="rail", km=[2.0 * MODE_SPEED_KMH["rail"]], access_km=5.0
    )
    assert "band_h" in hours.columns and "band_km" not in hours.columns
    assert hours["budget_km"].iloc[0] == pytest.approx(48.0)
    assert hours["area_km2"].iloc[0] == pytest.approx(km["area_km2"].iloc[0])


def test_population_and_facilities_inside(straight_road):
    points = [_east(10.0, 2.0), _east(40.0, 0.0), _east(20.0, 9.0), _east(80.0, 0.0)]
    demand = gpd.GeoDataFrame(
        {"name": ["a", "b", "c", "d"], "population": [1000, 250, 7, 40]},
        geometry=[shapely.Point(p) for p in points],
        crs="EPSG:4326",
    )
    facilities = gpd.GeoDataFrame(
        {"id": ["near", "far"]},
        geometry=[shapely.Point(points[0]), shapely.Point(points[3])],
        crs="EPSG:4326",
    )
    out = service_areas(
        (np.array([0.0]), np.array([0.0])),
        mode="road",
        km=[30.0, 60.0],
        access_km=6.0,
        demand=demand,
        facilities=facilities,
        names=["the depot"],
    )
    assert out["origin_name"].tolist() == ["the depot", "the depot"]
    assert out["feedstock_population"].tolist() == [1000.0, 1250.0]  # c is 9 km off the road
    assert out["demand_points"].tolist() == [1, 2]
    assert out["facilities_inside"].tolist() == [1, 1]
    assert out["facility_ids"].tolist() == ["near", "near"]


def test_merged_origins_give_the_union_of_their_areas(straight_road):
    lon = np.array([_east(-30.0)[0], _east(40.0)[0]])
    lat = np.zeros(2)
    apart = service_areas((lon, lat), mode="road", km=[25.0], access_km=6.0)
    merged = service_areas((lon, lat), mode="road", km=[25.0], access_km=6.0, merge=True)
    assert apart["origin_id"].tolist() == ["1", "2"]
    assert merged["origin_id"].tolist() == ["1;2"]
    union = shapely.union_all(apart.geometry.values)
    assert merged["area_km2"].iloc[0] == pytest.approx(service_area.geodesic_area_km2(union), rel=0.005)
    assert merged["reached_nodes"].iloc[0] == apart["reached_nodes"].sum()  # the areas do not touch
    # 10 km west of the middle is 20 km from the first origin; 7 km east is 33 and 37 km from them
    assert _inside(merged.geometry.iloc[0], -10.0) and not _inside(merged.geometry.iloc[0], 7.0)


def test_service_areas_from_facilities_on_the_india_road_network(india_origins):
    import layers

    demand = layers.load("demand")
    out = service_areas(
        india_origins.head(3), mode="road", hours=list(HOURS), demand=demand, facilities=india_origins
    )
    assert len(out) == 12
    assert out["origin_id"].tolist()[::4] == india_origins["id"].head(3).tolist()
    assert out["grid_km"].eq(2.0).all() and out["access_km"].eq(ACCESS_KM["road"]).all()
    for _, rows in out.groupby("origin_id", sort=False):
        assert rows["band_h"].tolist() == list(HOURS)
        assert rows["area_km2"].is_monotonic_increasing and rows["reached_nodes"].is_monotonic_increasing
        assert rows["feedstock_population"].is_monotonic_increasing
        geoms = rows.geometry.to_numpy()
        assert all(
            outer.buffer(1e-6).contains(inner) for inner, outer in zip(geoms[:-1], geoms[1:], strict=True)
        )
        # 24 h by truck is 350 km: the area stays within the 350 km + access disc around the origin
        assert rows["area_km2"].iloc[-1] < math.pi * (350 + ACCESS_KM["road"]) ** 2
    noida = out[out["origin_id"] == "lohum-greater-noida-li"]
    # the Delhi region holds millions of people within 8 hours; its own facility is inside every band
    assert noida["feedstock_population"].iloc[1] > 10_000_000
    assert noida["facility_ids"].str.contains("lohum-greater-noida-li").all()


def test_default_access_width_is_the_measured_percentile():
    import layers
    from geo.network import access_km

    demand = layers.load("demand")
    x, y = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    assert len(demand) == 537
    for mode in ("road", "rail"):
        assert round(float(np.percentile(access_km(x, y, mode=mode), 95)), 1) == ACCESS_KM[mode]


# ----------------------------------------------------------------------------- errors
def test_bands_must_be_given_once_and_positive(straight_road):
    origin = (np.array([0.0]), np.array([0.0]))
    with pytest.raises(InputError, match="give exactly one"):
        service_areas(origin, hours=[4], km=[10])
    with pytest.raises(InputError, match="give exactly one"):
        service_areas(origin)
    with pytest.raises(InputError, match="hours: expected positive numbers, got -1"):
        service_areas(origin, hours=[4, -1])
    with pytest.raises(InputError, match="km: expected at least one band"):
        service_areas(origin, km=[])
    with pytest.raises(InputError, match="mode: expected one of road, rail, got 'sea'"):
        service_areas(origin, mode="sea", km=[10])
    with pytest.raises(InputError, match="access_km: expected a distance in km > 0"):
        service_areas(origin, km=[10], access_km=0)


def test_origins_are_checked():
    with pytest.raises(InputError, match=r"origins: point 2 \(200.0, 0.0\) is not a lon/lat position"):
        service_areas((np.array([77.5, 200.0]), np.array([28.5, 0.0])), km=[10])
    with pytest.raises(InputError, match="origins: expected at least one origin"):
        service_areas((np.array([]), np.array([])), km=[10])
    no_crs = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(77.5, 28.5)])
    with pytest.raises(CRSError, match="origins: GeoDataFrame has no CRS"):
        service_areas(no_crs, km=[10])
    at_sea = gpd.GeoDataFrame({"id": ["buoy"]}, geometry=[shapely.Point(70.0, 10.0)], crs="EPSG:4326")
    with pytest.raises(InputError, match=r"origins 'buoy' \(row 1\).*no road network within 60 km"):
        service_areas(at_sea, km=[10])
