"""Find a place: match a typed query against named candidates, or read it as coordinates.

Pure: the candidates (features of any layer, gazetteer cities) are passed in; :mod:`layers.search`
gathers them. Matching ignores case, accents and punctuation ("Tōyō" = "toyo", "Jammu & Kashmir" =
"jammu kashmir") and ranks

1. ``exact``  the whole name equals the query;
2. ``prefix`` every word of the query begins a word of the name ("greater no" finds "Lohum lithium
   refinery (Greater Noida)");
3. ``fuzzy``  every word of the query is like a word of the name (rapidfuzz ``ratio`` of at least
   ``fuzzy_cutoff``, or a prefix of it; typos: "Niihamma", "Grater Noida"), by their mean score.

Within a tier: names where the query's words are whole words first (the best fuzzy score first),
then lower ``priority`` (the atlas's own features before the gazetteer), names that begin with
the query, higher ``weight`` (population), shorter names.

Text holding two numbers is read as coordinates, and only so: "28.47,77.50", "28.47 77.50", "28.47N, 77.50E",
"77.50 E 28.47 N". Without hemisphere letters the order follows the ranges: a pair that fits
only one way (100.5, 13.7) is read that way; a pair that fits both is returned both ways, latitude
first (the order of most map sites) then longitude first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz, process

from geo._errors import InputError
from geo.crs import to_wgs84
from geo.settings import WGS84

#: Tiers of a match, best first.
TIERS: tuple[str, ...] = ("coordinates", "exact", "prefix", "fuzzy")
#: Shortest normalised query that is matched fuzzily (shorter ones only exactly or as a prefix).
FUZZY_MIN_CHARS = 4
#: Columns of :func:`search`'s result (plus ``geometry`` when the candidates have one).
RESULT_COLUMNS: tuple[str, ...] = (
    "rank",
    "match",
    "score",
    "layer",
    "id",
    "name",
    "detail",
    "lon",
    "lat",
    "source",
)

_NUMBER = r"([+-]?\d{1,3}(?:\.\d+)?)\s*°?\s*([NSEWnsew])?"
_COORDINATES = re.compile(rf"^\s*{_NUMBER}\s*(?:[,;/]\s*|\s+){_NUMBER}\s*$")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, no accents, words of letters and digits separated by one space."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub(" ", plain).strip()


@dataclass(frozen=True)
class Coordinates:
    """A reading of a query as a position."""

    lon: float
    lat: float
    order: str  # "lat, lon" or "lon, lat"

    @property
    def label(self) -> str:
        """The position as text: ``28.47000° N, 77.50000° E``."""
        ns = "N" if self.lat >= 0 else "S"
        ew = "E" if self.lon >= 0 else "W"
        return f"{abs(self.lat):.5f}° {ns}, {abs(self.lon):.5f}° {ew}"


def parse_coordinates(text: str) -> list[Coordinates]:
    """The readings of ``text`` as lon/lat: none, one, or two when both orders are valid.

    Hemisphere letters decide (N/S latitude, E/W longitude, S and W negative); without them a pair
    valid only one way (latitude within +/-90, longitude within +/-180) is read that way, and a
    pair valid both ways gives latitude-first then longitude-first.
    """
    found = _COORDINATES.match(str(text))
    if not found:
        return []
    a, ha, b, hb = found.groups()
    a, b = float(a), float(b)
    ha, hb = (h.upper() if h else None for h in (ha, hb))
    if ha or hb:
        axis_a = "lat" if ha in ("N", "S") else "lon" if ha in ("E", "W") else None
        axis_b = "lat" if hb in ("N", "S") else "lon" if hb in ("E", "W") else None
        axis_a = axis_a or ("lon" if axis_b == "lat" else "lat")
        axis_b = axis_b or ("lon" if axis_a == "lat" else "lat")
        if axis_a == axis_b:
            return []
        if (ha in ("S", "W") and a < 0) or (hb in ("S", "W") and b < 0):
            return []  # "-28 S" says south twice: refuse rather than guess
        a = -a if ha in ("S", "W") else a
        b = -b if hb in ("S", "W") else b
        lat, lon = (a, b) if axis_a == "lat" else (b, a)
        order = "lat, lon" if axis_a == "lat" else "lon, lat"
        return [Coordinates(lon, lat, order)] if abs(lat) <= 90 and abs(lon) <= 180 else []
    out = []
    if abs(a) <= 90 and abs(b) <= 180:
        out.append(Coordinates(lon=b, lat=a, order="lat, lon"))
    if abs(a) <= 180 and abs(b) <= 90 and (a != b or not out):
        out.append(Coordinates(lon=a, lat=b, order="lon, lat"))
    return out


class SearchIndex:
    """Normalised names of candidates and a sorted word index, built once and searched many times.

    Parameters
    ----------
    candidates : DataFrame or GeoDataFrame
        ``name`` (required); a GeoDataFrame (any CRS) or ``lon``/``lat`` columns for the position;
        optional ``layer``, ``id``, ``detail`` (shown beside the name, e.g. the country), ``source``,
        ``priority``
        (lower first within a tier; default 0), ``weight`` (higher first; e.g. population) and
        ``key`` (the normalised name, when already computed).
    """

    def __init__(self, candidates: pd.DataFrame) -> None:
        if "name" not in candidates.columns:
            msg = f"candidates: expected a 'name' column, got {', '.join(map(str, candidates.columns))}"
            raise InputError(msg)
        frame = pd.DataFrame(index=pd.RangeIndex(len(candidates)))
        self.geometry = None
        if isinstance(candidates, gpd.GeoDataFrame):
            wgs = to_wgs84(candidates, argument="candidates")
            self.geometry = wgs.geometry.to_numpy()
            points = shapely.point_on_surface(self.geometry)
            frame["lon"], frame["lat"] = shapely.get_x(points), shapely.get_y(points)
        elif {"lon", "lat"} <= set(candidates.columns):
            frame["lon"] = pd.to_numeric(candidates["lon"], errors="coerce").to_numpy()
            frame["lat"] = pd.to_numeric(candidates["lat"], errors="coerce").to_numpy()
        else:
            msg = "candidates: expected a GeoDataFrame or 'lon' and 'lat' columns"
            raise InputError(msg)
        frame["name"] = candidates["name"].fillna("").astype(str).to_numpy()
        for column, default in (
            ("layer", ""),
            ("id", ""),
            ("detail", ""),
            ("source", ""),
            ("priority", 0),
            ("weight", 0.0),
        ):
            frame[column] = candidates[column].to_numpy() if column in candidates.columns else default
        for column in ("layer", "id", "detail", "source"):
            frame[column] = frame[column].fillna("").astype(str)
        frame["weight"] = pd.to_numeric(frame["weight"], errors="coerce").fillna(0.0)
        keys = (
            candidates["key"].astype(str).to_numpy()
            if "key" in candidates.columns
            else np.array([normalise(n) for n in frame["name"]], dtype=object)
        )
        frame["key"] = keys
        self.frame = frame
        self.keys = list(keys)
        listed, owners = [], []
        for i, key in enumerate(keys):
            for word in set(key.split()):
                listed.append(word)
                owners.append(i)
        words = np.array(listed, dtype=str)
        order = np.argsort(words, kind="stable")
        self.words = words[order]
        self.owners = np.array(owners, dtype=np.int64)[order]
        vocabulary, start = np.unique(self.words, return_index=True)
        self.vocabulary = vocabulary.tolist()
        self.vocabulary_start = np.r_[start, len(self.words)]
        self.exact: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            self.exact.setdefault(key, []).append(i)

    def __len__(self) -> int:
        return len(self.frame)

    def _with_prefix(self, word: str) -> np.ndarray:
        lo = np.searchsorted(self.words, word, side="left")
        hi = np.searchsorted(self.words, word + "\U0010ffff", side="left")
        return np.unique(self.owners[lo:hi])

    def _fuzzy_word(self, word: str, cutoff: float) -> dict[int, float]:
        """Candidates with a word like ``word`` (rapidfuzz ratio >= cutoff; a word it begins scores 100)."""
        best: dict[int, float] = dict.fromkeys(self._with_prefix(word).tolist(), 100.0)
        if len(word) < FUZZY_MIN_CHARS:
            return best
        for _, score, k in process.extract(
            word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=64
        ):
            for i in self.owners[self.vocabulary_start[k] : self.vocabulary_start[k + 1]].tolist():
                best[i] = max(best.get(i, 0.0), float(score))
        return best

    def matches(self, query: str, *, limit: int, fuzzy_cutoff: float) -> pd.DataFrame:
        """Candidates matching ``query`` with their tier and order keys (unsorted).

        Columns added: ``tier`` (position in :data:`TIERS`), ``score``, ``sub`` (0 best: minus the
        share of query words that are whole words of the name, for prefixes; minus the score for
        fuzzy matches), ``start`` (0 when the name begins with the query, else 1), ``position``.
        """
        key = normalise(query)
        tiers: dict[int, tuple[int, float, float, float]] = {}
        words = key.split()
        if words and len(self.frame):
            for i in self.exact.get(key, []):
                tiers[i] = (TIERS.index("exact"), 100.0, 0.0, 0.0)
            hits = self._with_prefix(words[0])
            for word in words[1:]:
                hits = np.intersect1d(hits, self._with_prefix(word), assume_unique=True)
            for i in hits.tolist():
                if i in tiers:
                    continue
                name_words = set(self.keys[i].split())
                whole = sum(w in name_words for w in words) / len(words)
                share = 100.0 * len(key) / max(len(self.keys[i]), 1)
                tiers[i] = (
                    TIERS.index("prefix"),
                    share,
                    -whole,
                    0.0 if self.keys[i].startswith(key) else 1.0,
                )
            if len(tiers) < limit and len(key) >= FUZZY_MIN_CHARS:
                # every word of the query like a word of the name; the score is their mean
                scores = [self._fuzzy_word(w, fuzzy_cutoff) for w in words]
                common = set(scores[0]).intersection(*scores[1:]) - set(tiers)
                for i in common:
                    score = float(np.mean([s[i] for s in scores]))
                    tiers[i] = (TIERS.index("fuzzy"), score, -score, 1.0)
        rows = np.fromiter(tiers, dtype=np.int64, count=len(tiers))
        out = self.frame.iloc[rows].copy()
        values = np.array([tiers[i] for i in rows.tolist()], dtype=np.float64).reshape(-1, 4)
        out["tier"], out["score"], out["sub"], out["start"] = values.T
        out["position"] = rows
        return out


def _index(candidates: pd.DataFrame | SearchIndex) -> SearchIndex:
    return candidates if isinstance(candidates, SearchIndex) else SearchIndex(candidates)


def search(
    query: str,
    candidates: pd.DataFrame | SearchIndex | Sequence[pd.DataFrame | SearchIndex],
    *,
    limit: int = 10,
    fuzzy_cutoff: float = 80.0,
) -> gpd.GeoDataFrame:
    """The best matches of ``query`` among the candidates, best first; coordinates first of all.

    Parameters
    ----------
    query : str
        A name (or part of one), or coordinates ("28.47,77.50", "28.47N 77.50E").
    candidates : DataFrame, GeoDataFrame, SearchIndex, or a list of them
        What to search (see :class:`SearchIndex` for the columns); build a :class:`SearchIndex`
        once for a large list (a gazetteer) and pass it each time.
    limit : int, keyword-only
        Most rows returned.
    fuzzy_cutoff : float, keyword-only
        Lowest rapidfuzz ``WRatio`` (0-100) of a fuzzy match.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326; ``rank`` (1 = best), ``match`` (``coordinates``, ``exact``, ``prefix``, ``fuzzy``),
        ``score`` (100 for exact and coordinates; share of the name typed for a prefix; the fuzzy
        ratio), ``layer``, ``id``, ``name``, ``detail``, ``lon``, ``lat`` (a point on the feature),
        ``source``
        and each feature's own geometry (a point for coordinates and for candidates given without
        geometry): zoom the map to its bounds.

    Raises
    ------
    InputError
        ``limit`` not a positive whole number, candidates without ``name`` or position.
    """
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
        msg = f"limit: expected a whole number >= 1, got {limit!r}"
        raise InputError(msg)
    listed: list[pd.DataFrame | SearchIndex] = (
        list(candidates)
        if isinstance(candidates, (list, tuple))
        else [cast(pd.DataFrame | SearchIndex, candidates)]
    )
    indexes = [_index(c) for c in listed]
    parts: list[pd.DataFrame] = []
    geoms: list[list[shapely.Geometry]] = []
    readings = parse_coordinates(query)
    for c in readings:
        parts.append(
            pd.DataFrame(
                {
                    "layer": ["coordinates"],
                    "id": [""],
                    "name": [c.label],
                    "detail": [f"read as {c.order}"],
                    "source": ["typed coordinates"],
                    "lon": [c.lon],
                    "lat": [c.lat],
                    "tier": [0.0],
                    "score": [100.0],
                    "sub": [float(len(parts))],
                    "start": [0.0],
                    "priority": [-1],
                    "weight": [0.0],
                    "key": [""],
                }
            )
        )
        geoms.append([shapely.Point(c.lon, c.lat)])
    for index in [] if readings else indexes:  # a position is not a name
        found = index.matches(query, limit=limit, fuzzy_cutoff=fuzzy_cutoff)
        parts.append(found.drop(columns="position"))
        geoms.append(
            list(index.geometry[found["position"].to_numpy()])
            if index.geometry is not None
            else list(shapely.points(found["lon"].to_numpy(), found["lat"].to_numpy()))
        )
    if not parts:
        return _frame(pd.DataFrame({c: [] for c in RESULT_COLUMNS}).assign(geometry=[]))
    frame = pd.concat(parts, ignore_index=True)
    frame["geometry"] = [g for part in geoms for g in part]
    frame["length"] = frame["name"].str.len()
    frame = frame.sort_values(
        ["tier", "sub", "priority", "start", "weight", "length", "name"],
        ascending=[True, True, True, True, False, True, True],
        kind="stable",
    ).head(limit)
    frame["match"] = [TIERS[int(t)] for t in frame["tier"]]
    frame["rank"] = np.arange(1, len(frame) + 1)
    columns = [*RESULT_COLUMNS, "geometry"]
    return _frame(frame[columns].reset_index(drop=True))


def _frame(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return cast(gpd.GeoDataFrame, gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84))
