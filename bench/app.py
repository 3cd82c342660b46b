"""App speed: first paint and payload in headless Chromium, re-run server time of widget changes.

Starts the app (as ``make run`` does) on a free port, then with Debian's Chromium (network limited to
127.0.0.1, as in the browser tests):
* first paint: from navigation until every default layer is drawn on the map (the last layer's
  paths are attached), for the first visitor of a fresh server, for a second visitor (empty
  browser cache) and for that visitor coming back (Streamlit's scripts cached: they are immutable);
* payload: bytes received over HTTP as Chromium counts them (Streamlit's own scripts, which its
  server does not compress, the vendored Leaflet, the offline basemap when tiles fail; nothing for
  what comes from the browser cache) and over the websocket (the app's
  content, as Playwright reports it, uncompressed), and the size of the map document itself;
Server time of a re-run after a widget change (a filter, a tab switch, a corridor width) is measured
in-process with Streamlit's AppTest, median of five, after one warm-up.
Targets: first paint <= 3 s; re-run <= 300 ms; payload <= 2 MB with the default layers.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def _serve() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the app did not start on {url}")


def _context(browser):
    """A browser profile of its own (empty cache). The network is limited to the app by the browser's
    host resolver (see main), not by Playwright's routing, which would turn the HTTP cache off."""
    return browser.new_context(viewport={"width": 1400, "height": 1000})


def _visit(context, url: str) -> dict[str, float]:
    page = context.new_page()
    sizes = {"http": 0, "ws": 0}

    # bytes as received (Chromium's encodedDataLength: compressed size, 0 when served from the cache)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.loadingFinished",
        lambda event: sizes.__setitem__("http", sizes["http"] + event["encodedDataLength"]),
    )
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived", lambda payload: sizes.__setitem__("ws", sizes["ws"] + len(payload))
        ),
    )
    start = time.perf_counter()
    page.goto(url)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=120_000)
    frame.locator(".marker-cluster, .leaflet-marker-icon").first.wait_for(state="attached", timeout=120_000)
    paint_s = time.perf_counter() - start
    page.wait_for_timeout(1500)  # let the last websocket deltas arrive
    page.close()
    return {"paint_s": paint_s, "http_mb": sizes["http"] / 1e6, "ws_mb": sizes["ws"] / 1e6}


def _map_html_mb() -> float:
    """Size of the Map tab's folium document with every default layer."""
    sys.path.insert(0, str(ROOT))
    import layers
    from layers.map import build_map

    shown = {n: layers.load(n) for n in layers.names() if n != "countries"}
    return len(build_map(shown).get_root().render()) / 1e6


def _rerun_ms() -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300).run()

    def timed(change) -> float:
        times = []
        for i in range(6):
            change(at, i)
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        return statistics.median(times[1:]) * 1000

    return {
        "filter (Map tab)": timed(
            lambda a, i: a.sidebar.multiselect(key="filter_kind").set_value(["refining"] if i % 2 else [])
        ),
        "basemap (Map tab)": timed(
            lambda a, i: a.sidebar.radio(key="basemap").set_value(
                a.sidebar.radio(key="basemap").options[i % 2]
            )
        ),
        "corridor width (Corridors tab)": timed(
            lambda a, i: (
                a.session_state.__setitem__("tab", "Corridors"),
                a.session_state.__setitem__("corridor_width", 25 + 5 * (i % 2)),
            )
        ),
        "route tonnes (Routes tab)": timed(
            lambda a, i: (
                a.session_state.__setitem__("tab", "Routes"),
                a.session_state.__setitem__("route_tonnes", 10.0 + i % 2),
            )
        ),
    }


def main() -> None:
    from playwright.sync_api import sync_playwright

    proc, url = _serve()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                ],
            )
            first = _visit(_context(browser), url)
            returning = _context(browser)
            second = _visit(returning, url)
            again = _visit(returning, url)  # Streamlit's scripts now come from the browser cache
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(
        f"first paint, first visitor of a fresh server : {first['paint_s']:.2f} s (modules imported, layers read)"
    )
    print(f"first paint, second visitor                  : {second['paint_s']:.2f} s (target <= 3 s)")
    print(f"payload, HTTP (encoded)                      : {second['http_mb']:.2f} MB")
    print(f"payload, websocket                           : {second['ws_mb']:.2f} MB")
    print(
        f"payload, total                               : {second['http_mb'] + second['ws_mb']:.2f} MB (target <= 2 MB)"
    )
    print(f"  of which the map document (default layers) : {_map_html_mb():.2f} MB")
    print(
        f"returning visitor (browser cache)            : first paint {again['paint_s']:.2f} s, payload {again['http_mb'] + again['ws_mb']:.2f} MB"
    )
    for what, ms in _rerun_ms().items():
        print(f"re-run after a change, {what:<23}: {ms:.0f} ms server time (target <= 300 ms)")


if __name__ == "__main__":
    main()
