"""Transport networks as compact arrays: read once from their PyPI data packages, cached on disk.

Road and rail come from ``scgraph-data`` (``world_highways.py``, ``world_railways.py``: OpenStreetMap
derived, ODbL). Those modules import ``scgraph.core``, which only scgraph < 3 has, so they are never
imported: their text (``graph=[{node: km, ...}, ...]`` and ``nodes=[[lat, lon], ...]``) is parsed
with numpy. Sea comes from searoute's maritime network (``marnet_searoute.geojson``, after
Eurostat's MARNET), whose lines are cut into edges between their vertices; searoute's default
restriction (no Northwest Passage) is kept.

Edge weights are recomputed as WGS84 geodesic lengths between the nodes (the packages store
rounded spherical kilometres). The result is a CSR adjacency (``indptr``, ``indices``,
``weight_km``) plus node coordinates and connected-component labels, saved as ``.npz`` in
:func:`geo.settings.cache_dir` under a name holding the package version, so a new release rebuilds it.

Network patches (:data:`geo.settings.NETWORK_PATCHES`, a reviewed GeoJSON of links the OSM-derived
graphs lack, each with its source) are merged before the components are labelled: a patch's drawn
line becomes a chain of new nodes between the graph nodes nearest its two ends, and its cited length
is spread over the chain's edges in proportion to their geodesic lengths (never below them, so the
A* bound stays admissible). The cache name holds the patch file's hash: editing it rebuilds the graph.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo._errors import LayerError
from geo.distance import geodesic_m, unit_vectors
from geo.settings import NETWORK_PATCHES, PATCH_SNAP_MAX_KM, cache_dir

logger = logging.getLogger(__name__)

#: Bump when the cached array layout changes, or the edge weights' computation (3: Vincenty's
#: iteration starts from the first-order solution; weights differ by micrometres).
FORMAT_VERSION = 3
#: mode -> (package, file inside the package)
SOURCES: dict[str, tuple[str, str]] = {
    "road": ("scgraph-data", "world_highways.py"),
    "rail": ("scgraph-data", "world_railways.py"),
    "sea": ("searoute", "data/marnet_searoute.geojson"),
}
#: searoute's passages closed by default (its ``restrictions`` argument): ice-bound.
CLOSED_PASSAGES = frozenset({"northwest"})
#: Weight given to zero-length edges (coincident nodes), km.
MIN_EDGE_KM = 1e-9


@dataclass(frozen=True)
class Graph:
    """A transport network: CSR adjacency in km, node lon/lat, component label per node."""

    mode: str
    source: str
    indptr: np.ndarray
    indices: np.ndarray
    weight_km: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    component: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.lon)

    @cached_property
    def xyz(self) -> np.ndarray:
        """Unit vectors of the nodes (for A* bounds and snapping)."""
        return np.ascontiguousarray(unit_vectors(self.lon, self.lat))

    @cached_property
    def component_size(self) -> np.ndarray:
        """Number of nodes in each node's component."""
        sizes: np.ndarray = np.bincount(self.component)[self.component]
        return sizes


def _package_file(package: str, name: str) -> Path:
    module = package.replace("-", "_")
    return Path(str(importlib.resources.files(module).joinpath(name)))


def _parse_scgraph(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, lon/lat of nodes) from an scgraph-data module's text, without importing it."""
    raw = path.read_bytes()
    start = raw.index(b"graph=[") + len(b"graph=[")
    nodes_at = raw.index(b"\nnodes=[")
    graph = raw[start:nodes_at]
    nodes = raw[nodes_at + len(b"\nnodes=[") : raw.index(b"\n", nodes_at + 1)]
    text = np.frombuffer(graph, dtype=np.uint8)
    opens = np.flatnonzero(text == ord("{"))
    row = np.searchsorted(opens, np.flatnonzero(text == ord(":"))) - 1
    values = np.array(graph.translate(bytes.maketrans(b"{}[]:,", b"      ")).split(), dtype=np.float64)
    col = values[0::2].astype(np.int64)
    latlon = np.array(nodes.translate(bytes.maketrans(b"[],", b"   ")).split(), dtype=np.float64).reshape(
        -1, 2
    )
    if len(opens) != len(latlon) or len(col) != len(row):
        msg = f"{path}: graph has {len(opens)} adjacency entries for {len(latlon)} nodes; unexpected layout"
        raise ValueError(msg)
    return row, col, latlon[:, ::-1].copy()


def _parse_marnet(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, lon/lat of nodes) from searoute's maritime network lines, both directions."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    starts, ends = [], []
    for feature in features:
        if feature["properties"].get("passage") in CLOSED_PASSAGES:
            continue
        geometry = feature["geometry"]
        lines = [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
        for line in lines:
            c = np.asarray(line, dtype=np.float64)[:, :2]
            starts.append(c[:-1])
            ends.append(c[1:])
    a, b = np.vstack(starts), np.vstack(ends)
    both = np.vstack([a, b])
    both[:, 0] = (both[:, 0] + 180.0) % 360.0 - 180.0  # 187.7 -> -172.3; +180 and -180 become one node
    nodes, inverse = np.unique(np.round(both, 6), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    u, v = inverse[: len(a)], inverse[len(a) :]
    keep = u != v
    u, v = u[keep], v[keep]
    return np.concatenate([u, v]), np.concatenate([v, u]), nodes


def read_patches(path: Path = NETWORK_PATCHES) -> list[dict[str, Any]]:
    """The patches of ``path``, checked; ``[]`` when the file does not exist.

    Patches are GeoJSON LineStrings with ``id``, ``mode``, ``length_km`` and ``source``.

    Raises
    ------
    LayerError
        A feature without one of those properties, not a line, or a cited length shorter than the
        geodesic length of its drawn line (a misplaced vertex), named by its 1-based number and id.
    """
    if not Path(path).exists():
        return []
    features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
    out = []
    for number, feature in enumerate(features, start=1):
        props, geometry = feature.get("properties") or {}, feature.get("geometry") or {}
        where = f"{path}: feature {number} ({props.get('id', 'no id')})"
        missing = [k for k in ("id", "mode", "length_km", "source", "source_date", "url") if not props.get(k)]
        if missing:
            msg = f"{where}: missing {', '.join(missing)}"
            raise LayerError(msg)
        if props["mode"] not in SOURCES:
            msg = f"{where}: mode {props['mode']!r} is not one of {', '.join(SOURCES)}"
            raise LayerError(msg)
        if geometry.get("type") != "LineString" or len(geometry.get("coordinates", [])) < 2:
            msg = f"{where}: expected a LineString of at least two positions"
            raise LayerError(msg)
        coords = np.asarray(geometry["coordinates"], dtype=np.float64)[:, :2]
        drawn_km = (
            float(geodesic_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1]).sum()) / 1000
        )
        if not float(props["length_km"]) >= drawn_km:
            msg = (
                f"{where}: length_km {props['length_km']} is shorter than its drawn line ({drawn_km:.1f} km)"
            )
            raise LayerError(msg)
        out.append({**props, "length_km": float(props["length_km"]), "coords": coords})
    return out


def _patch_hash(path: Path = NETWORK_PATCHES) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12] if Path(path).exists() else "none"


def _merge_patches(
    mode: str, row: np.ndarray, col: np.ndarray, lonlat: np.ndarray, patches: list[dict[str, Any]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Append each patch of ``mode`` as a chain of new nodes: (row, col, lonlat, cited weight or nan)."""
    weight = np.full(len(row), np.nan)
    mine = [p for p in patches if p["mode"] == mode]
    if not mine:
        return row, col, lonlat, weight
    tree = cKDTree(unit_vectors(lonlat[:, 0], lonlat[:, 1]))
    rows, cols, weights, new_nodes = [row], [col], [weight], [lonlat]
    n = len(lonlat)
    for patch in mine:
        coords = patch["coords"]
        _, ends = tree.query(unit_vectors(coords[[0, -1], 0], coords[[0, -1], 1]))
        gap_km = geodesic_m(coords[[0, -1], 0], coords[[0, -1], 1], lonlat[ends, 0], lonlat[ends, 1]) / 1000
        if (gap_km > PATCH_SNAP_MAX_KM).any():
            msg = (
                f"{NETWORK_PATCHES}: patch {patch['id']}: an end lies {gap_km.max():.1f} km from the {mode} "
                f"network (at most {PATCH_SNAP_MAX_KM:g} km)"
            )
            raise LayerError(msg)
        inner = coords[1:-1]
        ids = np.concatenate([[ends[0]], n + np.arange(len(inner)), [ends[1]]]).astype(np.int64)
        n += len(inner)
        new_nodes.append(inner)
        chain = np.vstack([lonlat[ends[0]], inner, lonlat[ends[1]]])
        seg_km = geodesic_m(chain[:-1, 0], chain[:-1, 1], chain[1:, 0], chain[1:, 1]) / 1000
        seg_w = np.maximum(seg_km * patch["length_km"] / seg_km.sum(), seg_km)
        rows.append(ids[:-1])
        cols.append(ids[1:])
        weights.append(seg_w)
        logger.info("network patch %s: %.1f km (%s)", patch["id"], patch["length_km"], patch["source"])
    return np.concatenate(rows), np.concatenate(cols), np.vstack(new_nodes), np.concatenate(weights)


def _build(mode: str) -> dict[str, np.ndarray]:
    package, name = SOURCES[mode]
    path = _package_file(package, name)
    row, col, lonlat = _parse_scgraph(path) if package == "scgraph-data" else _parse_marnet(path)
    row, col, lonlat, cited = _merge_patches(mode, row, col, lonlat, read_patches())
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    weight = np.maximum(geodesic_m(lon[row], lat[row], lon[col], lat[col]) / 1000.0, MIN_EDGE_KM)
    weight = np.where(np.isnan(cited), weight, np.maximum(cited, weight))
    n = len(lon)
    # duplicates (the same edge listed twice) keep their shortest weight
    order = np.lexsort((weight, col, row))
    row, col, weight = row[order], col[order], weight[order]
    first = np.ones(len(row), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    matrix = csr_matrix((weight[first], (row[first], col[first])), shape=(n, n))
    matrix = matrix.maximum(matrix.T)  # every road, rail and sea edge can be travelled both ways
    matrix.sort_indices()
    _, component = connected_components(matrix, directed=False)
    return {
        "indptr": matrix.indptr.astype(np.int64),
        "indices": matrix.indices.astype(np.int64),
        "weight_km": matrix.data.astype(np.float64),
        "lon": lon,
        "lat": lat,
        "component": component.astype(np.int64),
    }


def load_graph(mode: str) -> Graph:
    """The network of ``mode`` (road, rail, sea) with its patches.

    Read from the disk cache, or built from its package.
    """
    package, _ = SOURCES[mode]
    version = importlib.metadata.version(package)
    source = f"{package} {version}"
    patches = _patch_hash() if any(p["mode"] == mode for p in read_patches()) else "none"
    path = cache_dir() / f"network-{mode}-{package}-{version}-p{patches}-v{FORMAT_VERSION}.npz"
    arrays = None
    if path.exists():
        try:
            with np.load(path) as cached:
                arrays = {k: cached[k] for k in cached.files}
        except (OSError, ValueError) as exc:  # a truncated or foreign file: rebuild it
            logger.warning("network cache %s unreadable (%s); rebuilding", path, exc)
    if arrays is None:
        logger.info("building the %s network from %s", mode, source)
        arrays = _build(mode)
        _save(path, arrays)
    return Graph(mode=mode, source=source, **arrays)


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz.part", delete=False) as handle:
            # numpy's stub types **kwds against its keyword allow_pickle (bool) too; no array has that name
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        os.replace(handle.name, path)
    except OSError as exc:  # a read-only home: work from memory
        logger.warning("cannot cache the network at %s (%s); it will be rebuilt next time", path, exc)
