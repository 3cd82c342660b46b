"""The dask engine of :func:`geo.siting.suitability`: criteria measured on dask-geopandas partitions.

Each candidate's raw criteria depend only on its own position and the (small) target layers, so the
candidates are split into partitions, :func:`geo._criteria.measure` runs on each, and the results are
concatenated in order; normalisation and scoring then run once over all candidates, so both engines
give the same scores.

Where it runs: on the active ``dask.distributed`` client if there is one, else on dask's local
threads. For a cluster of several machines, start a scheduler and workers (``dask scheduler``,
``dask worker tcp://HOST:8786`` on each machine, every one with this project installed) and connect
before scoring::

    from dask.distributed import Client
    client = Client("tcp://HOST:8786")
    suitability(cells, ..., engine="dask")

or ``mineral-atlas site-select --engine dask --scheduler tcp://HOST:8786``.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from geo._criteria import RAW_COLUMNS, centres, measure

if TYPE_CHECKING:
    from distributed import Client

logger = logging.getLogger(__name__)


def measure_partitioned(
    candidates: gpd.GeoDataFrame, *, npartitions: int | None = None, **targets: Any
) -> pd.DataFrame:
    """:func:`geo._criteria.measure` over dask-geopandas partitions of the candidates' centres.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        Candidate cells or points.
    npartitions : int, optional, keyword-only
        Number of partitions (default: twice the workers of the active client, else of the CPUs).
    **targets
        ``demand``, ``blocks``, ``ports``, ``facilities`` and ``demand_radius_km``, as for ``measure``.
    """
    import dask_geopandas

    client = _client()
    workers = len(client.scheduler_info().get("workers", {})) if client is not None else (os.cpu_count() or 1)
    parts = npartitions or max(1, min(len(candidates), 2 * max(1, workers)))
    frame = dask_geopandas.from_geopandas(centres(candidates), npartitions=parts)
    meta = pd.DataFrame({column: pd.Series(dtype="float64") for column in RAW_COLUMNS.values()})
    logger.info(
        "dask engine: %d candidates in %d partitions on %s", len(candidates), parts, client or "local threads"
    )
    raw: pd.DataFrame = frame.map_partitions(measure, meta=meta, **targets).compute()
    return raw.reindex(candidates.index)


def _client() -> Client | None:
    """The active dask.distributed client, or None."""
    try:
        from distributed import get_client
    except ImportError:  # dask without distributed: local threads
        return None
    try:
        return get_client()
    except ValueError:
        return None
