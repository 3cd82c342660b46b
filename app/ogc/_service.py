"""What every endpoint of the OGC API shares: the provider, the landing page's URL, the collection."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

import geopandas as gpd
from starlette.requests import Request

from app.ogc._responses import NotFound
from app.ogc.openapi import HTML, JSON, collection_path
from app.ogc.providers import Collection, Provider


class Service:
    """One OGC API – Features: ``provider``'s collections under ``prefix``, with a title and description."""

    def __init__(self, provider: Provider, *, prefix: str, title: str, description: str) -> None:
        self.provider = provider
        self.prefix = prefix.rstrip("/")
        self.title = title
        self.description = description

    def base(self, request: Request) -> str:
        """Absolute URL of the landing page."""
        return str(request.base_url).rstrip("/") + self.prefix

    @staticmethod
    def url(base: str, path: str = "", params: Sequence[tuple[str, str]] = ()) -> str:
        """``base + path`` with the query ``params``."""
        return f"{base}{path}" + (f"?{urlencode(list(params))}" if params else "")

    def features(self, collection: Collection) -> gpd.GeoDataFrame:
        """The features of ``collection``; :class:`NotFound` when it is gone since it was listed."""
        try:
            return self.provider.features(collection.id)
        except KeyError:  # gone since it was listed (a workspace layer deleted meanwhile)
            raise NotFound(f"no collection {collection.id!r}") from None

    def collection(self, collection_id: str) -> Collection:
        """The collection ``collection_id``; :class:`NotFound` naming the collections when there is none."""
        for collection in self.provider.collections():
            if collection.id == collection_id:
                return collection
        known = ", ".join(c.id for c in self.provider.collections())
        raise NotFound(f"no collection {collection_id!r}; collections: {known}")

    def self_links(self, request: Request, fmt: str, *, json_type: str = JSON) -> list[dict[str, str]]:
        """The ``self`` link (in format ``fmt``) and the ``alternate`` link (in the other format)."""
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "f"]
        base = str(request.url.replace(query="")).rstrip("/")
        as_json = {"href": self.url(base, "", [*params, ("f", "json")]), "type": json_type}
        as_html = {"href": self.url(base, "", [*params, ("f", "html")]), "type": HTML}
        first, second = (as_json, as_html) if fmt == "json" else (as_html, as_json)
        return [
            {"rel": "self", **first, "title": "this document"},
            {
                "rel": "alternate",
                **second,
                "title": "this document as " + ("HTML" if fmt == "json" else "JSON"),
            },
        ]

    def collection_path(self, collection_id: str) -> str:
        """Path of a collection below the landing page."""
        return collection_path(collection_id)
