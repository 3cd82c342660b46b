import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import proximity
from geo._errors import CRSError, InputError
from geo.proximity import distance_matrix, nearest, within


def _points(lon, lat, crs="EPSG:4326", prefix="p"):
    return gpd.GeoDataFrame(
        {"name": [f"{prefix}{i}" for i in range(len(lon))]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=crs,
        index=[f"{prefix}{i}" for i in range(len(lon))],
    )


def _random(n, seed, lon=(-180, 180), lat=(-90, 90), prefix="p"):
    rng = np.random.default_rng(seed)
    return _points(
        rng.uniform(*lon, n),
        np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(lat[0])), np.sin(np.radians(lat[1])), n))),
        prefix=prefix,
    )


def _brute(sources, targets, k):
    m = distance_matrix(sources, targets).to_numpy()
    order = np.lexsort((np.broadcast_to(np.arange(m.shape[1]), m.shape), m), axis=1)[:, :k]
    return order, np.take_along_axis(m, order, axis=1)


def _as_arrays(result, sources, targets, k):
    idx = result.pivot(index="source_id", columns="rank", values="target_id").loc[sources.index]
    dist = result.pivot(index="source_id", columns="rank", values="distance_m").loc[sources.index].to_numpy()
    pos = idx.apply(lambda col: col.map({t: i for i, t in enumerate(targets.index)})).to_numpy()
    return pos, dist


@pytest.mark.parametrize(
    ("sources", "targets", "k"),
    [
        (_random(3000, 1, prefix="s"), _random(400, 2, prefix="t"), 1),
        (_random(3000, 3, prefix="s"), _random(400, 4, prefix="t"), 5),
        # India-sized clusters, the real use
        (
            _random(2000, 5, lon=(68, 97), lat=(8, 37), prefix="s"),
            _random(100, 6, lon=(68, 97), lat=(8, 37), prefix="t"),
            3,
        ),
        # around the antimeridian and above 80 degrees
        (
            _random(1500, 7, lon=(170, 180), lat=(-60, 60), prefix="s").pipe(
                lambda g: pd.concat([g, _random(1500, 8, lon=(-180, -170), lat=(-60, 60), prefix="w")])
            ),
            _random(200, 9, lon=(-180, 180), lat=(-60, 60), prefix="t"),
            2,
        ),
        (_random(1500, 10, lat=(80, 90), prefix="s"), _random(100, 11, lat=(78, 90), prefix="t"), 3),
    ],
)
@pytest.mark.parametrize("cells", [False, True], ids=["kd-tree", "candidate-cells"])
def test_nearest_equals_brute_force(sources, targets, k, cells, monkeypatch):
    if cells:  # the path taken for many sources per target (a million points over India), forced here
        monkeypatch.setattr(proximity, "CELLS_MIN_SOURCES", 0)
        monkeypatch.setattr(proximity, "CELLS_SOURCES_PER_TARGET", 1)
    result = nearest(sources, targets, k=k)
    assert list(result.columns) == ["source_id", "target_id", "rank", "distance_m"]
    assert len(result) == len(sources) * k
    got_pos, got_d = _as_arrays(result, sources, targets, k)
    want_pos, want_d = _brute(sources, targets, k)
    assert np.allclose(got_d, want_d, rtol=0, atol=1e-6)
    # ties aside, the same targets
    same = got_pos == want_pos
    assert np.all(same | np.isclose(got_d, want_d, atol=1e-6))


def test_clustered_targets_with_duplicates_equal_brute_force(monkeypatch):
    # many sources per target (candidate cells), targets in tight clusters with exact duplicates,
    # sources on a grid that puts some exactly on targets: ties rank by target order
    monkeypatch.setattr(proximity, "CELLS_MIN_SOURCES", 0)
    rng = np.random.default_rng(12)
    centres = rng.uniform((70, 10), (95, 35), (4, 2))
    tlon = np.round(np.repeat(centres[:, 0], 30) + rng.normal(0, 0.05, 120), 2)
    tlat = np.round(np.repeat(centres[:, 1], 30) + rng.normal(0, 0.05, 120), 2)
    targets = _points(tlon, tlat, prefix="t")
    slon = np.r_[np.round(rng.uniform(68, 97, 3000), 1), tlon[:40]]
    slat = np.r_[np.round(rng.uniform(8, 37, 3000), 1), tlat[:40]]
    sources = _points(slon, slat, prefix="s")
    for k in (1, 4):
        got_pos, got_d = _as_arrays(nearest(sources, targets, k=k), sources, targets, k)
        want_pos, want_d = _brute(sources, targets, k)
        assert np.array_equal(got_pos, want_pos)
        assert np.allclose(got_d, want_d, rtol=0, atol=1e-6)


def test_ties_rank_by_target_order_and_duplicates():
    sources = _points([0.0, 10.0], [0.0, 10.0], prefix="s")
    # two targets equally far east and west of source s0, plus a duplicate of s1
    targets = _points([1.0, -1.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0], prefix="t")
    result = nearest(sources, targets, k=2)
    s0 = result[result["source_id"] == "s0"]
    assert list(s0["target_id"]) == ["t0", "t1"] and s0["distance_m"].iloc[0] == pytest.approx(
        s0["distance_m"].iloc[1]
    )
    s1 = result[result["source_id"] == "s1"]
    assert list(s1["target_id"]) == ["t2", "t3"] and list(s1["distance_m"]) == [0.0, 0.0]


def test_identical_source_and_target_is_zero():
    pts = _points([77.5, 135.5], [28.47, 34.69])
    result = nearest(pts, pts)
    assert list(result["target_id"]) == list(pts.index)
    assert (result["distance_m"] == 0).all()


def test_india_japan_us_distance_is_geodesic():
    noida = _points([77.504], [28.4744], prefix="noida")
    others = _points([135.5023, -119.443], [34.6937, 39.538], prefix="x")
    result = nearest(noida, others, k=2)
    geod = __import__("pyproj").Geod(ellps="WGS84")
    assert result["distance_m"].tolist() == pytest.approx(
        [geod.inv(77.504, 28.4744, 135.5023, 34.6937)[2], geod.inv(77.504, 28.4744, -119.443, 39.538)[2]],
        abs=1e-3,
    )
    assert result["target_id"].tolist() == ["x0", "x1"]  # Osaka (~5,470 km) before Nevada


def test_max_distance_limits_results():
    sources = _points([0.0, 50.0], [0.0, 0.0], prefix="s")
    targets = _points([0.5, 1.0], [0.0, 0.0], prefix="t")
    result = nearest(sources, targets, k=2, max_distance_m=80_000)
    assert result["source_id"].tolist() == ["s0"]
    assert result["target_id"].tolist() == ["t0"]


def test_polygon_targets_inside_outside_edge():
    block = gpd.GeoDataFrame(
        {"name": ["block"]}, geometry=[shapely.box(82.5, 22.4, 82.7, 22.6)], crs="EPSG:4326", index=["b"]
    )
    far = gpd.GeoDataFrame(
        {"name": ["far"]}, geometry=[shapely.box(70, 20, 70.1, 20.1)], crs="EPSG:4326", index=["f"]
    )
    targets = pd.concat([block, far])
    sources = _points([82.6, 82.7, 83.0], [22.5, 22.5, 22.5], prefix="s")
    result = nearest(sources, targets)
    assert result["target_id"].tolist() == ["b", "b", "b"]
    assert result["distance_m"].iloc[0] == 0.0 and result["distance_m"].iloc[1] == 0.0
    expected = distance_matrix(sources.iloc[[2]], block).iloc[0, 0]
    assert result["distance_m"].iloc[2] == pytest.approx(expected)
    assert expected == pytest.approx(30_900, rel=0.01)  # 0.3 degrees of longitude at 22.5 N


@pytest.mark.parametrize("k", [1, 2, 3])
def test_nearest_polygons_equal_brute_force(k):
    # many small blocks, near and far: skipping polygons by their cap bound must not change the answer
    rng = np.random.default_rng(31)
    x, y = rng.uniform(68, 97, 25), rng.uniform(8, 37, 25)
    size = rng.uniform(0.02, 1.0, 25)
    polygons = gpd.GeoDataFrame(
        geometry=shapely.box(x, y, x + size, y + size * 0.7),
        crs="EPSG:4326",
        index=[f"b{i}" for i in range(25)],
    )
    sources = _random(400, 32, lon=(66, 99), lat=(6, 39), prefix="s")
    want_pos, want_d = _brute(sources, polygons, k)
    got_pos, got_d = _as_arrays(nearest(sources, polygons, k=k), sources, polygons, k)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-12)
    assert (got_pos == want_pos).all()


def test_mixed_point_and_polygon_targets():
    targets = pd.concat(
        [
            _points([80.0], [20.0], prefix="pt"),
            gpd.GeoDataFrame(geometry=[shapely.box(81, 19.9, 81.2, 20.1)], crs="EPSG:4326", index=["poly"]),
        ]
    )
    result = nearest(_points([81.05], [20.0], prefix="s"), targets, k=2)
    assert result["target_id"].tolist() == ["poly", "pt0"]


def test_within_equals_brute_force():
    sources = _random(800, 12, lon=(68, 97), lat=(8, 37), prefix="s")
    targets = _random(200, 13, lon=(68, 97), lat=(8, 37), prefix="t")
    radius = 150_000
    got = within(sources, targets, radius_m=radius)
    m = distance_matrix(sources, targets)
    want = {(s, t) for s in m.index for t in m.columns if m.loc[s, t] <= radius}
    assert set(zip(got["source_id"], got["target_id"], strict=True)) == want
    assert (got["distance_m"] <= radius).all()


def test_within_polygons():
    targets = gpd.GeoDataFrame(geometry=[shapely.box(82.5, 22.4, 82.7, 22.6)], crs="EPSG:4326", index=["b"])
    sources = _points([82.6, 83.0, 90.0], [22.5, 22.5, 22.5], prefix="s")
    got = within(sources, targets, radius_m=50_000)
    assert got["source_id"].tolist() == ["s0", "s1"]


def test_distance_matrix_labels_and_units():
    a = _points([77.5, 80.28], [28.47, 13.08], prefix="a")
    b = _points([69.75, 135.45], [22.8, 34.65], prefix="b")
    m = distance_matrix(a, b)
    assert m.shape == (2, 2) and list(m.index) == ["a0", "a1"] and list(m.columns) == ["b0", "b1"]
    assert m.loc["a0", "b0"] == pytest.approx(1_000_000, rel=0.1)


def test_other_crs_is_reprojected():
    sources = _points([77.5], [28.47]).to_crs("EPSG:3857")
    targets = _points([80.28], [13.08], prefix="t")
    assert nearest(sources, targets)["distance_m"].iloc[0] == pytest.approx(
        nearest(_points([77.5], [28.47]), targets)["distance_m"].iloc[0], abs=1e-3
    )


def test_empty_inputs_give_empty_results():
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    pts = _points([0.0], [0.0])
    assert nearest(empty, pts).empty and nearest(pts, empty).empty
    assert within(empty, pts, radius_m=10).empty
    assert distance_matrix(empty, pts).shape == (0, 1)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s, t: nearest(s, t, k=5), InputError, r"k: 5 is larger than the number of targets \(2\)"),
        (lambda s, t: nearest(s, t, k=0), InputError, r"k: expected a whole number >= 1, got 0"),
        (lambda s, t: nearest(s, t, k=1.5), InputError, r"k: expected a whole number >= 1, got 1.5"),
        (
            lambda s, t: nearest(s, t, max_distance_m=-1),
            InputError,
            r"max_distance_m: expected a distance in metres >= 0, got -1",
        ),
        (
            lambda s, t: within(s, t, radius_m=-5),
            InputError,
            r"radius_m: expected a distance in metres >= 0, got -5",
        ),
        (
            lambda s, t: nearest(s.set_crs(None, allow_override=True), t),
            CRSError,
            r"sources: GeoDataFrame has no CRS",
        ),
        (
            lambda s, t: nearest(s, t.set_crs(None, allow_override=True)),
            CRSError,
            r"targets: GeoDataFrame has no CRS",
        ),
    ],
)
def test_validation_errors_name_argument_and_value(call, error, message):
    with pytest.raises(error, match=message):
        call(_points([0.0], [0.0]), _points([1.0, 2.0], [1.0, 2.0], prefix="t"))


def test_non_point_sources_are_refused():
    lines = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:4326", index=["route"]
    )
    with pytest.raises(
        InputError, match="sources: expected Point geometries, feature 'route' is a LineString"
    ):
        nearest(lines, _points([0.0], [0.0]))


def test_missing_geometry_is_named():
    pts = _points([0.0, 1.0], [0.0, 1.0])
    pts.loc["p1", "geometry"] = None
    with pytest.raises(InputError, match="targets: feature 'p1' has no geometry"):
        nearest(_points([0.0], [0.0], prefix="s"), pts)


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        ([0.0, np.nan], [0.0, 0.0], r"longitude nan \(vertex 0\), which is not a finite number"),
        ([0.0, 10.0], [0.0, 95.0], r"latitude 95 \(vertex 0\), which is outside -90\.\.90"),
        ([0.0, 190.0], [0.0, 0.0], r"longitude 190 \(vertex 0\), which is outside -180\.\.180"),
        ([0.0, 10.0], [0.0, -np.inf], r"latitude -inf \(vertex 0\), which is not a finite number"),
    ],
)
def test_bad_coordinates_name_the_frame_and_the_feature(lon, lat, message):
    bad = _points(lon, lat, prefix="b")
    good = _points([1.0, 2.0], [1.0, 2.0], prefix="t")
    feature = r"feature 1 \(0-based position; label 'b1'\) has "
    for call, argument in (
        (lambda: nearest(bad, good), "sources"),
        (lambda: nearest(good, bad), "targets"),
        (lambda: within(bad, good, radius_m=1000), "sources"),
        (lambda: within(good, bad, radius_m=1000), "targets"),
        (lambda: distance_matrix(bad, good), "a"),
        (lambda: distance_matrix(good, bad), "b"),
    ):
        with pytest.raises(InputError, match=f"{argument}: {feature}{message}"):
            call()


def test_bad_polygon_vertex_is_named():
    poly = gpd.GeoDataFrame(
        geometry=[shapely.box(0, 0, 1, 1), shapely.Polygon([(0, 0), (1, 0), (1, 91), (0, 0)])],
        crs="EPSG:4326",
        index=["ok", "bad"],
    )
    with pytest.raises(
        InputError, match=r"targets: feature 1 \(0-based position; label 'bad'\) has latitude 91 \(vertex 2\)"
    ):
        nearest(_points([0.5], [0.5]), poly)


def test_range_ring_and_geodesic_line_refuse_bad_centres():
    from geo.proximity import geodesic_circle, geodesic_line

    with pytest.raises(InputError, match=r"lon/lat: latitude nan is not a finite number"):
        geodesic_circle(77.0, np.nan, 1000.0)
    with pytest.raises(InputError, match=r"lat2: latitude 95 is outside -90\.\.90"):
        geodesic_line(77.0, 28.0, 78.0, 95.0)


def test_nearest_facility_to_delhi_and_jaipur_is_a_plant_not_the_venue():
    import layers
    from geo.proximity import nearest_lines

    facilities = gpd.GeoDataFrame(
        {
            "name": ["Embassy of Japan (conference venue)", "Lohum Greater Noida", "Lohum Gujarat"],
            "kind": ["venue", "refining", "recycling"],
            "location_precision": ["site", "town", "region"],
        },
        geometry=gpd.points_from_xy([77.188, 77.504, 71.19], [28.5975, 28.4744, 22.26]),
        crs="EPSG:4326",
        index=["venue", "noida", "gujarat"],
    )
    cities = _points([77.209, 75.787], [28.614, 26.912])
    assert set(nearest(cities, facilities)["target_id"]) == {"venue"}  # what the issue saw
    targets = layers.analysis_targets(facilities)
    assert list(nearest(cities, targets)["target_id"]) == ["noida", "noida"]
    flagged = layers.analysis_targets(facilities, include_placeholders=True)
    lines = nearest_lines(cities, flagged, nearest(cities, flagged, k=2))
    assert lines.loc[lines["target_id"] == "gujarat", "target_approximate_location"].all()
    assert not lines.loc[lines["target_id"] == "noida", "target_approximate_location"].any()
