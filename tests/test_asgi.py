"""The ASGI entry (app.asgi): gzip of every compressible response, Streamlit's scripts included; the
warm-up and /health; Streamlit still served beside /health and /ogc."""

from __future__ import annotations

import gzip
import json
import re
import threading
import urllib.error
import urllib.request

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from app.compression import CompressionMiddleware
from app.warmup import WarmUp, default_steps, health_endpoint, script_imports, warm_modules
from geo.settings import PROJECT_DIR

MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def _main_bundle(url: str) -> str:
    """URL of Streamlit's main script, from the index page."""
    _, _, index = _get(url + "/")
    match = re.search(r'<script[^>]+type="module"[^>]+src="\./(static/js/index\.[^"]+\.js)"', index.decode())
    assert match, index[:500]
    return f"{url}/{match.group(1)}"


# ----------------------------------------------------------------------------- the real server
def test_streamlit_main_script_is_gzipped_once_and_kept(atlas_server):
    bundle = _main_bundle(atlas_server["url"])
    status, headers, plain = _get(bundle)
    assert status == 200 and "content-encoding" not in headers
    assert len(plain) > 200_000
    status, headers, first = _get(bundle, **{"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "immutable" in headers["cache-control"]
    assert gzip.decompress(first) == plain
    assert len(first) < len(plain) / 2.5
    # the second visitor gets the kept bytes, now with their length
    status, headers, second = _get(bundle, **{"Accept-Encoding": "gzip"})
    assert second == first
    assert headers["content-length"] == str(len(first))


def test_index_page_is_gzipped_and_fonts_are_left_alone(atlas_server):
    status, headers, body = _get(atlas_server["url"] + "/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    index = gzip.decompress(body).decode()
    font = re.search(r'href="\./(static/media/[^"]+\.woff2)"', index)
    assert font, "Streamlit's index page names a woff2 font"
    status, headers, _ = _get(f"{atlas_server['url']}/{font.group(1)}", **{"Accept-Encoding": "gzip"})
    assert status == 200 and "content-encoding" not in headers  # woff2 is compressed already


def test_health_says_ready_after_the_warm_up(atlas_server):
    assert set(atlas_server["health_seen"][:-1]) <= {503}  # while warming: 503, never an error
    status, headers, body = _get(atlas_server["url"] + "/health")
    assert status == 200
    assert headers["content-type"] == "application/json"
    report = json.loads(body)
    assert report["status"] == "ready"
    assert list(report["steps_s"]) == [
        "imports",
        "layers",
        "networks",
        "routes layer",
        "ogc collections",
        "first visit /",
        "first visit /?tab=Routes",
    ]
    assert "warnings" not in report  # both first visits ran the script to its end without an exception
    assert report["warm_up_s"] == pytest.approx(sum(report["steps_s"].values()), abs=0.01)


def test_streamlit_is_still_served_beside_health_and_ogc(atlas_server):
    status, _, body = _get(atlas_server["url"] + "/_stcore/health")
    assert (status, body) == (200, b"ok")
    status, headers, _ = _get(atlas_server["url"] + "/ogc")
    assert status == 200 and headers["content-type"] == "application/json"


# ----------------------------------------------------------------------------- warm-up and /health
def test_warm_up_states_and_health_answers():
    release = threading.Event()
    done: list[str] = []
    warmup = WarmUp([("first", lambda: done.append("first")), ("slow", release.wait)])
    client = TestClient(Starlette(routes=[Route("/health", health_endpoint(warmup))]))

    assert warmup.report() == (503, {"status": "pending", "steps_s": {}})
    warmup.start()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["status"] == "warming"
    release.set()
    assert warmup.wait(timeout=10)
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert list(response.json()["steps_s"]) == ["first", "slow"]
    assert done == ["first"]
    warmup.start()  # once only
    assert done == ["first"]


def test_a_failed_step_keeps_health_at_503_with_the_reason():
    def broken() -> None:
        raise OSError("graph cache unreadable")

    warmup = WarmUp([("networks", broken), ("never", lambda: None)])
    warmup.run()
    status, body = warmup.report()
    assert status == 503
    assert body["status"] == "failed"
    assert body["error"] == "networks: OSError: graph cache unreadable"
    assert "never" not in body["steps_s"]


def test_an_optional_step_that_fails_is_a_warning():
    def visit() -> None:
        raise RuntimeError("first visit ?tab=Routes: the script raised KeyError: 'x'")

    warmup = WarmUp([("layers", lambda: None)])
    warmup.add("first visit", visit, optional=True)
    warmup.add("after", lambda: None)
    warmup.run()
    status, body = warmup.report()
    assert status == 200
    assert list(body["steps_s"]) == ["layers", "first visit", "after"]
    assert body["warnings"] == {
        "first visit": "RuntimeError: first visit ?tab=Routes: the script raised KeyError: 'x'"
    }
    with pytest.raises(RuntimeError, match="'late' added after the start"):
        started = WarmUp([])
        started.start()
        started.add("late", lambda: None)


def test_warm_up_imports_what_the_script_imports_but_streamlit_components():
    script = PROJECT_DIR / "streamlit_app.py"
    imported = script_imports(script)
    assert {"streamlit", "app.sidebar", "app.pages"} <= set(imported)
    assert "__future__" not in imported
    warmed = warm_modules(script)
    assert {"layers", "layers.map", "geo.network", "folium", "geopandas"} <= set(warmed)
    # a component declared outside a script run is never registered: its frontend would be a 404
    assert not [name for name in warmed if name.startswith(("streamlit", "app"))]
    assert "geo._siting_dask" not in warmed  # private modules come only with the modules that use them
    steps = [name for name, _ in default_steps(script)]
    assert steps == ["imports", "layers", "networks", "routes layer"]


# ----------------------------------------------------------------------------- compression
def _compressed_app(calls: list[str]) -> TestClient:
    text = "mineral atlas " * 5_000

    def asset(request):
        calls.append("asset")
        return Response(text, media_type="text/javascript", headers={"Cache-Control": "public, immutable"})

    def page(request):
        calls.append("page")
        return Response(text, media_type="text/html")

    def tiny(request):
        return Response("ok", media_type="text/plain")

    def image(request):
        return Response(b"\x89PNG" + bytes(5_000), media_type="image/png")

    routes = [
        Route("/asset.js", asset),
        Route("/page", page),
        Route("/tiny", tiny),
        Route("/image.png", image),
    ]
    return TestClient(Starlette(routes=routes, middleware=[Middleware(CompressionMiddleware)]))


def test_immutable_responses_are_compressed_once():
    calls: list[str] = []
    client = _compressed_app(calls)
    first = client.get("/asset.js", headers={"Accept-Encoding": "gzip"})
    second = client.get("/asset.js", headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == second.headers["content-encoding"] == "gzip"
    assert first.text == second.text == "mineral atlas " * 5_000
    assert calls == ["asset"]  # the second came from the kept bytes
    client.get("/asset.js", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert calls == ["asset", "asset"]  # a range request is not answered from the kept bytes


def test_other_responses_are_compressed_each_time_and_only_when_worth_it():
    calls: list[str] = []
    client = _compressed_app(calls)
    for _ in range(2):
        assert client.get("/page", headers={"Accept-Encoding": "gzip"}).headers["content-encoding"] == "gzip"
    assert calls == ["page", "page"]
    assert "content-encoding" not in client.get("/tiny", headers={"Accept-Encoding": "gzip"}).headers
    assert "content-encoding" not in client.get("/image.png", headers={"Accept-Encoding": "gzip"}).headers
    plain = client.get("/asset.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) == len("mineral atlas ") * 5_000


# ----------------------------------------------------------------------------- the page, in Chromium
@pytest.mark.browser
def test_map_renders_through_the_asgi_entry(atlas_server, page):
    page.goto(atlas_server["url"])
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=90_000)
    frame.locator(".ma-cluster").first.wait_for(state="attached", timeout=60_000)
    assert frame.locator(".ma-cluster").count() > 3  # the atlas's own cluster bubbles
