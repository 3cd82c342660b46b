import geopandas as gpd
import pytest
import shapely

import layers
from geo._errors import LayerError
from geo.workspace import Workspace


def test_save_load_delete_round_trip(private_workspace):
    ws = Workspace()
    assert ws.path == private_workspace and ws.names() == []
    ws.save("sites", layers.load("facilities"), source="facilities.csv")
    ws.save("blocks", layers.load("lithium_blocks"), kind="analysis")
    index = ws.index().set_index("name")
    assert list(index.index) == ["sites", "blocks"]
    assert (
        index.loc["sites", "features"] == len(layers.load("facilities"))
        and index.loc["blocks", "kind"] == "analysis"
    )
    back = ws.load("sites")
    assert list(back["id"]) == list(layers.load("facilities")["id"])
    assert back.crs.equals("EPSG:4326")
    ws.delete("sites")
    assert ws.names() == ["blocks"]
    # a new Workspace on the same file (the app restarting) sees the same layers
    assert Workspace(private_workspace).names() == ["blocks"]


def test_append_candidates():
    ws = Workspace()
    for i in range(3):
        point = gpd.GeoDataFrame({"name": [f"c{i}"]}, geometry=[shapely.Point(80 + i, 20)], crs="EPSG:4326")
        ws.append("candidate_sites", point)
    assert list(ws.load("candidate_sites")["name"]) == ["c0", "c1", "c2"]
    assert ws.index().set_index("name").loc["candidate_sites", "kind"] == "candidates"


def test_failed_save_leaves_the_previous_workspace_intact(private_workspace, monkeypatch):
    ws = Workspace()
    ws.save("sites", layers.load("facilities"))
    before = private_workspace.read_bytes()
    import pyogrio

    real = pyogrio.write_dataframe
    calls = {"n": 0}

    def crash_midway(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # after the index, while writing the first layer
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", crash_midway)
    with pytest.raises(OSError, match="No space left"):
        ws.save("blocks", layers.load("lithium_blocks"))
    monkeypatch.setattr(pyogrio, "write_dataframe", real)
    assert private_workspace.read_bytes() == before
    assert Workspace().names() == ["sites"]
    assert [p.name for p in private_workspace.parent.iterdir()] == ["workspace.gpkg"]  # no temporary left


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ws: ws.load("nope"), r"workspace: no layer 'nope'; saved layers: none"),
        (lambda ws: ws.delete("nope"), r"workspace: no layer 'nope'"),
        (
            lambda ws: ws.save("workspace_index", layers.load("ports")),
            r"name: 'workspace_index' cannot be a workspace layer name",
        ),
        (
            lambda ws: ws.save("x", layers.load("ports"), kind="misc"),
            r"kind: expected one of import, candidates, analysis, got 'misc'",
        ),
    ],
)
def test_errors_name_the_problem(call, message):
    with pytest.raises(LayerError, match=message):
        call(Workspace())


def test_corrupt_workspace_is_reported_not_overwritten(private_workspace):
    private_workspace.parent.mkdir(parents=True)
    private_workspace.write_bytes(b"not a geopackage")
    with pytest.raises(LayerError, match="workspace .*: not readable .*it was left as it is"):
        Workspace().names()
    assert private_workspace.read_bytes() == b"not a geopackage"
