import geopandas as gpd
import numpy as np
import shapely

from layers.budget import for_drawing
from layers.map import build_map
from layers.user import spec_for


def _points(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(68, 97, n), rng.uniform(8, 35, n)
    return gpd.GeoDataFrame(
        {"name": np.arange(n).astype(str)}, geometry=gpd.points_from_xy(lon, lat), crs=4326
    )


def test_a_small_layer_is_drawn_whole():
    small = _points(100)
    drawn, note = for_drawing(small)
    assert drawn is small and note is None


def test_a_million_points_are_drawn_as_counted_squares_in_a_small_document():
    big = _points(1_000_000)
    drawn, note = for_drawing(big)
    assert (
        note.startswith("1,000,000 points are drawn as") and "analyses and downloads use every point" in note
    )
    assert 0 < len(drawn) <= 5_000
    assert drawn["features"].sum() == 1_000_000
    # every point lies in the square that counts it: total of squares covering a sample equals 1 each
    sample = big.geometry.values[:200]
    hits = shapely.STRtree(drawn.geometry.values).query(sample, predicate="intersects")
    assert len(set(hits[0])) == 200
    html = build_map({"big": drawn}, specs={"big": spec_for("big", drawn)}).get_root().render()
    assert len(html.encode()) <= 5 * 1024 * 1024


def test_lines_over_the_vertex_budget_are_simplified():
    t = np.linspace(0, 2 * np.pi, 300_000)
    line = shapely.LineString(np.c_[78 + 5 * np.cos(t), 22 + 5 * np.sin(t) + 0.001 * np.sin(500 * t)])
    layer = gpd.GeoDataFrame({"name": ["wiggly"]}, geometry=[line], crs=4326)
    drawn, note = for_drawing(layer, max_vertices=20_000)
    assert "drawn simplified" in note
    assert shapely.get_num_coordinates(drawn.geometry.values).sum() <= 20_000
    assert drawn.geometry.iloc[0].hausdorff_distance(line) < 0.05  # degrees: the shape is kept


def test_the_upload_limit_of_streamlit_matches_the_importers():
    import tomllib

    from geo.settings import MAX_IMPORT_BYTES, PROJECT_DIR

    config = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_IMPORT_BYTES
