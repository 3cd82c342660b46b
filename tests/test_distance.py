import numpy as np
import pyproj
import pytest
import shapely

from geo._errors import InputError
from geo.distance import (
    EARTH_RADIUS_M,
    SPHERE_LOWER,
    SPHERE_UPPER,
    check_lonlat,
    chord_to_sphere_m,
    geodesic_m,
    karney_m,
    point_polygon_m,
    sphere_m_to_chord,
    unit_vectors,
)

GEOD = pyproj.Geod(ellps="WGS84")


def _random_pairs(n: int, seed: int):
    rng = np.random.default_rng(seed)
    lon1 = rng.uniform(-180, 180, n)
    lat1 = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon2 = rng.uniform(-180, 180, n)
    lat2 = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    near = rng.random(n) < 0.5
    lon2[near] = lon1[near] + rng.normal(0, 0.5, near.sum())
    lat2[near] = np.clip(lat1[near] + rng.normal(0, 0.5, near.sum()), -90, 90)
    return lon1, lat1, lon2, lat2


def test_geodesic_matches_karney_everywhere():
    lon1, lat1, lon2, lat2 = _random_pairs(200_000, seed=1)
    # hard cases: antipodes, poles, antimeridian, coincident points
    lon1[:6], lat1[:6] = [0, 0, 10, 179.9, 5, 30], [0, 90, -90, 0, 5, 89.999]
    lon2[:6], lat2[:6] = [180, 0, 10, -179.9, 5, -150], [0, -90, -90, 0.1, 5, -89.999]
    ours = geodesic_m(lon1, lat1, lon2, lat2)
    _, _, ref = GEOD.inv(lon1, lat1, lon2, lat2)
    assert np.all(np.isfinite(ours))
    assert np.max(np.abs(ours - ref)) < 1e-3  # under a millimetre
    assert ours[4] == 0.0


def test_karney_path_is_pyproj():
    lon1, lat1, lon2, lat2 = _random_pairs(60_000, seed=2)  # large enough to use threads
    _, _, ref = GEOD.inv(lon1, lat1, lon2, lat2)
    assert np.array_equal(karney_m(lon1, lat1, lon2, lat2), ref)


def test_geodesic_broadcasts():
    out = geodesic_m(
        np.array([[77.0], [135.0]]),
        np.array([[28.0], [34.0]]),
        np.array([77.0, 78.0]),
        np.array([28.0, 28.0]),
    )
    assert out.shape == (2, 2)
    assert out[0, 0] == 0.0


def test_spherical_bracket_holds():
    lon1, lat1, lon2, lat2 = _random_pairs(2_000_000, seed=3)
    chord = np.linalg.norm(unit_vectors(lon1, lat1) - unit_vectors(lon2, lat2), axis=1)
    sphere = chord_to_sphere_m(chord)
    _, _, ellipsoid = GEOD.inv(lon1, lat1, lon2, lat2)
    keep = sphere > 1.0
    ratio = ellipsoid[keep] / sphere[keep]
    assert ratio.min() >= SPHERE_LOWER and ratio.max() <= SPHERE_UPPER


def test_chord_round_trip():
    d = np.array([0.0, 1.0, 1e6, np.pi * EARTH_RADIUS_M])
    assert np.allclose(chord_to_sphere_m(sphere_m_to_chord(d)), d, rtol=1e-9, atol=1e-6)


@pytest.fixture
def square():
    # a 0.2 x 0.2 degree square near Korba
    return shapely.box(82.5, 22.4, 82.7, 22.6)


def test_point_inside_and_on_edge_is_zero(square):
    assert point_polygon_m(82.6, 22.5, square) == 0.0
    assert point_polygon_m(82.5, 22.5, square) == 0.0


@pytest.mark.parametrize("offset_m", [5.0, 120.0, 3_000.0, 50_000.0, 800_000.0])
def test_point_outside_within_a_tenth_of_a_percent(square, offset_m):
    # start from the middle of the east edge and walk due east: the nearest boundary point is the
    # edge's midpoint only approximately (the edge is a lon/lat line), so compare with a fine brute force
    lon, lat, _ = GEOD.fwd(82.7, 22.5, 90.0, offset_m)
    got = point_polygon_m(lon, lat, square)
    dense = shapely.get_coordinates(shapely.segmentize(square.boundary, 1e-6))
    brute = np.min(GEOD.inv(np.full(len(dense), lon), np.full(len(dense), lat), dense[:, 0], dense[:, 1])[2])
    assert got == pytest.approx(brute, rel=1e-3, abs=0.05)
    assert got == pytest.approx(offset_m, rel=1e-3)


def test_multipolygon_takes_the_nearest_part():
    multi = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(10, 0, 11, 1)])
    near_second = point_polygon_m(11.5, 0.5, multi)
    assert near_second == pytest.approx(GEOD.inv(11.5, 0.5, 11.0, 0.5)[2], rel=1e-3)


def test_points_polygon_matches_the_single_point_method():
    from geo.distance import points_polygon_m

    rng = np.random.default_rng(9)
    # a concave polygon (an L shape) and points all around it, near and far
    poly = shapely.Polygon(
        [(82.0, 22.0), (83.0, 22.0), (83.0, 22.3), (82.3, 22.3), (82.3, 23.0), (82.0, 23.0)]
    )
    lon = rng.uniform(80.0, 85.0, 400)
    lat = rng.uniform(20.0, 25.0, 400)
    lon[:3], lat[:3] = [82.1, 83.0005, 82.5], [22.1, 22.1, 22.6]  # inside, just outside, in the notch
    fast = points_polygon_m(lon, lat, poly)
    slow = np.array([point_polygon_m(x, y, poly) for x, y in zip(lon, lat, strict=True)])
    assert fast[0] == 0.0
    assert np.allclose(fast, slow, rtol=1e-3, atol=0.05)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, np.nan, 90, 0), r"lat1: latitude nan is not a finite number"),
        ((0, 95, 90, 0), r"lat1: latitude 95 is outside -90\.\.90"),
        ((0, 0, 90, -90.5), r"lat2: latitude -90\.5 is outside -90\.\.90"),
        (
            ([0, 1, 2], 0, [1, 1, np.inf], 0),
            r"lon2: longitude inf at index 2 \(0-based\) is not a finite number",
        ),
        (([0, 600], 0, 1, 1), r"lon1: longitude 600 at index 1 \(0-based\) is outside -540\.\.540"),
        (
            (np.zeros((2, 3)), np.zeros((2, 3)), 0, np.array([[0, 0, 0], [0, -91, 0]])),
            r"lat2: latitude -91 at index \(1, 1\) \(0-based\) is outside",
        ),
    ],
)
def test_bad_coordinates_are_refused_not_read_as_the_pole(args, message):
    # before: NaN and latitude 95 were treated as the pole (10,001,965.73 m)
    with pytest.raises(InputError, match=message):
        geodesic_m(*args)


def test_longitudes_continuous_across_the_antimeridian_are_accepted():
    assert geodesic_m(181.0, 0.0, -179.0, 0.0) == 0.0
    assert geodesic_m(179.5, 10.0, 180.5, 10.0) == pytest.approx(GEOD.inv(179.5, 10.0, -179.5, 10.0)[2])


def test_check_lonlat_names_the_argument_and_the_index():
    lon, lat = check_lonlat([77.5, 133.3], [28.5, 34.0], argument="origin")
    assert lon.dtype == np.float64 and lat.tolist() == [28.5, 34.0]
    with pytest.raises(
        InputError, match=r"origin: longitude 181 at index 1 \(0-based\) is outside -180\.\.180"
    ):
        check_lonlat([77.5, 181.0], [28.5, 34.0], argument="origin")
    with pytest.raises(InputError, match=r"destination: latitude nan at index 0 \(0-based\) is not a finite"):
        check_lonlat([77.5], [np.nan], argument="destination")
    with pytest.raises(InputError, match=r"origin: expected longitudes in degrees \(numbers\), got 'east'"):
        check_lonlat("east", 0.0, argument="origin")
    assert check_lonlat(181.0, 0.0, argument="route", continuous=True)[0] == 181.0


def test_polygon_distances_refuse_bad_points(square):
    from geo.distance import points_polygon_m

    with pytest.raises(InputError, match=r"lon/lat: latitude nan is not a finite number"):
        point_polygon_m(82.0, np.nan, square)
    with pytest.raises(InputError, match=r"lon/lat: latitude 95 at index 1 \(0-based\) is outside"):
        points_polygon_m(np.array([82.0, 82.0]), np.array([22.0, 95.0]), square)
