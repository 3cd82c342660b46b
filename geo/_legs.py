"""The legs frame of a route, built without pandas' per-column inference.

A route answer is a GeoDataFrame of a few rows. Built through ``GeoDataFrame(dict, geometry=...)``
it costs about a millisecond, most of it in pandas' and geopandas' generic checks (dtype inference
per column, geometry-column detection, CRS look-ups), more than the shortest path itself. Here the
columns are laid out as pandas blocks directly (one 2-D float block, one int block, the text
columns as slices of one string array of pandas' default text dtype, and the geometry array with its
CRS) with :func:`pandas.api.internals.create_dataframe_from_blocks`,
then wrapped as a GeoDataFrame the way geopandas wraps the result of its own operations. When that
pandas API is missing (pandas < 3), the ordinary constructors are used; both give equal frames
(``tests/test_network.py`` checks it).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from geopandas.array import GeometryArray
from pandas.api.extensions import ExtensionArray, ExtensionDtype

try:  # pandas >= 3
    from pandas.api.internals import create_dataframe_from_blocks
except ImportError:  # pragma: no cover - older pandas
    create_dataframe_from_blocks = None

#: Leg columns in order, with their kind: i (int64), s (text), f (float64); geometry last.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("leg", "i"),
    ("mode", "s"),
    ("from_name", "s"),
    ("to_name", "s"),
    ("network_km", "f"),
    ("access_km", "f"),
    ("length_km", "f"),
    ("hours", "f"),
    ("tonne_km", "f"),
    ("co2e_t", "f"),
    ("cost_usd", "f"),
    ("land_crossing_km", "f"),
    ("transfer", "s"),
    ("transfer_hours", "f"),
    ("transfer_cost_usd", "f"),
    ("transfer_co2e_t", "f"),
)
NAMES: list[str] = [c for c, _ in COLUMNS] + ["geometry"]
_FLOAT = np.array([i for i, (_, k) in enumerate(COLUMNS) if k == "f"])
_TEXT = np.array([i for i, (_, k) in enumerate(COLUMNS) if k == "s"])
_INT = np.array([i for i, (_, k) in enumerate(COLUMNS) if k == "i"])
FLOAT_COLUMNS: list[str] = [COLUMNS[i][0] for i in _FLOAT]
TEXT_COLUMNS: list[str] = [COLUMNS[i][0] for i in _TEXT]
_INDEX = {n: pd.RangeIndex(n) for n in range(1, 16)}
_COLUMN_INDEX = pd.Index(NAMES)
#: pandas' default dtype for text (``str``: pyarrow-backed with NaN for missing in pandas 3).
_STR = pd.Series(["x"]).dtype
#: The array type of that dtype when it is an extension type (the fast layout's text blocks).
_STR_ARRAY: type[ExtensionArray] | None = (
    _STR.construct_array_type() if isinstance(_STR, ExtensionDtype) else None
)


def frame(
    floats: np.ndarray, texts: list[list[str]], geometries: np.ndarray, crs: pyproj.CRS, *, fast: bool = True
) -> gpd.GeoDataFrame:
    """A legs GeoDataFrame.

    Parameters
    ----------
    floats : ndarray (len(FLOAT_COLUMNS), n)
        The float columns, in :data:`FLOAT_COLUMNS` order.
    texts : list of n lists
        The text columns of each leg, in :data:`TEXT_COLUMNS` order.
    geometries : ndarray of shapely geometries (n,)
    crs : pyproj.CRS
    fast : bool, keyword-only
        Lay out the blocks directly (default) or go through the ordinary constructors.
    """
    n = len(geometries)
    legs = np.arange(n, dtype=np.int64)
    text = np.array(texts, dtype=object).reshape(n, len(_TEXT)).T
    if (
        fast
        and _STR_ARRAY is not None
        and create_dataframe_from_blocks is not None
        and hasattr(gpd.GeoDataFrame, "_from_mgr")
    ):
        index = _INDEX[n] if n in _INDEX else pd.RangeIndex(n)
        # pandas-stubs leave out ExtensionArray._from_sequence, the constructor pd.array calls;
        # pd.array itself costs half as much again per route in its dispatch
        strings = _STR_ARRAY._from_sequence(text.ravel(), dtype=_STR)  # type: ignore[attr-defined]
        blocks = [
            (legs.reshape(1, n), _INT),
            *((strings[i * n : (i + 1) * n], _TEXT[i : i + 1]) for i in range(len(_TEXT))),
            (np.ascontiguousarray(floats, dtype=np.float64), _FLOAT),
            (GeometryArray(geometries, crs=crs), np.array([len(COLUMNS)])),
        ]
        df = create_dataframe_from_blocks(blocks, index=index, columns=_COLUMN_INDEX)
        out = gpd.GeoDataFrame._from_mgr(df._mgr, df._mgr.axes)
        out._geometry_column_name = "geometry"
        return out
    data = {"leg": legs}
    data.update({name: text[i] for i, name in enumerate(TEXT_COLUMNS)})
    data.update({name: floats[i] for i, name in enumerate(FLOAT_COLUMNS)})
    df = pd.DataFrame(data)[[c for c, _ in COLUMNS]].astype({c: _STR for c in TEXT_COLUMNS})
    return gpd.GeoDataFrame(df, geometry=gpd.array.from_shapely(geometries, crs=crs))
