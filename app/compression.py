"""gzip for every compressible HTTP response, Streamlit's own scripts included.

Streamlit's server compresses its API answers but deliberately sends its static bundle (about 3.4 MB
of JavaScript and CSS) and the index page uncompressed, because gzipping them on every request costs
CPU. :class:`CompressionMiddleware` wraps the whole application: it compresses what is left
uncompressed (Starlette's :class:`~starlette.middleware.gzip.GZipMiddleware`, which skips images,
fonts, archives and anything already encoded), and keeps the compressed bytes of immutable responses
(``Cache-Control: immutable``: Streamlit's content-hashed bundles) in memory, so each asset is
compressed once per process, not once per visitor.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

#: gzip level: 6 is zlib's default balance; the immutable assets are compressed once anyway.
COMPRESS_LEVEL = 6
#: Responses smaller than this are sent as they are (the gzip header would eat the gain).
MINIMUM_SIZE = 500
#: Memory kept for compressed immutable responses; the least recently used go first beyond it.
CACHE_BYTES = 64 * 1024 * 1024
#: Largest single response kept.
MAX_CACHED_RESPONSE = 16 * 1024 * 1024


class CompressionMiddleware:
    """gzip every compressible response; remember the compressed immutable ones.

    Parameters
    ----------
    app : ASGI application
        The application to wrap.
    compresslevel : int, keyword-only
        zlib level 1-9.
    minimum_size : int, keyword-only
        Bytes below which a response is not compressed.
    cache_bytes : int, keyword-only
        Memory for compressed immutable responses (0 turns the cache off).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        compresslevel: int = COMPRESS_LEVEL,
        minimum_size: int = MINIMUM_SIZE,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[str, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._cached_size = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request: from the cache, else through gzip (recording immutable answers)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "gzip" not in headers.get("accept-encoding", ""):
            await self.app(scope, receive, send)
            return
        cacheable = (
            self.cache_bytes > 0
            and scope["method"] == "GET"
            and not any(
                h in headers for h in ("range", "if-none-match", "if-modified-since", "authorization")
            )
        )
        if not cacheable:
            await self.gzip(scope, receive, send)
            return
        key = (
            scope.get("root_path", "")
            + scope["path"]
            + "?"
            + scope.get("query_string", b"").decode("latin-1")
        )
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        if hit is not None:
            raw_headers, body = hit
            await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.gzip(scope, receive, _Recorder(send, key, self._store))

    def _store(self, key: str, raw_headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if len(body) > min(MAX_CACHED_RESPONSE, self.cache_bytes):
            return
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = (raw_headers, body)
            self._cached_size += len(body)
            while self._cached_size > self.cache_bytes:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cached_size -= len(dropped)
        logger.debug("compressed %s once: %d bytes kept", key, len(body))


class _Recorder:
    """Passes a response on, and hands a complete gzip-encoded immutable 200 to ``store``."""

    def __init__(
        self, send: Send, key: str, store: Callable[[str, list[tuple[bytes, bytes]], bytes], None]
    ) -> None:
        self.send = send
        self.key = key
        self.store = store
        self.keep = False
        self.headers: list[tuple[bytes, bytes]] = []
        self.parts: list[bytes] = []
        self.size = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = Headers(raw=message.get("headers", []))
            self.keep = (
                message["status"] == 200
                and headers.get("content-encoding") == "gzip"
                and "immutable" in headers.get("cache-control", "")
                and "set-cookie" not in headers
            )
            if self.keep:
                kept = MutableHeaders(raw=list(message.get("headers", [])))
                del kept["content-length"]
                self.headers = kept.raw
        elif message["type"] == "http.response.body" and self.keep:
            chunk = message.get("body", b"")
            self.parts.append(chunk)
            self.size += len(chunk)
            if self.size > MAX_CACHED_RESPONSE:
                self.keep, self.parts = False, []
            elif not message.get("more_body", False):
                body = b"".join(self.parts)
                self.store(self.key, [*self.headers, (b"content-length", str(len(body)).encode())], body)
        await self.send(message)
