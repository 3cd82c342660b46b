import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo._errors import CRSError, InputError
from geo.corridor import corridor_polygon, corridor_summary, densify_route, features_in_corridor
from geo.distance import GEOD

REASI_NOIDA = shapely.LineString([(74.80, 33.15), (75.5, 32.3), (76.8, 30.7), (77.504, 28.4744)])
CHENNAI_OSAKA = shapely.LineString(
    [
        (80.3, 13.1),
        (92.0, 6.0),
        (100.0, 3.0),
        (104.0, 1.3),
        (110.0, 8.0),
        (121.0, 22.0),
        (130.0, 31.0),
        (135.4, 34.6),
    ]
)
ACROSS_ANTIMERIDIAN = shapely.LineString([(170.0, -15.0), (179.5, -16.0), (-178.0, -17.0), (-170.0, -14.0)])
ONE_SEGMENT = shapely.LineString([(69.75, 22.8), (55.4, 25.35)])  # Mundra - Sharjah


def _probes(route: shapely.LineString, width_km: float, seed: int = 0):
    """Points at 0.98x and 1.02x the width, perpendicular to the route's densified geodesic, both sides."""
    dense, chainage = densify_route(route)
    rng = np.random.default_rng(seed)
    picks = rng.integers(1, len(dense) - 2, 40)
    rows = []
    for i in picks:
        lon1, lat1 = dense[i]
        lon2, lat2 = dense[i + 1]
        az, _, _ = GEOD.inv(lon1, lat1, lon2, lat2)
        mid_lon, mid_lat, _ = GEOD.fwd(lon1, lat1, az, GEOD.inv(lon1, lat1, lon2, lat2)[2] / 2)
        for factor in (0.98, 1.02):
            for side, turn in (("left", -90.0), ("right", 90.0)):
                lon, lat, _ = GEOD.fwd(mid_lon, mid_lat, az + turn, factor * width_km * 1000.0)
                rows.append(
                    {
                        "factor": factor,
                        "expected_side": side,
                        "chain": chainage[i],
                        "lon": ((lon + 180) % 360) - 180,
                        "lat": lat,
                    }
                )
    frame = gpd.GeoDataFrame(
        rows, geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]), crs="EPSG:4326"
    )
    # keep probes whose nearest route point is the chosen one (not a bend elsewhere)
    return frame


@pytest.mark.parametrize(
    ("route", "width_km"),
    [(REASI_NOIDA, 50.0), (CHENNAI_OSAKA, 25.0), (ACROSS_ANTIMERIDIAN, 100.0), (ONE_SEGMENT, 10.0)],
)
def test_points_just_inside_and_outside(route, width_km):
    probes = _probes(route, width_km)
    inside = features_in_corridor(route, probes, width_km=width_km)
    got = probes.index.isin(inside.index)
    assert got[probes["factor"] == 0.98].all()
    # a probe outside the width at its own segment may still be near another part of a bent route
    outside = probes[(probes["factor"] == 1.02) & got]
    for idx in outside.index:
        assert inside.loc[idx, "distance_to_route_km"] <= width_km
    assert (~got[probes["factor"] == 1.02]).mean() > 0.8
    # measured distance: never more than the probe's offset, and equal to it within 0.5 % where that
    # segment is the nearest part of the route (the usual case)
    ratio = inside["distance_to_route_km"] / width_km / probes.loc[inside.index, "factor"]
    assert ratio.max() < 1.005
    assert ((ratio - 1).abs() < 0.005).mean() > 0.8
    assert (inside["side"] == probes.loc[inside.index, "expected_side"]).mean() > 0.95


@pytest.mark.parametrize(
    ("route", "width_km"),
    [(REASI_NOIDA, 50.0), (CHENNAI_OSAKA, 25.0), (ACROSS_ANTIMERIDIAN, 100.0), (ONE_SEGMENT, 10.0)],
)
def test_corridor_polygon_holds_the_inner_probes_only(route, width_km):
    polygon = corridor_polygon(route, width_km=width_km)
    assert polygon.is_valid
    probes = _probes(route, width_km)
    inside = features_in_corridor(route, probes, width_km=width_km).index
    contained = shapely.contains_xy(polygon, probes["lon"].to_numpy(), probes["lat"].to_numpy())
    assert np.array_equal(contained, probes.index.isin(inside))


def test_antimeridian_polygon_is_cut():
    polygon = corridor_polygon(ACROSS_ANTIMERIDIAN, width_km=100)
    assert polygon.geom_type == "MultiPolygon"
    assert polygon.bounds[0] == pytest.approx(-180) and polygon.bounds[2] == pytest.approx(180)


def test_chainage_is_monotonic_along_the_route():
    dense, _ = densify_route(REASI_NOIDA)
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(dense[::5, 0] + 0.01, dense[::5, 1]), crs="EPSG:4326"
    )
    result = features_in_corridor(REASI_NOIDA, points, width_km=10)
    assert len(result) == len(points)
    assert list(result.index) == sorted(result.index)  # ordered by chainage = order along the route
    assert np.all(np.diff(result["chainage_km"].to_numpy()) > 0)
    total = GEOD.geometry_length(REASI_NOIDA) / 1000
    assert result["chainage_km"].max() == pytest.approx(total, abs=2.0)


def test_duplicate_vertices_and_columns_kept():
    route = shapely.LineString([(77.0, 28.0), (77.0, 28.0), (78.0, 28.0), (78.0, 28.0)])
    pts = gpd.GeoDataFrame(
        {"name": ["north", "south", "far"], "population": [10, 20, 30]},
        geometry=gpd.points_from_xy([77.5, 77.5, 77.5], [28.1, 27.9, 30.0]),
        crs="EPSG:4326",
    )
    result = features_in_corridor(route, pts, width_km=20).set_index("name")
    assert sorted(result.index) == ["north", "south"]
    assert result.loc["north", "side"] == "left" and result.loc["south", "side"] == "right"  # travelling east
    assert result.loc["north", "population"] == 10 and result.loc["south", "population"] == 20
    # route edges are geodesics: compare with a brute-force distance to the finely sampled geodesic
    fine = np.array(GEOD.npts(77.0, 28.0, 78.0, 28.0, 20_000))
    brute = (
        np.min(GEOD.inv(np.full(len(fine), 77.5), np.full(len(fine), 28.1), fine[:, 0], fine[:, 1])[2]) / 1000
    )
    assert result.loc["north", "distance_to_route_km"] == pytest.approx(brute, rel=1e-4)


def test_polygons_measured_at_their_nearest_point():
    block = gpd.GeoDataFrame(
        {"name": ["crossed", "near", "far"]},
        geometry=[
            shapely.box(77.4, 27.9, 77.6, 28.1),
            shapely.box(77.4, 28.2, 77.6, 28.3),
            shapely.box(77.4, 29.0, 77.6, 29.2),
        ],
        crs="EPSG:4326",
    )
    result = features_in_corridor(
        shapely.LineString([(77.0, 28.0), (78.0, 28.0)]), block, width_km=30
    ).set_index("name")
    assert sorted(result.index) == ["crossed", "near"]
    assert result.loc["crossed", "distance_to_route_km"] == 0.0 and result.loc["crossed", "side"] == "on"
    assert result.loc["near", "distance_to_route_km"] == pytest.approx(22.2, rel=0.01)


def test_summary_counts_population_and_overlap():
    pts = gpd.GeoDataFrame(
        {"kind": ["demand_city", "demand_city", "port"], "population": [1000, 2000, 0]},
        geometry=gpd.points_from_xy([77.5, 77.5, 77.5], [28.1, 29.5, 27.95]),
        crs="EPSG:4326",
    )
    a = shapely.LineString([(77.0, 28.0), (78.0, 28.0)])
    b = shapely.LineString([(77.5, 28.0), (78.5, 28.0)])
    s = corridor_summary(a, {"cities": pts}, width_km=20, other_route=b)
    assert s["population"] == 1000
    assert set(map(tuple, s["counts"][["kind", "features"]].to_numpy())) == {("demand_city", 1), ("port", 1)}
    assert s["route_km"] == pytest.approx(GEOD.inv(77, 28, 78, 28)[2] / 1000, rel=1e-4)
    assert s["shared_km"] == pytest.approx(
        s["route_km"] / 2 + 20, rel=0.03
    )  # half the route, plus the other's end cap
    assert 0 < s["overlap_km2"] < s["area_km2"]


def test_geodataframe_route_in_other_crs():
    route = gpd.GeoDataFrame(geometry=[REASI_NOIDA], crs="EPSG:4326").to_crs("EPSG:7755")
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([76.8], [30.75]), crs="EPSG:4326")
    assert len(features_in_corridor(route, pts, width_km=10)) == 1


def test_empty_features_give_empty_result():
    empty = gpd.GeoDataFrame({"name": []}, geometry=[], crs="EPSG:4326")
    out = features_in_corridor(REASI_NOIDA, empty, width_km=10)
    assert out.empty and {"distance_to_route_km", "chainage_km", "side"} <= set(out.columns)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda pts: features_in_corridor(REASI_NOIDA, pts, width_km=0),
            InputError,
            r"width_km: expected a width in km > 0, got 0",
        ),
        (
            lambda pts: corridor_polygon(REASI_NOIDA, width_km=-5),
            InputError,
            r"width_km: expected a width in km > 0, got -5",
        ),
        (
            lambda pts: features_in_corridor(REASI_NOIDA, pts.set_crs(None, allow_override=True), width_km=5),
            CRSError,
            r"features: GeoDataFrame has no CRS",
        ),
        (
            lambda pts: features_in_corridor(shapely.Point(0, 0), pts, width_km=5),
            InputError,
            r"route: expected a LineString in lon/lat, got Point",
        ),
        (
            lambda pts: features_in_corridor(shapely.LineString([(1, 1), (1, 1)]), pts, width_km=5),
            InputError,
            r"route: the route has fewer than two distinct vertices",
        ),
        (
            lambda pts: features_in_corridor(
                gpd.GeoDataFrame(geometry=[REASI_NOIDA, REASI_NOIDA], crs="EPSG:4326"), pts, width_km=5
            ),
            InputError,
            r"route: expected one route, got 2 rows",
        ),
    ],
)
def test_errors_name_argument_and_value(call, error, message):
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([77.0], [28.0]), crs="EPSG:4326")
    with pytest.raises(error, match=message):
        call(pts)


def _reference_km(route: shapely.LineString, lon, lat, *, spacing_m: float = 100.0) -> np.ndarray:
    """Brute force: the route's geodesics sampled every ~100 m, nearest sample by Karney's algorithm."""
    coords = shapely.get_coordinates(route)
    parts = [coords[:1]]
    for (lon1, lat1), (lon2, lat2) in zip(coords[:-1], coords[1:], strict=True):
        n = int(GEOD.inv(lon1, lat1, lon2, lat2)[2] // spacing_m)
        parts += [np.array(GEOD.npts(lon1, lat1, lon2, lat2, n)).reshape(-1, 2), np.array([[lon2, lat2]])]
    fine = np.vstack(parts)
    return np.array(
        [
            GEOD.inv(np.full(len(fine), x), np.full(len(fine), y), fine[:, 0], fine[:, 1])[2].min() / 1000.0
            for x, y in zip(lon, lat, strict=True)
        ]
    )


def test_route_over_the_north_pole_against_a_dense_geodesic_reference():
    # the geodesic from (0, 84) to (180, 86) runs over the pole; (-90, 89.9) is 11.17 km from it
    # (before: 12.32 km, +10 %)
    route = shapely.LineString([(0, 84), (180, 86)])
    lon, lat = [-90.0, -90.0, 90.0, 30.0, 150.0, -170.0, 0.5], [89.9, 89.5, 89.3, 89.4, 89.6, 88.5, 85.0]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    got = features_in_corridor(route, pts, width_km=100).sort_index()
    reference = _reference_km(route, lon, lat)
    assert len(got) == len(pts)
    assert got["distance_to_route_km"].iloc[0] == pytest.approx(11.1694, abs=1e-3)
    np.testing.assert_allclose(got["distance_to_route_km"].to_numpy(), reference, rtol=5e-4)


def test_high_latitude_corridor_distances_within_five_hundredths_of_a_percent():
    # routes of 300-1,000 km between 55 and 83 degrees N, points 20-290 km off; before: up to 9e-4
    # relative error on these (the local lon/lat frame), now about 1e-6
    rng = np.random.default_rng(0)
    for _ in range(6):
        lon0, lat0, azimuth = rng.uniform(-180, 180), rng.uniform(55, 83), rng.uniform(0, 360)
        length_m = rng.uniform(300e3, 1000e3)
        lon1, lat1, _ = GEOD.fwd(lon0, lat0, azimuth, length_m)
        route = shapely.LineString([(lon0, lat0), (lon1, lat1)])
        mid_lon, mid_lat, heading = GEOD.fwd(lon0, lat0, azimuth, length_m / 2)
        off = rng.uniform(20e3, 290e3, 8)
        turn = rng.choice([-90.0, 90.0], 8) + rng.uniform(-30, 30, 8)
        lon, lat, _ = GEOD.fwd(np.full(8, mid_lon), np.full(8, mid_lat), heading + turn, off)
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        got = features_in_corridor(route, pts, width_km=300).sort_index()
        assert len(got) == 8
        reference = _reference_km(route, lon, lat)
        np.testing.assert_allclose(got["distance_to_route_km"].to_numpy(), reference, rtol=5e-4)


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (77.0, np.nan, r"features: feature 1 \(0-based position; label 'q'\) has latitude nan \(vertex 0\)"),
        (77.0, 95.0, r"features: feature 1 \(0-based position; label 'q'\) has latitude 95 \(vertex 0\)"),
        (np.inf, 28.0, r"features: feature 1 \(0-based position; label 'q'\) has longitude inf"),
        (200.0, 28.0, r"features: feature 1 \(0-based position; label 'q'\) has longitude 200 .*-180\.\.180"),
    ],
)
def test_bad_feature_coordinates_are_refused(lon, lat, message):
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([77.0, lon], [28.0, lat]), crs="EPSG:4326", index=["p", "q"]
    )
    with pytest.raises(InputError, match=message):
        features_in_corridor(REASI_NOIDA, pts, width_km=50)


def test_bad_route_vertices_are_refused():
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([77.0], [28.0]), crs="EPSG:4326")
    with pytest.raises(InputError, match=r"route: latitude 95 at index 1 \(0-based\) is outside -90\.\.90"):
        features_in_corridor(shapely.LineString([(77, 28), (78, 95)]), pts, width_km=50)
    with np.errstate(invalid="ignore"):  # shapely warns on building a NaN line
        line = shapely.LineString([(np.nan, 28), (78, 29)])
    with pytest.raises(
        InputError, match=r"route: longitude nan at index 0 \(0-based\) is not a finite number"
    ):
        corridor_polygon(line, width_km=50)
    # a route kept continuous across the antimeridian is fine
    assert not corridor_polygon(shapely.LineString([(179.0, -16.0), (181.0, -17.0)]), width_km=10).is_empty


def test_tree_search_equals_every_segment_searched():
    # the bounding-sphere tree must find the same nearest chord as trying every segment, for points
    # near and far from a winding route, and the corridor bound must never drop a point within it
    from geo.corridor import _ecef, _geodetic, point_to_route

    rng = np.random.default_rng(4)
    heading = np.cumsum(rng.normal(0, 25, 300))  # a winding route that doubles back on itself
    lon, lat = [78.0], [22.0]
    for h in heading:
        x, y, _ = GEOD.fwd(lon[-1], lat[-1], h, 3000.0)
        lon.append(x)
        lat.append(y)
    dense, chainage = densify_route(shapely.LineString(np.column_stack((lon, lat))))
    plon = rng.uniform(min(lon) - 1, max(lon) + 1, 400)
    plat = rng.uniform(min(lat) - 1, max(lat) + 1, 400)
    vertices = _ecef(dense[:, 0], dense[:, 1])
    points = _ecef(plon, plat)
    a, u = vertices[:-1], np.diff(vertices, axis=0)
    w = points[:, None, :] - a[None, :, :]
    t = np.clip(np.sum(w * u, axis=2) / np.sum(u * u, axis=1), 0, 1)
    closest = a[None, :, :] + t[..., None] * u[None, :, :]
    seg = np.argmin(np.sum((points[:, None, :] - closest) ** 2, axis=2), axis=1)
    near = closest[np.arange(len(seg)), seg]
    near_lon, near_lat = _geodetic(near[:, 0], near[:, 1], near[:, 2])
    expected = GEOD.inv(plon, plat, near_lon, near_lat)[2] / 1000.0
    km, chain, _ = point_to_route(plon, plat, dense, chainage)
    np.testing.assert_allclose(km, expected, rtol=1e-9, atol=1e-6)  # within a millimetre
    np.testing.assert_allclose(chain, chainage[seg] + t[np.arange(len(seg)), seg] * np.diff(chainage)[seg])
    bounded, _, _ = point_to_route(plon, plat, dense, chainage, max_km=20.0)
    assert 20 < (expected <= 20.0).sum() < 380
    np.testing.assert_allclose(bounded[expected <= 20.0], expected[expected <= 20.0], rtol=1e-9, atol=1e-6)
    assert np.all(np.isinf(bounded[expected > 20.1]))
