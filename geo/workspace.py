"""The workspace: imported layers, candidate sites and saved analyses, kept in one GeoPackage.

Every change rewrites the workspace into a temporary file beside it and renames it over the old one,
so a crash or a failed write never corrupts or loses what was saved. A table ``workspace_index``
records each layer's kind (``import``, ``candidates``, ``analysis``), source and save time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo._errors import LayerError
from geo.crs import to_wgs84
from geo.export import plain_properties
from geo.settings import WGS84, workspace_path

logger = logging.getLogger(__name__)

INDEX = "workspace_index"
KINDS = ("import", "candidates", "analysis")


class Workspace:
    """A GeoPackage of named layers.

    Parameters
    ----------
    path : path, optional
        The GeoPackage; defaults to :func:`geo.settings.workspace_path` (env ``MINERAL_ATLAS_WORKSPACE``).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else workspace_path()

    # -- reading
    def index(self) -> pd.DataFrame:
        """One row per saved layer: ``name``, ``kind``, ``source``, ``saved_at``, ``features``."""
        if not self.path.exists():
            return pd.DataFrame(columns=["name", "kind", "source", "saved_at", "features"])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                table = pyogrio.read_dataframe(self.path, layer=INDEX, read_geometry=False)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            msg = f"workspace {str(self.path)!r}: not readable ({str(exc).splitlines()[0][:160]}); it was left as it is"
            raise LayerError(msg) from None
        return pd.DataFrame(table)

    def names(self) -> list[str]:
        """Names of the saved layers, in saving order."""
        return list(self.index()["name"])

    def load(self, name: str) -> gpd.GeoDataFrame:
        """The saved layer ``name`` (EPSG:4326)."""
        if name not in self.names():
            msg = f"workspace: no layer {name!r}; saved layers: {', '.join(self.names()) or 'none'}"
            raise LayerError(msg)
        gdf = pyogrio.read_dataframe(self.path, layer=name, datetime_as_string=True)
        return gdf.set_crs(WGS84, allow_override=True) if gdf.crs is None else gdf

    def load_all(self) -> dict[str, gpd.GeoDataFrame]:
        """Every saved layer by name."""
        return {name: self.load(name) for name in self.names()}

    # -- writing
    def save(self, name: str, gdf: gpd.GeoDataFrame, *, kind: str = "import", source: str = "") -> None:
        """Save (or replace) layer ``name``.

        Raises
        ------
        LayerError
            For a reserved or empty name, an unknown kind, or a layer without CRS.
        """
        if not name or name == INDEX or name.startswith(("gpkg_", "rtree_", "sqlite_")):
            msg = f"name: {name!r} cannot be a workspace layer name"
            raise LayerError(msg)
        if kind not in KINDS:
            msg = f"kind: expected one of {', '.join(KINDS)}, got {kind!r}"
            raise LayerError(msg)
        layers = self.load_all()
        index = self.index().set_index("name")
        layers[name] = plain_properties(to_wgs84(gdf, argument=name))
        index.loc[name] = {
            "kind": kind,
            "source": source,
            "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "features": len(gdf),
        }
        self._rewrite(layers, index.reset_index())

    def append(self, name: str, gdf: gpd.GeoDataFrame, *, kind: str = "candidates", source: str = "") -> None:
        """Add features to layer ``name`` (created when absent)."""
        existing = self.load(name) if name in self.names() else None
        combined = (
            gdf
            if existing is None
            else gpd.GeoDataFrame(
                pd.concat([existing, to_wgs84(gdf, argument=name)], ignore_index=True), crs=WGS84
            )
        )
        self.save(name, combined, kind=kind, source=source)

    def delete(self, name: str) -> None:
        """Remove layer ``name``."""
        layers = self.load_all()
        if name not in layers:
            msg = f"workspace: no layer {name!r}; saved layers: {', '.join(layers) or 'none'}"
            raise LayerError(msg)
        del layers[name]
        index = self.index()
        self._rewrite(layers, index[index["name"] != name])

    def _rewrite(self, layers: dict[str, gpd.GeoDataFrame], index: pd.DataFrame) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".gpkg", dir=self.path.parent)
        os.close(fd)
        os.unlink(tmp)  # GDAL creates the file itself
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                pyogrio.write_dataframe(
                    pd.DataFrame(index).reset_index(drop=True), tmp, layer=INDEX, driver="GPKG"
                )
                for name, gdf in layers.items():
                    pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", append=False)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        logger.info("workspace %s: %d layers", self.path, len(layers))
