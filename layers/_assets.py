"""Serve every asset the map needs from the app itself.

folium points its pages at public CDNs (Leaflet, jQuery, Bootstrap, Font Awesome, plugins). With the
network closed that leaves a blank map. :func:`localize` rewrites the asset links of every element
of a map to the copies under ``static/vendor`` (taken from the npm registry, licences kept beside
them), which Streamlit serves at ``/app/static`` (``server.enableStaticServing``). Assets the map
does not use (jQuery, Bootstrap, icon fonts: our markers are plain circles) are dropped. An asset
with no local copy is an error, so a new plugin can never slip a CDN link back in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import folium
from branca.element import Element

from geo.settings import STATIC_DIR, STATIC_URL

#: file name at the end of a CDN URL -> path under static/
LOCAL_ASSETS: dict[str, str] = {
    "leaflet.js": "vendor/leaflet/leaflet.js",
    "leaflet.css": "vendor/leaflet/leaflet.css",
    "leaflet.markercluster.js": "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "MarkerCluster.css": "vendor/leaflet.markercluster/MarkerCluster.css",
    "MarkerCluster.Default.css": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
    "Control.FullScreen.min.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "vendor/leaflet.fullscreen/Control.FullScreen.css",
    # folium.plugins.Draw (npm leaflet-draw 1.0.4) and MeasureControl (npm leaflet-measure 2.1.7)
    "leaflet.draw.js": "vendor/leaflet.draw/leaflet.draw.js",
    "leaflet.draw.css": "vendor/leaflet.draw/leaflet.draw.css",
    "leaflet-measure.min.js": "vendor/leaflet-measure/leaflet-measure.min.js",
    "leaflet-measure.min.css": "vendor/leaflet-measure/leaflet-measure.css",
}
#: CDN files the map does not need: dropped from the page.
UNUSED_ASSETS: frozenset[str] = frozenset(
    {
        "jquery-3.7.1.min.js",
        "bootstrap.bundle.min.js",
        "bootstrap.min.css",
        "bootstrap-glyphicons.css",
        "all.min.css",
        "leaflet.awesome-markers.js",
        "leaflet.awesome-markers.css",
        "leaflet.awesome.rotate.min.css",
    }
)


class AssetError(ValueError):
    """A map element needs an asset that has no local copy."""


def local_url(url: str) -> str | None:
    """Local URL for a CDN ``url``, ``None`` if the asset is unused.

    Raises
    ------
    AssetError
        If the asset has no local copy under ``static/``.
    """
    filename = url.rsplit("/", 1)[-1]
    if url.startswith(STATIC_URL):
        return url
    if filename in UNUSED_ASSETS:
        return None
    if filename not in LOCAL_ASSETS:
        msg = f"map asset {url!r} has no local copy; add it under static/vendor and to LOCAL_ASSETS"
        raise AssetError(msg)
    relative = LOCAL_ASSETS[filename]
    if not (STATIC_DIR / relative).is_file():
        msg = f"map asset {url!r}: local copy static/{relative} is missing"
        raise AssetError(msg)
    return f"{STATIC_URL}/{relative}"


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


_E = TypeVar("_E", bound=Element)


def localize(m: _E) -> _E:
    """Point every JS/CSS link of ``m`` and its children at the app's own copies, in place."""
    for element in _walk(m):
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if not links:
                continue
            rewritten = [(name, local) for name, url in links if (local := local_url(url)) is not None]
            setattr(element, attr, rewritten)
    return m


def asset_links(m: folium.Map) -> list[str]:
    """Every JS/CSS URL the map will load (for tests and the page-weight benchmark)."""
    links: list[str] = []
    for element in _walk(m):
        for attr in ("default_js", "default_css"):
            links.extend(url for _, url in getattr(element, attr, None) or [])
    return list(dict.fromkeys(links))
