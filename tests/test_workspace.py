"""The workspace store on both backends: GeoPackage (embedded) and PostGIS (a throwaway cluster)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import unicodedata
import uuid

import _workspace_worker
import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

import layers
from app.store import (
    INDEX_COLUMNS,
    LayerPermissionError,
    PostGISWorkspace,
    Workspace,
    WorkspaceBusy,
    WorkspaceDamaged,
    open_workspace,
)
from geo._errors import CRSError, LayerError
from geo.settings import BUILTIN_LAYERS

BACKENDS = ("gpkg", "postgis")
_make = _workspace_worker.make
_points = _workspace_worker.points


@pytest.fixture(params=BACKENDS)
def make_ws(request, private_workspace):
    """``make_ws(user="local", **options)``: a workspace of one backend, empty for each test."""
    if request.param == "postgis":
        url = request.getfixturevalue("postgis_url")
        schema = f"test_{uuid.uuid4().hex[:12]}"  # each test its own schema: an empty workspace

        def make(user: str = "local", **options):
            return _make("postgis", url, schema, user, **options)

        make.spec = ("postgis", url, schema)
    else:

        def make(user: str = "local", **options):
            return _make("gpkg", str(private_workspace), None, user, **options)

        make.spec = ("gpkg", str(private_workspace), None)
    make.backend = request.param
    return make


# ----------------------------------------------------------------------------- both backends
def test_save_load_delete_round_trip(make_ws):
    ws = make_ws()
    assert ws.names() == [] and list(ws.index().columns) == list(INDEX_COLUMNS)
    facilities = layers.load("facilities")
    ws.save("sites", facilities, source="facilities.csv")
    ws.save("blocks", layers.load("lithium_blocks"), kind="analysis", title="Lithium blocks (J&K, Korba)")
    index = ws.index().set_index("name")
    assert list(index.index) == ["sites", "blocks"]
    assert (
        index.loc["sites", "features"] == len(layers.load("facilities"))
        and index.loc["blocks", "kind"] == "analysis"
    )
    assert index.loc["sites", "source"] == "facilities.csv" and index.loc["sites", "title"] == "sites"
    assert index.loc["blocks", "title"] == "Lithium blocks (J&K, Korba)"
    assert index.loc["sites", "owner"] == "local" and not index.loc["sites", "shared"]
    back = ws.load("sites")
    assert list(back["id"]) == list(facilities["id"]) and list(back["name"]) == list(facilities["name"])
    assert back.crs.equals("EPSG:4326")
    assert back.geometry.geom_equals_exact(facilities.geometry.reset_index(drop=True), tolerance=1e-9).all()
    # replacing keeps the layer's place in the saving order
    ws.save("sites", facilities.iloc[:3])
    assert ws.names() == ["sites", "blocks"] and len(ws.load("sites")) == 3
    ws.delete("sites")
    assert ws.names() == ["blocks"]
    # a new Workspace on the same store (the app restarting) sees the same layers
    assert make_ws().names() == ["blocks"]
    assert set(make_ws().load_all()) == {"blocks"}


def test_frames_are_stored_in_wgs84_with_their_columns(make_ws):
    ws = make_ws()
    metric = _points(3).to_crs("EPSG:3857")
    metric["<b>note</b>"] = ["<script>alert(1)</script>", "Lohum — Greater Noida", None]
    metric["x" * 80] = [1.5, 2.5, None]  # longer than PostgreSQL's 63-byte identifiers
    metric["mixed"] = ["a", 3, None]
    metric["checked"] = [True, None, False]
    ws.save("metric", metric)
    back = ws.load("metric")
    assert back.crs.equals("EPSG:4326")
    assert back.geometry.x.round(9).tolist() == [80.0, 80.01, 80.02]
    assert [c for c in back.columns if c != "geometry"] == [
        "name",
        "rank",
        "<b>note</b>",
        "x" * 80,
        "mixed",
        "checked",
    ]
    assert back["checked"].tolist()[0] is True and back["checked"].tolist()[2] is False
    assert pd.isna(back["checked"].tolist()[1])
    assert back["<b>note</b>"].tolist()[:2] == ["<script>alert(1)</script>", "Lohum — Greater Noida"]
    assert back["mixed"].tolist()[:2] == ["a", "3"]
    with pytest.raises(CRSError):
        ws.save("no crs", gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)]))
    assert ws.names() == ["metric"]


def test_append_candidates(make_ws):
    ws = make_ws()
    for i in range(3):
        ws.append("candidate_sites", _points(1, prefix=f"c{i}-", lon=80 + i))
    assert list(ws.load("candidate_sites")["name"]) == ["c0-0", "c1-0", "c2-0"]
    row = ws.index().set_index("name").loc["candidate_sites"]
    assert row["kind"] == "candidates" and row["features"] == 3


@pytest.mark.parametrize(
    "name",
    [
        "<img src=x onerror=alert(1)>",
        "x<img src=x onerror=alert(1)>.csv",
        "Lohum — Greater Noida 🔋",
        "住友金属鉱山 新居浜",
        "  spaced  name ",
        "workspace_index",
        "gpkg_contents",
        "rtree_sites_geom",
        "a\"b'c",
        "'; DROP TABLE workspace_index; --",
        "ws_0123456789abcdef0123456789abcdef",
    ],
)
def test_any_text_is_a_layer_name(make_ws, name):
    ws = make_ws()
    ws.save("first", _points(1))
    ws.save(name, _points(2))
    assert ws.names() == ["first", name]
    assert list(ws.load(name)["name"]) == ["p0", "p1"] and len(ws.load("first")) == 1
    ws.delete(name)
    assert ws.names() == ["first"] and ws.check() == []


def test_unicode_spellings_of_a_name_are_one_layer(make_ws):
    ws = make_ws()
    ws.save(unicodedata.normalize("NFD", "café"), _points(1))
    ws.save(unicodedata.normalize("NFC", "café"), _points(2))
    assert ws.names() == [unicodedata.normalize("NFC", "café")]
    assert len(ws.load(unicodedata.normalize("NFD", "café"))) == 2


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda ws: ws.load("nope"), LayerError, r"workspace: no layer 'nope'; saved layers: none"),
        (lambda ws: ws.delete("nope"), LayerError, r"workspace: no layer 'nope'"),
        (lambda ws: ws.share("nope"), LayerError, r"workspace: no layer 'nope'"),
        (lambda ws: ws.save("", _points(1)), LayerError, r"name: '' cannot be a workspace layer name"),
        (lambda ws: ws.save("  ", _points(1)), LayerError, r"name: '  ' cannot be .*it is empty"),
        (lambda ws: ws.save("a\nb", _points(1)), LayerError, r"control character '\\n'"),
        (lambda ws: ws.save("x" * 201, _points(1)), LayerError, r"201 characters long; at most 200"),
        (lambda ws: ws.save(3, _points(1)), LayerError, r"name: expected text, got int 3"),
        (
            lambda ws: ws.save("x", _points(1), kind="misc"),
            LayerError,
            r"kind: expected one of import, candidates, analysis, got 'misc'",
        ),
        (
            lambda ws: ws.save("x", pd.DataFrame({"a": [1]})),
            LayerError,
            r"layer 'x': expected a GeoDataFrame",
        ),
    ],
)
def test_errors_name_the_problem(make_ws, call, error, message):
    ws = make_ws()
    with pytest.raises(error, match=message):
        call(ws)
    assert ws.names() == []


def test_builtin_layer_names_are_reserved(make_ws):
    assert sorted(BUILTIN_LAYERS) == sorted(layers.names())  # one list, kept in step with the layers
    ws = make_ws()
    for name in [*BUILTIN_LAYERS, "Facilities", " ports ", "COUNTRIES"]:
        with pytest.raises(LayerError, match=rf"name: {name!r} is the name of a built-in layer"):
            ws.save(name, _points(1))
        with pytest.raises(LayerError, match="built-in layer"):
            ws.append(name, _points(1))
    assert ws.names() == []
    # the importer asks for a free name instead
    assert ws.unique_name("facilities") == "facilities (2)"
    ws.save("sites", _points(1))
    assert ws.unique_name("sites") == "sites (2)" and ws.unique_name("new") == "new"


def test_each_user_sees_their_own_and_shared_layers(make_ws):
    alice, bob = make_ws("alice"), make_ws("bob")
    alice.save("secret-sites", _points(2))
    alice.save("team-sites", _points(3), shared=True)
    bob.save("bob's blocks", _points(1))
    assert alice.names() == ["secret-sites", "team-sites"]
    assert bob.names() == ["team-sites", "bob's blocks"]
    index = bob.index().set_index("name")
    assert index.loc["team-sites", "owner"] == "alice" and bool(index.loc["team-sites", "shared"])
    assert len(bob.load("team-sites")) == 3 and set(bob.load_all()) == {"team-sites", "bob's blocks"}
    # another user's private layer does not exist for bob, and its owner is not revealed
    with pytest.raises(
        LayerError, match=r"no layer 'secret-sites'; saved layers: 'team-sites', \"bob's blocks\""
    ):
        bob.load("secret-sites")
    with pytest.raises(LayerError, match="no layer 'secret-sites'"):
        bob.delete("secret-sites")
    with pytest.raises(
        LayerPermissionError, match=r"name: 'secret-sites' is taken by a layer of another user"
    ):
        bob.save("secret-sites", _points(1))
    # a shared layer is read-only for the others
    for call, verb in [
        (lambda: bob.delete("team-sites"), "delete"),
        (lambda: bob.save("team-sites", _points(1)), "replace"),
        (lambda: bob.append("team-sites", _points(1)), "append to"),
        (lambda: bob.share("team-sites", False), "stop sharing"),
    ]:
        with pytest.raises(
            LayerPermissionError, match=rf"layer 'team-sites' belongs to 'alice' .* cannot {verb} it"
        ):
            call()
    with pytest.raises(PermissionError):
        bob.delete("team-sites")
    assert len(alice.load("team-sites")) == 3 and len(alice.load("secret-sites")) == 2
    # sharing is the owner's choice, both ways
    alice.share("team-sites", False)
    alice.share("secret-sites")
    assert bob.names() == ["secret-sites", "bob's blocks"]
    assert bob.unique_name("team-sites") == "team-sites (2)"


def test_version_changes_with_every_write(make_ws):
    ws = make_ws()
    seen = [ws.version()]
    ws.save("a", _points(1))
    seen.append(ws.version())
    ws.names(), ws.load("a"), ws.index()
    assert ws.version() == seen[-1]
    for write in (lambda: ws.append("a", _points(1)), lambda: ws.share("a"), lambda: ws.delete("a")):
        write()
        seen.append(ws.version())
    assert len(set(seen)) == len(seen)


def test_a_save_failing_before_its_commit_changes_nothing(make_ws, monkeypatch):
    ws = make_ws()
    ws.save("sites", _points(3))
    version = ws.version()

    def crash(self, conn):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(ws), "_bump", crash)  # the last step before the commit
    with pytest.raises((OSError, LayerError), match="No space left"):
        ws.save("sites", _points(5))  # a replacement
    with pytest.raises((OSError, LayerError), match="No space left"):
        ws.save("blocks", _points(2))  # a new layer
    monkeypatch.undo()
    assert ws.names() == ["sites"] and len(ws.load("sites")) == 3 and ws.version() == version
    assert ws.check() == []  # no table left behind


def test_busy_workspace_says_try_again(make_ws):
    holder, ws = make_ws("alice"), make_ws("bob", lock_timeout_s=0.3)
    ws.save("before", _points(1))
    with holder.locked():
        with pytest.raises(
            WorkspaceBusy, match=r"busy \(another save has held .* more than 0.3 s\); try again"
        ):
            ws.save("sites", _points(1))
        assert ws.names() == ["before"]  # readers do not wait
    ws.save("sites", _points(1))
    assert ws.names() == ["before", "sites"]


def test_concurrent_writers_lose_nothing(make_ws):
    # 4 processes x 25 saves (and 4 x 10 appends to one layer): every write is there, none failed
    make_ws().save("first", _points(1), shared=True)  # the store exists before the race
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_workspace_worker.work, [(make_ws.spec, w, 25, 10) for w in range(4)])
    errors = [e for r in results for e in r]
    assert errors == []
    ws = make_ws("reader")
    names = set(ws.names())
    assert len(names) == 102 and {f"w{w}-{j}" for w in range(4) for j in range(25)} <= names
    for w in range(4):
        for j in range(25):
            assert list(ws.load(f"w{w}-{j}")["name"]) == [f"w{w}-{j}-{k}" for k in range(j % 3 + 1)]
    common = ws.load("common candidates")
    assert sorted(common["name"]) == sorted(f"w{w}-{j}-0" for w in range(4) for j in range(10))
    assert ws.index().set_index("name").loc["common candidates", "features"] == 40
    assert ws.check() == []


def test_threads_of_one_server_lose_nothing(make_ws):
    # the app serves every session from threads of one process: 4 threads x 10 saves
    from concurrent.futures import ThreadPoolExecutor

    def run(worker: int) -> None:
        ws = make_ws(f"user{worker}", lock_timeout_s=120)
        for j in range(10):
            ws.save(f"t{worker}-{j}", _points(j % 3 + 1), shared=True)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(run, range(4)))
    ws = make_ws("reader")
    assert sorted(ws.names()) == sorted(f"t{w}-{j}" for w in range(4) for j in range(10))
    assert ws.check() == []


def test_open_workspace_picks_the_backend(monkeypatch, private_workspace, request):
    monkeypatch.delenv("MINERAL_ATLAS_DATABASE_URL", raising=False)
    ws = open_workspace(user="alice")
    assert isinstance(ws, Workspace) and ws.path == private_workspace and ws.user == "alice"
    monkeypatch.setenv("MINERAL_ATLAS_DATABASE_URL", "mysql://u:secret@db/atlas")
    with pytest.raises(LayerError, match=r"expected postgresql://..., got a 'mysql' URL") as info:
        open_workspace(user="alice")
    assert "secret" not in str(info.value)
    url = request.getfixturevalue("postgis_url")
    monkeypatch.setenv("MINERAL_ATLAS_DATABASE_URL", url)
    ws = open_workspace(user="bob", schema=f"test_{uuid.uuid4().hex[:12]}")
    assert isinstance(ws, PostGISWorkspace) and ws.user == "bob" and ws.names() == []


# ----------------------------------------------------------------------------- GeoPackage
def _tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    return tables


def _sql(path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def test_layers_live_in_their_own_tables(private_workspace):
    ws = Workspace()
    assert ws.path == private_workspace
    ws.save("<b>sites</b>", _points(2))
    tables = {t for t in _tables(private_workspace) if t.startswith("ws_")}
    assert len(tables) == 1 and "<b>sites</b>" not in _tables(private_workspace)
    ws.save("<b>sites</b>", _points(3))  # a replacement: a new table, the old one gone
    assert len({t for t in _tables(private_workspace) if t.startswith("ws_")} - tables) == 1
    assert len({t for t in _tables(private_workspace) if t.startswith("ws_")}) == 1


def test_a_small_save_does_not_rewrite_a_large_layer(private_workspace):
    ws = Workspace()
    ws.save("large", _points(20_000))
    conn = sqlite3.connect(private_workspace)
    (table,) = conn.execute("SELECT table_name FROM workspace_index WHERE name = 'large'").fetchone()

    def state():
        return (
            conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone(),
            conn.execute("SELECT last_change FROM gpkg_contents WHERE table_name = ?", (table,)).fetchone(),
            conn.execute(f'SELECT count(*), min(fid), max(fid), sum(rank) FROM "{table}"').fetchone(),
        )

    before, inode = state(), private_workspace.stat().st_ino
    ws.save("two", _points(2))
    ws.append("two", _points(1))
    ws.delete("two")
    after = state()
    conn.close()
    assert after == before and private_workspace.stat().st_ino == inode  # same file, same table


def test_corrupt_workspace_is_reported_not_overwritten(private_workspace):
    private_workspace.parent.mkdir(parents=True)
    private_workspace.write_bytes(b"not a geopackage")
    with pytest.raises(
        WorkspaceDamaged, match=r"workspace .*: not readable .*it was left as it is.*--repair"
    ):
        Workspace().names()
    with pytest.raises(WorkspaceDamaged, match="not readable"):
        Workspace().save("x", _points(1))
    assert private_workspace.read_bytes() == b"not a geopackage"
    assert Workspace().check() == [
        f"workspace {str(private_workspace)!r}: not readable (file is not a database); it was left as it is"
    ]
    (fix,) = Workspace().repair()
    assert fix.startswith("moved the damaged workspace (") and "a new one is created on the next save" in fix
    (moved,) = private_workspace.parent.glob("workspace.damaged-*.gpkg")
    assert moved.read_bytes() == b"not a geopackage"
    Workspace().save("x", _points(1))
    assert Workspace().names() == ["x"] and Workspace().check() == []


def test_check_and_repair_an_inconsistent_workspace(private_workspace):
    ws = Workspace()
    ws.save("kept", _points(2))
    ws.save("lost table", _points(1))
    ws.save("lost row", _points(3))
    tables = {r.name: r.table for r in ws._rows()}
    # damage done behind the workspace's back: a table dropped, an index row deleted, a wrong count,
    # and a temporary file of a killed write (of an earlier version's kind)
    _sql(
        private_workspace,
        f'DROP TABLE "{tables["lost table"]}"',
        "DELETE FROM workspace_index WHERE name = 'lost row'",
        "UPDATE workspace_index SET features = 9 WHERE name = 'kept'",
    )
    with pytest.raises(WorkspaceDamaged, match=r"layer 'lost table' has no table.*--repair"):
        ws.append("lost table", _points(1))
    tmp = private_workspace.with_name(".workspace.gpkg.k1ll3d.gpkg")
    tmp.write_bytes(b"half a file")
    with pytest.raises(
        WorkspaceDamaged, match=r"layer 'lost table' is in the index but its table is missing.*--repair"
    ):
        ws.load("lost table")
    problems = ws.check()
    assert problems == [
        "temporary file '.workspace.gpkg.k1ll3d.gpkg' was left by an interrupted write",
        f"layer 'lost table' (owner 'local') is in the index but its table {tables['lost table']!r} "
        "is missing",
        f"table {tables['lost row']!r} holds no layer of the index",
        "layer 'kept': the index counts 9 features, its table holds 2",
    ]
    assert tmp.exists() and ws.names() == ["kept", "lost table"]  # check changes nothing
    fixes = ws.repair()
    recovered = f"recovered {tables['lost row']}"
    assert fixes == [
        "removed the temporary file '.workspace.gpkg.k1ll3d.gpkg' left by an interrupted write",
        "removed layer 'lost table' (owner 'local') from the index: its table was missing",
        f"listed table {tables['lost row']!r} again as layer {recovered!r} (owner 'local', not shared)",
        "layer 'kept': corrected the feature count from 9 to 2",
    ]
    assert ws.check() == [] and ws.repair() == []
    assert ws.names() == ["kept", recovered] and len(ws.load(recovered)) == 3 and not tmp.exists()


def test_tables_are_standard_geopackage_layers(private_workspace):
    # written with sqlite3 alone, read by GDAL as any GeoPackage (with a working R-tree index)
    ws = Workspace()
    frame = _points(50)
    frame["flag"] = [i % 2 == 0 for i in range(50)]
    frame["score"] = [i / 4 for i in range(50)]
    ws.save("sites", frame)
    ws.save("areas", gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(70, 21, 73, 24)], crs="EPSG:4326"))
    tables = {r.name: r.table for r in ws._rows()}
    back = pyogrio.read_dataframe(private_workspace, layer=tables["sites"])
    assert back.crs.equals("EPSG:4326") and list(back["name"]) == list(frame["name"])
    assert list(back["flag"]) == list(frame["flag"]) and list(back["score"]) == list(frame["score"])
    assert pyogrio.read_info(private_workspace, layer=tables["sites"])["geometry_type"] == "Point"
    inside = pyogrio.read_dataframe(private_workspace, layer=tables["sites"], bbox=(80.095, 19, 80.205, 21))
    assert list(inside["name"]) == [f"p{i}" for i in range(10, 21)]
    areas = pyogrio.read_dataframe(private_workspace, layer=tables["areas"], bbox=(72, 22, 80, 30))
    assert areas.geometry[0].equals(shapely.box(70, 21, 73, 24))
    conn = sqlite3.connect(private_workspace)
    assert conn.execute(f"SELECT rtreecheck('rtree_{tables['sites']}_geom')").fetchone() == ("ok",)
    conn.close()
    # GDAL can edit the table: the R-tree triggers written with it are GeoPackage's own
    copy = private_workspace.with_name("copy.gpkg")
    copy.write_bytes(private_workspace.read_bytes())
    pyogrio.write_dataframe(_points(1, prefix="added", lon=85.0), copy, layer=tables["sites"], append=True)
    added = pyogrio.read_dataframe(copy, layer=tables["sites"], bbox=(84.9, 19, 85.1, 21))
    assert list(added["name"]) == ["added0"]
    loaded = ws.load("sites")
    assert loaded["flag"].dtype == bool and loaded["rank"].dtype == "int64" and loaded["score"].dtype == float


def test_large_layers_are_written_without_r_tree(private_workspace, monkeypatch):
    from app.store import _gpkg_sql

    monkeypatch.setattr(_gpkg_sql, "RTREE_MAX_FEATURES", 10)
    ws = Workspace()
    ws.save("large", _points(11))
    ws.save("small", _points(10))
    tables = {r.name: r.table for r in ws._rows()}
    assert f"rtree_{tables['large']}_geom" not in _tables(private_workspace)
    assert f"rtree_{tables['small']}_geom" in _tables(private_workspace)
    inside = pyogrio.read_dataframe(private_workspace, layer=tables["large"], bbox=(80.035, 19, 80.065, 21))
    assert list(inside["name"]) == ["p4", "p5", "p6"] and len(ws.load("large")) == 11


def test_a_save_cleans_stale_temporary_files(private_workspace):
    Workspace().save("a", _points(1))
    stale = private_workspace.with_name(".workspace.gpkg.abc123.gpkg")
    stale.write_bytes(b"left by a killed write")
    Workspace().save("b", _points(1))
    assert not stale.exists()
    assert not [p.name for p in private_workspace.parent.iterdir() if p.name.startswith(".")]


def test_repair_lists_the_tables_of_a_lost_index_again(private_workspace):
    ws = Workspace()
    ws.save("a", _points(2))
    _sql(
        private_workspace,
        "DROP TABLE workspace_index",
        "DELETE FROM gpkg_contents WHERE table_name = 'workspace_index'",
    )
    with pytest.raises(WorkspaceDamaged, match=r"not a Mineral Atlas workspace \(no workspace_index table\)"):
        ws.names()
    missing, orphan = ws.check()
    assert missing == f"workspace {str(private_workspace)!r}: the index table 'workspace_index' is missing"
    assert orphan.startswith("table 'ws_") and orphan.endswith("' holds no layer of the index")
    fixes = ws.repair()
    assert fixes[0] == "recreated the missing index table 'workspace_index'"
    assert fixes[1].startswith("listed table 'ws_") and len(fixes) == 2
    (name,) = ws.names()
    assert name.startswith("recovered ws_") and len(ws.load(name)) == 2 and ws.check() == []


def _legacy_workspace(path, frames: dict[str, gpd.GeoDataFrame]) -> None:
    """A workspace as earlier versions wrote it: an index layer and one GeoPackage layer per name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    index = pd.DataFrame(
        {
            "name": list(frames),
            "kind": ["import"] * len(frames),
            "source": ["old.csv"] * len(frames),
            "saved_at": ["2025-01-01T00:00:00+00:00"] * len(frames),
            "features": [len(f) for f in frames.values()],
        }
    )
    pyogrio.write_dataframe(index, path, layer="workspace_index", driver="GPKG")
    for name, frame in frames.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")


def test_a_workspace_of_an_earlier_version_is_read_and_upgraded(private_workspace):
    _legacy_workspace(private_workspace, {"my sites": _points(2), "facilities": _points(3)})
    ws = Workspace(user="alice")
    index = ws.index().set_index("name")
    assert list(index.index) == ["my sites", "facilities"] and index.loc["my sites", "owner"] == "local"
    assert bool(index.loc["my sites", "shared"]) and len(ws.load("my sites")) == 2  # as before: seen by all
    (problem,) = ws.check()
    assert problem == "layer 'facilities' has the name of a built-in layer"
    Workspace(user="local").save("new", _points(1))  # the first save upgrades the file in place
    assert Workspace(user="local").names() == ["my sites", "facilities (saved)", "new"]
    assert ws.names() == ["my sites", "facilities (saved)"]  # "new" is local's own, not shared
    assert len(ws.load("facilities (saved)")) == 3 and ws.check() == []
    with pytest.raises(LayerPermissionError, match="belongs to 'local'"):
        ws.delete("my sites")


# ----------------------------------------------------------------------------- PostGIS
def test_postgis_check_and_repair(postgis_url):
    import sqlalchemy as sa

    ws = PostGISWorkspace(postgis_url, user="alice", schema=f"test_{uuid.uuid4().hex[:12]}")
    ws.save("kept", _points(2))
    ws.save("lost table", _points(1))
    ws.save("lost row", _points(3))
    rows = {r.name: r.table for r in ws._rows()}
    with ws.engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE {ws.schema}."{rows["lost table"]}"'))
        conn.execute(sa.text(f"DELETE FROM {ws.schema}.workspace_index WHERE name = 'lost row'"))
    with pytest.raises(WorkspaceDamaged, match="'lost table' is in the index but its table is missing"):
        ws.load("lost table")
    with pytest.raises(WorkspaceDamaged, match=r"layer 'lost table' has no table.*--repair"):
        ws.append("lost table", _points(1))
    assert ws.check() == [
        f"layer 'lost table' (owner 'alice') is in the index but its table {rows['lost table']!r} is missing",
        f"table {rows['lost row']!r} holds no layer of the index",
    ]
    fixes = ws.repair()
    assert fixes[1] == f"listed table {rows['lost row']!r} again as layer 'recovered {rows['lost row']}' " + (
        "(owner 'local', not shared)"
    )
    assert ws.check() == [] and ws.names() == ["kept"]  # the recovered layer is the local user's
    assert (
        len(
            PostGISWorkspace(postgis_url, user="local", schema=ws.schema).load(
                f"recovered {rows['lost row']}"
            )
        )
        == 3
    )


def test_postgis_layers_have_a_spatial_index(postgis_url):
    import sqlalchemy as sa

    ws = PostGISWorkspace(postgis_url, user="alice", schema=f"test_{uuid.uuid4().hex[:12]}")
    ws.save("sites", _points(5))
    (row,) = ws._rows()
    with ws.engine.connect() as conn:
        defs = conn.execute(
            sa.text("SELECT indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = :t"),
            {"s": ws.schema, "t": row.table},
        ).scalars()
        assert any("USING gist (geometry)" in d for d in defs)
        srid = conn.execute(sa.text("SELECT Find_SRID(:s, :t, 'geometry')"), {"s": ws.schema, "t": row.table})
        assert srid.scalar() == 4326


def test_postgis_unreachable_database_is_one_clear_error():
    ws = PostGISWorkspace("postgresql://nobody:secret@/atlas?host=/nonexistent&port=1", user="alice")
    with pytest.raises(
        LayerError, match=r"workspace 'postgresql\+psycopg://nobody:\*\*\*@/atlas.*cannot be reached"
    ):
        ws.names()
