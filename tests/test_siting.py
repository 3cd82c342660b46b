import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import layers
from geo._errors import InputError
from geo._pmedian import reduce_candidates
from geo.siting import (
    RAW_COLUMNS,
    allocate,
    candidate_grid,
    hexagons,
    measure,
    normalise,
    rank,
    score,
    sensitivity,
    solve_allocation,
    spread_candidates,
    suitability,
    with_existing,
)


@pytest.fixture(scope="module")
def india():
    countries = layers.load("countries")
    return countries.loc[countries["country"] == "IN", "geometry"].iloc[0]


def test_grid_covers_the_region_only(india):
    grid = candidate_grid(india, resolution=5)
    assert 10_000 < len(grid) < 14_000  # India is ~3.3 million km2; a res-5 cell ~250 km2
    assert shapely.contains_xy(india, grid["lon"], grid["lat"]).all()
    assert grid["cell"].is_unique


def test_centre_grid_gives_the_same_hexagons_later(india):
    cells = candidate_grid(india, resolution=5)
    centres = candidate_grid(india, resolution=5, geometry="centre")
    assert (centres.geom_type == "Point").all() and list(centres["cell"]) == list(cells["cell"])
    assert hexagons(centres).geometry.geom_equals_exact(cells.geometry, 0).all()
    assert hexagons(centres.iloc[[5]]).index.tolist() == [centres.index[5]]
    with pytest.raises(InputError, match="cells: expected a 'cell' column"):
        hexagons(centres.drop(columns="cell"))


def test_grid_errors(india):
    with pytest.raises(InputError, match="resolution: expected an H3 resolution from 5 to 8, got 9"):
        candidate_grid(india, resolution=9)
    with pytest.raises(InputError, match="region: expected a Polygon or MultiPolygon in lon/lat, got Point"):
        candidate_grid(shapely.Point(0, 0), resolution=5)
    with pytest.raises(InputError, match="geometry: expected 'hexagon' or 'centre', got 'point'"):
        candidate_grid(india, resolution=5, geometry="point")
    # India is about 3.15 million km2: 4.3 million res-8 cells, refused before any work
    with pytest.raises(
        InputError,
        match=r"resolution: about 4,2\d\d,\d{3} cells at resolution 8 over 3,1\d\d,\d{3} km2, "
        r"more than 1,000,000",
    ):
        candidate_grid(india, resolution=8, max_cells=1_000_000)


def _toy():
    rng = np.random.default_rng(4)
    raw = pd.DataFrame({c: rng.uniform(0, 100, 50) for c in RAW_COLUMNS.values()})
    return raw


def test_raising_a_weight_never_lowers_the_best_cell_on_that_criterion():
    norm = normalise(_toy())
    base = dict.fromkeys(RAW_COLUMNS, 1)
    for criterion in RAW_COLUMNS:
        best = norm[criterion].idxmax()
        before = score(norm, base)
        after = score(norm, {**base, criterion: 3})
        # the best cell on the criterion scores 1 on it: its share can only grow
        assert after[best] >= before[best] - 1e-12
        assert after.rank(ascending=False)[best] <= before.rank(ascending=False)[best]


def test_normalise_directions():
    raw = pd.DataFrame(
        {
            "feedstock_population": [0, 10],
            "lithium_block_km": [0, 10],
            "port_km": [5, 10],
            "facility_km": [0, 10],
            "road_network_km": [1, 40],
        }
    )
    avoid = normalise(raw, competition="avoid")
    cluster = normalise(raw, competition="cluster")
    assert list(avoid["feedstock"]) == [0, 1] and list(avoid["lithium_blocks"]) == [1, 0]
    assert list(avoid["road"]) == [1, 0]
    assert list(avoid["competition"]) == [0, 1] and list(cluster["competition"]) == [1, 0]


def test_road_criterion_measures_km_to_the_road_network():
    # Greater Noida sits on the road network; a point 150 km off the Odisha coast does not
    cells = gpd.GeoDataFrame(
        {"lon": [77.50, 87.9], "lat": [28.47, 19.0]},
        geometry=gpd.points_from_xy([77.50, 87.9], [28.47, 19.0]),
        crs="EPSG:4326",
    )
    kw = dict(
        demand=layers.load("demand"),
        blocks=layers.load("lithium_blocks"),
        ports=layers.load("ports"),
        facilities=layers.load("facilities"),
    )
    scored = suitability(cells, **kw, weights={"road": 1}).sort_index()
    assert scored["road_network_km"].iloc[0] < 5 < 100 < scored["road_network_km"].iloc[1]
    assert scored["n_road"].tolist() == [1.0, 0.0] and scored.index[0] == scored["score"].idxmax()


def test_sensitivity_is_seeded_and_bounded():
    norm = normalise(_toy())
    weights = {"feedstock": 0.4, "lithium_blocks": 0.2, "port": 0.2, "competition": 0.2}
    a = sensitivity(norm, weights, top_n=5, draws=200, seed=1)
    b = sensitivity(norm, weights, top_n=5, draws=200, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert list(a["baseline_rank"]) == [1, 2, 3, 4, 5]
    assert a["share_in_top"].between(0, 1).all() and a["share_in_top"].iloc[0] > 0.5
    assert (sensitivity(norm, weights, top_n=5, spread=0.0)["share_in_top"] == 1).all()


def _sensitivity_by_full_ranking(norm, weights, *, top_n, draws, spread, seed):
    """Every cell ranked in every draw: what sensitivity() must equal."""
    from geo.siting import check_weights

    base = check_weights(weights)
    matrix = np.ascontiguousarray(norm[list(RAW_COLUMNS)].to_numpy())  # the same sums to the last bit
    baseline = np.argsort(-(matrix @ base), kind="stable")[:top_n]
    factors = np.random.default_rng(seed).uniform(1 - spread, 1 + spread, size=(draws, len(base)))
    w = base * factors
    w /= w.sum(axis=1, keepdims=True)
    scores = matrix @ w.T
    kth = np.partition(-scores, top_n - 1, axis=0)[top_n - 1]
    return pd.DataFrame(
        {"baseline_rank": np.arange(1, top_n + 1), "share_in_top": (-scores[baseline] <= kth).mean(axis=1)},
        index=norm.index[baseline],
    )


@pytest.mark.parametrize(
    "weights",
    [
        {"feedstock": 0.35, "lithium_blocks": 0.2, "port": 0.15, "competition": 0.15, "road": 0.15},
        {c: 1.0 for c in RAW_COLUMNS},
        {"competition": 1.0, "road": 1.0},
    ],
)
def test_sensitivity_equals_ranking_every_cell_in_every_draw(weights):
    # 20,000 cells with clustered scores and ties (rounded criteria): the pruning must change nothing
    rng = np.random.default_rng(7)
    norm = pd.DataFrame(
        np.round(rng.beta(5, 2, size=(20_000, len(RAW_COLUMNS))), 2),
        columns=list(RAW_COLUMNS),
        index=[f"cell{i}" for i in range(20_000)],
    )
    got = sensitivity(norm, weights, top_n=10, draws=120, spread=0.3, seed=3)
    want = _sensitivity_by_full_ranking(norm, weights, top_n=10, draws=120, spread=0.3, seed=3)
    pd.testing.assert_frame_equal(got, want)
    assert 0 < got["share_in_top"].min() < 1  # the draws do move cells in and out of the top 10


def test_constraint_excludes_cells_near_facilities(india):
    grid = candidate_grid(india, resolution=5).iloc[::20]
    fac = layers.load("facilities")
    kw = dict(
        demand=layers.load("demand"),
        blocks=layers.load("lithium_blocks"),
        ports=layers.load("ports"),
        facilities=fac,
        weights={"feedstock": 1, "port": 1},
    )
    all_cells = suitability(grid, **kw)
    kept = suitability(grid, exclude_within_km=300, **kw)
    assert len(kept) < len(all_cells)
    assert (kept["facility_km"] >= 300).all()
    assert list(all_cells["rank"]) == list(range(1, len(all_cells) + 1))
    assert all_cells["score"].is_monotonic_decreasing


def _brute_p_median(cost, weights, k):
    best = None
    for combo in itertools.combinations(range(cost.shape[1]), k):
        value = float((weights * cost[:, combo].min(axis=1)).sum())
        if best is None or value < best[0] - 1e-9:
            best = (value, list(combo))
    return best


def test_p_median_matches_brute_force():
    rng = np.random.default_rng(11)
    cost = rng.uniform(1, 100, (25, 8))
    weights = rng.integers(1, 50, 25).astype(float)
    for k in (1, 2, 3):
        result = solve_allocation(cost, weights, k=k)
        value, combo = _brute_p_median(cost, weights, k)
        assert result.objective == pytest.approx(value)
        assert float((weights * cost[:, result.chosen].min(axis=1)).sum()) == pytest.approx(value)
        assert result.served_weight == weights.sum()


def test_coverage_matches_brute_force():
    rng = np.random.default_rng(12)
    cost = rng.uniform(1, 100, (30, 7))
    weights = rng.integers(1, 50, 30).astype(float)
    best = max(
        float(weights[(cost[:, list(c)] <= 30).any(axis=1)].sum())
        for c in itertools.combinations(range(7), 2)
    )
    result = solve_allocation(cost, weights, k=2, model="coverage", service_km=30)
    assert result.served_weight == pytest.approx(best)
    assert np.all(np.isnan(result.distance_km[result.assignment < 0]))


def test_fixed_facilities_stay_open():
    rng = np.random.default_rng(13)
    cost = rng.uniform(1, 100, (20, 6))
    result = solve_allocation(cost, np.ones(20), k=3, fixed=[5])
    assert 5 in result.chosen and len(result.chosen) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, r"k: expected 1 to 4 facilities, got 0"),
        (
            {"k": 2, "model": "coverage"},
            r"service_km: expected a service distance in km > 0 for the coverage model",
        ),
        ({"k": 2, "model": "lp"}, r"model: expected 'p-median' or 'coverage', got 'lp'"),
        ({"k": 1, "fixed": [0, 1]}, r"fixed: expected at most k=1 candidate positions"),
    ],
)
def test_allocation_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        solve_allocation(np.ones((3, 4)), np.ones(3), **kwargs)


def test_allocate_adapter_on_real_layers():
    demand = layers.load_by_id("demand").head(60)
    candidates = layers.load_by_id("facilities")
    candidates = candidates[candidates["country"] == "IN"]
    sites, lines, result = allocate(candidates, demand, k=2)
    assert len(sites) == 2 and result.cost == "geodesic"
    assert len(lines) == len(demand) and set(lines["site_id"]) <= set(sites.index)
    assert sites["served_weight"].sum() == pytest.approx(demand["population"].sum())


def test_a_fixed_label_naming_several_candidates_is_an_input_error():
    demand = layers.load_by_id("demand").head(10)
    candidates = layers.load_by_id("facilities")
    candidates = candidates[candidates["country"] == "IN"].head(3)
    twice = pd.concat([candidates, candidates.iloc[:1]])
    with pytest.raises(InputError, match=r"fixed: label '.+' names several candidates"):
        allocate(twice, demand, k=2, fixed=[candidates.index[0]])


def test_network_cost_is_road_distance_and_drops_islands():
    from geo.proximity import distance_matrix
    from geo.siting import UNREACHABLE_KM, network_cost_km

    demand = layers.by_id(layers.load("demand"))
    demand = demand[demand["name"].isin(["Port Blair", "Lucknow", "Pune", "Kolkata"])]
    facilities = layers.by_id(layers.load("facilities"))
    candidates = facilities.loc[["lohum-greater-noida-li", "lohum-gujarat", "redwood-materials-nevada"]]
    cost, dropped = network_cost_km(demand, candidates, mode="road")
    assert demand.loc[dropped, "name"].tolist() == ["Port Blair"]
    assert (cost["redwood-materials-nevada"] == UNREACHABLE_KM).all()  # another continent
    geodesic = distance_matrix(demand.drop(index=dropped), candidates.iloc[:2]).to_numpy() / 1000
    assert (cost.iloc[:, :2].to_numpy() >= geodesic).all()
    sites, _, result = allocate(candidates, demand.drop(index=dropped), k=1, cost_km=cost)
    assert result.cost == "network" and sites.index[0] != "redwood-materials-nevada"


def _site_inputs():
    return dict(
        demand=layers.load("demand"),
        blocks=layers.load("lithium_blocks"),
        ports=layers.load("ports"),
        facilities=layers.load("facilities"),
    )


def test_dask_engine_gives_the_pandas_scores(india):
    grid = candidate_grid(india, resolution=5).iloc[::7]
    weights = {"feedstock": 0.4, "lithium_blocks": 0.2, "port": 0.2, "competition": 0.2}
    pandas_scored = suitability(grid, **_site_inputs(), weights=weights)
    dask_scored = suitability(grid, **_site_inputs(), weights=weights, engine="dask", npartitions=5)
    pd.testing.assert_frame_equal(
        dask_scored.drop(columns="geometry"), pandas_scored.drop(columns="geometry")
    )


def test_dask_engine_on_a_local_cluster(india):
    from distributed import Client, LocalCluster

    grid = candidate_grid(india, resolution=5).iloc[::25]
    weights = {"feedstock": 1.0, "port": 1.0}
    expected = suitability(grid, **_site_inputs(), weights=weights)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        got = suitability(grid, **_site_inputs(), weights=weights, engine="dask")
    np.testing.assert_allclose(got["score"].to_numpy(), expected["score"].to_numpy(), rtol=0, atol=0)
    assert list(got["cell"]) == list(expected["cell"])


def test_unknown_engine_is_named(india):
    grid = candidate_grid(india, resolution=5).iloc[:3]
    with pytest.raises(InputError, match="engine: expected 'pandas' or 'dask', got 'spark'"):
        suitability(grid, **_site_inputs(), weights={"port": 1}, engine="spark")
    with pytest.raises(InputError, match="demand_radius_km: expected a radius in km > 0"):
        suitability(grid, **_site_inputs(), weights={"port": 1}, engine="dask", demand_radius_km=0)


@pytest.mark.parametrize("seed", range(6))
def test_p_median_with_candidate_elimination_matches_brute_force(seed):
    # clustered demand (as in real data) so the bounds drop candidates; fixed sites in half the cases
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 500, (4, 2))
    demand = centres[rng.integers(0, 4, 40)] + rng.normal(0, 30, (40, 2))
    sites = rng.uniform(0, 500, (12, 2))
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    weights = rng.integers(1, 100, 40).astype(float)
    fixed = [int(rng.integers(0, 12))] if seed % 2 else []
    for k in (2, 3, 4):
        keep, lower, upper, _ = reduce_candidates(cost, weights, k=k, fixed=fixed)
        value, combo = min(
            (float((weights * cost[:, list(c)].min(axis=1)).sum()), list(c))
            for c in itertools.combinations(range(12), k)
            if set(fixed) <= set(c)
        )
        assert lower <= value * (1 + 1e-9) and upper >= value * (1 - 1e-9)
        assert set(fixed) <= set(keep)
        result = solve_allocation(cost, weights, k=k, fixed=fixed)
        assert result.objective == pytest.approx(value)
        assert set(fixed) <= set(result.chosen) and len(result.chosen) == k


def test_candidate_elimination_drops_candidates_that_cannot_be_optimal():
    rng = np.random.default_rng(3)
    demand = rng.uniform(0, 1000, (300, 2))
    sites = rng.uniform(0, 1000, (60, 2))
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    keep, lower, upper, _ = reduce_candidates(cost, np.ones(300), k=5, fixed=[])
    assert len(keep) < 30
    assert upper - lower <= 0.01 * upper
    assert solve_allocation(cost, np.ones(300), k=5).objective == pytest.approx(upper, rel=1e-4)


@pytest.mark.parametrize("fixed", [[], [4], [1, 6]])
def test_p_median_milp_matches_brute_force_without_elimination(monkeypatch, fixed):
    # no candidate dropped and no bound shortcut: HiGHS must solve Elloumi's formulation itself
    import geo._pmedian as pmedian

    real = pmedian.reduce_candidates
    monkeypatch.setattr(
        pmedian,
        "reduce_candidates",
        lambda cost, *a, **kw: (np.arange(cost.shape[1]), -np.inf, *real(cost, *a, **kw)[2:]),
    )
    rng = np.random.default_rng(21)
    cost = rng.uniform(1, 100, (30, 9))
    weights = rng.integers(1, 50, 30).astype(float)
    for k in range(max(1, len(fixed)), 5):
        result = solve_allocation(cost, weights, k=k, fixed=fixed)
        value = min(
            float((weights * cost[:, list(c)].min(axis=1)).sum())
            for c in itertools.combinations(range(9), k)
            if set(fixed) <= set(c)
        )
        assert result.objective == pytest.approx(value)
        assert float((weights * cost[:, result.chosen].min(axis=1)).sum()) == pytest.approx(value)
        assert set(fixed) <= set(result.chosen) and len(result.chosen) == k


def test_existing_facilities_join_the_candidates_as_fixed_sites():
    cells = candidate_grid(shapely.box(76, 27, 79, 30), resolution=5).set_index("cell").head(30)
    facilities = layers.load_by_id("facilities")
    existing = facilities[facilities["country"] == "IN"]
    combined, fixed = with_existing(cells, existing)
    assert len(combined) == len(cells) + len(existing) and fixed == list(existing.index)
    assert combined[["lon", "lat"]].notna().all().all()
    demand = layers.load_by_id("demand").head(80)
    sites, _, result = allocate(combined, demand, k=len(fixed) + 2, fixed=fixed)
    assert set(fixed) <= set(sites.index) and len(sites) == len(fixed) + 2
    assert sites.loc[fixed, "fixed"].all() and (~sites.drop(index=fixed)["fixed"]).all()
    assert with_existing(cells, existing.iloc[:0]) == (cells, [])
    with pytest.raises(InputError, match="existing: labels .* are also candidate labels"):
        with_existing(existing, existing)


def test_measuring_one_criterion_equals_its_column_of_all(india):
    cells = candidate_grid(india, resolution=5).iloc[::40]
    kw = dict(
        demand=layers.load("demand"),
        blocks=layers.load("lithium_blocks"),
        ports=layers.load("ports"),
        facilities=layers.load("facilities"),
    )
    everything = measure(cells, **kw)
    assert list(everything.columns) == list(RAW_COLUMNS.values())
    port = measure(cells, **kw, criteria=["port"])
    assert list(port.columns) == ["port_km"] and port["port_km"].equals(everything["port_km"])
    weights = {"feedstock": 1, "port": 2}
    pd.testing.assert_frame_equal(
        rank(cells, everything, weights=weights), suitability(cells, **kw, weights=weights)
    )
    with pytest.raises(InputError, match="criteria: unknown criterion rail; expected some of feedstock"):
        measure(cells, **kw, criteria=["rail"])


# ------------------------------------------------------------------------ spread candidates, honest answers
NASHIK = (73.79, 19.99)


def _hotspot_scores(region, *, resolution: int = 5) -> gpd.GeoDataFrame:
    """Cells of the region scored by closeness to Nashik: the top N all sit in one hotspot."""
    from geo.distance import geodesic_m

    cells = candidate_grid(region, resolution=resolution, geometry="centre")
    cells["score"] = -geodesic_m(cells["lon"].to_numpy(), cells["lat"].to_numpy(), *NASHIK) / 1000.0
    return cells.sort_values("score", ascending=False, kind="stable").set_index("cell", drop=False)


def _pairwise_km(frame: gpd.GeoDataFrame) -> np.ndarray:
    from geo.distance import geodesic_m

    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    d = geodesic_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) / 1000.0
    return d[np.triu_indices(len(frame), 1)]


def test_spread_candidates_keep_the_best_cell_at_least_the_spacing_apart(india):
    scored = _hotspot_scores(india)
    top = scored.head(50)
    assert _pairwise_km(top).max() < 200  # the top 50 cells: one hotspot around Nashik
    spread = spread_candidates(scored, 50, min_spacing_km=150)
    assert len(spread) == 50 and spread.index[0] == scored.index[0]  # the best cell comes first
    assert _pairwise_km(spread).min() >= 150
    assert _pairwise_km(spread).max() > 1000  # 50 discs of 75 km radius around the hotspot
    # greedy by score: a skipped cell lies within 150 km of a better kept one
    kept = set(spread.index)
    skipped = scored.loc[: spread.index[-1]].drop(index=list(kept))
    from geo.distance import geodesic_m

    near = geodesic_m(
        skipped["lon"].to_numpy()[:, None],
        skipped["lat"].to_numpy()[:, None],
        spread["lon"].to_numpy()[None, :],
        spread["lat"].to_numpy()[None, :],
    )
    assert (near.min(axis=1) < 150_000).all()


def test_default_spacing_comes_from_the_region_and_fits_n(india):
    scored = _hotspot_scores(india)
    spread = spread_candidates(scored.sample(frac=1.0, random_state=1), 50)  # order restored by score
    area_km2 = len(scored) * __import__("h3").average_hexagon_area(5, "km^2")
    spacing = spread.attrs["min_spacing_km"]
    assert 0.5 * np.sqrt(area_km2 / 50) < spacing <= 1.2 * np.sqrt(area_km2 / 50)
    assert len(spread_candidates(scored, 50, min_spacing_km=spacing / 0.9)) < 50  # the largest that fits
    assert len(spread) == 50 and spread.index[0] == scored.index[0]
    assert _pairwise_km(spread).min() >= spread.attrs["min_spacing_km"]
    assert _pairwise_km(spread).max() > 2500  # over the whole country (India spans about 3,000 km)


def test_spread_by_h3_parent_keeps_the_best_cell_of_each_parent(india):
    import h3

    scored = _hotspot_scores(india)
    spread = spread_candidates(scored, 40, parent_resolution=2)
    parent_of = pd.Series([h3.cell_to_parent(c, 2) for c in scored["cell"]], index=scored.index)
    assert len(spread) == 40 and parent_of[spread.index].is_unique
    best = scored.groupby(parent_of, sort=False)["score"].idxmax()  # the best cell of each parent
    assert set(spread.index) <= set(best) and list(spread.index) == list(best.iloc[:40])
    assert list(spread["score"]) == sorted(spread["score"], reverse=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, r"n: expected a whole number of candidates >= 1, got 0"),
        ({"n": 5, "parent_resolution": 3, "min_spacing_km": 10}, r"give one of them, not both"),
        ({"n": 5, "parent_resolution": 5}, r"parent_resolution: expected an H3 resolution from 0 to 4"),
        ({"n": 5, "min_spacing_km": -1.0}, r"min_spacing_km: expected a distance in km >= 0, got -1.0"),
    ],
)
def test_spread_candidates_errors(kwargs, message):
    scored = _hotspot_scores(shapely.box(76, 27, 79, 30))
    with pytest.raises(InputError, match=message):
        spread_candidates(scored, **kwargs)


def test_choosing_sites_among_a_hotspot_warns_and_spread_candidates_answer_better(india):
    # the case: p-median, k = 3 among the 50 best cells, all near Nashik
    demand = layers.load_by_id("demand")
    scored = _hotspot_scores(india)
    _, _, bunched = allocate(scored.head(50), demand, k=3)
    assert bunched.warnings[0].startswith("Chosen sites are bunched: all 3 lie within ")
    assert "the candidates themselves lie within" in bunched.warnings[0]
    assert "spread_candidates" in bunched.warnings[0]
    sites, _, spread = allocate(spread_candidates(scored, 50), demand, k=3)
    assert not any("bunched" in w for w in spread.warnings)
    assert _pairwise_km(sites).max() > 0.2 * 2500
    assert spread.mean_km < 0.7 * bunched.mean_km and spread.max_km < bunched.max_km
    # the reported figures are the demand-weighted mean and the largest distance
    from geo.proximity import distance_matrix

    km = distance_matrix(demand, sites).to_numpy().min(axis=1) / 1000.0
    w = demand["population"].to_numpy(dtype=float)
    assert spread.mean_km == pytest.approx(np.average(km, weights=w))
    assert spread.max_km == pytest.approx(km.max())


def test_p_median_never_claims_demand_served_100_percent():
    rng = np.random.default_rng(11)
    result = solve_allocation(rng.uniform(1, 100, (25, 8)), np.ones(25), k=2)
    assert result.served_weight == result.total_weight  # by definition: the model assigns everyone
    assert result.summary.startswith(
        "p-median (geodesic distances) assigns all demand; see mean/max distance"
    )
    assert "served" not in result.summary and result.summary.endswith("Optimal.")
    assert result.status == "optimal" and result.gap == 0.0 and result.warnings == ()


def test_coverage_of_all_demand_is_flagged_as_trivial():
    rng = np.random.default_rng(12)
    cost = rng.uniform(1, 100, (30, 7))
    result = solve_allocation(cost, np.ones(30), k=2, model="coverage", service_km=150)
    assert result.served_weight == 30
    assert result.warnings[0].startswith("Coverage is 100 %: every demand point lies within 150 km")
    partial = solve_allocation(cost, np.ones(30), k=2, model="coverage", service_km=20)
    assert partial.warnings == () and "% of demand served" in partial.summary


def test_hard_p_median_returns_its_best_solution_within_the_time_limit():
    # uniform random costs: the bounds stay far apart, and before this HiGHS ran for > 7 minutes
    import time

    rng = np.random.default_rng(0)
    cost = rng.uniform(0, 100, (200, 100))
    weights = np.ones(200)
    started = time.monotonic()
    result = solve_allocation(cost, weights, k=8, time_limit_s=3.0)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0 + 1.0
    assert result.status == "time limit" and len(result.chosen) == 8
    assert result.objective == pytest.approx(float(cost[:, result.chosen].min(axis=1).sum()))
    assert 0.0 < result.gap < 0.5
    assert result.warnings[-1].startswith("Not proven optimal (the time limit ended the search after ")
    assert f"within {result.gap:.1%} of the optimum" in result.summary


def test_should_stop_reaches_highs_and_returns_the_best_solution_so_far(monkeypatch):
    import geo._pmedian as pmedian

    real = pmedian.reduce_candidates
    # no elimination, no bound and no clock for the subgradient phase: every should_stop call after
    # the first (between the phases) comes from HiGHS' callbacks
    monkeypatch.setattr(
        pmedian,
        "reduce_candidates",
        lambda cost, *a, clock=None, **kw: (np.arange(cost.shape[1]), -np.inf, *real(cost, *a, **kw)[2:]),
    )
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    rng = np.random.default_rng(0)
    cost = rng.uniform(0, 100, (200, 100))
    result = solve_allocation(cost, np.ones(200), k=8, time_limit_s=120.0, should_stop=should_stop)
    assert result.status == "stopped" and len(result.chosen) == 8 and len(calls) > 3
    assert result.warnings[-1].startswith("Not proven optimal (stopped on request after ")


def test_allocate_passes_the_time_limit_and_should_stop():
    demand = layers.load_by_id("demand").head(40)
    candidates = layers.load_by_id("facilities")
    candidates = candidates[candidates["country"] == "IN"]
    _, _, result = allocate(candidates, demand, k=2, time_limit_s=5.0, should_stop=lambda: False)
    assert result.status == "optimal"
    with pytest.raises(
        InputError, match=r"time_limit_s: expected a time in seconds > 0 \(or None for no limit\), got 0"
    ):
        allocate(candidates, demand, k=2, time_limit_s=0)


def test_chosen_sites_with_approximate_locations_are_flagged():
    demand = layers.load_by_id("demand").head(40)
    facilities = layers.load_by_id("facilities")
    candidates = facilities[facilities["country"] == "IN"].assign(
        approximate_location=lambda f: f["location_precision"].isin(["region", "country"])
    )
    sites, _, result = allocate(candidates, demand, k=len(candidates))
    flagged = sites.loc[sites["approximate_location"], "name"]
    assert len(flagged) >= 2
    warning = [w for w in result.warnings if "approximate location" in w]
    assert warning and warning[0].startswith(f"{len(flagged)} chosen site(s) have an approximate location")
